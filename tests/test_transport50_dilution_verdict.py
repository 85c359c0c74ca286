"""Eight ions in a box of 1e7 Å (1e-17 mol/L) gave σ = 3e-16 S/m "valid": right for that
volume, but no electrolyte is that dilute (a box in another unit, or a placeholder cell). Below
carriers.MIN_ION_CONCENTRATION (1e-6 mol/L of charged ions) every conductivity estimate (Green–
Kubo, Einstein–Helfand, Onsager, Nernst–Einstein) now says so in its verdict; at the floor and
above the verdict is unchanged, and the number is the same either way (σ ∝ 1/V exactly)."""

import warnings

import numpy as np
import pytest
from scipy import constants
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import (
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte.carriers import MIN_ION_CONCENTRATION
from mda_electrolyte.ion_collection import IonCollection

N_CHARGED = 8
# the volume (Å³) holding 8 ions at exactly the floor concentration
FLOOR_VOLUME = N_CHARGED / (MIN_ION_CONCENTRATION * 1e-27 * constants.N_A)


@pytest.fixture(scope="module")
def velocities():
    return ornstein_uhlenbeck(np.random.default_rng(0), 3000, (N_CHARGED + 2, 3), 0.1, 0.01,
                              3.0)


def _sigma(cls, v, volume):
    # the box's own volume (a given one far off the box's is a verdict of its own)
    col = IonCollection.from_arrays({"Li": 4, "A": 4, "W": 2}, dt=0.01, velocities=v,
                                    positions=integrate(v, 0.01),
                                    charges={"Li": 1, "A": -1, "W": 0}, volume=volume)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls.from_collections(col, temperature=300.0,
                                    species=["Li", "A"]).results.conductivity


@pytest.mark.parametrize("cls", [GreenKuboConductivity, EinsteinHelfandConductivity,
                                 OnsagerCoefficients])
@pytest.mark.parametrize("volume, dilute", [(8000.0, False), (FLOOR_VOLUME * 0.999, False),
                                            (FLOOR_VOLUME * 1.001, True), (1e21, True)])
def test_conductivity_of_too_dilute_ions_is_not_valid(velocities, cls, volume, dilute):
    base = _sigma(cls, velocities, 8000.0)
    assert base.valid, base.verdict
    sigma = _sigma(cls, velocities, volume)
    assert sigma.value == pytest.approx(base.value * 8000.0 / volume, rel=1e-10)
    assert sigma.valid is not dilute
    if dilute:
        assert "dilute beyond an electrolyte: 8 charged ions" in sigma.verdict
        assert "mol/L, below 1e-06 mol/L" in sigma.verdict


@pytest.mark.parametrize("volume, dilute", [(1e4, False), (FLOOR_VOLUME * 0.999, False),
                                            (FLOOR_VOLUME * 1.001, True), (1e21, True)])
def test_nernst_einstein_of_too_dilute_ions_is_not_valid(volume, dilute):
    ne = NernstEinstein.from_estimates(temperature=300.0, diffusivities={"Li": 0.1, "A": 0.2},
                                       n_ions={"Li": 4, "A": 4}, charges={"Li": 1, "A": -1},
                                       volume=volume)
    assert ne.results.conductivity.valid is not dilute
    assert ("dilute beyond an electrolyte" in ne.results.conductivity.verdict) is dilute
