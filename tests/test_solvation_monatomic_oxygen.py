"""An oxygen that is a molecule of its own (an oxide ion, a one-bead solvent) needs no bond to
be neither carbonyl nor ether: a topology without bonds is taken for it (it was refused, "has
oxygen atoms but the topology has no bonds"), and its shells are those of the same beads under
another element. An oxygen in a molecule of several atoms still needs the bonds."""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

import mda_electrolyte as mdae


def _beads(element, n_li=4, n_frames=12, n_solvent=200, box=16.0, seed=0, residue_size=1):
    rng = np.random.default_rng(seed)
    li = rng.uniform(3, box - 3, (n_li, 3))
    frames = []
    for _ in range(n_frames):
        shells = [c + 2.0 * d / np.linalg.norm(d) for c in li for d in rng.normal(size=(4, 3))]
        rest = rng.uniform(0, box, (n_solvent - len(shells), 3))
        frames.append(np.concatenate([li, shells, rest]))
    n = n_li + n_solvent
    n_res = n_li + n_solvent // residue_size
    resindex = np.r_[np.arange(n_li), n_li + np.arange(n_solvent) // residue_size]
    u = mda.Universe.empty(n, n_residues=n_res, atom_resindex=resindex, trajectory=True)
    elements = ["Li"] * n_li + [element] * n_solvent
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("names", elements)
    u.add_TopologyAttr("resnames", ["LI"] * n_li + ["SOL"] * (n_res - n_li))
    u.load_new(np.array(frames, dtype=np.float32) % box, format=MemoryReader,
               dimensions=[box] * 3 + [90] * 3)
    return u


def _run(u, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return mdae.SolvationShells(u.select_atoms("resname LI"), {},
                                    {"SOL": u.select_atoms("resname SOL")},
                                    rdf_range=(0.0, 6.0), **kw).run()


@pytest.mark.parametrize("kw", [{"cutoffs": {"SOL": 2.6}}, {}])
def test_one_atom_oxygens_without_bonds_are_counted_as_any_bead(kw):
    oxide, other = _run(_beads("O"), **kw), _run(_beads("N"), **kw)
    assert oxide.results.cutoffs == other.results.cutoffs
    cn = oxide.results.estimates["coordination_numbers"]["SOL"]
    assert cn.value == other.results.estimates["coordination_numbers"]["SOL"].value
    # four beads at 2 Å around each Li and the uniform rest within the cutoff
    assert cn.value > 4.0
    assert list(oxide.results.labels) == list(other.results.labels)


def test_oxygens_in_larger_molecules_still_need_the_bonds():
    with pytest.raises(ValueError, match="has oxygen atoms but the topology has no bonds"):
        _run(_beads("O", residue_size=2), cutoffs={"SOL": 2.6})
