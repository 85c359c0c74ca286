"""mixture_ion_counts (the counts recipe of a salt mixture) took Salt objects only: a list of
names, ``["LiPF6", "LiFSI"]``, failed with AttributeError "'str' object has no attribute
'stoichiometry'", and the text ``"LiPF6+LiFSI"`` was iterated letter by letter, failing on
'L'. Names and text are read as salt_mixture and get_salt read them; anything else is refused
by name.
"""

import pytest

from ase_electrolyte.species import Salt, Species, get_salt, mixture_ion_counts, salt_mixture

PF6_FSI = {"Li": "n1 + n2", "PF6": "n1", "FSI": "n2"}


@pytest.mark.parametrize("salts", [
    ["LiPF6", "LiFSI"], ("LiPF6", "LiFSI"), {"LiPF6": 1, "LiFSI": 1}, "LiPF6+LiFSI",
    "LiPF6 / LiFSI", [get_salt("LiPF6"), "LiFSI"], salt_mixture("LiPF6+LiFSI"),
    ["lipf6", "Li+ FSI-"],
])
def test_names_text_and_salts_give_one_recipe(salts):
    assert mixture_ion_counts(salts) == PF6_FSI


def test_the_stoichiometry_of_a_divalent_salt_is_kept():
    mg = Salt("MgTFSI2", Species("Mg", "[Mg+2]"), "TFSI")
    assert mixture_ion_counts(["LiTFSI", mg]) == {"Li": "n1", "TFSI": "n1 + 2n2", "Mg": "n2"}


@pytest.mark.parametrize("salts, error, match", [
    ("LiPF6", ValueError, "no mixture of library salts"),
    ("", ValueError, "no mixture of library salts"),
    (["LiPF6", "XYZ"], ValueError, "unknown salt 'XYZ'"),
    (["LiPF6", 3], ValueError, "unknown salt 3"),
    (None, TypeError, "not NoneType"),
    (5, TypeError, "not int"),
])
def test_what_is_no_salt_is_refused_by_name(salts, error, match):
    with pytest.raises(error, match=match):
        mixture_ion_counts(salts)
