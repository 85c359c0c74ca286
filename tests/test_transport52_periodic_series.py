"""Means of a series that repeats itself: no error bar is a result.

A strictly periodic series (a shell toggling every frame, an oscillation sampled in step with
it, the same frames read twice) has an autocorrelation that never decays, so neither block
means nor the statistical inefficiency measure an uncertainty: ``0, 1, 0, 1, ...`` over 1000
frames was 0.5 ± 0 (valid), a sine of period 10 frames 0 ± 5e-16 (valid), of period 50 frames
0 ± 0.17 (valid). The error depended on how the period fell on the blocks.
"""

import math

import numpy as np
import pytest

from mda_electrolyte.frame_estimates import frame_average
from mda_electrolyte.uncertainty import equilibrated_series_mean, periodic_note

_RNG = np.random.default_rng(52)


def _periodic(kind, n=1000):
    i = np.arange(n)
    if kind == "toggle":
        return np.tile([0.0, 1.0], n // 2)
    if kind == "two-two":
        return np.tile([0.25, 0.25, 0.5, 0.5], n // 4)
    if kind.startswith("sine"):
        period = int(kind[4:])
        return 3.0 + np.sin(2 * np.pi * i / period + 0.3)
    if kind == "read twice":
        return np.tile(0.4 + 0.1 * _RNG.normal(size=n // 2), 2)
    if kind == "odd length":
        return np.tile([0.1, 0.3, 0.2], n // 3 + 1)[: n + 1]
    raise AssertionError(kind)


PERIODIC = ["toggle", "two-two", "sine3", "sine10", "sine50", "sine333", "read twice",
            "odd length"]


@pytest.mark.parametrize("kind", PERIODIC)
@pytest.mark.parametrize("scale", [1.0, 1e-9, -1e12])
def test_a_periodic_frame_average_is_not_valid(kind, scale):
    x = _periodic(kind) * scale
    est = frame_average(x, n_ions=20, what="fraction")
    assert not est.converged
    assert math.isnan(est.stderr)
    assert any(n.startswith("periodic: the value repeats every") for n in est.notes)
    # the value itself is still the mean
    assert est.value == pytest.approx(x.mean(), rel=1e-9, abs=1e-12 * abs(scale))


@pytest.mark.parametrize("kind", PERIODIC)
def test_a_periodic_series_mean_is_not_valid(kind):
    x = _periodic(kind)
    r = equilibrated_series_mean(x)
    assert r.notes and r.notes[0].startswith("periodic")
    assert math.isnan(r.error)
    assert r.mean == pytest.approx(x.mean(), rel=1e-12)


@pytest.mark.parametrize("kind, period", [("toggle", 2), ("two-two", 4), ("sine10", 10),
                                          ("sine50", 50), ("read twice", 500),
                                          ("odd length", 3)])
def test_the_period_is_named(kind, period):
    assert f"every {period} frames" in periodic_note(_periodic(kind), "frame")


def _ar1(n, phi, seed):
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n)
    x = np.empty(n)
    x[0] = e[0] / math.sqrt(1 - phi * phi)
    for k in range(1, n):
        x[k] = phi * x[k - 1] + e[k]
    return x


@pytest.mark.parametrize("make", [
    lambda s: np.random.default_rng(s).normal(size=500),
    lambda s: _ar1(2000, 0.9, s),
    # an oscillation with sampled noise on it: its fluctuations are measured
    lambda s: np.sin(np.arange(1000) * 2 * np.pi / 10)
    + 0.05 * np.random.default_rng(s).normal(size=1000),
    # discrete two-state shells
    lambda s: (np.random.default_rng(s).random(300) < 0.3).astype(float),
    # a series that repeats only over more than half the run is not called periodic
    lambda s: np.r_[np.random.default_rng(s).normal(size=600),
                    np.random.default_rng(s).normal(size=600)[:400]],
])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sampled_fluctuations_are_not_called_periodic(make, seed):
    x = make(seed)
    assert periodic_note(x) is None
    est = frame_average(x, n_ions=20)
    assert np.isfinite(est.stderr) and est.stderr > 0
    assert not any(n.startswith("periodic") for n in est.notes)
    r = equilibrated_series_mean(x)
    assert np.isfinite(r.error) and not any(n.startswith("periodic") for n in r.notes)


def test_periodic_frames_do_not_change_the_caller_array():
    x = _periodic("toggle")
    before = x.copy()
    frame_average(x, n_ions=20)
    equilibrated_series_mean(x)
    np.testing.assert_array_equal(x, before)
