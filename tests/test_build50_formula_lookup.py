"""species_from_formula given a formula text: "C3H4O3" was split into its characters
("C", "3", "H", ...) and matched nothing (None, as for a molecule the library lacks)."""
import pytest
from ase.build import molecule

from ase_electrolyte.species import get_species, species_from_formula


@pytest.mark.parametrize("formula, name", [
    ("C3H4O3", "EC"), ("H4C3O3", "EC"), (" C3H4O3 ", "EC"), ("H2O", "H2O"), ("OH2", "H2O"),
    ("PF6", "PF6"), ("F6P", "PF6"), ("Li", "Li"), ("C4H8O3", "EMC"), ("C3H6O3", "DMC"),
])
def test_a_formula_text_names_its_library_species(formula, name):
    assert species_from_formula(formula) is get_species(name)


@pytest.mark.parametrize("name", ["EC", "EMC", "PF6", "H2O", "FSI"])
def test_the_symbols_and_the_formula_of_a_species_agree(name):
    sp = get_species(name)
    assert species_from_formula(sp.formula) is sp
    assert species_from_formula(list(reversed(sp.symbols))) is sp


def test_a_molecule_the_library_lacks_is_none_either_way():
    assert species_from_formula("C2H6O") is None
    assert species_from_formula(molecule("CH3CH2OH").get_chemical_symbols()) is None


@pytest.mark.parametrize("formula, match", [("Xx2", r"names \['Xx'\], no chemical element"),
                                            ("X2", r"names \['X'\]"),
                                            ("H2O)", r"'H2O\)' does not parse")])
def test_a_formula_that_names_no_elements_is_refused(formula, match):
    with pytest.raises(ValueError, match=match):
        species_from_formula(formula)
