"""Library names that hold commas (DME's "1,2-dimethoxyethane", DEE's "1,2-diethoxyethane",
DFEC's "trans-4,5-difluoroethylene carbonate"), which ``get_species`` takes, in the text of
shares or counts: the split at every comma made ``"1,2-dimethoxyethane"`` the species "1" and
"2-dimethoxyethane" ("unknown species '1'"), and ``"1,2-dimethoxyethane:1,EC:1"`` a bad entry
'1'. The pieces of such a name are joined again; lists of other names are split as before."""
import pytest

from ase_electrolyte.build import composition_counts, estimate_density
from ase_electrolyte.species import SOLVENTS, get_species, parse_shares

_COMMA_NAMES = [sp.description for sp in SOLVENTS.values() if "," in sp.description]


def test_the_library_has_such_names():
    assert {get_species(n).name for n in _COMMA_NAMES} == {"DME", "DEE", "DFEC"}


@pytest.mark.parametrize("name", _COMMA_NAMES)
@pytest.mark.parametrize("spelling", [str, str.upper, lambda n: n.replace(",", ", ")])
@pytest.mark.parametrize("where", ["alone", "first", "last", "bare"])
def test_a_name_with_commas_is_one_species_in_shares(name, spelling, where):
    written = spelling(name)
    text = {"alone": f"{written}:2", "first": f"{written}:2,EC:3", "last": f"EC:3, {written}:2",
            "bare": f"{written},EC"}[where]
    shares = parse_shares(text, "solvent", default=1.0)
    species = {get_species(k).name: v for k, v in shares.items()}
    expected = {"alone": {get_species(name).name: 2.0},
                "first": {get_species(name).name: 2.0, "EC": 3.0},
                "last": {"EC": 3.0, get_species(name).name: 2.0},
                "bare": {get_species(name).name: 1.0, "EC": 1.0}}[where]
    assert species == expected


@pytest.mark.parametrize("name", _COMMA_NAMES)
def test_the_builder_takes_it_as_text(name):
    sp = get_species(name)
    by_text = composition_counts(f"{name}:1,EC:1", n_atoms=400)
    by_dict = composition_counts({sp.name: 1, "EC": 1}, n_atoms=400)
    assert by_text == by_dict
    assert composition_counts(name, n_atoms=300) == composition_counts(sp.name, n_atoms=300)
    if sp.name in ("DME", "DEE"):
        assert estimate_density(f"{name}=10") == estimate_density({sp.name: 10})


@pytest.mark.parametrize("text, expected", [
    ("EC:3,EMC:7", {"EC": 3.0, "EMC": 7.0}),
    ("1,2", {"1": 1.0, "2": 1.0}),
    ("EC,EMC", {"EC": 1.0, "EMC": 1.0}),
])
def test_other_lists_split_as_before(text, expected):
    assert parse_shares(text, "solvent", default=1.0) == expected


def test_the_name_given_twice_is_still_refused():
    with pytest.raises(ValueError, match="named twice"):
        composition_counts("1,2-dimethoxyethane:1,DME:2", n_atoms=300)
