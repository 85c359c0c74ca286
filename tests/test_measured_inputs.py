"""Fits of measured points given as Estimates (value ± error, verdict).

An Estimate's float is its value: ``ThermalExpansion(T, values, density_errors=estimates)``
took each density as its own error (α = 0.001 ± 0.013 1/K, valid, where the densities' errors
give 9.0e-4 ± 0.04e-4), and Estimates given as the values lost their errors and verdicts.
Every fit of measured points now takes Estimates as the values (errors and verdicts carried,
units converted) and refuses them anywhere they would be read as plain numbers.
"""

import numpy as np
import pytest

from ase_electrolyte.density_alignment import compressibility_from_shifts
from ase_electrolyte.estimate import Estimate
from mda_electrolyte import EquationOfState, TaitCompressibility, ThermalExpansion
from mda_electrolyte.uncertainty import real_array

RNG = np.random.default_rng(7)
T = np.array([280.0, 300.0, 320.0, 340.0, 360.0, 380.0])
RHO = 1.3 * (1 - 9e-4 * (T - 300)) + RNG.normal(0, 4e-4, T.size)
RHO_ERR = np.full(T.size, 4e-4)
P = np.array([-500.0, 0.0, 500.0, 1000.0, 2000.0, 3000.0, 4000.0])
V = 20000.0 * (1 - 0.0894 * np.log(1 + P / 1500.0)) + RNG.normal(0, 2.0, P.size)
V_ERR = np.full(P.size, 2.0)
A_EOS, N_EOS, B_EOS = 2500.0, 6.0, -2000.0
RHO_EOS = np.linspace(0.95, 1.1, 7) * (-B_EOS / A_EOS) ** (1 / N_EOS)
P_EOS = A_EOS * RHO_EOS**N_EOS + B_EOS + RNG.normal(0, 5.0, RHO_EOS.size)
P_EOS_ERR = np.full(RHO_EOS.size, 5.0)


def _estimates(values, errors, unit):
    return [Estimate(float(v), float(e), unit, "t-scaled standard error over 10 blocks", 60)
            for v, e in zip(values, errors, strict=True)]


def _fits(kind, values, errors=None):
    """The fitted Estimate of one kind of fit, from values (numbers or Estimates)."""
    if kind == "thermal expansion":
        return ThermalExpansion(T, values, errors).run().results.expansivity
    if kind == "tait":
        return TaitCompressibility(P, values, volume_errors=errors).run().results.compressibility
    if kind == "equation of state":
        return EquationOfState(RHO_EOS, values, pressure_errors=errors).run().results \
            .zero_pressure_density
    return compressibility_from_shifts(P[:6], values, errors).estimate


CASES = {
    "thermal expansion": (RHO, RHO_ERR, "g/cm^3", "kg/m^3"),
    "tait": (V, V_ERR, "Å^3", "nm^3"),
    "equation of state": (P_EOS, P_EOS_ERR, "bar", "GPa"),
    "shifts": (1.2 * np.exp(5e-5 * P[:6]) + RNG.normal(0, 2e-4, 6), np.full(6, 2e-4),
               "g/cm^3", "kg/m^3"),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_estimates_as_values_give_the_fit_of_their_values_and_errors(kind):
    values, errors, unit, other_unit = CASES[kind]
    plain = _fits(kind, values, errors)
    assert plain.valid, plain.verdict
    given = _fits(kind, _estimates(values, errors, unit))
    assert given.value == pytest.approx(plain.value, rel=1e-12)
    assert given.stderr == pytest.approx(plain.stderr, rel=1e-12)
    assert given.valid
    # in another unit of the same dimension: converted, the same fit (to the rounding of the
    # conversion there and back, which the Tait fit's iterations carry to ~1e-9)
    converted = _fits(kind, [e.to(other_unit) for e in _estimates(values, errors, unit)])
    assert converted.value == pytest.approx(plain.value, rel=1e-7)
    assert converted.stderr == pytest.approx(plain.stderr, rel=1e-6)


@pytest.mark.parametrize("kind", list(CASES))
def test_estimates_given_as_errors_are_refused(kind):
    values, errors, unit, _ = CASES[kind]
    with pytest.raises(ValueError, match="are Estimates: an Estimate's number is its value"):
        _fits(kind, values, _estimates(values, errors, unit))


@pytest.mark.parametrize("kind", list(CASES))
def test_a_measured_point_that_is_not_valid_makes_the_fit_not_valid(kind):
    values, errors, unit, _ = CASES[kind]
    points = _estimates(values, errors, unit)
    points[2] = points[2].with_notes("too short: 12 independent samples (need 50)",
                                     converged=False)
    fit = _fits(kind, points)
    assert not fit.valid
    assert f"2 ({values[2]:.4g} {unit}): too short: 12 independent samples" in fit.verdict


@pytest.mark.parametrize("kind", list(CASES))
def test_estimates_with_errors_too_mixed_with_numbers_or_of_another_dimension_are_refused(kind):
    values, errors, unit, _ = CASES[kind]
    points = _estimates(values, errors, unit)
    with pytest.raises(ValueError, match="carry their errors: leave out the errors"):
        _fits(kind, points, errors)
    with pytest.raises(ValueError, match="mixes Estimates and plain numbers"):
        _fits(kind, [points[0], *values[1:]])
    with pytest.raises(ValueError, match="cannot convert|unit"):
        _fits(kind, [Estimate(float(v), 0.1, "ps", "m", 60) for v in values])


def test_an_argument_that_takes_plain_numbers_refuses_estimates():
    # float(Estimate) is its value: a series or the x of a fit would drop errors and verdicts
    with pytest.raises(ValueError, match="temperatures holds Estimates"):
        ThermalExpansion(_estimates(T, np.ones(T.size), "K"), RHO, RHO_ERR)
    with pytest.raises(ValueError, match="the series holds Estimates"):
        real_array(np.array(_estimates(RHO, RHO_ERR, "g/cm^3"), dtype=object), "the series")
