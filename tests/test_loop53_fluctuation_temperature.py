"""κ_T from volume fluctuations at a temperature no liquid has is not valid, with the doubt.

k_B T divides ⟨δV²⟩: a temperature of 25 meant as 25 °C made κ_T 12 times too large (6e-4
1/bar for a carbonate's 5e-5), still a liquid's and marked valid; k_B·T in eV (0.0259) made it
10⁴ times too large. The package's one rule of plausible values
(:func:`ase_electrolyte.units.implausible_doubts`, below 50 K) now marks such a κ_T not valid
("unit doubted: temperature_K: ...", as conductivity's and viscosity's verdicts do) and warns;
the number itself is the formula's at the temperature given.
"""

import warnings

import numpy as np
import pytest
from ase.units import bar, kB

from ase_electrolyte.density_alignment import compressibility_from_fluctuations
from ase_electrolyte.units import MAX_PLAUSIBLE_TEMPERATURE_K, MIN_PLAUSIBLE_TEMPERATURE_K

KAPPA = 5e-5  # 1/bar
V0 = 20000.0  # Å³


def _volumes(temperature_K, seed=0):
    """Independent volumes of the NPT distribution of a liquid of κ_T = KAPPA at T."""
    sd = np.sqrt(KAPPA / bar * kB * temperature_K * V0)
    return V0 + sd * np.random.default_rng(seed).standard_normal(4000)


@pytest.mark.parametrize("given, hint", [
    (25.0, "°C"), (37.0, "°C"), (MIN_PLAUSIBLE_TEMPERATURE_K * 0.99, "°C"),
    (0.0259, "k_B·T in eV")])
def test_a_temperature_no_liquid_has_makes_kappa_not_valid(given, hint):
    volumes = _volumes(298.15)
    doubt = rf"temperature_K = {float(given)!r} K is far from a liquid's"
    with pytest.warns(UserWarning, match=doubt):
        kappa = compressibility_from_fluctuations(volumes, given, dt=0.01)
    assert not kappa.valid
    assert kappa.notes[0].startswith("unit doubted: temperature_K: ") and hint in kappa.notes[0]
    # the formula's number at the temperature given: κ_T scales as 1/T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        right = compressibility_from_fluctuations(volumes, 298.15, dt=0.01)
    assert right.valid
    np.testing.assert_allclose(kappa.value * given, right.value * 298.15, rtol=1e-12)
    np.testing.assert_allclose(kappa.stderr * given, right.stderr * 298.15, rtol=1e-12)


# a melt above the electrolytes' range (liquid EMT copper at 1800 K, the examples') is a
# temperature, not a unit slip: its κ_T is the formula's and valid
@pytest.mark.parametrize("temperature_K", [MIN_PLAUSIBLE_TEMPERATURE_K, 298.15, 400.0,
                                           MAX_PLAUSIBLE_TEMPERATURE_K, 1800.0, 3000.0])
def test_a_liquids_temperature_gives_the_compressibility(temperature_K):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kappa = compressibility_from_fluctuations(_volumes(temperature_K, seed=3),
                                                  temperature_K, dt=0.01)
    assert kappa.valid and not any("doubted" in n for n in kappa.notes)
    assert abs(kappa.value - KAPPA) < 3 * kappa.stderr
