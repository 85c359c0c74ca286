"""A species or salt named as text copied from a paper writes it (subscript digits,
superscript or typographic charge signs, full-width letters) is the library's species, as its
ASCII spelling is; a wrong sign is still refused with the charge named."""

import re

import pytest

from ase_electrolyte.build import composition_counts
from ase_electrolyte.species import IONS, SALTS, SOLVENTS, get_salt, get_species

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_FULL = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def _signed(name, charge, sign):
    return name.translate(_SUB) + (sign[0] if charge > 0 else sign[1])


@pytest.mark.parametrize("name", list(IONS))
@pytest.mark.parametrize("signs", [("⁺", "⁻"), ("+", "−"), ("+", "–"), ("⁺", "-")])
def test_ion_with_typeset_sign(name, signs):
    ion = IONS[name]
    assert get_species(_signed(name, ion.charge, signs)) is get_species(
        name + ("+" if ion.charge > 0 else "-"))


@pytest.mark.parametrize("name", list(IONS))
def test_ion_with_the_wrong_typeset_sign_is_refused(name):
    ion = IONS[name]
    wrong = _signed(name, -ion.charge, ("⁺", "⁻"))
    with pytest.raises(ValueError, match=re.escape(f"{name} has charge {ion.charge:+d}")):
        get_species(wrong)


@pytest.mark.parametrize("name", list(SALTS))
def test_salt_with_subscripts(name):
    assert get_salt(name.translate(_SUB)) is SALTS[name]
    assert get_salt("".join(_FULL.get(ch, ch) for ch in name)) is SALTS[name]


@pytest.mark.parametrize("name", list(SOLVENTS))
def test_solvent_full_width_and_subscripts(name):
    assert get_species("".join(_FULL.get(ch, ch) for ch in name)) is SOLVENTS[name]
    assert get_species(name.translate(_SUB)) is SOLVENTS[name]


def test_equivalent_spellings_pack_the_same_box():
    plain = composition_counts({"EC": 3, "EMC": 7}, "LiPF6", 1.0, n_atoms=500)
    typeset = composition_counts({"ＥＣ": 3, "EMC": 7}, "LiPF₆", 1.0, n_atoms=500)
    assert plain == typeset
    with pytest.raises(ValueError, match="named twice"):
        composition_counts({"EC": 3, "ＥＣ": 7}, "LiPF6", 1.0)
