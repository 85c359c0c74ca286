"""The atom categories of every library species against a hand-made table (Ju et al. 2025).

Each species' categories from the bond graph of its SMILES (RDKit, hydrogens explicit) and from
its 3D conformer's covalent bonds, against counts written out by hand from the structures.
Before: a fluorine on a carbonyl carbon (an acyl fluoride) was "Fc" (the carbonyl carbon's name
without its "C"), the fluorines of BF4⁻, DFOB⁻ and FSI⁻ were all "F", the category of a free
fluoride, and the single-bonded O of an alkoxide (CH3O⁻) was a carbonyl "Oc" whose carbon was
"Cc".
"""

from collections import Counter

import numpy as np
import pytest

from ase_electrolyte.build import conformer
from ase_electrolyte.species import IONS, SOLVENTS
from mda_electrolyte.atom_categories import atom_categories
from mda_electrolyte.molecules import covalent_bonds

Chem = pytest.importorskip("rdkit.Chem")

TABLE = {
    "EC": {"Oc": 1, "Oe": 2, "Cc": 1, "CCOHH": 2, "H": 4},
    "PC": {"Oc": 1, "Oe": 2, "Cc": 1, "CCCOH": 1, "CCOHH": 1, "CCHHH": 1, "H": 6},
    "VC": {"Oc": 1, "Oe": 2, "Cc": 1, "CCOH=": 2, "H": 2},
    "FEC": {"Oc": 1, "Oe": 2, "Cc": 1, "CCOHH": 1, "CCOFH": 1, "FCOFH": 1, "H": 3},
    "DFEC": {"Oc": 1, "Oe": 2, "Cc": 1, "CCOFH": 2, "FCOFH": 2, "H": 2},
    "DMC": {"Oc": 1, "Oe": 2, "Cc": 1, "COHHH": 2, "H": 6},
    "EMC": {"Oc": 1, "Oe": 2, "Cc": 1, "CCOHH": 1, "CCHHH": 1, "COHHH": 1, "H": 8},
    "DEC": {"Oc": 1, "Oe": 2, "Cc": 1, "CCOHH": 2, "CCHHH": 2, "H": 10},
    "DME": {"Oe": 2, "CCOHH": 2, "COHHH": 2, "H": 10},
    "DEE": {"Oe": 2, "CCOHH": 4, "CCHHH": 2, "H": 14},
    "EA": {"Oc": 1, "Oe": 1, "Cc": 1, "CCOHH": 1, "CCHHH": 2, "H": 8},
    "GBL": {"Oc": 1, "Oe": 1, "Cc": 1, "CCCHH": 2, "CCOHH": 1, "H": 6},
    "G2": {"Oe": 3, "CCOHH": 4, "COHHH": 2, "H": 14},
    "H2O": {"O": 1, "H": 2},
    "Li": {"Li": 1},
    "Na": {"Na": 1},
    "K": {"K": 1},
    "PF6": {"P": 1, "FP": 6},
    "BF4": {"B": 1, "FB": 4},
    "FSI": {"FS": 2, "S": 2, "O": 4, "N": 1},
    "TFSI": {"CFFFS": 2, "FFFFS": 6, "S": 2, "O": 4, "N": 1},
    "ClO4": {"Cl": 1, "O": 4},
    "DFOB": {"B": 1, "FB": 2, "Cc": 2, "Oc": 2, "O": 2},
    "BOB": {"B": 1, "Cc": 4, "Oc": 4, "O": 4},
}

#: species outside the library, each for one rule
OTHERS = {
    # methyl fluoroformate: F on the carbonyl carbon
    "O=C(F)OC": {"Oc": 1, "Oe": 1, "Cc": 1, "FCc": 1, "COHHH": 1, "H": 3},
    # methoxide: one O bonded to one (four-bonded) carbon is no carbonyl
    "C[O-]": {"O": 1, "COHHH": 1, "H": 3},
    # acetate and CO2: O bonded to one three- or two-bonded carbon is
    "CC(=O)[O-]": {"Oc": 2, "Cc": 1, "CCHHH": 1, "H": 3},
    "O=C=O": {"Oc": 2, "Cc": 1},
    # trifluoroacetate, fluoromethyl methyl ether (Ju et al.'s FOFH2-type fluorine)
    "FC(F)(F)C(=O)[O-]": {"Oc": 2, "Cc": 1, "CCFFF": 1, "FCFFF": 3},
    "COCF": {"Oe": 1, "COHHH": 1, "COFHH": 1, "FOFHH": 1, "H": 5},
    "[F-]": {"F": 1},
    "F": {"FH": 1, "H": 1},
}


def _smiles_graph(smiles):
    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    numbers = [a.GetAtomicNum() for a in mol.GetAtoms()]
    bonds = [(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds()]
    return numbers, np.asarray(bonds, dtype=int).reshape(-1, 2)


def _counts(labels):
    return dict(Counter(labels.tolist()))


def test_the_table_covers_every_library_species():
    assert set(TABLE) == set(SOLVENTS) | set(IONS)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_categories_of_each_library_species_from_its_smiles(name):
    species = {**SOLVENTS, **IONS}[name]
    assert _counts(atom_categories(*_smiles_graph(species.smiles))) == TABLE[name]


@pytest.mark.parametrize("name", ["FEC", "DFEC", "TFSI", "FSI", "PF6", "BF4", "DFOB", "VC"])
def test_categories_from_the_conformer_bonds_are_the_same(name):
    atoms = conformer(name)
    assert _counts(atom_categories(atoms.numbers, covalent_bonds(atoms))) == TABLE[name]


@pytest.mark.parametrize("smiles", sorted(OTHERS))
def test_categories_of_each_rule(smiles):
    assert _counts(atom_categories(*_smiles_graph(smiles))) == OTHERS[smiles]


def test_every_fluorine_category_names_its_bonded_atom():
    # over all species: an F with one bond is never the bare "F" of a free fluoride, and never
    # a name that reads as another element's category ("Fc")
    for name in TABLE:
        numbers, bonds = _smiles_graph({**SOLVENTS, **IONS}[name].smiles)
        labels = atom_categories(numbers, bonds)
        degree = np.bincount(bonds.ravel(), minlength=len(numbers)) if bonds.size else \
            np.zeros(len(numbers), int)
        for k in np.flatnonzero(np.asarray(numbers) == 9):
            assert degree[k] == 1 and labels[k] != "F" and labels[k][1].isupper(), (name, k)
