"""Density with equilibration detection, P(ρ) equation of state, Tait compressibility and
thermal expansion on synthetic data with known answers."""

import matplotlib
import numpy as np
import pytest
from scipy.signal import lfilter

from mda_electrolyte import Density, EquationOfState, TaitCompressibility, ThermalExpansion

matplotlib.use("Agg")


def ar1(rng, n, phi, sd):
    """Stationary AR(1) with standard deviation ``sd`` and lag-1 correlation ``phi``."""
    noise = rng.normal(scale=sd * np.sqrt(1 - phi**2), size=n + 200)
    return lfilter([1.0], [1.0, -phi], noise)[200:]


def test_density_discards_the_transient_and_has_calibrated_errors():
    z, t0 = [], []
    for seed in range(30):
        rng = np.random.default_rng(seed)
        rho = 1.25 + ar1(rng, 3000, 0.9, 0.01)
        rho[:300] += 0.05 * np.exp(-np.arange(300) / 60)  # compression transient
        d = Density(rho, dt=0.01).run().results
        z.append((d.density - 1.25) / d.density_err)
        t0.append(d.t0)
        # AR(1) with φ = 0.9: g = (1 + φ)/(1 - φ) = 19
        assert d.valid and 9 < d.statistical_inefficiency < 38
    assert 0.7 <= np.std(z, ddof=1) <= 1.35 and abs(np.mean(z)) < 0.6
    assert np.median(t0) > 0.5  # ps: the transient (e-folding 0.6 ps) is discarded


def test_short_density_series_is_marked():
    rng = np.random.default_rng(1)
    d = Density(1.2 + ar1(rng, 60, 0.95, 0.01), dt=0.01).run().results
    assert not d.valid and "too short" in d.verdict
    with pytest.raises(ValueError, match="dt="):
        Density(np.ones(10))


def test_equation_of_state_zero_pressure_density():
    a, n, b = 2500.0, 6.0, -2000.0  # bar, -, bar with ρ in g/cm³
    rho0 = (-b / a) ** (1 / n)
    rho = np.linspace(0.95, 1.1, 7) * rho0
    z = []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        err = np.full(rho.size, 30.0)
        p = a * rho**n + b + rng.normal(scale=err)
        r = EquationOfState(rho, p, pressure_errors=err).run().results
        z.append((r.rho0 - rho0) / r.rho0_err)
    assert 0.7 <= np.std(z, ddof=1) <= 1.35
    assert r.valid and r.n == pytest.approx(n, rel=0.5)
    assert r.a * r.rho0**r.n + r.b == pytest.approx(0.0, abs=1e-6 * abs(b))
    exact = EquationOfState(rho, a * rho**n + b).run().results
    assert exact.rho0 == pytest.approx(rho0, rel=1e-6)
    assert exact.a == pytest.approx(a, rel=1e-4) and exact.b == pytest.approx(b, rel=1e-4)


def test_equation_of_state_from_pressure_series():
    a, n, b = 2500.0, 6.0, -2000.0
    rho = np.linspace(0.9, 1.1, 5)
    rng = np.random.default_rng(3)
    series = [a * r**n + b + ar1(rng, 4000, 0.8, 200.0) for r in rho]
    eos = EquationOfState(rho, sources=series, dt=0.001).run()
    r = eos.results
    assert abs(r.rho0 - (-b / a) ** (1 / n)) < 3 * r.rho0_err
    assert np.all(r.pressure_errors > 0)
    assert "ρ0" in eos.plot().get_title()
    matplotlib.pyplot.close("all")


