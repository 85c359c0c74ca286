"""Electrostatics reads its word options (scheme, method, short_range, dtype) in any case and
spacing, as D3 reads its damping and run_md its ensemble, records the canonical word, and
names the near choice of a misspelt one or of an element symbol in the wrong case."""

import pytest
from ase.build import bulk

from ase_electrolyte import Electrostatics

QRD = {"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)}


def energy(**options):
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    atoms.calc = Electrostatics(qrd=QRD, tolerance=1e-5, **options)
    return atoms.get_potential_energy(), atoms.calc


@pytest.mark.parametrize("spelt, canonical", [
    ({"scheme": " QRD ", "method": "EWALD"}, {"scheme": "qrd", "method": "ewald"}),
    ({"method": "Pme", "dtype": "Float64"}, {"method": "pme", "dtype": "float64"}),
    ({"short_range": "Gaussian", "short_range_length": 1.0},
     {"short_range": "gaussian", "short_range_length": 1.0}),
])
def test_another_case_is_the_same_term(spelt, canonical):
    e_spelt, calc = energy(**spelt)
    e_canonical, _ = energy(**canonical)
    assert e_spelt == e_canonical
    for key, word in canonical.items():
        assert calc.parameters[key] == word
    # the record reads back as the same term, and the canonical word is no change
    assert Electrostatics(**calc.todict()).parameters == calc.parameters
    assert calc.set(**canonical) == {}


@pytest.mark.parametrize("option, word, near", [
    ("method", "ewlad", "ewald"), ("scheme", "arrays", "array"),
    ("short_range", "molecule", "molecules"), ("dtype", "float63", "float64"),
])
def test_a_misspelt_word_names_the_near_choice(option, word, near):
    extra = {"scheme": "qrd"} if option != "scheme" else {}
    with pytest.raises(ValueError, match=rf"{option} must be one of .*not '{word}' "
                                         rf"\(did you mean '{near}'\?\)"):
        Electrostatics(qrd=QRD, **extra, **{option: word})


def test_an_element_in_another_case_is_named_not_read():
    with pytest.raises(ValueError, match=r"unknown element 'na' .*did you mean 'Na'"):
        Electrostatics(qrd={"na": (1.0, 1.0), "Cl": (-1.0, 1.0)})
