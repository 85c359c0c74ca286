"""linear_slope (the one slope error of the package: MD energy drift, density and volume
trends) refuses times that do not increase, naming the sample: all times equal gave a NaN slope
without a word, and unsorted times a finite slope with a NaN error (the jackknife's blocks are
spans of time)."""

import numpy as np
import pytest

from mda_electrolyte.uncertainty import linear_slope

N = 400


def _times(kind):
    t = np.arange(float(N))
    if kind == "equal":
        return np.full(N, 3.0)
    if kind == "repeated":
        t[200] = t[199]
        return t
    if kind == "swapped":
        t[[100, 101]] = t[[101, 100]]
        return t
    return t[::-1].copy()  # "decreasing"


@pytest.mark.parametrize("kind, sample", [("equal", 1), ("repeated", 200), ("swapped", 101),
                                          ("decreasing", 1)])
def test_times_that_do_not_increase_are_refused_by_sample(kind, sample):
    y = np.random.default_rng(0).normal(size=N)
    with pytest.raises(ValueError, match=f"times must increase.*sample {sample} "):
        linear_slope(_times(kind), y)


def test_increasing_times_keep_their_numbers():
    # uneven but increasing spacing is a valid fit: the slope of an exact line, and noise's
    # slope error finite
    rng = np.random.default_rng(2)
    t = np.cumsum(rng.uniform(0.5, 1.5, size=N))
    assert linear_slope(t, 2.0 + 0.25 * t).slope == pytest.approx(0.25, rel=1e-12)
    fit = linear_slope(t, rng.normal(size=N))
    assert np.isfinite(fit.slope) and np.isfinite(fit.error) and fit.error > 0
    one = linear_slope([0.0], [1.0])
    assert np.isnan(one.slope)
