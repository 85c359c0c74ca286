"""atom_categories takes a bond list in any order and direction, and refuses what is no list
of bonds.

Before: EC's bonds listed in both directions (as a full neighbour list gives them) made its
carbonyl oxygen an ether "Oe", its carbonyl carbon "COOOOOO" and its ether oxygens "O"; a
(n, 3) list with a bond-order column was reshaped into other pairs (ring carbons "CCCCH");
fractional indices were truncated; all without a word.
"""

import numpy as np
import pytest

from ase_electrolyte.build import conformer
from mda_electrolyte.atom_categories import atom_categories
from mda_electrolyte.molecules import covalent_bonds

SPECIES = ["EC", "FEC", "DMC", "PF6"]


@pytest.fixture(scope="module", params=SPECIES)
def molecule(request):
    atoms = conformer(request.param)
    return atoms.numbers, np.asarray(covalent_bonds(atoms))


def test_reference_categories_of_ec():
    atoms = conformer("EC")
    labels = atom_categories(atoms.numbers, covalent_bonds(atoms)).tolist()
    assert sorted(labels) == sorted(["Oc", "Cc", "Oe", "Oe", "CCOHH", "CCOHH"] + ["H"] * 4)


def test_order_direction_and_repeats_of_the_bonds_do_not_matter(molecule):
    numbers, bonds = molecule
    reference = atom_categories(numbers, bonds)
    rng = np.random.default_rng(11)
    both = np.concatenate([bonds, bonds[:, ::-1]])
    flipped = np.where(rng.random((len(bonds), 1)) < 0.5, bonds, bonds[:, ::-1])
    for variant in (both, flipped[rng.permutation(len(bonds))], np.concatenate([bonds] * 3),
                    bonds.astype(np.float64), bonds.astype(np.uint16).tolist()):
        np.testing.assert_array_equal(atom_categories(numbers, variant), reference)


def test_renumbering_the_atoms_renumbers_the_categories(molecule):
    numbers, bonds = molecule
    reference = atom_categories(numbers, bonds)
    order = np.random.default_rng(3).permutation(len(numbers))
    new_index = np.argsort(order)
    moved = atom_categories(numbers[order], new_index[bonds])
    np.testing.assert_array_equal(moved, reference[order])


def test_what_is_no_bond_list_is_refused(molecule):
    numbers, bonds = molecule
    n = len(numbers)
    with pytest.raises(ValueError, match=r"shape \(n_bonds, 2\).*\(\d+, 3\)"):
        atom_categories(numbers, np.column_stack([bonds, np.ones(len(bonds), dtype=int)]))
    with pytest.raises(ValueError, match="fractional"):
        atom_categories(numbers, bonds + 0.5)
    with pytest.raises(ValueError, match="pairs of atom indices"):
        atom_categories(numbers, bonds.ravel())
    with pytest.raises(ValueError, match="pairs of atom indices"):
        atom_categories(numbers, np.where(bonds == 0, np.nan, bonds))
    with pytest.raises(ValueError, match=f"outside 0 .. {n - 1}"):
        atom_categories(numbers, np.vstack([bonds, [0, n]]))
    with pytest.raises(ValueError, match="joins atom 1 to itself"):
        atom_categories(numbers, np.vstack([bonds, [1, 1]]))


def test_no_bonds_gives_the_elements():
    assert atom_categories([3, 9, 8], []).tolist() == ["Li", "F", "O"]
    assert atom_categories([3, 9, 8], np.zeros((0, 2), dtype=int)).tolist() == ["Li", "F", "O"]
