"""A g(r) with no pairs counted in its range is no measured curve: IntraInterRDF showed the
Li-Li curve of one Li+ (no Li-Li pair exists) as valid, a zero curve with a zero band, in its
plot and in ``electrolyte analyze``'s g_verdict, while the same curve's g_max said "no value
(no pairs counted in the range)". Two Li+ held beyond the range are the same case; curves with
pairs keep their verdicts."""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

from mda_electrolyte import IntraInterRDF

N_FRAMES, N_O, L = 60, 40, 12.0


def _universe(n_li, far):
    rng = np.random.default_rng(3)
    n = n_li + N_O
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    names = ["Li"] * n_li + ["O"] * N_O
    for attr in ("names", "types", "elements"):
        u.add_TopologyAttr(attr, names)
    u.add_TopologyAttr("resnames", ["LI"] * n_li + ["W"] * N_O)
    pos = rng.uniform(0, L, size=(N_FRAMES, n, 3))
    if far:  # two Li+ at opposite corners of the half box: 10.4 Å apart, beyond the range
        pos[:, 0] = 0.0
        pos[:, 1] = L / 2
    u.load_new(pos.astype(np.float32), format=MemoryReader,
               dimensions=[L, L, L, 90, 90, 90])
    return u


@pytest.mark.parametrize("n_li, far", [(1, False), (2, True)])
def test_a_curve_without_pairs_is_not_valid(n_li, far):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rdf = IntraInterRDF(_universe(n_li, far).atoms, pairs="elements",
                            range=(0.0, 5.5)).run()
    assert not np.any(rdf.results.total[("Li", "Li")])
    verdict = rdf._curve_verdict(("Li", "Li"))
    assert verdict is not None and not verdict.valid
    assert "no pairs counted in the range" in verdict.verdict
    # the curves with pairs are judged as before: valid with 60 independent frames
    assert np.any(rdf.results.total[("O", "O")])
    assert rdf._curve_verdict(("O", "O")) is None
    assert not rdf.results.estimates[("Li", "Li")]["g_max"].valid
