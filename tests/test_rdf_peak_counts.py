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


def test_the_highest_bin_is_judged_by_the_pairs_counted_in_it():
    rdf = IntraInterRDF(_gas(20, ["Li"] * 4 + ["F"] * 96, seed=3).atoms, range=(0.0, 8.0),
                        nbins=80).run()
    for p, key in enumerate(rdf.results.pairs):
        total = rdf.results.total[key]
        k = int(np.argmax(total))
        pairs = rdf.results.counts[p, :, k].sum()
        g_max = rdf.results.estimates[key]["g_max"]
        assert g_max.value == pytest.approx(total[k])
        # sparse highest bins are refused with their count; the others keep the block verdict
        assert (f"pair(s) counted in its bin (fewer than {MIN_PEAK_PAIRS})" in g_max.verdict) \
            == (pairs < MIN_PEAK_PAIRS), (key, pairs, g_max.verdict)
    # a gas of this size has both kinds: Li–Li's highest bin is sparse, F–F's is not
    sparse = {key for p, key in enumerate(rdf.results.pairs)
              if rdf.results.counts[p, :, np.argmax(rdf.results.total[key])].sum()
              < MIN_PEAK_PAIRS}
    assert ("Li", "Li") in sparse and ("F", "F") not in sparse
    assert rdf.results.estimates[("F", "F")]["g_max"].valid
