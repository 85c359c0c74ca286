"""A charge sign written twice was read as the library ion: get_species("PF6--") was PF6 (the
loose lookup drops hyphens, and the second "-" went with them), get_salt("Li++PF6-") LiPF6.
Two signs say another charge (or a typo); they are refused naming the ion's own charge. And
parse_shares(None) read the text 'None' as an entry ("bad solvent entry 'None' in None")."""
import itertools
import re

import pytest

from ase_electrolyte.build import composition_counts, estimate_density
from ase_electrolyte.species import IONS, SALTS, SOLVENTS, get_salt, get_species, parse_shares

_IONS = sorted(IONS)
_DOUBLED = ["++", "--", "+-", "-+", "+ +", " - -", "⁻⁻", "⁺⁺", "−−"]


def _sign(charge):
    return "+" if charge > 0 else "-"


@pytest.mark.parametrize("name,signs", list(itertools.product(_IONS, _DOUBLED)))
def test_an_ion_with_two_signs_is_refused_naming_its_charge(name, signs):
    ion = IONS[name]
    own = re.escape(f"{name} has charge {ion.charge:+d}")
    with pytest.raises(ValueError, match=rf"unknown species .*{own}.*"
                                         rf"{re.escape(repr(name + _sign(ion.charge)))}"):
        get_species(name + signs)
    # one sign of its own charge, or none, is the ion
    assert get_species(name + _sign(ion.charge)) is ion is get_species(name)


@pytest.mark.parametrize("name", sorted(SOLVENTS))
def test_a_solvent_with_two_signs_is_refused_as_neutral(name):
    with pytest.raises(ValueError, match=rf"{name} is neutral"):
        get_species(name + "--")


@pytest.mark.parametrize("salt,signs", list(itertools.product(sorted(SALTS), ["++", "--"])))
def test_a_salt_whose_ion_has_two_signs_is_refused(salt, signs):
    s = SALTS[salt]
    cation, anion = s.cation.name, s.anion.name
    good = f"{cation}+ {anion}-"
    assert get_salt(good) is s is get_salt(f"{cation}{anion}")
    for bad in (f"{cation}{signs} {anion}-", f"{cation}+ {anion}{signs}",
                f"{cation}{anion}{signs}"):
        with pytest.raises(ValueError, match="a charge sign is written twice"):
            get_salt(bad)


@pytest.mark.parametrize("where", ["counts", "composition"])
def test_the_builders_refuse_a_doubled_sign_before_any_work(where):
    with pytest.raises(ValueError, match="PF6 has charge -1|a charge sign is written twice"):
        if where == "counts":
            estimate_density({"EC": 10, "Li": 1, "PF6--": 1})
        else:
            composition_counts({"EC": 1}, "Li+ PF6--", 1.0)


@pytest.mark.parametrize("text", [None, 3, 2.5, b"EC:3", ["EC", 3], {"EC": 3}],
                         ids=repr)
@pytest.mark.parametrize("what", ["solvent", "counts"])
def test_parse_shares_refuses_what_is_no_text_by_its_type(text, what):
    with pytest.raises(ValueError) as err:
        parse_shares(text, what)
    message = str(err.value)
    assert message.startswith(f"{what} must be text of comma-separated NAME")
    assert ("EC=30,Li=3,PF6=3" if what == "counts" else "EC:3,EMC:7") in message
    # the entry 'None' was quoted as if it had been written
    assert "bad" not in message and "entry" not in message
