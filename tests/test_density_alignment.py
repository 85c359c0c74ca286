"""Compressibility and pressure-shift helpers of density alignment on bad or degenerate input:
refused by name before any fit, or marked not valid when an error is unknown."""

import numpy as np
import pytest

from ase_electrolyte.density_alignment import (
    compressibility_from_fluctuations,
    compressibility_from_shifts,
    pressure_shift_for_density,
)

P = np.array([-1000.0, 0.0, 1000.0])
RHO = 1.2 * np.exp(5e-5 * P)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_shift_fit_refuses_non_finite_pressures_and_errors(bad):
    # NaN reached LAPACK ("SVD did not converge"); an infinite error dropped its point
    with pytest.raises(ValueError, match="pressures_bar must be finite"):
        compressibility_from_shifts([bad, 0.0, 1000.0], RHO)
    with pytest.raises(ValueError, match="density_errors must be positive and finite"):
        compressibility_from_shifts(P, RHO, [bad, 0.01, 0.01])


def test_a_compressibility_without_an_error_gives_no_valid_shift():
    # two points without density errors: kappa_error is NaN; it was counted as 0, giving a
    # shift of error 0 marked valid
    fit = compressibility_from_shifts(P[:2], RHO[:2])
    assert fit.kappa_per_bar == pytest.approx(5e-5, rel=1e-9) and np.isnan(fit.kappa_error)
    shift = pressure_shift_for_density(1.18, 1.204, fit)
    assert shift.delta_bar == pytest.approx(-np.log(1.204 / 1.18) / 5e-5, rel=1e-9)
    assert not shift.valid and "too few points" in shift.note
    # three points on a line: an error of 0 from one degree of freedom, not valid either
    three = compressibility_from_shifts(P, RHO)
    assert three.kappa_error == pytest.approx(0, abs=1e-12)
    assert not pressure_shift_for_density(1.18, 1.204, three).valid
    explicit = pressure_shift_for_density(1.18, 1.204, 5e-5, kappa_error=np.nan,
                                          rho_model_error=0.002)
    assert not explicit.valid and "no error estimate" in explicit.note
    known = pressure_shift_for_density(1.18, 1.204, 5e-5, kappa_error=1e-6,
                                       rho_model_error=0.002)
    assert known.valid and known.note == ""


@pytest.mark.parametrize("name, kwargs", [
    ("rho_model", {"rho_model": np.inf}),
    ("rho_model", {"rho_model": "1.18"}),
    ("rho_target", {"rho_target": np.nan}),
    ("rho_model_error", {"rho_model_error": np.nan}),
    ("rho_model_error", {"rho_model_error": -0.01}),
    ("rho_target_error", {"rho_target_error": np.inf}),
    ("kappa_error", {"kappa_error": -1e-6}),
    ("compressibility", {"kappa_per_bar": np.inf}),
    ("compressibility", {"kappa_per_bar": "8e-5"}),
])
def test_pressure_shift_refuses_bad_numbers_by_name(name, kwargs):
    # an infinite density gave ΔP = inf marked valid, a NaN error an error bar of NaN, a
    # negative error was squared away, a string density a TypeError
    args = {"rho_model": 1.18, "rho_target": 1.204, "kappa_per_bar": 8e-5, **kwargs}
    with pytest.raises(ValueError, match=name):
        pressure_shift_for_density(args.pop("rho_model"), args.pop("rho_target"),
                                   args.pop("kappa_per_bar"), **args)


@pytest.mark.parametrize("name, kwargs", [
    ("temperature_K", {"temperature_K": "300"}),
    ("temperature_K", {"temperature_K": np.nan}),
    ("dt", {"dt": np.nan}),
    ("dt", {"dt": -0.01}),
])
def test_fluctuation_compressibility_refuses_bad_numbers_by_name(name, kwargs):
    # a string temperature was a numpy ufunc TypeError; a NaN dt reported "the first nan ps"
    v = 2e4 + 50 * np.random.default_rng(0).standard_normal(100)
    args = {"temperature_K": 300.0, **kwargs}
    with pytest.raises(ValueError, match=name):
        compressibility_from_fluctuations(v, args.pop("temperature_K"), **args)
