"""first_minimum refuses arguments that would make its comparisons meaningless (NaN
parameters, negative radii, counts that are not a histogram) instead of answering."""

import numpy as np
import pytest

from mda_electrolyte.shell_cutoffs import first_minimum

EDGES = np.linspace(0.0, 8.0, 81)
CENTRES = 0.5 * (EDGES[1:] + EDGES[:-1])
G = 3 * np.exp(-((CENTRES - 2) / 0.2) ** 2) + 1 / (1 + np.exp(-(CENTRES - 3) / 0.15))
SHELL = 4.0 / 3.0 * np.pi * np.diff(EDGES**3)


def test_reference_minimum():
    assert first_minimum(EDGES, G).cutoff == pytest.approx(2.64, abs=1e-9)
    assert first_minimum(EDGES, G, counts=1e4 * G * SHELL).cutoff == pytest.approx(2.64,
                                                                                   abs=1e-9)


@pytest.mark.parametrize("name, value", [
    ("smoothing", np.nan), ("smoothing", -1.0), ("smoothing", "0.2"),
    ("min_depth", np.nan), ("min_depth", 1.5), ("min_depth", -0.1),
    ("prominence", np.nan), ("prominence", 2.0),
    ("min_significance", np.nan), ("min_significance", -1.0), ("min_significance", True),
])
def test_bad_parameters_are_refused_by_name(name, value):
    # NaN made every comparison False: a NaN min_depth or min_significance let any dip through,
    # a NaN smoothing or prominence returned no cutoff with a wrong reason
    with pytest.raises(ValueError, match=name):
        first_minimum(EDGES, G, counts=1e4 * G * SHELL, **{name: value})


@pytest.mark.parametrize("edges", [EDGES - 4.0, np.r_[EDGES[:-1], np.nan]])
def test_edges_must_be_finite_distances(edges):
    # negative edges gave a cutoff at r = -1.36 Å; a NaN edge a numpy arange error
    with pytest.raises(ValueError, match="edges must be finite distances >= 0"):
        first_minimum(edges, G)


@pytest.mark.parametrize("counts", [
    -1e4 * G * SHELL,
    np.where(np.arange(80) == 30, np.nan, 1e4 * G * SHELL),
    np.where(np.arange(80) == 30, np.inf, 1e4 * G * SHELL),
])
def test_counts_must_be_finite_and_non_negative(counts):
    # NaN counts returned a cutoff with a NaN significance; negative ones a negative z-score
    with pytest.raises(ValueError, match="counts must be finite pair counts >= 0"):
        first_minimum(EDGES, G, counts=counts)


def test_all_zero_counts_under_a_non_zero_rdf_are_refused():
    # divided by zero (a RuntimeWarning) and reported a dip of z = 0
    with pytest.raises(ValueError, match="counts are all zero while g"):
        first_minimum(EDGES, G, counts=np.zeros(80))
    # no pairs at all is a legitimate answer, not an error
    none = first_minimum(EDGES, np.zeros(80), counts=np.zeros(80))
    assert none.cutoff is None and "no pairs" in none.note
