"""The one jackknife of the analyses (error metrics, volume-scan minimum, RDF peak height):
exact on statistics whose leave-one-out values are known, calibrated over replicas."""
import math

import numpy as np
import pytest
from scipy import stats

from mda_electrolyte.uncertainty import jackknife_error, t_factor


@pytest.mark.parametrize("n", [3, 8, 40])
def test_the_jackknife_of_a_mean_is_its_t_scaled_standard_error(n):
    x = np.random.default_rng(n).normal(size=n)
    err = jackknife_error(lambda keep: x[keep].mean(), n)
    assert err == pytest.approx(x.std(ddof=1) / math.sqrt(n) * t_factor(n - 1), rel=1e-12)


def test_blocks_leave_their_samples_out_together():
    # blocks of 2 equal samples: the jackknife over blocks is that of the block means
    rng = np.random.default_rng(1)
    means = rng.normal(size=6)
    x = np.repeat(means, 2)
    blocks = [np.array([2 * k, 2 * k + 1]) for k in range(6)]
    by_block = jackknife_error(lambda keep: x[keep].mean(), x.size, blocks)
    assert by_block == pytest.approx(jackknife_error(lambda keep: means[keep].mean(), 6),
                                     rel=1e-12)
    # left out one by one, the 12 copies would pass for 12 independent samples: smaller
    assert jackknife_error(lambda keep: x[keep].mean(), x.size) < by_block


def test_no_error_from_one_block_or_an_undefined_leave_out():
    x = np.array([1.0, 2.0, 3.0])
    assert math.isnan(jackknife_error(lambda keep: x[keep].mean(), 3, [np.arange(3)]))
    assert math.isnan(jackknife_error(lambda keep: x[keep].mean(), 1))
    # the ratio is undefined without the one sample whose denominator is non-zero
    y = np.array([0.0, 0.0, 1.0])
    assert math.isnan(jackknife_error(lambda keep: 1.0 / y[keep].sum(), 3))


def test_the_jackknife_of_a_ratio_is_calibrated_over_replicas():
    # ratio of means of 10 samples: its 95 % t interval covers the true ratio 2 in 95 %
    covered, trials = 0, 1000
    q = stats.t.ppf(0.975, 9) / t_factor(9)
    for seed in range(trials):
        rng = np.random.default_rng(seed)
        a = rng.normal(20.0, 1.0, size=10)
        b = rng.normal(10.0, 0.5, size=10)
        ratio = a.mean() / b.mean()
        err = jackknife_error(lambda keep, a=a, b=b: a[keep].mean() / b[keep].mean(), 10)
        covered += abs(ratio - 2.0) <= q * err
    p = 0.95
    assert abs(covered / trials - p) <= 4 * math.sqrt(p * (1 - p) / trials), covered
