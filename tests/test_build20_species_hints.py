"""get_species: a formula or an ion of the wrong sign is pointed to the library name, as a SMILES
already was; a formula is never taken as a name (isomers share it)."""

import re
from collections import Counter

import pytest
from ase.formula import Formula

pytest.importorskip("rdkit")

from ase_electrolyte.species import IONS, SOLVENTS, get_species  # noqa: E402

# H2O, Li, Na, K are named by their formula
FORMULA_NOT_NAME = sorted(n for n, sp in {**SOLVENTS, **IONS}.items()
                          if sp.formula.lower() != n.lower() and len(sp.symbols) > 1)


@pytest.mark.parametrize("name", FORMULA_NOT_NAME)
def test_each_library_formula_points_to_its_species(name):
    sp = {**SOLVENTS, **IONS}[name]
    formula = sp.formula
    # the element counts of the hint's formula are the species' own (ase.formula reads it)
    assert Counter(Formula(formula).count()) == Counter(sp.symbols)
    reversed_order = "".join(f"{s}{n}" for s, n in reversed(Formula(formula).count().items()))
    for text in (formula, reversed_order, f" {formula} "):
        with pytest.raises(ValueError, match=rf"it is the formula of {name}: use the name "
                                             rf"'{name}'"):
            get_species(text)


def test_formula_with_its_charge_sign_and_against_it():
    with pytest.raises(ValueError, match="formula of PF6"):
        get_species("F6P-")
    with pytest.raises(ValueError) as err:
        get_species("F6P+")
    assert "formula of PF6" not in str(err.value)


def test_formula_of_no_library_species_gets_no_formula_hint():
    for text in ("C9H20", "C3H4O4", "Xe2F"):
        with pytest.raises(ValueError, match="unknown species") as err:
            get_species(text)
        assert "formula of" not in str(err.value)


@pytest.mark.parametrize("text, charge_word", [
    ("PF6+", "charge -1, not the sign +: write 'PF6' or 'PF6-'"),
    ("Li-", "charge +1, not the sign -: write 'Li' or 'Li+'"),
    ("li -", "charge +1, not the sign -"),
    ("TFSI +", "charge -1, not the sign +"),
    ("EC+", "EC is neutral: write 'EC'"),
])
def test_an_ion_of_the_wrong_sign_says_its_charge(text, charge_word):
    with pytest.raises(ValueError, match=re.escape(charge_word)):
        get_species(text)


def test_right_signs_still_resolve():
    assert get_species("PF6-") is IONS["PF6"]
    assert get_species("li +") is IONS["Li"]
    assert get_species(" ec ") is SOLVENTS["EC"]


@pytest.mark.parametrize("text, name", [
    ("lithium hexafluorophosphate", "LiPF6"),
    ("Lithium  Hexafluorophosphate ", "LiPF6"),
    ("lithium bis(fluorosulfonyl)imide", "LiFSI"),
    ("lithium bis(trifluoromethanesulfonyl)imide", "LiTFSI"),
    ("lithium tetrafluoroborate", "LiBF4"),
    ("lithium perchlorate", "LiClO4"),
    ("sodium hexafluorophosphate", "NaPF6"),
])
def test_a_salt_by_its_chemical_name_as_species_by_theirs(text, name):
    """get_species takes "ethylene carbonate"; get_salt took no chemical name at all (and
    gave no hint for one)."""
    from ase_electrolyte.species import SALTS, get_salt

    salt = get_salt(text)
    assert salt is SALTS[name]
    # the chemical name is made of the ions' own descriptions
    assert get_species(salt.cation.description).name == salt.cation.name
    assert get_species(salt.anion.description).name == salt.anion.name


def test_a_misspelt_chemical_name_of_a_salt_gets_a_did_you_mean():
    from ase_electrolyte.species import get_salt

    with pytest.raises(ValueError, match="did you mean 'LiPF6'"):
        get_salt("lithium hexafluorophosphat")
