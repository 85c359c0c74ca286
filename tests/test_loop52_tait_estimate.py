"""tait_pressure_shift gives the Tait equation's ΔP as an Estimate, with its error and verdict.

Before: it returned a bare float (-279.4 for a model 2 % too light at κ_T = 8e-5 1/bar), with
no error and no verdict beside the rest of density_alignment's Estimates, and took no errors or
Estimates of its inputs (``rho_model_error=0.002`` was a TypeError).
"""

import numpy as np
import pytest

from ase_electrolyte.density_alignment import (
    TAIT_C,
    pressure_shift_for_density,
    tait_pressure_shift,
)
from ase_electrolyte.estimate import Estimate


def _tait_density(rho0, kappa, pressure_bar):
    """ρ(P) of a Tait liquid (Dymond and Malhotra 1988) of κ_T at P = 0, B = C / κ_T."""
    b = TAIT_C / kappa
    return rho0 / (1.0 - TAIT_C * np.log((b + pressure_bar) / b))


CASES = [(1.18, 1.204, 8e-5), (1.3, 1.25, 5e-5), (1.0, 1.01, 4.5e-5), (7.8, 7.8 * 1.03, 1e-6),
         (0.9, 1.05, 2e-4)]


@pytest.mark.parametrize(("rho_model", "rho_target", "kappa"), CASES)
def test_the_shift_carries_a_tait_liquid_to_its_target(rho_model, rho_target, kappa):
    shift = tait_pressure_shift(rho_model, rho_target, kappa, rho_model_error=0.001)
    assert isinstance(shift, Estimate) and shift.unit == "bar" and shift.valid
    # the model's pressure raised by ΔP reaches at P = 0 the density it had at P = -ΔP
    assert _tait_density(rho_model, kappa, -shift.value) == pytest.approx(rho_target, rel=1e-12)


@pytest.mark.parametrize(("rho_model", "rho_target", "kappa"), CASES)
@pytest.mark.parametrize("errors", [(0.002, 0.0, 0.0), (0.0, 0.001, 0.0), (0.0, 0.0, 0.05),
                                    (0.002, 0.001, 0.04)])
def test_the_error_is_the_first_order_propagation(rho_model, rho_target, kappa, errors):
    args = (rho_model, rho_target, kappa)
    errors = (errors[0], errors[1], errors[2] * kappa)  # κ_T's error relative to it
    shift = tait_pressure_shift(*args, rho_model_error=errors[0], rho_target_error=errors[1],
                                kappa_error=errors[2])
    grads = []
    for i, x in enumerate(args):
        h = 1e-6 * x
        up, down = list(args), list(args)
        up[i] += h
        down[i] -= h
        grads.append((_exact(*up) - _exact(*down)) / (2 * h))
    expected = np.sqrt(sum((g * e) ** 2 for g, e in zip(grads, errors, strict=True)))
    assert shift.stderr == pytest.approx(expected, rel=1e-5)
    assert shift.value == pytest.approx(_exact(*args), rel=1e-12)


def _exact(rho_model, rho_target, kappa):
    # the inverse of _tait_density: ρ(-ΔP) = ρ_target
    return -(TAIT_C / kappa) * (np.exp((1.0 - rho_model / rho_target) / TAIT_C) - 1.0)


@pytest.mark.parametrize(("rho_model", "rho_target", "kappa"), CASES)
def test_without_errors_the_shift_is_not_valid_and_says_why(rho_model, rho_target, kappa):
    shift = tait_pressure_shift(rho_model, rho_target, kappa)
    assert not shift.valid and "no error was given" in shift.verdict
    assert shift.value == pytest.approx(_exact(rho_model, rho_target, kappa), rel=1e-12)


@pytest.mark.parametrize("which", ["rho_model", "rho_target", "kappa"])
def test_an_input_estimate_that_is_not_valid_makes_the_shift_not_valid(which):
    values = {"rho_model": 1.18, "rho_target": 1.204, "kappa": 8e-5}
    units = {"rho_model": "g/cm^3", "rho_target": "g/cm^3", "kappa": "1/bar"}
    value = values[which]
    values[which] = Estimate(value, 0.001 * value, units[which], "test", n_samples=50,
                             converged=False, notes=("too short",))
    shift = tait_pressure_shift(values["rho_model"], values["rho_target"], values["kappa"])
    assert not shift.valid and "too short" in shift.verdict
    assert shift.stderr > 0


def test_it_is_the_estimate_of_pressure_shift_for_density():
    kw = {"rho_model_error": 0.002, "rho_target_error": 0.001, "kappa_error": 4e-6}
    shift = tait_pressure_shift(1.18, 1.204, 8e-5, **kw)
    assert shift == pressure_shift_for_density(1.18, 1.204, 8e-5, **kw).estimate


def test_its_error_bars_cover_the_truth_over_replicas():
    rng = np.random.default_rng(52)
    rho_true, target, kappa, sigma = 1.18, 1.18 * 1.03, 8e-5, 0.002
    exact = _exact(rho_true, target, kappa)
    z = [(s.value - exact) / s.stderr for s in
         (tait_pressure_shift(float(m), target, kappa, rho_model_error=sigma)
          for m in rho_true + sigma * rng.standard_normal(400))]
    assert abs(np.mean(z)) < 0.15 and 0.9 < np.std(z) < 1.1
