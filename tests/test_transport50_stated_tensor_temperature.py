"""A bare pressure tensor stated at one temperature (IonCollection.from_pressure_tensor(...,
temperature=300)) and a viscosity given another (temperature=600) gave η off by their ratio
as a valid result: the stated temperature judged nothing without a series. It is now the run's
temperature (carriers.run_temperature, exact), and more than 5 % off makes η not valid; at the
stated temperature, or within 5 %, the verdict is unchanged and so is η's scaling 1/T."""

import warnings

import numpy as np
import pytest
from transport_data import ornstein_uhlenbeck

from mda_electrolyte import EinsteinHelfandViscosity, GreenKuboViscosity
from mda_electrolyte.ion_collection import IonCollection


@pytest.fixture(scope="module")
def tensor():
    x = ornstein_uhlenbeck(np.random.default_rng(0), 4000, (3, 3), 0.05, 0.002, 100.0)
    return 0.5 * (x + x.transpose(0, 2, 1))


@pytest.mark.parametrize("cls", [GreenKuboViscosity, EinsteinHelfandViscosity])
@pytest.mark.parametrize("given, off", [(300.0, False), (310.0, False), (330.0, True),
                                        (600.0, True), (150.0, True)])
def test_a_temperature_other_than_the_stated_one_is_not_valid(tensor, cls, given, off):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        col = IonCollection.from_pressure_tensor(tensor, dt=0.002, volume=1e4,
                                                 temperature=300.0)
        base = cls.from_collections(col).results.shear_viscosity
        eta = cls.from_collections(col, temperature=given).results.shear_viscosity
    assert base.valid, base.verdict
    assert eta.value == pytest.approx(base.value * 300.0 / given, rel=1e-12)
    assert eta.valid is not off
    if off:
        assert ("not at the run's temperature: the temperature stated with the pressure "
                f"tensor is 300 ± 0 K, the {given:g} K given") in eta.verdict


def test_a_tensor_without_a_temperature_is_not_judged(tensor):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        col = IonCollection.from_pressure_tensor(tensor, dt=0.002, volume=1e4)
        eta = GreenKuboViscosity.from_collections(col, temperature=600.0).results
    assert eta.shear_viscosity.valid, eta.shear_viscosity.verdict
