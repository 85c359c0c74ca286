"""Molecules of a frame: whole across PBC, centres of mass, inertia, ids from ASE Atoms."""

import MDAnalysis as mda
import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from MDAnalysis.coordinates.memory import MemoryReader

from mda_electrolyte.molecules import (
    atoms_molecule_ids,
    centers_of_mass,
    check_whole,
    inertia_tensors,
    isolated_molecules,
    make_whole,
    molecule_ids,
    molecule_species,
    rigid_decomposition,
)

TRICLINIC = np.array([[11.0, 0.0, 0.0], [2.5, 10.5, 0.0], [-1.5, 1.8, 10.0]])


def _liquid(seed=0, cell=TRICLINIC):
    """Six rigid molecules (water, methanol, CO2) straddling the faces of a triclinic cell."""
    rng = np.random.default_rng(seed)
    # centres near the faces and corners so that wrapping cuts molecules
    fractions = [
        [0.02, 0.5, 0.5],
        [0.5, 0.97, 0.25],
        [0.3, 0.25, 0.98],
        [0.75, 0.5, 0.75],
        [0.98, 0.02, 0.03],
        [0.5, 0.5, 0.3],
    ]
    parts, ids = [], []
    for j, name in enumerate(["H2O", "CH3OH", "CO2", "H2O", "CH3OH", "CO2"]):
        m = molecule(name)
        m.rotate(rng.uniform(0, 360), rng.normal(size=3), center="COM")
        m.positions += np.array(fractions[j]) @ cell - m.get_center_of_mass()
        parts.append(m)
        ids += [j] * len(m)
    atoms = parts[0]
    for m in parts[1:]:
        atoms = atoms + m
    atoms.cell, atoms.pbc = cell, True
    ids = np.array(ids)
    d = atoms.get_all_distances(mic=True)
    assert d[ids[:, None] != ids[None, :]].min() > 1.9  # separate molecules for bond detection
    return atoms, ids


def test_make_whole_triclinic_recovers_every_intramolecular_vector():
    atoms, ids = _liquid()
    whole_true = atoms.positions.copy()
    wrapped = atoms.copy()
    wrapped.wrap()
    assert np.abs(wrapped.positions - whole_true).max() > 1.0  # some molecules really were cut
    before = wrapped.positions.copy()
    whole = make_whole(wrapped.positions, ids, atoms.cell.array)
    assert np.array_equal(wrapped.positions, before)  # input untouched
    for j in np.unique(ids):
        idx = ids == j
        shift = whole[idx] - whole_true[idx]
        # a whole molecule differs from the truth by one lattice vector for all its atoms
        np.testing.assert_allclose(shift - shift[0], 0.0, atol=1e-12)
        frac = shift[0] @ np.linalg.inv(atoms.cell.array)
        np.testing.assert_allclose(frac, np.round(frac), atol=1e-12)
    # the MDAnalysis box form gives the same result
    box = atoms.cell.cellpar()
    from MDAnalysis.lib.mdamath import triclinic_vectors

    np.testing.assert_allclose(
        triclinic_vectors(box, dtype=np.float64), atoms.cell.array, atol=1e-12
    )
    np.testing.assert_allclose(make_whole(wrapped.positions, ids, box), whole, atol=1e-10)
    assert np.array_equal(make_whole(before, ids, None), before)


def test_check_whole_finds_a_broken_bond_and_accepts_long_molecules():
    atoms, ids = _liquid()
    check_whole(make_whole(atoms.positions, ids, atoms.cell.array), ids, atoms.cell.array)
    # a chain made "whole" by anchoring on its first atom alone breaks the bond across the face
    chain = Atoms("C6", positions=[[1.4 * k + 6.0, 4, 4] for k in range(6)], cell=[10, 10, 10],
                  pbc=True)
    chain.wrap()
    ids = np.zeros(6, dtype=int)
    from ase.geometry import find_mic

    anchored = chain.positions[0] + find_mic(chain.positions - chain.positions[0],
                                             chain.cell.array)[0]
    with pytest.raises(ValueError, match="bond between atoms 3 and 4"):
        check_whole(anchored, ids, chain.cell.array, chain.numbers)
    with pytest.raises(ValueError, match="cannot be made whole"):
        check_whole(anchored, ids, chain.cell.array)
    # the bond walk makes the 7 Å chain whole in the 10 Å box from any first atom
    for order in ([0, 1, 2, 3, 4, 5], [3, 0, 1, 2, 4, 5], [5, 4, 3, 2, 1, 0]):
        whole = make_whole(chain.positions[order], ids, chain.cell.array)
        check_whole(whole, ids, chain.cell.array, chain.numbers)
        check_whole(whole, ids, chain.cell.array)
        bonds = np.linalg.norm(np.diff(whole[np.argsort(order)], axis=0), axis=1)
        np.testing.assert_allclose(bonds, 1.4, atol=1e-9)
    with pytest.raises(ValueError, match="box"):
        make_whole(chain.positions, ids, [8, 8, -1, 90, 90, 90])