def test_tait_compressibility():
    v0, b, c, p0 = 12000.0, 1500.0, 0.09, 1.01325
    p = np.array([1.0, 250, 500, 1000, 2000, 4000])
    v = v0 * (1 - c * np.log1p((p - p0) / b))
    r = TaitCompressibility(p, v).run().results
    assert r.kappa_T == pytest.approx(c / b, rel=1e-5)
    assert r.kappa_T_per_GPa == pytest.approx(1e4 * c / b, rel=1e-5)
    # finite difference of the data at P0
    dv = (v0 * (1 - c * np.log1p(1e-3 / b)) - v0) / 1e-3
    assert r.kappa_T == pytest.approx(-dv / v0, rel=1e-3)
    rng = np.random.default_rng(4)
    noisy = TaitCompressibility(p, v + rng.normal(scale=2.0, size=p.size),
                                volume_errors=np.full(p.size, 2.0)).run().results
    assert abs(noisy.kappa_T - c / b) < 3 * noisy.kappa_T_err


def test_thermal_expansion():
    t = np.array([280.0, 300, 320, 340])
    rho = 1.3 - 1.1e-3 * (t - 300)
    r = ThermalExpansion(t, rho, np.full(4, 1e-4), reference_temperature=300).run().results
    assert r.alpha == pytest.approx(1.1e-3 / 1.3, rel=1e-9)
    assert r.slope_err > 0
    r2 = ThermalExpansion(t, rho + np.array([1, -1, 1, -1]) * 1e-4).run().results
    assert abs(r2.alpha - 1.1e-3 / rho.mean()) < 3 * r2.alpha_err


def test_fixed_volume_density_is_not_a_result():
    # an NVT trajectory's density is the input box's, not a measurement: never valid, never ± 0
    d = Density(np.full(500, 1.21), dt=0.01).run().results
    assert not d.equilibrium_density.valid and not d.valid
    assert "fixed-volume" in d.equilibrium_density.verdict


@pytest.mark.parametrize("series,match", [
    (np.r_[np.full(30, 1.2), np.nan, np.full(29, 1.21)], "1 NaN or infinite sample.*index 30"),
    (np.r_[np.inf, np.full(59, 1.2)], "index 0"),
    (np.array([1.2, 1.21, 1.19]), "at least 4 samples, not 3"),
])
def test_non_finite_or_too_few_samples_are_named(series, match):
    with pytest.raises(ValueError, match=match):
        Density(series, dt=0.01).run()


# unphysical fits: a number that fits the data but cannot be a property of a stable liquid


@pytest.mark.parametrize("sign", [-1.0, 1.0])
def test_tait_with_volume_growing_under_pressure_is_not_valid(sign):
    # pressures paired with volumes in reverse order (or pressures of the wrong sign) gave a
    # negative compressibility marked valid
    p = np.array([1.0, 100.0, 300.0, 500.0, 1000.0, 1500.0, 2000.0])
    v = 1000.0 * (1 - 0.1 * np.log1p((p - 1.01325) / 2000.0))
    # volumes on the exact curve have no scatter to give an error: given with theirs
    # (tests/test_struct51_exact_fits.py)
    good = TaitCompressibility(p, v, volume_errors=np.full(p.size, 0.05)).run().results
    good = good.compressibility
    assert good.valid and good.value == pytest.approx(0.5, rel=1e-6)
    pressures, volumes = (-p, v) if sign < 0 else (p, v[::-1])
    est = TaitCompressibility(pressures, volumes).run().results.compressibility
    assert est.value < 0
    assert not est.valid and "not positive" in est.verdict


def test_equation_of_state_with_pressure_falling_with_density_is_not_valid():
    rho = np.array([1.0, 1.03, 1.07, 1.1, 1.13, 1.17, 1.2])
    # pressures on the exact curve have no scatter to give an error: given with theirs
    good = EquationOfState(rho, 1000 * ((rho / 1.1) ** 7 - 1),
                           pressure_errors=np.full(rho.size, 5.0)).run().results
    assert good.valid and good.rho0 == pytest.approx(1.1, rel=1e-9)
    bad = EquationOfState(rho, -1000 * ((rho / 1.1) ** 7 - 1)).run().results
    assert bad.rho0 == pytest.approx(1.1, rel=1e-9)
    assert not bad.valid and not bad.zero_pressure_density.valid
    assert "negative compressibility" in bad.zero_pressure_density.verdict


