"""95 % intervals of series means called valid cover the truth, with and without equilibration
detection (mda_electrolyte.uncertainty.equilibrated_series_mean).

The threshold of 50 estimated independent samples passes the series whose own statistical
inefficiency came out low, whether or not a start was searched: without detection the error
was not widened, and over AR(1) series near the threshold (φ = 0.9, 1000 samples: 53 true
independent samples; 0.95, 2000; 0.5, 200) the t intervals of the valid means covered
0.92-0.94 of the truth; widened as after detection, 0.95-0.98.
Coverage is counted over fixed-seed replicas and compared with 0.95 within four binomial
standard deviations of the number of valid means.
"""

import math

import numpy as np
import pytest
from scipy.signal import lfilter

from ase_electrolyte.estimate import Estimate
from mda_electrolyte.uncertainty import equilibrated_series_mean


def _ar1(rng, n, phi):
    """Stationary AR(1) series of mean 0 (unit variance)."""
    e = rng.normal(size=n) * math.sqrt(1.0 - phi * phi)
    e[0] = rng.normal()
    return lfilter([1.0], [1.0, -phi], e)


def _coverage(phi, n, replicas, detect, seed):
    """(valid means, of which the 95 % t interval holds 0)."""
    rng = np.random.default_rng(seed)
    valid = covered = 0
    for _ in range(replicas):
        r = equilibrated_series_mean(_ar1(rng, n, phi), detect=detect)
        if r.notes:
            continue
        valid += 1
        lo, hi = Estimate(r.mean, r.error, "1", "series mean", dof=r.dof).interval(0.95)
        covered += lo <= 0.0 <= hi
    return valid, covered


def _assert_near_95(valid, covered):
    margin = 4.0 * math.sqrt(0.95 * 0.05 / valid)
    assert abs(covered / valid - 0.95) < margin, (covered, valid)


@pytest.mark.parametrize("phi, n", [(0.9, 1000), (0.95, 2000)])
def test_means_near_the_threshold_without_detection_cover_95_percent(phi, n):
    # about two thirds of these pass the threshold
    valid, covered = _coverage(phi, n, replicas=600, detect=False, seed=3)
    assert valid >= 300
    _assert_near_95(valid, covered)


def test_means_near_the_threshold_with_detection_cover_95_percent():
    valid, covered = _coverage(0.9, 1000, replicas=300, detect=True, seed=4)
    assert valid >= 120
    _assert_near_95(valid, covered)


@pytest.mark.parametrize("detect", [False, True])
def test_short_white_noise_is_not_widened_past_95_percent(detect):
    # white noise (g at its floor of 1) is widened least (1.16 at 60 estimated independent
    # samples): white noise of 60 samples passes the threshold at about 60
    valid, covered = _coverage(0.0, 60, replicas=500, detect=detect, seed=5)
    assert valid >= 250
    _assert_near_95(valid, covered)


def test_detection_off_is_widened_as_detection_on_for_a_stationary_series():
    # a series whose detected start is 0: both paths give the same mean, error and dof
    rng = np.random.default_rng(8)
    x = _ar1(rng, 3000, 0.5)
    on, off = equilibrated_series_mean(x), equilibrated_series_mean(x, detect=False)
    if on.t0 != 0:
        pytest.fail(f"the test series should be equilibrated from the start (t0 = {on.t0})")
    assert off.mean == on.mean
    assert off.dof == pytest.approx(on.dof, rel=0.2)
    assert off.error == pytest.approx(on.error, rel=0.2)


def test_without_detection_only_a_mean_that_passes_the_threshold_is_widened():
    from mda_electrolyte.uncertainty import _small_sample_widening, timeseries_mean

    rng = np.random.default_rng(6)
    x = _ar1(rng, 1500, 0.9)
    r = equilibrated_series_mean(x, detect=False)
    mean, bare, g = timeseries_mean(x)
    assert (r.mean, r.g, r.t0) == (mean, g, 0)
    assert not r.notes and r.n_independent >= 50
    widening = _small_sample_widening(r.n_independent, r.g)
    # the one widening (g-aware, steep in n: 1.07 at 79 independent samples) is seen
    assert widening > 1.05
    assert r.error == pytest.approx(bare * widening, rel=1e-12)
    # the same series below a raised threshold is not selected by it: its plain error
    short = equilibrated_series_mean(x, detect=False, min_independent=10 * r.n_independent)
    assert short.notes[-1].startswith("too short")
    assert short.error == bare
