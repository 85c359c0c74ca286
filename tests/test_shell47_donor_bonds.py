"""donor_atoms checks the bonds it is given as oxygen_types does.

Before: a bond index beyond the Universe was an ``IndexError``; a PF6⁻ whose P has two bonds,
each listed in both directions, counted four and was taken as an anion's centre (a donor with
the 4.2 Å Li–P preset); (n, 3) rows with a bond-order column were a numpy error; a list of
atoms for ``group`` an ``AttributeError``.
"""

import numpy as np
import pytest
from test_solvation import build

from mda_electrolyte.shell_cutoffs import bond_indices, donor_atoms
from mda_electrolyte.solvation import oxygen_types


@pytest.fixture(scope="module")
def universe():
    return build([((5, 5, 5), [("EC", None, "Oc")] * 3 + [("PF6", None)])])


def _bad_bonds(u):
    bonds = bond_indices(u)
    p = u.select_atoms("resname PF6 and element P")[0].ix
    two = bonds[bonds[:, 0] == p][:2]
    return {
        "index beyond the universe": (np.array([[0, 10_000]]), "bonds index atoms outside 0 .."),
        "negative index": (np.array([[0, -1]]), "bonds index atoms outside"),
        "bond-order column": (np.c_[bonds, np.ones(len(bonds), int)], "a bond-order column"),
        "fractional indices": (bonds + 0.5, "fractional indices"),
        "atom bonded to itself": (np.array([[p, p]]), f"joins atom {p} to itself"),
        "two P bonds listed twice": (
            np.concatenate([two, two[:, ::-1]]),
            "no donor atoms under the ju2025 convention",
        ),
    }


CASES = [
    "index beyond the universe",
    "negative index",
    "bond-order column",
    "fractional indices",
    "atom bonded to itself",
    "two P bonds listed twice",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_bonds_are_refused_as_oxygen_types_refuses_them(universe, case):
    bonds, fragment = _bad_bonds(universe)[case]
    pf6 = universe.select_atoms("resname PF6")
    with pytest.raises(ValueError) as err:
        donor_atoms(pf6, bonds=bonds)
    assert fragment in str(err.value)
    if case != "two P bonds listed twice":
        # the same refusal as the oxygen types'
        with pytest.raises(ValueError) as other:
            oxygen_types(pf6, bonds=bonds)
        assert str(other.value) == str(err.value)


def test_the_topology_bonds_in_any_order_or_direction_give_the_same_donors(universe):
    bonds = bond_indices(universe)
    for name, element, cutoff in (("EC", "O", 2.6), ("PF6", "P", 4.2)):
        group = universe.select_atoms(f"resname {name}")
        donors, cut = donor_atoms(group)
        flipped, cut2 = donor_atoms(group, bonds=bonds[::-1, ::-1].tolist())
        assert cut == cut2 == cutoff
        assert set(donors.elements) == {element}
        assert list(flipped.ix) == list(donors.ix)


def test_a_list_of_atoms_is_refused_by_name(universe):
    with pytest.raises(TypeError, match="group must be an AtomGroup"):
        donor_atoms(list(universe.select_atoms("resname EC")))
