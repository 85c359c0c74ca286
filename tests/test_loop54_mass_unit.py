"""A mass in amu is a known unit: a run's hydrogen_mass can be a settings Estimate."""

import numpy as np
import pytest
from ase import units as ase_units
from scipy import constants

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.units import convert, dimension, unit_advice


@pytest.mark.parametrize("spelling", ["amu", "u", "Da"])
def test_amu_is_a_mass_in_codata_kg(spelling):
    assert dimension(spelling) == "mass"
    assert convert(1.0, spelling, "kg") == pytest.approx(constants.atomic_mass, rel=1e-12)
    # ASE's amu is the same unit: 1 amu / kg is 1 / (1000 · N_A) in ASE's constants
    assert convert(1.0, spelling, "kg") == pytest.approx(1e-3 / ase_units._Nav, rel=1e-9)


@pytest.mark.parametrize("mass", [1.008, 2.014, 3.0])
def test_hydrogen_mass_is_a_given_estimate(mass):
    given = Estimate.given_value(mass, "amu")
    assert given.given and given.valid and given.unit == "amu"
    assert given.to("kg").value == pytest.approx(mass * constants.atomic_mass, rel=1e-12)


@pytest.mark.parametrize("other", ["K", "eV", "g/cm^3", "Å"])
def test_a_mass_does_not_convert_to_other_dimensions(other):
    with pytest.raises(ValueError, match="cannot convert"):
        convert(1.0, "amu", other)


def test_advice_for_a_mass_typed_with_its_unit():
    assert unit_advice("3 amu", "amu") == "; give the number alone, in amu: 3"
    assert unit_advice("3 kg", "amu").endswith(f"{3 / constants.atomic_mass:g}")
    assert np.isfinite(convert(np.array([1.0, 3.0]), "amu", "kg")).all()
