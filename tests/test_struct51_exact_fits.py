"""Fits whose points lie on the fitted curve to within round-off: no error bar from them.

EquationOfState, ThermalExpansion and TaitCompressibility take their error from the residual
variance where no per-point errors are given. Points that lie on the curve exactly (computed
from a formula, a fit fitted again) leave residuals of round-off: 7 densities on an exact
P(ρ) gave ρ0 = 1.15 ± 1e-17 g/cm³ and 6 densities on a line α = (8.5 ± 1e-14)e-4 1/K, both
valid. Only values that did not change at all were refused. Now such fits are "not a result"
naming the round-off; the fitted value itself is the curve's (checked against it), points
with measured scatter and exact points with their given errors stay results.
"""

import numpy as np
import pytest

from mda_electrolyte.density import EquationOfState, TaitCompressibility, ThermalExpansion

EOS_CURVES = [(1.15, 7.0, 5000.0), (1.30, 9.0, 2000.0), (0.95, 5.0, 8000.0)]
LINES = [(1.5, 1.0e-3), (1.2, 8.0e-4), (2.0, 1.5e-3)]
TAIT_CURVES = [(1000.0, 900.0, 0.09), (5000.0, 1500.0, 0.1), (250.0, 600.0, 0.085)]
P_REF = 1.01325


def _eos(rho0, n, c, noise=0.0, errors=None, seed=0):
    rho = rho0 * np.linspace(0.9, 1.1, 7)
    p = c * ((rho / rho0) ** n - 1.0)
    p = p + noise * np.random.default_rng(seed).normal(size=p.size)
    return EquationOfState(rho, p, pressure_errors=errors).run().results


def _expansion(a, b, noise=0.0, seed=0):
    t = np.linspace(280.0, 380.0, 6)
    rho = a - b * t + noise * np.random.default_rng(seed).normal(size=t.size)
    return t, rho, ThermalExpansion(t, rho).run().results


def _tait(v0, b, c, noise=0.0):
    p = np.array([1.0, 300.0, 600.0, 1000.0, 1500.0, 2000.0, 3000.0])
    v = v0 * (1.0 - c * np.log1p((p - P_REF) / b))
    v = v + noise * v0 * np.random.default_rng(1).normal(size=p.size)
    return TaitCompressibility(p, v).run().results


def _round_off_refused(estimate):
    assert not estimate.valid
    assert any("round-off" in note for note in estimate.notes), estimate.notes


@pytest.mark.parametrize("rho0, n, c", EOS_CURVES)
def test_eos_of_points_on_the_curve_is_no_result(rho0, n, c):
    res = _eos(rho0, n, c)
    # the curve itself is found: its root is the ρ0 the points were made with
    assert res.zero_pressure_density.value == pytest.approx(rho0, rel=1e-9)
    _round_off_refused(res.zero_pressure_density)
    assert not res.valid


@pytest.mark.parametrize("rho0, n, c", EOS_CURVES)
def test_eos_with_measured_scatter_or_given_errors_stays_a_result(rho0, n, c):
    noisy = _eos(rho0, n, c, noise=20.0, seed=3).zero_pressure_density
    assert not any("round-off" in note for note in noisy.notes)
    # the same exact points with their standard errors: the error is propagated from them
    given = _eos(rho0, n, c, errors=np.full(7, 20.0)).zero_pressure_density
    assert given.valid, given.notes
    assert given.value == pytest.approx(rho0, rel=1e-9) and given.stderr > 0


@pytest.mark.parametrize("a, b", LINES)
def test_expansivity_of_an_exact_line_is_no_result(a, b):
    t, rho, res = _expansion(a, b)
    t_ref = t.mean()
    # α = -(1/ρ) dρ/dT at the mean temperature of the line ρ = a - b T
    assert res.expansivity.value == pytest.approx(b / (a - b * t_ref), rel=1e-9)
    _round_off_refused(res.expansivity)


@pytest.mark.parametrize("a, b", LINES)
def test_expansivity_of_measured_densities_stays_a_result(a, b):
    # densities with a scatter of 1e-4 g/cm³ (four digits): a residual error, valid
    _, _, res = _expansion(a, b, noise=1e-4, seed=5)
    assert res.expansivity.valid, res.expansivity.notes
    assert res.expansivity.stderr > 0


@pytest.mark.parametrize("v0, b, c", TAIT_CURVES)
def test_tait_of_points_on_the_curve_is_no_result(v0, b, c):
    res = _tait(v0, b, c)
    # κ_T = C/B, in 1/GPa (1 GPa = 1e4 bar)
    assert res.compressibility.value == pytest.approx(c / b * 1e4, rel=1e-6)
    _round_off_refused(res.compressibility)


@pytest.mark.parametrize("v0, b, c", TAIT_CURVES)
def test_tait_of_measured_volumes_has_no_round_off_note(v0, b, c):
    res = _tait(v0, b, c, noise=1e-4)
    assert not any("round-off" in note for note in res.compressibility.notes)
    assert np.isfinite(res.compressibility.stderr) and res.compressibility.stderr > 0
