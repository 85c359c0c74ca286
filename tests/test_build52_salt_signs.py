"""A salt's ions written with the wrong charge signs: ``get_salt("Li- PF6+")`` was LiPF6. The
loose lookup dropped every sign, so a sign against the ion's charge (a typo, or another ion)
was read as the library salt without a word, while ``get_species("PF6+")`` is refused. A
sign says an ion's charge: it is refused, naming the ion, its charge and the spelling; the
right signs, no signs, and a hyphen joining the names stay accepted."""
import pytest

from ase_electrolyte.build import composition_counts
from ase_electrolyte.species import SALTS, get_salt, get_species

_WRONG = [
    ("{c}- {a}+", ["cation", "anion"]),
    ("{c}-{a}+", ["anion"]),
    ("{c}+ {a}+", ["anion"]),
    ("{c}- {a}-", ["cation"]),
    ("{c}{a}+", ["anion"]),
    ("{c} {a} +", ["anion"]),
    ("{c}- {a}", ["cation"]),
    ("{C}⁻ {A}⁺", ["cation", "anion"]),
    ("{c}\u2212 {a}", ["cation"]),
]
_RIGHT = ["{c}+ {a}-", "{c}+{a}-", "{c} {a}", "{c}{a}-", "{c}+{a}", "{c}-{a}", "{c} - {a}",
          "{C}⁺{A}⁻", "{c}_{a}", "{c}{a}\u2212"]


def _spelt(pattern, salt):
    c, a = salt.cation.name, salt.anion.name
    sub = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
    return pattern.format(c=c, a=a, C=c.translate(sub), A=a.translate(sub))


@pytest.mark.parametrize("name", list(SALTS))
@pytest.mark.parametrize("pattern, wrong", _WRONG, ids=[w for w, _ in _WRONG])
def test_a_sign_against_an_ions_charge_is_refused(name, pattern, wrong):
    salt = SALTS[name]
    written = _spelt(pattern, salt)
    with pytest.raises(ValueError) as err:
        get_salt(written)
    message = str(err.value)
    for role in wrong:
        ion = getattr(salt, role)
        sign = "-" if role == "cation" else "+"
        assert f"{ion.name} has charge {ion.charge:+d}, not the sign {sign}" in message
    assert f"'{salt.cation.name}+ {salt.anion.name}-'" in message
    # the species lookup agrees: the same ion with that sign is no library ion
    for role in wrong:
        ion = getattr(salt, role)
        with pytest.raises(ValueError):
            get_species(ion.name + ("-" if role == "cation" else "+"))
    # and the builder refuses the composition before counting
    with pytest.raises(ValueError, match="not the sign"):
        composition_counts({"EC": 1}, written, 1.0, n_atoms=300)


@pytest.mark.parametrize("name", list(SALTS))
@pytest.mark.parametrize("pattern", _RIGHT)
def test_the_right_signs_or_none_name_the_library_salt(name, pattern):
    salt = SALTS[name]
    assert get_salt(_spelt(pattern, salt)) is salt
    # each ion alone takes the same sign
    assert get_species(salt.cation.name + "+") is salt.cation
    assert get_species(salt.anion.name + "-") is salt.anion


@pytest.mark.parametrize("written, why", [
    ("lithium+ hexafluorophosphate+", "PF6 has charge -1, not the sign +"),
    ("lithium- hexafluorophosphate", "Li has charge +1, not the sign -"),
    ("L+iPF6", "a charge sign stands inside an ion's name"),
    ("LiP+F6", "a charge sign stands inside an ion's name"),
])
def test_descriptions_and_signs_inside_a_name(written, why):
    with pytest.raises(ValueError, match=why.replace("+", r"\+")):
        get_salt(written)
    assert get_salt("lithium hexafluorophosphate") is SALTS["LiPF6"]
    assert get_salt("lithium-hexafluorophosphate-") is SALTS["LiPF6"]
