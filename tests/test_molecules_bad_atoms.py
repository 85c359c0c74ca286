"""The bond guess on atoms it cannot or must not bond, and the caller's objects left unchanged.

Cations at their solvation distance from an oxygen are free ions; an atomic number of no
element is refused by name (it was an IndexError of the radii table, or with Z = -1 the radius
of the table's last entry); no public function of the module changes the Atoms it reads.
"""

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte.build import conformer
from mda_electrolyte.molecules import (
    atoms_molecule_ids,
    check_whole,
    covalent_bonds,
    isolated_molecules,
    make_whole,
)


def _ec_with_cation(symbol, distance):
    """EC with a cation ``distance`` Å from its carbonyl O, along the C=O axis, in a box."""
    ec = conformer("EC", seed=0)
    ec = Atoms(ec.numbers, ec.positions)
    d = np.linalg.norm(ec.positions[:, None] - ec.positions[None], axis=-1)
    oxygens = np.flatnonzero(ec.numbers == 8)
    # the carbonyl O: the oxygen with one neighbour within 1.3 Å
    o = int(next(i for i in oxygens if np.sum((d[i] > 0) & (d[i] < 1.3)) == 1))
    c = int(np.flatnonzero((d[o] > 0) & (d[o] < 1.3))[0])
    axis = (ec.positions[o] - ec.positions[c]) / d[o, c]
    atoms = ec + Atoms(symbol, [ec.positions[o] + distance * axis])
    atoms.cell = [16.0] * 3
    atoms.pbc = True
    atoms.center()
    return atoms


@pytest.mark.parametrize("symbol, distance", [("Li", 1.85), ("Li", 1.9), ("Na", 2.2),
                                              ("K", 2.6), ("Mg", 1.95), ("Ca", 2.3)])
def test_a_cation_at_its_solvation_distance_is_a_free_ion(symbol, distance):
    atoms = _ec_with_cation(symbol, distance)
    ids = atoms_molecule_ids(atoms)
    assert ids.max() + 1 == 2
    cation = len(atoms) - 1
    assert not np.any(covalent_bonds(atoms) == cation)
    # EC keeps its own ten atoms and bonds
    assert np.all(ids[:-1] == ids[0]) and ids[-1] != ids[0]
    assert len(covalent_bonds(atoms)) == 10


@pytest.mark.parametrize("z", [200, 119, -1])
def test_an_atomic_number_of_no_element_is_refused_by_name(z):
    atoms = _ec_with_cation("Li", 2.0)
    atoms.numbers[3] = z
    with pytest.raises(ValueError, match=rf"atoms \[3\] have atomic number {z}, no element"):
        covalent_bonds(atoms)
    with pytest.raises(ValueError, match="no element"):
        atoms_molecule_ids(atoms)


def _snapshot(atoms):
    return (atoms.numbers.copy(), atoms.positions.copy(), atoms.cell.array.copy(),
            atoms.pbc.copy(), {k: v.copy() for k, v in atoms.arrays.items()}, dict(atoms.info))


def _same(atoms, snap):
    numbers, positions, cell, pbc, arrays, info = snap
    return (np.array_equal(atoms.numbers, numbers) and np.array_equal(atoms.positions, positions)
            and np.array_equal(atoms.cell.array, cell) and np.array_equal(atoms.pbc, pbc)
            and set(atoms.arrays) == set(arrays)
            and all(np.array_equal(atoms.arrays[k], v) for k, v in arrays.items())
            and atoms.info == info)


def test_the_public_functions_change_no_atoms():
    atoms = _ec_with_cation("Li", 1.9)
    atoms.positions += [7.0, 0.0, 0.0]  # EC across the x face
    atoms.wrap()
    atoms.info["note"] = "kept"
    snap = _snapshot(atoms)
    ids = atoms_molecule_ids(atoms)
    bonds = covalent_bonds(atoms)
    positions = atoms.positions.copy()
    whole = make_whole(positions, ids, atoms.cell.array, bonds)
    check_whole(whole, ids, atoms.cell.array, atoms.numbers)
    np.testing.assert_array_equal(positions, atoms.positions)
    molecules = isolated_molecules(atoms, ids, vacuum=5.0)
    assert [len(m) for m in molecules] == [10, 1]
    assert _same(atoms, snap)
    # the whole EC is the conformer: its bonds are short again
    b = bonds[(ids[bonds[:, 0]] == 0)]
    assert np.linalg.norm(whole[b[:, 0]] - whole[b[:, 1]], axis=1).max() < 1.6


def test_zinc_at_its_hydration_distance_is_a_divalent_free_ion():
    # Zn–O 2.08 Å of Zn(H2O)6²⁺ lies within Zn–O's covalent reach (2.48 Å): the guess made
    # the cation and its six waters one neutral "H12O6Zn"
    import warnings

    from ase.build import molecule

    from mda_electrolyte import from_ase

    zn = np.array([10.0, 10.0, 10.0])
    atoms = Atoms("Zn", [zn])
    for d in np.vstack([np.eye(3), -np.eye(3)]):
        w = molecule("H2O")
        o = w.positions[0].copy()
        w.positions += zn + 2.08 * d - o
        atoms += w
    # two chlorides far from it keep the box neutral
    atoms += Atoms("Cl2", [[2.0, 2.0, 2.0], [17.0, 17.0, 2.0]])
    atoms.cell = [20.0] * 3
    atoms.pbc = True
    ids = atoms_molecule_ids(atoms)
    assert ids.max() + 1 == 1 + 6 + 2
    assert not np.any(covalent_bonds(atoms) == 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the chlorides are outside the library
        u = from_ase(atoms)
    zinc = u.select_atoms("element Zn")
    assert [str(r) for r in zinc.residues.resnames] == ["Zn"]
    assert zinc.formalcharges.tolist() == [2]
    assert sorted(map(str, u.residues.resnames)).count("H2O") == 6
