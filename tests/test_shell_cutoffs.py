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
    # the minimum of the unsmoothed g(r) is at 2.485 Å; smoothed with σ = 0.2 Å it lies at
    # 2.64 Å. With the pair counts (the bootstrap measures the noise the extrapolation
    # amplifies) it is extrapolated from σ and σ/2 to 2.472 Å; without, kept at σ, its error
    # twice the move from σ/2
    plain = first_minimum(EDGES, G)
    assert plain.cutoff == pytest.approx(2.64, abs=5e-3)
    assert abs(plain.cutoff - 2.485) < plain.cutoff_err < 0.4
    counted = first_minimum(EDGES, G, counts=1e4 * G * SHELL)
    assert counted.cutoff == pytest.approx(2.4717, abs=1e-3)
    assert abs(counted.cutoff - 2.485) < counted.cutoff_err < 0.1
    assert counted.peak == pytest.approx(2.0, abs=2e-3) and counted.peak_err < 0.01


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


def test_smoothing_is_banded_and_bins_it_cannot_smooth_are_refused_before_any_frame():
    """The first-minimum smoothing keeps only the bins within 8 σ of each grid point (the
    dense matrix of 10⁵ bins over 400 Å took 30 GiB after every frame was counted); what
    would still not fit is refused by the analyses' constructors."""
    from scipy.special import ndtr

    from mda_electrolyte import IntraInterRDF, SolvationShells
    from mda_electrolyte.shell_cutoffs import _smoothed, check_smoothable

    rng = np.random.default_rng(3)
    for lo, hi, n, sigma in ((0, 8, 160, 0.2), (1.3, 10, 77, 0.3), (0, 12, 600, 0.05)):
        edges = np.linspace(lo, hi, n + 1)
        values = rng.random(n)
        x, smooth = _smoothed(edges, values, sigma)
        # the dense convolution of the step function, normalised inside the range
        dense = ndtr((edges[1:, None] - x) / sigma) - ndtr((edges[:-1, None] - x) / sigma)
        np.testing.assert_allclose(smooth, values @ (dense / dense.sum(axis=0)), atol=1e-12)
    assert check_smoothable(np.linspace(0, 12, 601)) == 1201
    for edges in (np.linspace(0, 400, 100_001), np.linspace(0, 4e6, 101)):
        with pytest.raises(ValueError, match="too fine or its range too wide to smooth"):
            check_smoothable(edges)
    from tests.test_rdf import liquid_universe

    u = liquid_universe(n_frames=1, box=(900.0, 900.0, 900.0, 90.0, 90.0, 90.0))
    with pytest.raises(ValueError, match="100000 bins over 0–400 Å are too fine"):
        IntraInterRDF(u.atoms, range=(0, 400), nbins=100_000)
    from tests.test_solvation import build, groups

    shells = build([((10, 10, 10), [("EC", None, "Oc"), ("PF6", None)])], box=900.0)
    with pytest.raises(ValueError, match="100000 bins over 0–400 Å are too fine"):
        SolvationShells(*groups(shells), rdf_range=(0, 400), rdf_nbins=100_000)
    SolvationShells(*groups(shells), rdf_range=(0, 12), rdf_nbins=600)  # the usual: accepted
