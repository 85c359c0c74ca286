"""Errors over 5-9 frames: correlation between consecutive frames measured, or the error marked.

Over fewer than 10 frames the lag-1 correlation of the values, estimated about their mean, lies
far below the true one (0.9 over 5 frames reads 0.17), and the first-order bias correction
used from 10 frames on is no longer one. Before, AR(1) frames of φ = 0.9 over 5-9 frames were
all called valid with RMSE z-scores of standard deviation 3.2-4.4 (one-sigma coverage
0.13-0.27). Now the estimate is judged against its exact expectation; where the values per
frame are too few to tell correlated frames from independent ones (one energy per frame, a few
atoms), the error is marked "too few frames to measure correlation".
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_error_metrics_correlated_frames import TRUE_RMSE, _replicas, _scores  # noqa: E402

from mda_electrolyte.error_metrics import (  # noqa: E402
    _expected_lag1,
    _lag1_of_expected,
    error_estimates,
    fit_estimates,
)


@pytest.mark.parametrize("n_frames, rho", [(4, 0.0), (5, 0.6), (7, 0.9), (9, 0.3)])
def test_the_expected_lag1_estimate_is_that_of_many_simulated_series(n_frames, rho):
    # reference: the pooled lag-1 estimate of 20000 AR(1) series of n frames about their mean
    rng = np.random.default_rng(n_frames)
    x = np.empty((n_frames, 20000))
    x[0] = rng.normal(size=20000)
    for k in range(1, n_frames):
        x[k] = rho * x[k - 1] + np.sqrt(1 - rho**2) * rng.normal(size=20000)
    d = x - x.mean(axis=0)
    pooled = np.sum(d[:-1] * d[1:]) / np.sum(d * d)
    # the pooled estimate's scatter is about 1/sqrt(20000 (n - 1)) < 0.004
    assert _expected_lag1(rho, n_frames) == pytest.approx(pooled, abs=0.02)
    if rho == 0.0:
        assert _expected_lag1(0.0, n_frames) == pytest.approx(-1.0 / n_frames, abs=1e-12)
    # and the inverse reads ρ back
    assert _lag1_of_expected(_expected_lag1(rho, n_frames), n_frames) == pytest.approx(
        rho, abs=1e-6)


@pytest.mark.parametrize("n_frames", [5, 7, 9])
def test_strongly_correlated_frames_of_many_atoms_are_found_over_few_frames(n_frames):
    rmse, slope = _scores(_replicas(n_frames, 0.9, 40, seed=n_frames, n_atoms=100))
    for estimates in (rmse, slope):
        assert sum(e.valid for e in estimates) == 0
        assert all(e.verdict.startswith("correlated frames") for e in estimates)


@pytest.mark.parametrize("n_frames", [5, 7, 9])
def test_independent_frames_of_many_atoms_stay_valid_and_calibrated(n_frames):
    rmse, slope = _scores(_replicas(n_frames, 0.0, 80, seed=10 + n_frames, n_atoms=100))
    for estimates, truth in ((rmse, TRUE_RMSE), (slope, 0.8)):
        valid = [e for e in estimates if e.valid]
        # a lag-1 test at 4 standard errors: measured 100 % valid over 100 replicas
        assert len(valid) >= 76
        z = np.array([(e.value - truth) / e.stderr for e in valid])
        # t-scaled errors of n - 1 = 4-8 degrees of freedom: one-sigma coverage near 0.68
        # (measured 0.62-0.77); binomial margin over 76-80 replicas about ±0.11
        assert 0.5 <= np.mean(np.abs(z) < 1) <= 0.88


@pytest.mark.parametrize("n_frames", [5, 7, 9])
def test_few_values_per_frame_cannot_tell_and_say_so(n_frames):
    # ten atoms over five frames, one energy per frame over 5-9: a correlation of φ = 0.9 is
    # no further from independence than the scatter of its estimate
    rng = np.random.default_rng(n_frames)
    energies = rng.normal(size=n_frames)
    rmse, rrmse = error_estimates(energies, energies + rng.normal(scale=0.5, size=n_frames),
                                  "meV/atom")
    # the RMSE of so few squared errors is not valid for that reason already
    assert not rmse.valid and rmse.verdict.startswith("too few values")
    assert not rrmse.valid and rrmse.verdict.startswith("too few frames to measure correlation")
    assert f"{n_frames} frames of 1 value(s)" in rrmse.verdict
    assert np.isfinite(rrmse.value) and rrmse.stderr > 0
    # nine stress components per frame: enough squared errors, still too few to tell
    x = rng.normal(size=(n_frames, 9))
    rmse, _ = error_estimates(x, x + rng.normal(scale=0.5, size=x.shape), "eV/Å^3",
                              component_axes=1)
    assert not rmse.valid and rmse.verdict.startswith("too few frames to measure correlation")
    if n_frames == 5:
        rmse, slope = _scores(_replicas(5, 0.9, 20, seed=3, n_atoms=10))
        for est in (*rmse, *slope):
            assert not est.valid
            assert est.verdict.startswith(("too few frames to measure correlation",
                                           "correlated frames"))


def test_ten_frames_are_judged_as_before_and_an_exact_model_stays_exact():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(10, 1))
    rmse, _ = error_estimates(x, x + rng.normal(scale=0.5, size=x.shape), "meV/atom")
    assert "measure correlation" not in rmse.verdict
    # a perfect model over 5 frames has an exact error of 0: nothing to calibrate, valid
    few = rng.normal(size=(5, 2))
    rmse, rrmse = error_estimates(few, few, "eV/Å", component_axes=1)
    assert rmse.valid and rmse.value == 0.0 and rrmse.valid
    fits = fit_estimates(few, 0.9 * few, "eV/Å")
    assert fits["slope_origin"].valid and fits["slope_origin"].value == pytest.approx(0.9)
