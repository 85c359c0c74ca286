"""A user Salt's name was not checked: ``Salt(None, "Li", "PF6")``, ``Salt("", ...)`` and
``Salt("Li PF6 !", ...)`` were taken (messages then said "salt None"), and
``Salt("LiFSI", "Li", "PF6")`` packed LiPF6 under the library name of LiFSI. A salt name
follows a Species name's rule, and a library salt's name names its own ions only."""
import pytest

from ase_electrolyte.build import composition_counts
from ase_electrolyte.species import SALTS, Salt, Species, get_species


@pytest.mark.parametrize("name", [None, "", "Li PF6", "LiPF6!", "LiPF₆", 6, b"LiPF6", " LiPF6"])
def test_an_unusable_salt_name_is_refused(name):
    with pytest.raises(ValueError, match="salt name .*ASCII letters"):
        Salt(name, "Li", "PF6")


@pytest.mark.parametrize("name", list(SALTS))
def test_a_library_name_with_other_ions_is_refused(name):
    library = SALTS[name]
    other = next(s for s in SALTS.values() if s.anion != library.anion)
    with pytest.raises(ValueError, match=f"salt name '{name}' is the library's"):
        Salt(name, library.cation, other.anion)
    # its own ions, as names or Species (the same SMILES), are the library salt
    assert Salt(name, library.cation.name, library.anion.name) == library
    assert Salt(name, library.cation, Species(library.anion.name, library.anion.smiles)) \
        == library


@pytest.mark.parametrize("name", ["LiPF6b", "Li2SO4", "my_salt-1", "MgTFSI2"])
def test_other_names_are_taken(name):
    salt = Salt(name, "Li", "PF6")
    counts = composition_counts({"EC": 1}, salt, 1.0, n_atoms=400)
    assert {sp.name for sp in counts} == {"EC", "Li", "PF6"}
    assert get_species("Li") in counts
