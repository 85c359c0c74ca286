"""One slope error (:func:`mda_electrolyte.uncertainty.linear_slope`) for the energy drift and
the equilibration drift test, calibrated on positively correlated and oscillating noise.

The drift test of ``equilibrated_series_mean`` took the slope's error from pymbar's statistical
inefficiency of the residuals, which stops at the first negative autocorrelation: over 200
replicas of a damped random oscillation (AR(2), period 10 samples, in white noise) its z-scores
had a standard deviation of 0.37 (0.14-0.37 up to period 25), the drift's jackknife 0.9-1.1.
``_relaxation_note`` fitted its 80 transient shapes one vector product at a time (160 BLAS
calls: 8.0 s of CPU over 126 series against 1.05 s now, identical notes; a 20000-sample
``compressibility_from_fluctuations`` median 0.128 -> 0.110 s, worst 0.37 -> 0.14 s, under load).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from scipy.signal import lfilter

from mda_electrolyte import uncertainty as u


def _ar1(rng, phi, n):
    return lfilter([1.0], [1.0, -phi], rng.normal(size=n + 500))[500:] * math.sqrt(1 - phi**2)


def _oscillation(rng, period, n, r=0.95):
    w = 2 * np.pi / period
    y = lfilter([1.0], [1.0, -2 * r * np.cos(w), r * r], rng.normal(size=n + 1000))[1000:]
    return y / y.std() + 0.3 * rng.normal(size=n)


def _g_slope_error(y):
    """The drift test's former error: residual variance times pymbar's g (t-scaled)."""
    n = y.size
    t = np.arange(n) - (n - 1) / 2
    b = t @ (y - y.mean()) / (t @ t)
    r = y - y.mean() - b * t
    g = max(float(u._timeseries().statistical_inefficiency(r, fast=False)), u._inefficiency(r))
    return math.sqrt(r @ r / (n - 2) * g / (t @ t)) * u.t_factor(max(n / g - 2, 1))


@pytest.mark.parametrize("kind", ["ar1", "oscillation"])
def test_slope_error_is_calibrated_over_replicas(kind):
    rng = np.random.default_rng(24)
    n, slope = 1000, 2e-4
    t = np.arange(n, dtype=float)
    z, z_g, alarms = [], [], 0
    for _ in range(150):
        noise = _ar1(rng, 0.5, n) if kind == "ar1" else _oscillation(rng, 10, n)
        fit = u.linear_slope(t, noise + slope * t)
        z.append((fit.slope - slope) / fit.error)
        z_g.append((fit.slope - slope) / _g_slope_error(noise + slope * t))
        alarms += u.linear_slope(t, noise).p_value < 0.01
    z, z_g = np.array(z), np.array(z_g)
    # oscillations: pymbar's g of the residuals, an upper bound there, sizes the blocks a little
    # long (z standard deviation 0.72-0.93, one-sigma coverage up to 0.87 measured)
    assert (0.8 if kind == "ar1" else 0.62) < z.std() < 1.25
    assert 0.58 < np.mean(np.abs(z) < 1) < (0.8 if kind == "ar1" else 0.9)
    assert alarms <= 5  # nominal 1 %: 1.5 expected of 150
    if kind == "oscillation":
        # the former error counted none of the anticorrelation: 2.5 times or more too large
        assert z_g.std() < 0.45


def test_slope_matches_least_squares_and_jackknife_by_hand():
    rng = np.random.default_rng(3)
    t = np.linspace(0.0, 7.0, 400)
    y = 0.3 * t + rng.normal(size=t.size)
    fit = u.linear_slope(t, y)
    assert fit.slope == pytest.approx(np.polyfit(t, y, 1)[0], rel=1e-12)
    blocks = np.array_split(np.arange(t.size), fit.n_blocks)
    loo = np.array([np.polyfit(np.delete(t, b), np.delete(y, b), 1)[0] for b in blocks])
    k = fit.n_blocks
    # the jackknife's degrees of freedom are those of a sum weighted by each block's leverage
    tc = t - t.mean()
    w = np.array([tc[b] @ tc[b] for b in blocks])
    dof = w.sum() ** 2 / (w @ w) - 1
    assert fit.dof == pytest.approx(dof, rel=1e-12) and 0.5 * k < dof + 1 < 0.6 * k
    by_hand = math.sqrt((k - 1) / k * np.sum((loo - loo.mean()) ** 2)) * u.t_factor(dof)
    assert fit.error == pytest.approx(by_hand, rel=1e-9)
    assert 10 <= k <= 40


def test_too_short_series_has_no_error_and_no_trend_verdict():
    rng = np.random.default_rng(5)
    y = _ar1(rng, 0.95, 300)  # g ~ 40: 10 blocks of 2 g need ~800 samples
    fit = u.linear_slope(np.arange(300.0), y)
    assert math.isnan(fit.error) and fit.needed > 300 and math.isnan(fit.p_value)
    assert u._trend_note(y, 0) is None


def test_energy_drift_uses_the_shared_slope():
    from ase_electrolyte.md import _drift_estimate

    rng = np.random.default_rng(8)
    time_ps = np.arange(600) * 0.01
    energy = 1e-3 * (_oscillation(rng, 10, 600) + 0.05 * time_ps)  # eV, 1 atom
    est = _drift_estimate(time_ps, energy, 1, ensemble="nve", timestep_fs=1.0, where="x")
    fit = u.linear_slope(time_ps, (energy - energy[0]) * 1000.0)
    assert est.value == pytest.approx(fit.slope, rel=1e-12)
    assert est.stderr == pytest.approx(fit.error, rel=1e-12)
    assert est.dof == fit.dof


def _old_relaxation_shapes(t, yc):
    """The loop the vectorised search replaced (one shape at a time)."""
    n = t.size
    best = {}
    for frac in u._RELAXATION_TIMES:
        for kind in ("relaxation", "ramp"):
            e = u._shape(kind, t, frac * n)
            ec = e - e.mean()
            see = float(ec @ ec)
            if see <= 0.0:
                continue
            a = float(ec @ yc) / see
            if kind not in best or a * a * see > best[kind][0]:
                best[kind] = (a * a * see, frac * n)
    return best


def test_vectorised_transient_search_picks_the_same_fits():
    rng = np.random.default_rng(11)
    spent_old = spent_new = 0.0
    for n in (8, 50, 1000, 9000):
        for amp in (0.0, 1.0, 3.0):
            t = np.arange(n, dtype=float)
            y = _ar1(rng, 0.9, n) + amp * np.exp(-t / (0.2 * n))
            yc = y - y.mean()
            start = time.process_time()
            old = _old_relaxation_shapes(t, yc)
            spent_old += time.process_time() - start
            start = time.process_time()
            new = u._best_shapes(t, yc)
            spent_new += time.process_time() - start
            assert new.keys() == old.keys()
            for kind in old:
                assert new[kind][1] == old[kind][1]  # the same time constant, exactly
                assert new[kind][0] == pytest.approx(old[kind][0], rel=1e-9)
    print(f"transient search CPU: loop {spent_old:.3f} s, vectorised {spent_new:.3f} s")
