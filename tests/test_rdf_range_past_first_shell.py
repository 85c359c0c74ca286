"""An RDF range that starts after the first peak (in the first minimum or on the rising edge of
the second shell) has no first minimum of its own.

Before: over a first shell at 2 Å (minimum 2.59 Å) and a second at 4.2 Å, ranges starting at
2.4-3.8 Å returned the second shell's minimum (4.85 Å) as the shell cutoff; SolvationShells
used it for every shell. Now the pairs closer than the range (``below``) show that g(r) peaked
before it: no cutoff, with the reason. The whole class of starts is swept: in the core, on the
first shell's rising edge (kept, identical to the range from 0 Å), inside the first shell,
in the first minimum, on the second shell's rising edge (refused), with exact and Poisson
counts.
"""

import warnings

import numpy as np
import pytest

import mda_electrolyte as mdae
from mda_electrolyte.shell_cutoffs import first_minimum

WIDTH = 0.05


def _g(r):
    # a sharp first shell at 2 Å, a deep minimum near 2.6 Å, a second shell at 4.2 Å
    return (8 * np.exp(-(((r - 2) / 0.12) ** 2)) + 2.5 * np.exp(-(((r - 4.2) / 0.35) ** 2))
            + 1 / (1 + np.exp(-(r - 5.2) / 0.2)))


def _histogram(r_min, density=30.0, rng=None, r_max=8.0):
    """The histogram of the range from ``r_min`` and the counts of the bins below it."""
    edges = np.linspace(0, r_max, int(round(r_max / WIDTH)) + 1)
    centres = 0.5 * (edges[1:] + edges[:-1])
    shell = 4 / 3 * np.pi * np.diff(edges**3)
    expected = density * shell * _g(centres)
    counts = expected if rng is None else rng.poisson(expected).astype(float)
    k = int(round(r_min / WIDTH))
    g = counts / (density * shell)
    return edges[k:], g[k:], counts[k:], counts[:k]


REFERENCE = first_minimum(*_histogram(0.0)[:3])
PAST_FIRST_PEAK = [2.3, 2.4, 2.5, 2.6, 2.8, 3.0, 3.2, 3.4, 3.6, 3.8]


def test_reference_minimum():
    assert REFERENCE.cutoff == pytest.approx(2.59, abs=0.03)
    assert REFERENCE.estimate().converged


@pytest.mark.parametrize("r_min", PAST_FIRST_PEAK)
@pytest.mark.parametrize("as_total", [False, True])
def test_range_past_the_first_peak_has_no_cutoff(r_min, as_total):
    edges, g, counts, below = _histogram(r_min)
    # without the pairs below, the second shell's minimum is found (the old answer) and is
    # not valid: the range cannot be checked
    blind = first_minimum(edges, g, counts=counts)
    if blind.cutoff is not None:
        assert blind.cutoff == pytest.approx(4.85, abs=0.05)
        assert not blind.estimate().converged
        assert any("cannot be ruled out" in w for w in blind.warnings)
    found = first_minimum(edges, g, counts=counts, below=below.sum() if as_total else below)
    if as_total and r_min >= 3.0:
        # one number over the whole sphere below: a g(r) as high as at the start over all of
        # it would hold the first shell's pairs (the per-bin counts see the peak)
        return
    assert found.cutoff is None
    assert "after a shell" in found.note or "inside a shell" in found.note
    assert f"{r_min:g} Å" in found.note
    estimate = found.estimate("cutoff")
    assert not estimate.converged and np.isnan(estimate.value)


@pytest.mark.parametrize("r_min", [0.5, 1.0, 1.5, 1.7])
def test_range_on_the_first_rising_edge_keeps_the_cutoff(r_min):
    edges, g, counts, below = _histogram(r_min)
    found = first_minimum(edges, g, counts=counts, below=below)
    assert found.cutoff == pytest.approx(REFERENCE.cutoff, abs=1e-6)
    assert found.warnings == [] and found.estimate().converged
    # without the pairs below it cannot be checked: the same number, not valid
    blind = first_minimum(edges, g, counts=counts)
    assert blind.cutoff == pytest.approx(REFERENCE.cutoff, abs=1e-6)
    assert not blind.estimate().converged


def test_poisson_replicas_flag_only_ranges_past_the_first_peak():
    # 30 replicas of a small sample (a few hundred pairs in the first shell): the rising-edge
    # start is never refused, the starts past the first peak always
    rng = np.random.default_rng(11)
    for _ in range(30):
        edges, g, counts, below = _histogram(1.6, density=0.5, rng=rng)
        rising = first_minimum(edges, g, counts=counts, below=below)
        assert "after a shell" not in rising.note and "inside a shell" not in rising.note
        # the flat trough of a small sample: the minimum lies somewhere between the shells
        assert rising.cutoff is not None and 2.2 < rising.cutoff < 3.6
        for r_min in (2.6, 3.4):
            edges, g, counts, below = _histogram(r_min, density=0.5, rng=rng)
            past = first_minimum(edges, g, counts=counts, below=below)
            assert past.cutoff is None, (r_min, past.note)


@pytest.mark.parametrize("below,match", [
    ([-1.0], "below must be finite"),
    ([np.nan], "below must be finite"),
    (np.ones(100), "more than fit"),
])
def test_bad_below_is_refused(below, match):
    edges, g, counts, _ = _histogram(2.6)
    with pytest.raises(ValueError, match=match):
        first_minimum(edges, g, counts=counts, below=below)


