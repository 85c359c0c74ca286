"""A library salt's name given with ions other than the library's: the refusal names the ion
that differs and how.

The message said "salt name 'LiPF6' is the library's Li+ PF6- salt, not Li PF6" for a cation
``Species("Li", "[Li+1]")``: the same names on both sides, the difference (the Species) unsaid.
"""

import pytest

from ase_electrolyte.species import SALTS, Salt, Species

CASES = [
    # (role, Species, what the message says of it)
    ("cation", Species("Li", "[Li+1]"), "the library's Li under another spelling"),
    ("cation", Species("lithium", "[Li+]"), "the library's Li under another name"),
    ("anion", Species("PF6", "[P-](F)(F)(F)(F)(F)F"), "the library's PF6 under another spelling"),
    ("anion", Species("hexafluorophosphate_ion", "[P-](F)(F)(F)(F)(F)F"),
     "the library's PF6 under another name"),
    ("cation", Species("Na", "[Na+]"), "not the library's Li ('[Li+]')"),
    ("anion", Species("FSI", "FS(=O)(=O)[N-]S(=O)(=O)F"),
     "not the library's PF6 ('F[P-](F)(F)(F)(F)F')"),
]


@pytest.mark.parametrize(("role", "ion", "said"), CASES)
def test_refusal_names_the_differing_ion(role, ion, said):
    lib = SALTS["LiPF6"]
    ions = {"cation": lib.cation, "anion": lib.anion, role: ion}
    with pytest.raises(ValueError) as err:
        Salt("LiPF6", ions["cation"], ions["anion"])
    text = str(err.value)
    assert f"its {role} Species({ion.name!r}, {ion.smiles!r}) is {said}" in text
    assert "get_salt('LiPF6')" in text


@pytest.mark.parametrize("name", sorted(SALTS))
def test_library_ions_are_accepted(name):
    lib = SALTS[name]
    assert Salt(name, lib.cation.name, lib.anion.name) == lib
