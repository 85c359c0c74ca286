"""The covalent bond guess searched with vesin gives the bonds ASE's NeighborList gave,
less the contacts across a bond angle or beyond a full valence
(tests/test_molecules_species_bond_graphs.py).

:func:`mda_electrolyte.molecules.covalent_bonds` moved from ASE's ``NeighborList`` with
``natural_cutoffs`` to the package's one neighbour search (vesin, through
:mod:`ase_electrolyte.neighbour_pairs`). The reference below is the former implementation; the
bond sets must be equal on the box builder's boxes, molecules wrapped across the boundaries,
strongly skewed triclinic cells, cells smaller than a bond's reach (an atom bonded to its own
image), non-periodic molecules, slabs and wires, and every scale of the radii.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.data import covalent_radii
from ase.neighborlist import NeighborList, natural_cutoffs

from mda_electrolyte.molecules import (
    FREE_ION_NUMBERS,
    MAX_OTHER_VALENCE,
    MAX_VALENCE,
    SPLIT_BOND_SCALE,
    covalent_bonds,
)


def _ase_bonds(atoms, mult=1.0):
    """The bonds of the former implementation, ASE's NeighborList (skin 0.3 Å), less the
    contacts across a bond angle or beyond a full valence: a pair that is no certain bond (not
    shorter than SPLIT_BOND_SCALE times the covalent radii at its shortest image) closing a
    triangle with two certain bonds, or at an atom with MAX_VALENCE certain bonds (written
    out here pair by pair, as the rules read)."""
    nl = NeighborList(natural_cutoffs(atoms, mult=mult), self_interaction=False, bothways=True)
    nl.update(atoms)
    free = np.isin(atoms.numbers, list(FREE_ION_NUMBERS))
    shortest = {}
    for a in range(len(atoms)):
        partners, offsets = nl.get_neighbors(a)
        for b, offset in zip(partners, offsets, strict=True):
            if a < b and not free[a] and not free[b]:
                d = np.linalg.norm(atoms.positions[b] + offset @ atoms.cell.array
                                   - atoms.positions[a])
                shortest[(int(a), int(b))] = min(d, shortest.get((int(a), int(b)), np.inf))
    radii = covalent_radii[atoms.numbers]
    certain = {pair for pair, d in shortest.items()
               if d < SPLIT_BOND_SCALE * (radii[pair[0]] + radii[pair[1]])}
    partners = {}
    for a, b in certain:
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    def full(atom):
        limit = MAX_VALENCE.get(int(atoms.numbers[atom]), MAX_OTHER_VALENCE)
        return len(partners.get(atom, ())) >= limit

    return {(a, b) for a, b in shortest
            if (a, b) in certain or not (partners.get(a, set()) & partners.get(b, set())
                                         or full(a) or full(b))}


def _same_bonds(atoms, mult=1.0):
    got = covalent_bonds(atoms, mult=mult)
    assert got.ndim == 2 and got.shape[1] == 2
    assert np.all(got[:, 0] < got[:, 1])
    as_set = {(int(a), int(b)) for a, b in got}
    assert len(as_set) == len(got)  # each bond once
    assert as_set == _ase_bonds(atoms, mult), (
        sorted(as_set ^ _ase_bonds(atoms, mult))[:5])
    return got


def _liquid(cell, n=40, seed=0, names=("H2O", "CH3OH", "CO2", "CH3CH2OH", "C2H6")):
    """Molecules at random positions and orientations in ``cell`` (they may overlap: the
    bond sets are compared, whatever they hold), wrapped."""
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(n):
        m = molecule(names[k % len(names)])
        m.rotate(rng.uniform(0, 360), rng.normal(size=3), center="COM")
        m.positions += rng.random(3) @ cell - m.get_center_of_mass()
        parts.append(m)
    atoms = parts[0]
    for m in parts[1:]:
        atoms = atoms + m
    atoms.cell, atoms.pbc = cell, True
    atoms.wrap()
    return atoms


CELLS = {
    "cubic": np.diag([14.0, 14.0, 14.0]),
    "triclinic": np.array([[13.0, 0.0, 0.0], [3.0, 12.5, 0.0], [-2.5, 2.8, 12.0]]),
    # strongly skewed: the search must still find the images across the tilted faces
    "skewed": np.array([[12.0, 0.0, 0.0], [10.5, 6.0, 0.0], [-9.0, 4.5, 7.0]]),
}


@pytest.mark.parametrize("name", sorted(CELLS))
@pytest.mark.parametrize("mult", [0.5, 1.0, 1.3])
def test_wrapped_molecules_in_any_cell_give_the_former_bonds(name, mult):
    atoms = _liquid(CELLS[name], seed=len(name))
    bonds = _same_bonds(atoms, mult)
    if mult == 1.0:
        assert len(bonds) > 100


def test_a_cell_smaller_than_a_bonds_reach_bonds_atoms_to_their_own_images():
    # a chain of carbons 1.5 Å apart in a 3 Å cell: each bonded to the other twice (images)
    chain = Atoms("C2", positions=[[0.0, 0.0, 0.0], [1.5, 0.1, 0.0]],
                  cell=[3.0, 10.0, 10.0], pbc=True)
    assert _same_bonds(chain).tolist() == [[0, 1]]
    # one atom in a 1.4 Å cell: bonded only to its own images, which are no bonds
    lone = Atoms("C", positions=[[0.0, 0.0, 0.0]], cell=[1.4, 1.4, 1.4], pbc=True)
    assert _same_bonds(lone).shape == (0, 2)
    tiny = _liquid(np.diag([4.0, 4.0, 4.0]), n=3, seed=3)
    _same_bonds(tiny)


@pytest.mark.parametrize("pbc", [(False, False, False), (True, True, False),
                                 (True, False, False), (False, True, True)])
def test_directions_that_are_not_periodic_have_no_images(pbc):
    cell = CELLS["triclinic"]
    atoms = _liquid(cell, n=25, seed=5)
    # molecules across the boundary: bonded across it only along periodic directions
    atoms.positions += 0.5 * cell.sum(axis=0)
    atoms.wrap()
    atoms.pbc = pbc
    _same_bonds(atoms)
    # far outside the cell along a direction that is not periodic: the same bonds
    moved = atoms.copy()
    moved.positions += 40.0 * np.cross(*cell[:2]) / np.linalg.norm(np.cross(*cell[:2]))
    assert {tuple(b) for b in covalent_bonds(moved).tolist()} == _ase_bonds(moved)


def test_a_molecule_without_a_cell_and_one_lone_atom():
    ethanol = molecule("CH3CH2OH")
    assert ethanol.cell.rank == 0 and not ethanol.pbc.any()
    bonds = _same_bonds(ethanol)
    assert len(bonds) == 8  # C–C, C–O, O–H and five C–H
    assert covalent_bonds(Atoms("C")).shape == (0, 2)
    assert covalent_bonds(Atoms()).shape == (0, 2)


def test_the_bond_test_is_the_documented_distance():
    # bonded closer than mult·(r_O + r_H) + 0.6 Å: O–H 0.97 + 0.6 = 1.57 Å at mult = 1
    for distance, bonded in ((1.56, True), (1.58, False)):
        oh = Atoms("OH", positions=[[0.0, 0.0, 0.0], [distance, 0.0, 0.0]])
        assert len(covalent_bonds(oh)) == bonded
        assert len(_ase_bonds(oh)) == bonded


def test_free_ions_are_neither_bonded_nor_widen_the_search():
    # K (radius 2.03 Å) and Cs beside a water: no bond of theirs, water's own bonds kept
    water = molecule("H2O")
    atoms = water + Atoms("KCs", positions=[[1.8, 0.0, 0.0], [0.0, 1.8, 0.0]])
    atoms.cell, atoms.pbc = np.diag([9.0, 9.0, 9.0]), True
    assert _same_bonds(atoms).tolist() == [[0, 1], [0, 2]]
    salt = Atoms("Li2", positions=[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    assert covalent_bonds(salt).shape == (0, 2)


def test_the_callers_atoms_are_not_changed():
    atoms = _liquid(CELLS["skewed"], n=10, seed=9)
    atoms.positions += [30.0, -20.0, 5.0]  # unwrapped positions stay unwrapped
    before = atoms.copy()
    covalent_bonds(atoms)
    assert np.array_equal(atoms.positions, before.positions)
    assert np.array_equal(atoms.cell.array, before.cell.array)
    assert atoms.arrays.keys() == before.arrays.keys()


@pytest.mark.parametrize("atoms, match", [
    (Atoms("CO", positions=[[0, 0, 0], [np.nan, 0, 0]], cell=[5, 5, 5], pbc=True),
     "non-finite"),
    (Atoms("CO", positions=[[0, 0, 0], [np.nan, 0, 0]]), "non-finite"),
    (Atoms("CO", positions=[[0, 0, 0], [1, 0, 0]], cell=[[5, 0, 0], [10, 0, 0], [0, 0, 5]],
           pbc=True), "degenerate"),
    (Atoms("CO", positions=[[0, 0, 0], [1, 0, 0]], cell=[[5, 0, 0], [10, 0, 0], [0, 0, 5]],
           pbc=[True, True, False]), "zero or parallel"),
])
def test_positions_or_cells_without_bonds_are_refused_by_name(atoms, match):
    with pytest.raises(ValueError, match=match):
        covalent_bonds(atoms)


def test_the_builders_boxes_split_across_the_boundary_give_the_former_bonds():
    pytest.importorskip("rdkit")
    pytest.importorskip("packmol")
    from ase_electrolyte.build import electrolyte_box
    from ase_electrolyte.species import Species

    counts = [{"EC": 3, "EMC": 2, "Li": 1, "PF6": 1}, {"DME": 2, "Li": 1, "FSI": 1},
              {"PC": 2, Species("Mg", "[Mg+2]"): 1, "TFSI": 2}]
    for seed, c in enumerate(counts):
        atoms = electrolyte_box(counts=c, seed=seed)
        shifted = atoms.copy()
        shifted.positions += 0.5 * shifted.cell.lengths()
        shifted.wrap()
        bonds = _same_bonds(shifted)
        # the bonds are the molecules of the builder
        ids = atoms.arrays["molecule_index"]
        assert np.all(ids[bonds[:, 0]] == ids[bonds[:, 1]])
        from mda_electrolyte.molecules import bonded_components, first_appearance
        assert np.array_equal(bonded_components(len(atoms), bonds), first_appearance(ids))