@pytest.mark.parametrize("t_ref", [5000.0, 100.0, 279.0, 331.0])
def test_thermal_expansion_extrapolated_to_a_reference_temperature_is_not_valid(t_ref):
    # at 5000 K the fitted density is negative and α changed sign, marked valid
    t = np.array([280.0, 290.0, 300.0, 310.0, 320.0, 330.0])
    rho = 1.2 - 0.0005 * (t - 280.0)
    est = ThermalExpansion(t, rho, reference_temperature=t_ref).run().results.expansivity
    assert not est.valid and "extrapolated" in est.verdict and f"{t_ref:.4g} K" in est.verdict
    for inside in (280.0, 300.0, 330.0):
        # densities on an exact line have no scatter to give an error: given with theirs
        r = ThermalExpansion(t, rho, np.full(t.size, 1e-4),
                             reference_temperature=inside).run().results
        assert r.expansivity.valid
        assert r.alpha == pytest.approx(0.01 / 20 / (1.2 - 0.0005 * (inside - 280)), rel=1e-9)


def test_density_of_an_oscillating_series_uses_all_of_it():
    # equilibration detection put the start 3 samples before the end and the mean failed with
    # "needs at least 4 samples"
    rho = 1.2 + 0.01 * np.array([1.0, -1.0] * 25)
    d = Density(rho, dt=0.01).run().results
    assert d.t0 == 0
    assert d.density == pytest.approx(1.2, rel=1e-12)


def test_tait_fit_that_does_not_converge_is_an_invalid_estimate():
    # scipy's RuntimeError "Optimal parameters not found" came out of run()
    p = np.array([1.0, 100.0, 500.0, 1000.0, 2000.0])
    v = np.array([1008.4, 1005.3, 1002.5, 999.3, 1009.0])
    est = TaitCompressibility(p, v).run().results.compressibility
    assert not est.valid and "did not converge" in est.verdict
    assert np.isnan(est.value)


def test_equation_of_state_fit_that_does_not_converge_is_an_invalid_estimate(monkeypatch):
    from scipy import optimize

    def no_convergence(*args, **kwargs):
        raise RuntimeError("Optimal parameters not found: Number of calls to function has "
                           "reached maxfev = 20000.")

    monkeypatch.setattr(optimize, "curve_fit", no_convergence)
    rho = np.array([1.0, 1.05, 1.1, 1.15, 1.2])
    r = EquationOfState(rho, 1000 * ((rho / 1.1) ** 7 - 1)).run().results
    assert not r.valid and "did not converge" in r.verdict
    assert not r.zero_pressure_density.valid
    assert r.zero_pressure_density.verdict == r.verdict
    assert np.isnan(r.rho0)


@pytest.mark.parametrize("make,doubt", [
    (lambda: TaitCompressibility([1e5, 2e7, 5e7, 1e8], [1000.0, 990.0, 980.0, 970.0]),
     "is it in Pa"),
    (lambda: EquationOfState([1.0, 1.1, 1.2, 1.3], [-3e7, -1e6, 2e6, 4e7]), "is it in Pa"),
    (lambda: ThermalExpansion([20.0, 25.0, 30.0], [1.30, 1.29, 1.28]), "is it in °C"),
])
def test_fits_of_values_in_a_likely_wrong_unit_warn(make, doubt):
    with pytest.warns(UserWarning, match=doubt):
        make()


def test_fits_of_plausible_values_do_not_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TaitCompressibility([1.0, 500.0, 1000.0, 2000.0], [1000.0, 990.0, 980.0, 970.0])
        ThermalExpansion([280.0, 300.0, 320.0], [1.30, 1.29, 1.28])


# fits whose error comes from the residuals of few points (z-score tables in
# mda_electrolyte.uncertainty): valid from 4 degrees of freedom on, or with given errors


def _eos(n):
    rho = np.linspace(1.0, 1.2, n)
    return rho, 1000 * ((rho / 1.1) ** 7 - 1) + 20 * np.cos(7 * np.arange(n))