def _emc_in_small_box(cell):
    """One EMC (7.2 Å long) along the body of ``cell``, centred, plus an ion elsewhere."""
    from ase_electrolyte.build import conformer

    emc = conformer("EMC")
    d = emc.get_all_distances()
    i, j = np.unravel_index(d.argmax(), d.shape)
    axis = emc.positions[j] - emc.positions[i]
    emc.rotate(axis, [1, 0, 0], center="COM")
    emc.positions += np.array([0.5, 0.5, 0.5]) @ cell - emc.get_center_of_mass()
    atoms = emc + Atoms("Li", positions=[np.array([0.5, 0.0, 0.0]) @ cell])
    atoms.cell, atoms.pbc = cell, True
    ids = np.array([0] * len(emc) + [1])
    return atoms, ids


@pytest.mark.parametrize("cell", [np.diag([11.7] * 3),
                                  np.array([[11.7, 0, 0], [2.0, 11.2, 0], [-1.5, 1.0, 11.5]])])
def test_make_whole_molecule_longer_than_half_the_box(cell):
    atoms, ids = _emc_in_small_box(cell)
    span = np.ptp(atoms.positions[ids == 0] @ np.linalg.inv(cell), axis=0).max()
    assert span > 0.6  # the molecule spans more than half the box
    true = atoms.positions.copy()
    # already-whole positions stay exactly where they are
    np.testing.assert_allclose(make_whole(true, ids, cell), true, atol=1e-12)
    check_whole(true, ids, cell, atoms.numbers)
    rng = np.random.default_rng(3)
    for _trial in range(4):
        # shift the molecule so different atoms are cut off, then wrap into the cell
        moved = atoms.copy()
        translation = rng.random(3) @ cell
        moved.positions += translation
        moved.wrap()
        order = rng.permutation(len(atoms))  # any atom may come first
        whole = make_whole(moved.positions[order], ids[order], cell)[np.argsort(order)]
        check_whole(whole, ids, cell, atoms.numbers)
        for j in (0, 1):
            shift = whole[ids == j] - true[ids == j] - translation
            np.testing.assert_allclose(shift - shift[0], 0.0, atol=1e-9)
            frac = shift[0] @ np.linalg.inv(cell)
            np.testing.assert_allclose(frac, np.round(frac), atol=1e-9)
    # with the topology's bonds the walk follows them; missing bonds are named
    from mda_electrolyte.molecules import covalent_bonds

    bonds = covalent_bonds(atoms)
    np.testing.assert_allclose(make_whole(moved.positions, ids, cell, bonds=bonds),
                               make_whole(moved.positions, ids, cell), atol=1e-9)
    with pytest.raises(ValueError, match="do not connect molecule 0"):
        make_whole(moved.positions, ids, cell, bonds=bonds[1:])


def test_rigid_scan_and_isolated_molecules_in_a_small_box():
    from mda_electrolyte.volume_scan import rigid_scaled_atoms

    atoms, ids = _emc_in_small_box(np.diag([11.7] * 3))
    atoms.wrap()
    true_d = _emc_in_small_box(np.diag([11.7] * 3))[0][ids == 0].get_all_distances()
    for scale in (0.95, 1.5):
        scaled = rigid_scaled_atoms(atoms, ids, scale)
        np.testing.assert_allclose(scaled[ids == 0].get_all_distances(), true_d, atol=1e-9)
    mol = isolated_molecules(atoms, ids)[0]
    np.testing.assert_allclose(mol.get_all_distances(), true_d, atol=1e-9)


def test_centers_of_mass_and_rigid_decomposition():
    atoms, ids = _liquid(seed=1)
    masses = atoms.get_masses()
    com = centers_of_mass(atoms.positions, masses, ids)
    for j in np.unique(ids):
        sub = atoms[ids == j]
        np.testing.assert_allclose(com[j], sub.get_center_of_mass(), atol=1e-12)
    tau, xi = rigid_decomposition(atoms.positions, masses, ids)
    np.testing.assert_allclose(tau[ids] + xi, atoms.positions, atol=1e-12)
    # offsets of each molecule are mass-weighted to zero
    weighted = np.zeros((ids.max() + 1, 3))
    np.add.at(weighted, ids, masses[:, None] * xi)
    np.testing.assert_allclose(weighted, 0.0, atol=1e-10)


