"""frame_average of finite per-frame values of any magnitude: the same result, scaled.

Values near 1e308 are finite, but their sum overflowed: the mean read inf and the blocks' means
NaN, refused as "the estimates to average are NaN or infinite" although every input was finite.
The average is now taken in units of the largest magnitude (as the time-series means of
:mod:`mda_electrolyte.uncertainty` are).
"""

import numpy as np
import pytest

from mda_electrolyte.frame_estimates import frame_average


def _series(n=200, seed=0):
    x = 0.5 + 0.1 * np.random.default_rng(seed).normal(size=n)
    return x / np.abs(x).max()


@pytest.mark.parametrize("scale", [1e-300, 1e-30, 1e30, 1e300, 1e307, 1.7e308, -1.7e308])
@pytest.mark.parametrize("n", [12, 60, 200])
def test_the_estimate_scales_with_the_values(scale, n):
    x = _series(n)
    ref = frame_average(x, 20)
    est = frame_average(x * scale, 20)
    assert np.isfinite(est.value) and np.isfinite(est.stderr)
    assert est.value == pytest.approx(ref.value * scale, rel=1e-12)
    assert est.stderr == pytest.approx(ref.stderr * abs(scale), rel=1e-9)
    # (the method may differ where the block and inefficiency errors tie within rounding)
    assert est.notes == ref.notes and est.converged == ref.converged


def test_values_at_the_largest_floats_are_averaged_not_refused():
    x = np.full(40, np.finfo(float).max)
    # frames picked at random: every third frame made a periodic series, whose error is
    # unknown (frame_average's "periodic" verdict)
    x[np.random.default_rng(0).random(40) < 0.35] *= 0.5
    est = frame_average(x, 20)
    assert est.value == pytest.approx(x.mean(dtype=np.longdouble), rel=1e-12)
    assert np.isfinite(est.stderr) and est.stderr > 0
