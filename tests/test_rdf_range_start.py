"""An RDF range that starts inside or just after the first shell has no first minimum of its own.

With r_min past the first peak the first peak found is the second shell's, and its minimum was
returned as the shell cutoff (range 2.3–8 Å over a first shell at 2 Å: 4.76 Å instead of
2.49 Å). Ranges that start on the rising edge of the first shell keep their cutoff.
"""

import numpy as np
import pytest

from mda_electrolyte.shell_cutoffs import first_minimum


def _g(r):
    # a first shell at 2 Å (width 0.2 Å), a minimum at 2.49 Å, a second shell at 3.65 Å
    second = 1.0 + 0.5 * np.cos(2 * np.pi * (r - 3.6) / 2.5) * np.exp(-np.clip(r - 3, 0, None) / 2)
    return 3 * np.exp(-(((r - 2) / 0.2) ** 2)) + second / (1 + np.exp(-(r - 3) / 0.15))


def _histogram(r_min, r_max=8.0, width=0.05, density=1e4, rng=None):
    edges = np.linspace(r_min, r_max, int(round((r_max - r_min) / width)) + 1)
    centres = 0.5 * (edges[1:] + edges[:-1])
    shell = 4 / 3 * np.pi * np.diff(edges**3)
    expected = density * shell * _g(centres)
    counts = expected if rng is None else rng.poisson(expected).astype(float)
    return edges, counts / (density * shell), counts


@pytest.mark.parametrize("r_min", [1.8, 1.9, 2.0, 2.1, 2.3, 3.6])
@pytest.mark.parametrize("with_counts", [True, False])
def test_range_starting_inside_a_shell_has_no_cutoff(r_min, with_counts):
    edges, g, counts = _histogram(r_min)
    found = first_minimum(edges, g, counts=counts if with_counts else None)
    assert found.cutoff is None
    assert "inside a shell" in found.note and f"{r_min:g} Å" in found.note
    estimate = found.estimate("cutoff")
    assert not estimate.converged and np.isnan(estimate.value)


@pytest.mark.parametrize("r_min", [0.0, 0.5, 1.0, 1.5, 1.7])
def test_range_starting_before_or_on_the_rising_edge_keeps_the_first_minimum(r_min):
    reference = first_minimum(*_histogram(0.0))
    found = first_minimum(*_histogram(r_min))
    assert found.cutoff == pytest.approx(2.49, abs=0.03)
    assert found.cutoff == pytest.approx(reference.cutoff, abs=1e-6)
    assert "inside a shell" not in found.note


def test_noisy_histograms_flag_only_the_ranges_inside_the_shell():
    # Poisson counts of a small sample: the rising-edge start is never flagged, the inside
    # start always
    rng = np.random.default_rng(7)
    for _ in range(20):
        inside = first_minimum(*_histogram(2.3, density=300, rng=rng))
        assert inside.cutoff is None and "inside a shell" in inside.note
        rising = first_minimum(*_histogram(1.5, density=300, rng=rng))
        assert "inside a shell" not in rising.note
        assert rising.cutoff == pytest.approx(2.49, abs=0.15)


def test_a_stray_pair_in_the_first_bin_is_no_shell():
    # one pair at 1.02 Å in a histogram that starts at 1 Å: g of the tiny first bin is large,
    # but one count is Poisson noise, not a shell the range starts inside
    edges, g, counts = _histogram(1.0, density=200)
    counts = np.round(counts)
    counts[0] = 1.0
    shell = 4 / 3 * np.pi * np.diff(edges**3)
    g = counts / (200 * shell)
    found = first_minimum(edges, g, counts=counts)
    assert "inside a shell" not in found.note
    assert found.cutoff == pytest.approx(2.49, abs=0.15)


@pytest.mark.parametrize("r_min,inside", [(2.2, True), (1.0, False)])
def test_solvation_shells_refuse_a_range_that_starts_inside_the_shell(r_min, inside):
    import warnings

    from test_shell_cutoff_cn_error import _shells_universe

    import mda_electrolyte as mdae

    u = _shells_universe(n_frames=60)
    shells = mdae.SolvationShells(u.select_atoms("resname LI"), {},
                                  {"SOL": u.select_atoms("resname SOL")},
                                  rdf_range=(r_min, 7.0), rdf_nbins=int(round((7 - r_min) * 10)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if inside:
            # before: the second shell's minimum (about 4.7 Å) counted as the first shell's cutoff
            with pytest.raises(ValueError, match="range starts at 2.2 Å inside a shell"):
                shells.run()
            assert "cutoffs" not in shells.results
        else:
            assert shells.run().results.cutoffs["SOL"] == pytest.approx(3.17, abs=0.1)
