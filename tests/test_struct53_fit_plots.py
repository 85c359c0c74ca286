"""The density fits' plots draw no empty (NaN) curve and name none in their legend.

EquationOfState whose fitted P(ρ) never reaches 0 bar drew its curve from the NaN model of a
failed fit: an empty line that the legend named "a ρ^6.51 + b". TaitCompressibility whose
fit did not converge drew a NaN line the legend named "Tait" (EquationOfState left a failed
fit's curve out already).
"""

import matplotlib
import matplotlib.lines
import numpy as np
import pytest

from mda_electrolyte.density import EquationOfState, TaitCompressibility, ThermalExpansion

matplotlib.use("Agg")

RHO = np.linspace(1.1, 1.3, 7)
NOISE = np.random.default_rng(0).normal(0.0, 30.0, RHO.size)


def _drawn(ax):
    """(label, all finite) of every line of the axes, and the legend's texts."""
    lines = [(line.get_label(), bool(np.all(np.isfinite(line.get_ydata()))))
             for line in ax.get_lines()]
    legend = ax.get_legend()
    return lines, [] if legend is None else [t.get_text() for t in legend.get_texts()]


def _check_no_empty_curve(ax):
    lines, _ = _drawn(ax)
    assert all(finite for _, finite in lines), lines
    # every line the legend names holds finite points (bands and error bars are patches)
    for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
        if isinstance(handle, matplotlib.lines.Line2D):
            assert np.all(np.isfinite(handle.get_ydata())), text


@pytest.mark.parametrize(("sign", "side"), [(1.0, "above"), (-1.0, "below")])
def test_eos_without_zero_crossing_draws_its_fitted_curve(sign, side):
    p = sign * (2000.0 * (RHO / 1.2) ** 6 + 500.0) + NOISE
    eos = EquationOfState(RHO, p, pressure_errors=np.full(RHO.size, 30.0)).run()
    est = eos.results.zero_pressure_density
    assert not est.valid and "never reaches 0 bar" in est.verdict and side in est.verdict
    ax = eos.plot()
    _check_no_empty_curve(ax)
    # the curve drawn is the fit the results report: a ρ^n + b through the points
    r = eos.results
    curve = [line for line in ax.get_lines() if line.get_label().startswith("a ρ^")]
    assert len(curve) == 1
    x, y = curve[0].get_data()
    np.testing.assert_allclose(y, r.a * x**r.n + r.b, rtol=1e-9)
    assert np.max(np.abs(np.interp(RHO, x, y) - p)) < 4 * 30.0


def test_eos_valid_fit_still_drawn():
    p = 2000.0 * (RHO / 1.2) ** 6 - 2300.0 + NOISE
    eos = EquationOfState(RHO, p, pressure_errors=np.full(RHO.size, 30.0)).run()
    assert eos.results.zero_pressure_density.valid
    ax = eos.plot()
    _check_no_empty_curve(ax)
    assert any(label.startswith("a ρ^") for label, _ in _drawn(ax)[0])


PRESSURES = np.array([1.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0])


def test_tait_not_converged_draws_no_curve():
    # a scatter that grows with pressure, without a trend: the Tait fit does not converge
    volumes = np.array([1000.0, 1000.5, 999.0, 1001.0, 998.0, 1002.0])
    tait = TaitCompressibility(PRESSURES, volumes).run()
    kappa = tait.results.compressibility
    assert not kappa.valid and not np.isfinite(tait.results.C)
    assert "did not converge" in kappa.verdict
    ax = tait.plot()
    _check_no_empty_curve(ax)
    assert "Tait" not in [label for label, _ in _drawn(ax)[0]]


@pytest.mark.parametrize("kappa_per_bar", [4e-5, 1e-4])
def test_tait_fit_drawn(kappa_per_bar):
    b = 1500.0
    v = 1000.0 * (1.0 - kappa_per_bar * b * np.log1p((PRESSURES - 1.01325) / b))
    v = v + np.random.default_rng(1).normal(0.0, 0.05, v.size)
    tait = TaitCompressibility(PRESSURES, v, volume_errors=np.full(v.size, 0.05)).run()
    ax = tait.plot()
    _check_no_empty_curve(ax)
    assert "Tait" in [label for label, _ in _drawn(ax)[0]]


@pytest.mark.parametrize("alpha", [1e-3, 0.0])
def test_thermal_expansion_line_drawn(alpha):
    t = np.linspace(280.0, 380.0, 6)
    rho = 1.2 * np.exp(-alpha * (t - 330.0)) + np.random.default_rng(2).normal(0, 2e-3, t.size)
    fit = ThermalExpansion(t, rho, np.full(t.size, 2e-3)).run()
    _check_no_empty_curve(fit.plot())
