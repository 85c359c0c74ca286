"""Unit slips of diffusion coefficients, viscosities and conductivities are doubted.

Before, ``units.implausible_doubts`` had no rule for them: D = 1e-5 given in m²/s (a number in
cm²/s), a viscosity in Pa·s given as mPa·s (0.00089 for water) or 30 mS/cm given as S/cm
(3000 S/m) passed without a word. Real liquids, melts and ionic liquids stay undoubted.
"""

import numpy as np
import pytest

from ase_electrolyte.units import (
    MAX_PLAUSIBLE_CONDUCTIVITY_S_M,
    PLAUSIBLE_DIFFUSION_M2_S,
    PLAUSIBLE_VISCOSITY_PA_S,
    convert,
    doubts_in_unit,
    implausible_doubts,
)

# (value, unit): measured values of real liquids, each in a unit it is reported in
REAL = [
    (2.3e-9, "m^2/s"),  # water, 298 K (Mills 1973)
    (2.3e-5, "cm^2/s"),
    (0.23, "Å^2/ps"),
    (1.0e-11, "m^2/s"),  # an imidazolium ionic liquid's cation
    (1.0e-13, "m^2/s"),  # Li⁺ in PEO
    (1.0e-8, "m^2/s"),  # a molten salt's cation
    (1.0e-7, "m^2/s"),  # a hot fluid of a training run
    (0.89, "mPa·s"),  # water
    (0.34, "cP"),  # acetonitrile
    (0.27, "mPa·s"),  # liquid argon at 84 K
    (1.4, "Pa·s"),  # glycerol
    (500.0, "mPa·s"),  # a viscous ionic liquid
    (10.0, "mS/cm"),  # 1 M LiPF6 in EC/DMC
    (0.8, "S/cm"),  # 30 % sulfuric acid
    (9.0, "S/cm"),  # molten LiF
    (5.5e-6, "S/m"),  # pure water
]
# (value, unit it was labelled with, the unit the number is in, a word of the hint)
SLIPS = [
    (1.0e-5, "m^2/s", "cm^2/s", "cm²/s"),
    (0.23, "m^2/s", "Å^2/ps", "Å²/ps"),
    (2.3e-9, "Å^2/ps", "m^2/s", "Å²/ps"),
    (2.3e-9, "1e-9 m^2/s", "m^2/s", "10⁻⁹ m²/s"),
    (8.9e-4, "mPa·s", "Pa·s", "in Pa·s given in mPa·s"),
    (8.9e-4, "cP", "Pa·s", "cP"),
    (2000.0, "Pa·s", "mPa·s", "in mPa·s (cP) given in Pa·s"),
    (30.0, "S/cm", "mS/cm", "in mS/cm given in S/cm"),
    (10000.0, "S/m", "µS/cm", "µS/cm given in S/m"),
]


@pytest.mark.parametrize("value, unit", REAL)
def test_real_liquids_are_not_doubted(value, unit):
    assert doubts_in_unit(value, unit) == []
    assert doubts_in_unit(np.array([value, value * 1.1]), unit) == []


@pytest.mark.parametrize("value, labelled, meant, hint", SLIPS)
def test_a_number_in_another_unit_is_doubted(value, labelled, meant, hint):
    (doubt,) = doubts_in_unit(value, labelled)
    assert hint in doubt
    # the number read in the unit it is in is a liquid's
    assert doubts_in_unit(value, meant) == []
    # a series with one slipped value among real ones is doubted as well
    real = convert(value, meant, labelled)
    assert len(doubts_in_unit([real, value], labelled)) == 1


@pytest.mark.parametrize("keyword, bounds", [
    ("diffusion_m2_s", PLAUSIBLE_DIFFUSION_M2_S),
    ("viscosity_Pa_s", PLAUSIBLE_VISCOSITY_PA_S),
    ("conductivity_S_m", (None, MAX_PLAUSIBLE_CONDUCTIVITY_S_M)),
])
def test_the_bounds_are_inclusive_and_non_finite_values_are_no_slip(keyword, bounds):
    low, high = bounds
    assert implausible_doubts(**{keyword: high}) == []
    assert len(implausible_doubts(**{keyword: high * 1.01})) == 1
    if low is not None:
        assert implausible_doubts(**{keyword: low}) == []
        assert len(implausible_doubts(**{keyword: low * 0.99})) == 1
    for bad in (np.nan, np.inf, -np.inf):
        assert implausible_doubts(**{keyword: [1e-9 if low is None else low, bad]}) == []


@pytest.mark.parametrize("keyword", ["diffusion_m2_s", "viscosity_Pa_s"])
def test_a_measured_zero_or_negative_value_is_no_unit_slip(keyword):
    # a measured D of an ion that barely moved can be 0 or below within its error
    assert implausible_doubts(**{keyword: [0.0, -1e-12]}) == []


@pytest.mark.parametrize("unit", ["°", "eV", "kJ/mol", "Å"])
def test_dimensions_without_a_rule_have_no_doubt(unit):
    assert doubts_in_unit(1e30, unit) == []
