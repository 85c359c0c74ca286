"""``species_from_formula`` read a formula text through ASE's Formula, which takes ``"+"`` as
joining formulas and a leading number as a multiple: ``"H2O+"`` was water, ``"H+2O"`` HO2,
``"2H2O"`` H4O2, ``""`` no molecule (``None``, where the docstring promised a refusal), while
``"PF6-"`` did not parse at all. A formula of one molecule may end in its charge's sign, which
must be that of the library species of its composition."""
import pytest

from ase_electrolyte.species import IONS, SOLVENTS, species_from_formula

_ALL = list(SOLVENTS.values()) + list(IONS.values())


def _sign(sp):
    return "+" if sp.charge > 0 else "-" if sp.charge < 0 else ""


@pytest.mark.parametrize("sp", _ALL, ids=lambda s: s.name)
def test_a_formula_with_its_own_sign_or_none_is_the_species(sp):
    assert species_from_formula(sp.formula) is sp
    assert species_from_formula(sp.formula + _sign(sp)) is sp
    assert species_from_formula(f" {sp.formula} ") is sp
    if sp.charge < 0:
        assert species_from_formula(sp.formula + "\u2212") is sp  # a paper's minus sign


@pytest.mark.parametrize("sp", _ALL, ids=lambda s: s.name)
def test_a_sign_against_the_species_charge_is_refused(sp):
    for sign in {"+", "-"} - {_sign(sp)}:
        with pytest.raises(ValueError) as err:
            species_from_formula(sp.formula + sign)
        said = f"has charge {sp.charge:+d}" if sp.charge else "is neutral"
        assert f"{sp.name} of that formula {said}, not the sign {sign}" in str(err.value)


@pytest.mark.parametrize("text", ["", "  ", "+", "-", "H+2O", "2H2O", "C3H4O3+H2O", "3Li"])
def test_no_formula_of_one_molecule_is_refused(text):
    with pytest.raises(ValueError, match="no formula of one molecule"):
        species_from_formula(text)


@pytest.mark.parametrize("text", ["CH4", "CH4+", "C2H6O-", "(H2O)2"])
def test_a_formula_the_library_lacks_is_none(text):
    assert species_from_formula(text) is None
