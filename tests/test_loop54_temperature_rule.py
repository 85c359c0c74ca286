"""One temperature rule for every quantity: a melt is meant, a value no liquid has is a slip.

Before, ``units.implausible_doubts`` doubted every temperature above 1500 K, so a transport
coefficient or a given temperature of a melt at 1800 K (the tests' liquid EMT copper, a molten
salt, a training run at 3000 K) was "unit doubted", not valid, while
``compressibility_from_fluctuations`` had its own rule (only below 50 K) and so took 30000 K
(an extra zero or two) as valid. Now the one bound is 6000 K, above the highest boiling point
of any substance (rhenium 5870 K): below it a temperature can be meant; above it, and below
50 K (°C? k_B·T in eV?), it is doubted by every caller alike.
"""

import warnings

import numpy as np
import pytest
from ase.units import bar, kB

from ase_electrolyte.density_alignment import compressibility_from_fluctuations
from ase_electrolyte.units import implausible_doubts
from mda_electrolyte.carriers import temperature_notes

KAPPA = 5e-5  # 1/bar
V0 = 20000.0  # Å³

MELTS = [1500.0, 1800.0, 3000.0, 5000.0, 5999.0]
SLIPS = [(25.0, "°C"), (0.0259, "k_B·T in eV"), (6001.0, "typo"), (30000.0, "typo"),
         (3.0e5, "mK")]


def _volumes(temperature_K, seed=0):
    """Independent NPT volumes of a liquid of κ_T = KAPPA at T."""
    sd = np.sqrt(KAPPA / bar * kB * temperature_K * V0)
    return V0 + sd * np.random.default_rng(seed).standard_normal(4000)


@pytest.mark.parametrize("temperature", MELTS)
def test_a_melt_is_no_slip_for_any_quantity(temperature):
    assert implausible_doubts(temperature_K=temperature) == []
    # a conductivity's verdict and a compressibility's read the same rule
    assert temperature_notes([], temperature) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kappa = compressibility_from_fluctuations(_volumes(temperature, seed=1), temperature,
                                                  dt=0.01)
    assert kappa.valid and abs(kappa.value - KAPPA) < 3 * kappa.stderr


@pytest.mark.parametrize("temperature, hint", SLIPS)
def test_a_temperature_no_liquid_has_is_doubted_by_every_quantity(temperature, hint):
    (doubt,) = implausible_doubts(temperature_K=temperature)
    assert hint in doubt
    if temperature > 1e5:
        return  # refused outright by the number checks (a plasma)
    notes = temperature_notes([], temperature)
    assert len(notes) == 1 and notes[0].startswith("unit doubted") and hint in notes[0]
    with pytest.warns(UserWarning, match="far from a liquid's"):
        kappa = compressibility_from_fluctuations(_volumes(298.15), temperature, dt=0.01)
    assert not kappa.valid and hint in kappa.notes[0]


def test_a_series_with_one_value_beyond_any_liquid_is_doubted():
    assert implausible_doubts(temperature_K=[300.0, 1800.0, 2500.0]) == []
    (doubt,) = implausible_doubts(temperature_K=[300.0, 1800.0, 25000.0])
    assert "300–25000 K" in doubt
