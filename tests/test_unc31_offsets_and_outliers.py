"""Estimators on series with a large offset, one wild sample, or masked/NaN/ragged input.

Before: pymbar's autocorrelation of 1e16 + white noise (the data centred by its rounded mean)
gave a statistical inefficiency of 838 instead of 1 (timeseries_mean), and the mean of 200
estimates of 1e16 + noise of 8 was off by 0.16 (0.3 error bars, mean_error). Every estimator
now hands pymbar, and sums the squares of, the deviations from one of the series' own samples
(exact by Sterbenz' lemma), so the same series at any offset gives the same g and error.
A sample 1e6 standard deviations out was averaged in, valid (5000 ± 5300 of noise of 1);
masked samples were averaged in with the data under the mask; ragged committee forces failed
inside numpy.
"""

import math

import numpy as np
import pytest
from scipy.signal import lfilter

from ase_electrolyte.committee import committee_spread
from mda_electrolyte.frame_estimates import frame_average
from mda_electrolyte.uncertainty import (
    detect_equilibration,
    equilibrated_series_mean,
    linear_slope,
    mean_error,
    outlier_note,
    segment_estimate,
    timeseries_mean,
)


def _ar1(n, phi, seed, step):
    """AR(1) noise rounded to multiples of ``step``: exactly representable at the offsets used."""
    rng = np.random.default_rng(seed)
    x = lfilter([1.0], [1.0, -phi], rng.normal(size=n))
    return np.round(3.0 * x / step) * step


@pytest.mark.parametrize("offset, step", [(1e6, 2.0**-20), (1e12, 2.0**-8), (1e15, 0.25),
                                          (-1e16, 2.0)])
@pytest.mark.parametrize("phi", [0.0, 0.8])
def test_an_offset_changes_no_error_and_no_inefficiency(offset, step, phi):
    x = _ar1(600, phi, 7, step)
    y = x + offset
    assert np.array_equal(y - offset, x)  # the same series, exactly
    m, e, g = timeseries_mean(y)
    m0, e0, g0 = timeseries_mean(x)
    assert g == pytest.approx(g0, rel=1e-6) and e == pytest.approx(e0, rel=1e-6)
    assert m - offset == pytest.approx(m0, abs=2 * abs(np.spacing(offset)) + 1e-9 * e0)
    s, s0 = equilibrated_series_mean(y, trend=True), equilibrated_series_mean(x, trend=True)
    assert (s.t0, s.notes) == (s0.t0, s0.notes)
    assert s.g == pytest.approx(s0.g, rel=1e-6) and s.error == pytest.approx(s0.error, rel=1e-6)
    assert detect_equilibration(y)[0] == detect_equilibration(x)[0]
    t = np.arange(x.size, dtype=float)
    fit, fit0 = linear_slope(t, y), linear_slope(t, x)
    assert fit.slope == pytest.approx(fit0.slope, rel=1e-6)
    assert fit.error == pytest.approx(fit0.error, rel=1e-6)
    f, f0 = frame_average(y, 20), frame_average(x, 20)
    assert f.stderr == pytest.approx(f0.stderr, rel=1e-6) and f.verdict == f0.verdict
    blocks = x[:40]
    me, me0 = mean_error(blocks + offset), mean_error(blocks)
    assert me[1] == pytest.approx(me0[1], rel=1e-6)
    assert me[0] - offset == pytest.approx(me0[0], abs=2 * abs(np.spacing(offset)) + 1e-9 * me0[1])


def test_one_wild_sample_is_named_and_the_mean_not_valid():
    x = np.random.default_rng(3).normal(size=200)
    assert not equilibrated_series_mean(x).notes and frame_average(x, 20).valid
    x[57] = 1e6
    series = equilibrated_series_mean(x)
    assert any(n.startswith("outlier: sample 57 ") for n in series.notes)
    frames = frame_average(x, 20)
    assert not frames.valid and "outlier: frame 57 " in frames.verdict
    segments = segment_estimate(np.r_[x[:9], 1e7], "S/m", n_runs=1, n_blocks=10)
    assert not segments.valid and "outlier: segment 9 " in segments.verdict


def test_skewed_and_heavy_tailed_samples_are_not_called_outliers():
    # the largest of chi-square(1) samples reaches ~700 robust standard deviations at 5 samples
    rng = np.random.default_rng(11)
    draws = [rng.normal, rng.exponential, lambda size: rng.chisquare(1, size),
             lambda size: rng.lognormal(0.0, 1.0, size), lambda size: rng.standard_t(3, size)]
    flagged = sum(outlier_note(draw(size=n)) is not None
                  for draw in draws for n in (5, 10, 40, 400) for _ in range(60))
    assert flagged == 0


@pytest.mark.parametrize("call", [
    lambda x: timeseries_mean(x), lambda x: equilibrated_series_mean(x),
    lambda x: detect_equilibration(x), lambda x: mean_error(x),
    lambda x: frame_average(x, 20), lambda x: linear_slope(np.arange(x.size, dtype=float), x),
])
def test_masked_and_missing_samples_are_refused_by_index(call):
    x = np.random.default_rng(4).normal(size=120)
    masked = np.ma.masked_array(x, mask=np.arange(x.size) == 57)
    with pytest.raises(ValueError, match="masked value.*index 57"):
        call(masked)
    # a mask that hides nothing is the plain data
    assert np.all(np.ma.getmaskarray(np.ma.masked_array(x, mask=False)) == 0)
    call(np.ma.masked_array(x, mask=False))
    x[[13, 57]] = [math.nan, math.inf]
    with pytest.raises(ValueError, match="indices 13, 57"):
        call(x)


def test_committee_members_of_different_sizes_are_named():
    with pytest.raises(ValueError, match=r"rows have different lengths \(\(2, 3\), \(3, 3\)\)"):
        committee_spread([1.0, 2.0], [np.zeros((2, 3)), np.zeros((3, 3))])
    with pytest.raises(ValueError, match=r"at least 2 members"):
        committee_spread([1.0], np.zeros((1, 2, 3)))
