"""A model's mean pressure over frames is valid only where the frames can show their correlation.

Before, ``MeanPressure.estimate`` took the larger of the t-scaled standard error and the
statistical-inefficiency error of the one pressure per frame, valid from 5 frames: over 400
AR(1) series of lag-1 correlation 0.9 (consecutive MD frames) the mean of 10-20 frames was
called valid in 54-57 % of replicas with z-scores of standard deviation 4.8-6.8, and of 100
frames in 94 % (1.64). One value per frame shows a correlation only from 54 frames on, and a
correlated series needs 20 independent frames (error_metrics' rules for one energy per frame).
"""

import numpy as np
import pytest

from ase_electrolyte.density_alignment import MeanPressure

TRUE_MEAN = 100.0  # bar


def _series(n, phi, rng):
    x = np.empty(n)
    x[0] = rng.standard_normal()
    for k in range(1, n):
        x[k] = phi * x[k - 1] + np.sqrt(1 - phi**2) * rng.standard_normal()
    return TRUE_MEAN + 30.0 * x


def _estimates(n, phi, replicas, seed=0):
    rng = np.random.default_rng(seed)
    return [MeanPressure(0.0, 0.0, _series(n, phi, rng)).estimate for _ in range(replicas)]


@pytest.mark.parametrize("n, phi", [(10, 0.9), (20, 0.9), (20, 0.0), (53, 0.0)])
def test_frames_too_few_to_show_correlation_give_no_valid_mean(n, phi):
    for est in _estimates(n, phi, 40):
        assert not est.valid
        # where the series itself looks correlated, that is the reason given
        assert ("too few frames to measure correlation" in est.verdict
                or "too few independent frames" in est.verdict), est.verdict
        assert np.isfinite(est.value) and est.unit == "bar"


@pytest.mark.parametrize("n, phi", [(100, 0.9), (60, 0.9)])
def test_strongly_correlated_frames_are_rarely_valid(n, phi):
    ests = _estimates(n, phi, 100)
    assert np.mean([e.valid for e in ests]) < 0.1
    assert any("correlated" in e.verdict for e in ests if not e.valid)


@pytest.mark.parametrize("n", [54, 100])
def test_independent_frames_from_54_on_are_valid_and_calibrated(n):
    ests = _estimates(n, 0.0, 150, seed=n)
    assert np.mean([e.valid for e in ests]) > 0.95
    z = np.abs([(e.value - TRUE_MEAN) / e.stderr for e in ests if e.valid])
    assert 0.58 <= np.mean(z < 1) <= 0.8
    assert np.mean(z < 2) >= 0.9
