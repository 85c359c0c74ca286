"""g(r)'s highest bin is a result only where pairs were counted in it.

A pair with no pair at all in the range (Li–Li with one Li) reported ``g_max = 0 ± 0`` as
valid, and a gas whose highest bin held one or two pairs reported that bin's height (2.4 ± 3.3)
as valid: the maximum of bins this sparse is counting noise, and a block error of one or two
counts is no normal error bar.
"""

import MDAnalysis as mda
import numpy as np
import pytest

from mda_electrolyte.rdf import MIN_PEAK_PAIRS, IntraInterRDF

BOX = 20.0


def _gas(n_frames, elements, seed=0):
    n = len(elements)
    rng = np.random.default_rng(seed)
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("resnames", elements)
    coords = rng.uniform(0, BOX, (n_frames, n, 3)).astype(np.float32)
    dims = np.tile([BOX, BOX, BOX, 90, 90, 90], (n_frames, 1)).astype(np.float32)
    u.load_new(coords, order="fac", dimensions=dims)
    return u


@pytest.mark.parametrize("n_frames", [20, 60])
def test_a_pair_with_no_pairs_in_range_has_no_g_max(n_frames):
    rdf = IntraInterRDF(_gas(n_frames, ["Li"] + ["F"] * 19).atoms, range=(0.0, 8.0)).run()
    g_max = rdf.results.estimates[("Li", "Li")]["g_max"]
    assert not np.any(rdf.results.total[("Li", "Li")])
    assert not g_max.valid and "no pairs counted in the range" in g_max.verdict
    assert np.isnan(g_max.stderr)


def test_bins_with_fewer_pairs_than_the_minimum_are_passed_over():
    rdf = IntraInterRDF(_gas(20, ["Li"] * 4 + ["F"] * 96, seed=3).atoms, range=(0.0, 8.0),
                        nbins=80).run()
    for p, key in enumerate(rdf.results.pairs):
        counts = rdf.results.counts[p].sum(axis=0)
        g_max = rdf.results.estimates[key]["g_max"]
        sparse = counts.max() < MIN_PEAK_PAIRS
        # a pair whose every bin is sparse is refused with its count
        assert (f"counted in a bin (fewer than {MIN_PEAK_PAIRS})" in g_max.verdict) == sparse
        if not sparse and np.isfinite(rdf.results.estimates[key]["g_max_position"].value):
            # the peak searched is among the bins holding enough pairs
            k = np.searchsorted(rdf.results.edges,
                                rdf.results.estimates[key]["g_max_position"].value) - 1
            assert counts[max(k - 1, 0):k + 2].max() >= MIN_PEAK_PAIRS
        # a gas has no peak: no g_max of it is a result
        assert not g_max.valid
    # not vacuous: F–F counts plenty of pairs per bin, and is still refused (no peak)
    sparse = {key for p, key in enumerate(rdf.results.pairs)
              if rdf.results.counts[p].sum(axis=0).max() < MIN_PEAK_PAIRS}
    assert ("F", "F") not in sparse
