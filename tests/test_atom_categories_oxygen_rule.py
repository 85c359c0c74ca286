"""One rule for carbonyl and ether oxygens: the atom categories (Oc/Oe, Ju et al. 2025) and the
shell labels of SolvationShells (c/e suffixes, M–Oc–Cc angles) take them from
:func:`mda_electrolyte.atom_categories.oxygen_classes`. Checked on every oxygen of every species
of the library and of the rule cases, from SMILES bond graphs in a Universe with those bonds.
Before, each module had its own rule, and the shells counted a bond listed in both directions
twice: the carbonyl O of EC with such a bond list was an ether O (two bonds, both to carbons)."""

import MDAnalysis as mda
import numpy as np
import pytest
from ase.data import chemical_symbols
from test_atom_categories_species_table import OTHERS, TABLE, _smiles_graph

from ase_electrolyte.species import IONS, SOLVENTS
from mda_electrolyte.atom_categories import atom_categories, oxygen_classes
from mda_electrolyte.shell_table import OC, OE, OTHER
from mda_electrolyte.solvation import oxygen_types

pytest.importorskip("rdkit.Chem")

SMILES = {**{name: s.smiles for name, s in {**SOLVENTS, **IONS}.items()},
          **{smiles: smiles for smiles in OTHERS}}
LABEL = {OC: "Oc", OE: "Oe"}


def _universe(numbers, bonds):
    n = len(numbers)
    u = mda.Universe.empty(n, trajectory=True)
    elements = [chemical_symbols[z] for z in numbers]
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("names", elements)
    u.add_TopologyAttr("bonds", [tuple(map(int, b)) for b in bonds])
    return u


def test_the_cases_cover_the_library_and_both_kinds():
    assert set(TABLE) <= set(SMILES)
    kinds = set()
    for smiles in SMILES.values():
        numbers, bonds = _smiles_graph(smiles)
        kinds |= set(oxygen_classes([chemical_symbols[z] for z in numbers], bonds)[0].tolist())
    assert kinds == {OTHER, OC, OE}


@pytest.mark.parametrize("name", sorted(SMILES))
def test_the_shells_and_the_categories_give_every_oxygen_the_same_class(name):
    numbers, bonds = _smiles_graph(SMILES[name])
    labels = atom_categories(numbers, bonds)
    u = _universe(numbers, bonds)
    kind, carbon = oxygen_types(u.atoms)
    for k in np.flatnonzero(np.asarray(numbers) == 8):
        assert labels[k] == LABEL.get(int(kind[k]), "O"), (name, k, labels[k], kind[k])
        # the carbonyl carbon of an Oc is its bonded carbon, the categories' Cc
        assert (labels[carbon[k]] == "Cc") if kind[k] == OC else carbon[k] == -1
    # only oxygens get a class
    assert np.all(kind[np.asarray(numbers) != 8] == OTHER)
    # the bonds listed in both directions, and in reverse order: the same classes
    both = np.concatenate([bonds, bonds[::-1, ::-1]]) if len(bonds) else bonds
    again, carbon_again = oxygen_types(u.atoms, both)
    assert np.array_equal(again, kind) and np.array_equal(carbon_again, carbon)
    assert np.array_equal(atom_categories(numbers, both), labels)


def test_a_bond_of_an_atom_to_itself_is_refused_by_both():
    numbers, bonds = _smiles_graph("C1COC(=O)O1")
    bad = np.concatenate([bonds, [[3, 3]]])
    with pytest.raises(ValueError, match="to itself"):
        atom_categories(numbers, bad)
    with pytest.raises(ValueError, match="to itself"):
        oxygen_types(_universe(numbers, bonds).atoms, bad)