def test_below_needs_the_counts():
    edges, g, _, below = _histogram(2.6)
    with pytest.raises(ValueError, match="needs the counts"):
        first_minimum(edges, g, below=below)


def _universe():
    from test_shell_cutoff_cn_error import _shells_universe

    return _shells_universe(n_frames=40)


KEY = ("resname LI", "resname SOL")


@pytest.fixture(scope="module")
def universe():
    return _universe()


@pytest.mark.parametrize("r_min", [2.6, 3.2])
def test_intra_inter_rdf_refuses_a_range_past_the_first_shell(universe, r_min):
    rdf = mdae.IntraInterRDF(universe.atoms, pairs=[KEY], range=(r_min, 7.0),
                             nbins=int(round((7.0 - r_min) * 10))).run()
    assert rdf.results.first_minimum[KEY] is None
    assert "after a shell" in rdf.results.shell[KEY]["note"]
    estimates = rdf.results.estimates[KEY]
    assert not estimates["first_minimum"].converged
    assert not estimates["cn_first_shell"].converged


@pytest.mark.parametrize("engine", ["auto", "vesin"])
def test_intra_inter_rdf_range_from_the_rising_edge(universe, engine):
    # the bins below the range are counted too; the range's own counts are InterRDF's
    from MDAnalysis.analysis.rdf import InterRDF

    full = mdae.IntraInterRDF(universe.atoms, pairs=[KEY], range=(0.0, 7.0), nbins=70).run()
    part = mdae.IntraInterRDF(universe.atoms, pairs=[KEY], range=(1.0, 7.0), nbins=60,
                              engine=engine).run()
    np.testing.assert_array_equal(part.results.counts[0], full.results.counts[0][:, 10:])
    li, sol = universe.select_atoms(KEY[0]), universe.select_atoms(KEY[1])
    reference = InterRDF(li, sol, nbins=60, range=(1.0, 7.0)).run()
    np.testing.assert_allclose(part.results.total[KEY], reference.results.rdf, rtol=1e-12)
    assert part.results.first_minimum[KEY] == pytest.approx(full.results.first_minimum[KEY],
                                                            abs=1e-9)
    assert part.results.estimates[KEY]["first_minimum"].converged


def _shells(universe, r_min):
    return mdae.SolvationShells(universe.select_atoms("resname LI"), {},
                                {"SOL": universe.select_atoms("resname SOL")},
                                rdf_range=(r_min, 7.0), rdf_nbins=int(round((7 - r_min) * 10)))


@pytest.mark.parametrize("r_min,refused", [(1.0, False), (2.6, True), (3.2, True)])
def test_solvation_shells_refuse_a_range_past_the_first_shell(universe, r_min, refused):
    shells = _shells(universe, r_min)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if refused:
            # before: the second shell's minimum (about 4.8 Å) was every shell's cutoff
            with pytest.raises(ValueError, match=f"range starts at {r_min:g} Å after a shell"):
                shells.run()
            assert "cutoffs" not in shells.results
        else:
            reference = _shells(universe, 0.0).run().results.cutoffs["SOL"]
            assert shells.run().results.cutoffs["SOL"] == pytest.approx(reference, abs=1e-9)
            assert shells.results.cutoff_estimates["SOL"].converged


def test_narrow_range_far_from_zero_counts_no_bins_below(universe):
    # 5-7 Å in 1200 bins would need 3000 bins below: not counted bin by bin (memory); the
    # closer pairs are all in each row's last slot, first_minimum's one number from 0 Å
    rdf = mdae.IntraInterRDF(universe.atoms, pairs=[KEY], range=(5.0, 7.0), nbins=1200).run()
    n_classes = 2
    assert rdf.results.counts_ordered.size == n_classes**2 * 2 * (1200 + 1)
    near = mdae.IntraInterRDF(universe.atoms, pairs=[KEY], range=(1.0, 7.0), nbins=60).run()
    # 10 bins of 0.1 Å below 1 Å (one more per row for the pairs closer than them)
    assert near.results.counts_ordered.size == n_classes**2 * 2 * (60 + 10 + 1)
    # every pair closer than 5 Å counted all the same: the running count of a range from 0 Å
    full = mdae.IntraInterRDF(universe.atoms, pairs=[KEY], range=(0.0, 7.0), nbins=70).run()
    assert rdf.results.cn_below[KEY] == pytest.approx(full.results.cn_total[KEY][49], rel=1e-12)
    assert near.results.cn_below[KEY] == pytest.approx(full.results.cn_total[KEY][9], rel=1e-12,
                                                       abs=1e-15)


def test_solvation_shells_narrow_range_far_from_zero_counts_one_bin_below(universe):
    # 2.6-2.9 Å in 3000 bins: 26 000 bins below would be counted per frame; one from 0 Å is
    # (first_minimum's single number), and the run ends in a clear error, not a memory blow-up
    shells = mdae.SolvationShells(universe.select_atoms("resname LI"), {},
                                  {"SOL": universe.select_atoms("resname SOL")},
                                  rdf_range=(2.6, 2.9), rdf_nbins=3000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ValueError, match="no first minimum found"):
            shells.run()
    assert shells._below_one_bin
