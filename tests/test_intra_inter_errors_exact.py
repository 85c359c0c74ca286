"""The intra/inter split is exact for molecules in any atom order, lone ions and skewed cells.

intra + inter = total force on every atom to rounding, the intramolecular forces are those of
each molecule evaluated alone, and trans + rot + vib = total, for frames whose molecules are
interleaved in the atom order (not contiguous), cut by the faces of a triclinic cell, and
include single-atom ions.
"""

import sys
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.build import molecule

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402

from mda_electrolyte.intra_inter_errors import IntraInterErrors  # noqa: E402
from mda_electrolyte.molecules import isolated_molecules  # noqa: E402

CELL = np.array([[9.0, 0.0, 0.0], [2.5, 9.5, 0.0], [1.5, -2.0, 10.0]])


def _frame(seed):
    rng = np.random.default_rng(seed)
    parts = [molecule("H2O"), molecule("CO2"), Atoms("Li", [[0, 0, 0]]), molecule("CH4"),
             Atoms("F", [[0, 0, 0]]), molecule("NH3")]
    centres = [[0.3, 0.5, 0.5], [4, 4, 4], [6.5, 1, 7], [2, 7, 2], [7, 7, 8.5], [8.6, 0.2, 3]]
    atoms, ids = Atoms(cell=CELL, pbc=True), []
    for j, (m, c) in enumerate(zip(parts, centres, strict=True)):
        m = m.copy()
        m.rotate(rng.uniform(0, 360), rng.normal(size=3), center="COM")
        m.positions += np.array(c) - m.get_center_of_mass()
        m.rattle(0.02, seed=seed + j)
        atoms += m
        ids += [j] * len(m)
    order = np.random.default_rng(99).permutation(len(atoms))
    atoms = atoms[order]
    atoms.arrays["molecule_index"] = np.array(ids)[order]
    atoms.wrap()
    return atoms


def test_the_split_is_exact_for_interleaved_cut_molecules_and_lone_ions():
    frames = [_frame(s) for s in range(5)]
    ids = frames[0].arrays["molecule_index"]
    # interleaved, cut by the cell, with lone ions: the cases this test is about
    assert np.any(np.diff(ids) < 0) and np.sum(np.bincount(ids) == 1) == 2
    spans = [np.ptp(frames[0].positions[ids == j], axis=0).max() for j in range(ids.max() + 1)]
    assert max(spans) > 4.0  # a molecule of bonds < 1.5 Å wrapped across a face
    r = IntraInterErrors(frames, MolecularPairModel(sigma=2.0, rc=5.0),
                         reference=MolecularPairModel(sigma=2.1, rc=5.0, k=22.0),
                         keep_arrays=True).run().results
    for side, calc in (("model", MolecularPairModel(sigma=2.0, rc=5.0)),
                       ("reference", MolecularPairModel(sigma=2.1, rc=5.0, k=22.0))):
        f = r.forces[side]
        scale = np.abs(f["total"]).max()
        np.testing.assert_allclose(f["intra"] + f["inter"], f["total"], rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(f["trans"] + f["rot"] + f["vib"], f["total"], rtol=0,
                                   atol=1e-12 * scale)
        e = r.energies[side]
        np.testing.assert_allclose(e["intra"] + e["inter"], e["total"], rtol=1e-13)
        lone = np.bincount(ids)[ids] == 1
        # a lone ion has no intramolecular force and no rotation
        assert np.all(f["intra"][:, lone] == 0) and np.all(f["rot"][:, lone] == 0)
        for k, atoms in enumerate(frames):
            for mol in isolated_molecules(atoms, ids):
                alone = mol.copy()
                alone.calc = calc
                np.testing.assert_allclose(f["intra"][k][mol.arrays["frame_index"]],
                                           alone.get_forces(), rtol=0, atol=1e-12 * scale)