def test_inertia_tensor_of_known_molecules():
    # a diatomic along z: I = μ d² about x and y, 0 about z
    m1, m2, d = 12.0, 16.0, 1.13
    pos = np.array([[0.3, -0.2, 0.1], [0.3, -0.2, 0.1 + d]])
    tensor = inertia_tensors(pos, [m1, m2], [0, 0])[0]
    mu = m1 * m2 / (m1 + m2)
    np.testing.assert_allclose(tensor, np.diag([mu * d**2, mu * d**2, 0.0]), atol=1e-12)
    # against MDAnalysis' own moment of inertia of each residue
    atoms, ids = _liquid(seed=2)
    u = mda.Universe.empty(len(atoms), n_residues=ids.max() + 1, atom_resindex=ids, trajectory=True)
    u.add_TopologyAttr("masses", atoms.get_masses())
    u.atoms.positions = atoms.positions
    ours = inertia_tensors(atoms.positions, atoms.get_masses(), ids)
    for res in u.residues:
        np.testing.assert_allclose(
            ours[res.resindex], res.atoms.moment_of_inertia(), rtol=1e-5, atol=1e-4
        )


def test_molecule_ids_from_universe_and_atoms():
    atoms, ids = _liquid(seed=3)
    u = mda.Universe.empty(
        len(atoms), n_residues=6, atom_resindex=ids[::-1].max() - ids, trajectory=True
    )
    # residues numbered backwards: ids still follow the order of first appearance
    np.testing.assert_array_equal(molecule_ids(u.atoms), ids)
    with pytest.raises(ValueError, match="bonds"):
        molecule_ids(u.atoms, compound="fragments")
    with pytest.raises(ValueError, match="compound"):
        molecule_ids(u.atoms, compound="chains")
    # from Atoms: the topology array first, bond detection across PBC otherwise
    wrapped = atoms.copy()
    wrapped.wrap()
    np.testing.assert_array_equal(atoms_molecule_ids(wrapped), ids)
    labelled = wrapped.copy()
    labelled.arrays["molecule_index"] = 10 + 2 * ids
    np.testing.assert_array_equal(atoms_molecule_ids(labelled), ids)
    assert molecule_species(atoms.numbers, ids)[:3] == ["H2O", "CH4O", "CO2"]
    names = np.array(["W", "M", "C", "W", "M", "C"])[ids]
    assert molecule_species(atoms.numbers, ids, names) == ["W", "M", "C", "W", "M", "C"]


def test_isolated_molecules_are_whole_centred_and_mapped():
    atoms, ids = _liquid(seed=4)
    wrapped = atoms.copy()
    wrapped.wrap()
    before = wrapped.positions.copy()
    mols = isolated_molecules(wrapped, ids)
    assert np.array_equal(wrapped.positions, before)
    assert len(mols) == 6
    for j, mol in enumerate(mols):
        index = mol.arrays["frame_index"]
        np.testing.assert_array_equal(index, np.flatnonzero(ids == j))
        assert not mol.pbc.any()
        np.testing.assert_allclose(mol.get_center_of_mass(), 0.0, atol=1e-10)
        true = atoms.positions[index]
        np.testing.assert_allclose(
            mol.positions, true - atoms[index].get_center_of_mass(), atol=1e-10
        )
    boxed = isolated_molecules(wrapped, ids, vacuum=10.0)
    for mol in boxed:
        assert mol.pbc.all() and mol.cell.lengths().min() >= 20.0
        np.testing.assert_allclose(mol.get_center_of_mass(), 0.5 * mol.cell.lengths(), atol=1e-10)


def test_universe_from_trajectory_keeps_float64_box_use():
    atoms, ids = _liquid(seed=0)
    u = mda.Universe.empty(len(atoms), n_residues=6, atom_resindex=ids, trajectory=True)
    wrapped = atoms.copy()
    wrapped.wrap()
    u.load_new(
        wrapped.positions[None].astype(np.float32),
        format=MemoryReader,
        dimensions=atoms.cell.cellpar(),
    )
    whole = make_whole(u.atoms.positions, molecule_ids(u.atoms), u.dimensions)
    for j in range(6):
        idx = ids == j
        d_true = np.linalg.norm(atoms.positions[idx][:, None] - atoms.positions[idx][None], axis=-1)
        d = np.linalg.norm(whole[idx][:, None] - whole[idx][None], axis=-1)
        np.testing.assert_allclose(d, d_true, atol=1e-5)  # float32 storage of the trajectory


@pytest.mark.parametrize("masses,match", [
    ([1.0, np.nan, 1.0, 1.0], "atom 1 has nan"),
    ([1.0, 1.0, -2.0, 1.0], "atom 2 has -2"),
    ([1.0, 1.0, 0.0, 0.0], "molecule 1 has no mass"),
])
def test_centres_of_mass_refuse_masses_that_give_no_centre(masses, match):
    # a molecule of mass 0 had the centre 0/0 = NaN, and every offset after it
    positions = np.arange(12.0).reshape(4, 3)
    with pytest.raises(ValueError, match=match):
        centers_of_mass(positions, masses, np.array([0, 0, 1, 1]))
    # a massless atom (virtual site) beside a massive one is fine
    com = centers_of_mass(positions, [2.0, 0.0, 1.0, 3.0], np.array([0, 0, 1, 1]))
    np.testing.assert_allclose(com, [positions[0], 0.25 * positions[2] + 0.75 * positions[3]])
