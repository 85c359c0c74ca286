"""The first minimum reads g(r) and, for its significance, sample size and error, the pair
counts behind it: g below zero (h(r) = g − 1, or a difference of RDFs) and counts that are
not g's histogram (another pair's, reversed, other frames) are refused by name before any
smoothing; counts and g of one histogram, in any normalisation and precision, are taken."""

import numpy as np
import pytest

from mda_electrolyte.shell_cutoffs import first_minimum

EDGES = np.linspace(0, 8, 161)
R = 0.5 * (EDGES[1:] + EDGES[:-1])
SHELL = 4.0 / 3.0 * np.pi * np.diff(EDGES**3)
G = 3 * np.exp(-((R - 2) / 0.2) ** 2) + 1 / (1 + np.exp(-(R - 3) / 0.15))
COUNTS = np.random.default_rng(0).poisson(20 * G * SHELL).astype(float)


def test_h_of_r_is_refused():
    # before: g − 1 had a first peak and minimum, relative depth 2.1, a cutoff 2.64 ± 0.19 Å
    # marked valid
    with pytest.raises(ValueError, match=r"g must be a pair density >= 0.*h\(r\)"):
        first_minimum(EDGES, G - 1)
    with pytest.raises(ValueError, match="pair density >= 0"):
        first_minimum(EDGES, COUNTS / SHELL - 1e-9, counts=COUNTS)


@pytest.mark.parametrize("other", ["reversed", "another pair", "other frames", "one bin off"])
def test_counts_that_are_not_gs_histogram_are_refused(other):
    rng = np.random.default_rng(1)
    counts = {"reversed": COUNTS[::-1].copy(),
              "another pair": rng.poisson(20 * G * SHELL).astype(float),
              "other frames": rng.poisson(5 * G * SHELL).astype(float),
              "one bin off": np.roll(COUNTS, 1)}[other]
    # before: the reversed counts gave g's cutoff with z = 9.1 instead of 20 and a smaller
    # error, valid
    with pytest.raises(ValueError, match="counts are not the histogram behind g"):
        first_minimum(EDGES, COUNTS / SHELL, counts=counts)


@pytest.mark.parametrize("scale", [1.0, 1 / 30, 1e-7, 4e5])
def test_g_in_any_normalisation_and_float32_is_taken_with_its_counts(scale):
    reference = first_minimum(EDGES, COUNTS / SHELL, counts=COUNTS)
    assert reference.estimate().valid
    for g in (COUNTS / SHELL * scale, (COUNTS / SHELL * scale).astype(np.float32)):
        found = first_minimum(EDGES, g, counts=COUNTS)
        assert found.cutoff == pytest.approx(reference.cutoff, abs=1e-6)
        assert found.significance == pytest.approx(reference.significance, rel=1e-5)
        assert found.n_pairs == reference.n_pairs


def test_a_range_after_zero_and_uneven_bins_keep_the_proportionality():
    edges = np.r_[0.0, np.geomspace(0.5, 8.0, 90)]
    r = 0.5 * (edges[1:] + edges[:-1])
    shell = 4.0 / 3.0 * np.pi * np.diff(edges**3)
    g = 3 * np.exp(-((r - 2) / 0.2) ** 2) + 1 / (1 + np.exp(-(r - 3) / 0.15))
    counts = np.random.default_rng(2).poisson(20 * g * shell).astype(float)
    assert first_minimum(edges, counts / shell, counts=counts).cutoff is not None
    k = 20
    assert first_minimum(edges[k:], counts[k:] / shell[k:], counts=counts[k:]) is not None
