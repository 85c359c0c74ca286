"""A pair at a shell cutoff counts by the same rule whatever the other species' cutoffs.

A shell holds the pairs whose single-precision distance is within its cutoff (the rule the
shells of a table follow, ``shell_composition.shell_members``). The pass that collects the
table kept a pair only when its double-precision distance was within the collection radius,
the largest cutoff: an O 2e-8 Å beyond an EC cutoff of 2.0 Å (its float32 distance 2.0) was
in the shell with a PF6 cutoff of 3.0 Å and out of it with 2.0 Å (a random Li/DME/BF4 box
with cutoffs on its pair distances: 7 of 119 shell molecules). Now in both, in every mode.
"""

import warnings

import numpy as np
import pytest
from test_solvation import build, groups

from mda_electrolyte import SolvationShells


def _just_beyond(cutoff, centre=10.0):
    """Offsets (a, b) from ``centre`` of a float32 point whose double-precision distance from
    it lies just beyond ``cutoff`` and whose float32 distance is ``cutoff``."""
    rng = np.random.default_rng(0)
    for _ in range(100000):
        angle = rng.uniform(0.3, 1.2)
        a = np.float64(np.float32(centre + cutoff * np.cos(angle))) - centre
        b = np.float64(np.float32(centre + cutoff * np.sin(angle))) - centre
        d = np.hypot(a, b)
        if cutoff < d and np.float32(d) == np.float32(cutoff):
            return a, b, d
    raise AssertionError("no such offset")


def _universe():
    # a Li, the carbonyl O of one EC placed 2.0 Å + a few 1e-8 Å away, a Li with a PF6 far off
    u = build([((10, 10, 10), [("EC", None, "Oc")]), ((30, 30, 30), [("PF6", None)])])
    a, b, d = _just_beyond(2.0)
    li = u.select_atoms("element Li")[0]
    ec = u.select_atoms("resname EC")
    oc = ec[np.argmin(np.linalg.norm(ec.positions - li.position, axis=1))]
    pos = u.atoms.positions.copy()
    pos[li.index] = [10.0, 10.0, 10.0]
    pos[oc.index] = [10.0 + a, 10.0 + b, 10.0]
    # the rest of the molecule further out along the Li-O line (what counts is the bonds)
    out = np.array([a, b, 0.0]) / d
    rest = ec.indices[ec.indices != oc.index]
    pos[rest] = pos[oc.index] + out * (1.2 + 0.6 * np.arange(len(rest)))[:, None]
    u.atoms.positions = pos
    distance = np.linalg.norm(u.atoms.positions[oc.index].astype(np.float64) - [10, 10, 10])
    assert 2.0 < distance == d and np.float32(distance) == 2.0
    # no other EC atom within the cutoff
    others = np.linalg.norm(ec.positions.astype(np.float64) - [10, 10, 10], axis=1)
    assert np.sort(others)[1] > 2.0
    return u


@pytest.mark.parametrize("store_table", [True, None, False])
@pytest.mark.parametrize("pf6_cutoff", [2.0, 3.0])
def test_the_pair_at_the_cutoff_counts_whatever_the_other_cutoffs(store_table, pf6_cutoff):
    u = _universe()
    li, anions, solvents = groups(u)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        r = SolvationShells(li, anions, solvents, cutoffs={"EC": 2.0, "PF6": pf6_cutoff},
                            store_table=store_table).run().results
    # the first of the two Li (the second holds the PF6 at 30 Å)
    assert r.coordination_numbers["EC"] == 0.5 and r.pairing["EC"] == 0.5
    assert r.labels["Li(ECc)"] == 0.5