def _tait(n):
    p = np.linspace(1.0, 3000.0, n)
    return p, 1000.0 * (1 - 0.1 * np.log1p((p - 1.01325) / 2000.0)) + 0.3 * np.cos(7 * np.arange(n))


def _alpha(n):
    t = np.linspace(280.0, 340.0, n)
    return t, 1.2 - 0.001 * (t - 280.0) + 2e-4 * np.cos(7 * np.arange(n))


@pytest.mark.parametrize("fit, n_params, make, estimate", [
    (EquationOfState, 3, _eos, "zero_pressure_density"),
    (TaitCompressibility, 3, _tait, "compressibility"),
    (ThermalExpansion, 2, _alpha, "expansivity"),
])
def test_a_residual_error_needs_four_degrees_of_freedom(fit, n_params, make, estimate):
    for n in range(max(4, n_params + 1), n_params + 6):
        x, y = make(n)
        est = getattr(fit(x, y).run().results, estimate)
        dof = n - n_params
        assert est.valid == (dof >= 4), (n, est.verdict)
        assert np.isfinite(est.value) and est.stderr > 0  # the fit is still there to look at
        if dof < 4:
            unit = "degree" if dof == 1 else "degrees"
            assert est.verdict == (f"too few points: {dof} {unit} of freedom for the residual "
                                   "error (a calibrated error needs at least 4)")
        # the same points with their errors: propagated, valid at any number of points
        errors = np.full(n, {"EquationOfState": 20.0, "TaitCompressibility": 0.3,
                             "ThermalExpansion": 2e-4}[fit.__name__])
        given = getattr(fit(x, y, errors).run().results if fit is ThermalExpansion else
                        fit(x, y, **{("pressure_errors" if fit is EquationOfState
                                      else "volume_errors"): errors}).run().results, estimate)
        assert given.valid, (n, given.verdict)
        assert given.value == pytest.approx(est.value, rel=0.05)


@pytest.mark.parametrize("fit, make, keyword, estimate", [
    (EquationOfState, _eos, "pressure_errors", "zero_pressure_density"),
    (TaitCompressibility, _tait, "volume_errors", "compressibility"),
    (ThermalExpansion, _alpha, "density_errors", "expansivity"),
])
def test_given_errors_that_the_scatter_contradicts_are_not_valid(fit, make, keyword, estimate):
    # errors ten times smaller than the scatter (e.g. means of correlated series taken as
    # independent): propagated, they gave an error bar ten times too small, marked valid
    x, y = make(8)
    small = np.full(8, {"EquationOfState": 0.2, "TaitCompressibility": 0.03,
                        "ThermalExpansion": 2e-5}[fit.__name__])
    est = getattr(fit(x, y, **{keyword: small}).run().results, estimate)
    assert not est.valid
    assert "scatter more than their given errors allow (χ²/dof = " in est.verdict


@pytest.mark.parametrize("p0, extrapolated", [(1.01325, False), (-50.0, False), (5000.0, True),
                                               (-1000.0, True), (1e308, True)])
def test_a_tait_compressibility_far_outside_the_sampled_pressures_is_extrapolated(p0,
                                                                                   extrapolated):
    """κ_T at a P0 beyond the data (more than a tenth of their span) is marked, never valid."""
    p = np.array([100.0, 400.0, 700.0, 1000.0, 1300.0, 1600.0, 2000.0])
    v = 1e4 * (1 - 0.09 * np.log1p((p - 1.01325) / 2000.0))
    est = TaitCompressibility(p, v, volume_errors=np.full(p.size, 0.5),
                              reference_pressure=p0).run().results.compressibility
    assert any(n.startswith("extrapolated: reference pressure") for n in est.notes) is extrapolated
    if extrapolated:
        assert not est.valid


@pytest.mark.parametrize("dt", [1e13, 1e308])
def test_a_density_series_spacing_beyond_any_run_is_refused(dt):
    with pytest.raises(ValueError, match=r"spacing dt \(ps\) of an array of density values"):
        Density(np.full(50, 1.2), dt=dt)
