"""A density in a doubted unit gives no valid density.

Density of a series in kg/m³ warned ('is it in kg/m³?') and gave '1199.7 ± 0.5 g/cm^3 (valid)';
EquationOfState of densities in kg/m³ gave 'ρ0 = 1200.0 ± 2.3 g/cm^3 (valid)'. The doubt of
units.implausible_doubts is now a verdict note 'unit doubted: ...' of both (numbers unchanged),
as the transport coefficients carry theirs. What a density unit cannot change keeps its
verdict: ρ0 of pressures in Pa (the zero crossing of P(ρ) has no pressure unit) and the
expansivity α = -(1/ρ) dρ/dT (a ratio of densities).
"""

import warnings

import numpy as np
import pytest

from mda_electrolyte import Density, EquationOfState, ThermalExpansion

RHO0 = 1.2
# g/cm³ -> what the numbers read in: kg/m³ (= g/L), and g/cm³ divided by 1000 (kg/L read as
# t/L, or g/L taken for kg/L)
SLIPS = {"kg/m3": 1000.0, "per_1000": 1e-3}


def _series(factor, seed=0):
    rng = np.random.default_rng(seed)
    return factor * (RHO0 + 0.01 * rng.normal(size=600))


def _density(factor):
    return Density(_series(factor), dt=0.01).run().results.equilibrium_density


def _eos(factor, pressure_factor=1.0, seed=1):
    rng = np.random.default_rng(seed)
    rho = np.linspace(1.1, 1.3, 8)
    p = 2000.0 * ((rho / RHO0) ** 7 - 1.0) + rng.normal(0.0, 50.0, rho.size)
    return EquationOfState(factor * rho, pressure_factor * p,
                           pressure_errors=np.full(rho.size, 50.0 * pressure_factor)
                           ).run().results.zero_pressure_density


@pytest.mark.parametrize("slip", SLIPS, ids=list(SLIPS))
@pytest.mark.parametrize("measure", [_density, _eos], ids=["Density", "EquationOfState"])
def test_a_density_in_a_doubted_unit_is_not_valid_with_the_same_number(measure, slip):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        right = measure(1.0)
        wrong = measure(SLIPS[slip])
    assert right.valid
    assert not wrong.valid
    assert any(n.startswith("unit doubted: the densit") for n in wrong.notes), wrong.notes
    # the number is the same one in the other unit
    assert wrong.value == pytest.approx(SLIPS[slip] * right.value, rel=1e-6)
    assert wrong.stderr == pytest.approx(SLIPS[slip] * right.stderr, rel=1e-3)


def test_pressures_in_pascal_leave_rho0_valid():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        bar, pascal = _eos(1.0), _eos(1.0, pressure_factor=1e5)
    assert bar.valid and pascal.valid
    assert pascal.value == pytest.approx(bar.value, rel=1e-6)


def test_the_expansivity_of_densities_in_kg_per_m3_is_the_same_ratio():
    rng = np.random.default_rng(2)
    t = np.linspace(280.0, 350.0, 8)
    rho = RHO0 * (1.0 - 8e-4 * (t - 298.15)) + rng.normal(0.0, 1e-4, t.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        g = ThermalExpansion(t, rho, np.full(t.size, 1e-4)).run().results.expansivity
        kg = ThermalExpansion(t, 1000.0 * rho, np.full(t.size, 0.1)).run().results.expansivity
    assert g.valid and kg.valid
    assert kg.value == pytest.approx(g.value, rel=1e-9)
