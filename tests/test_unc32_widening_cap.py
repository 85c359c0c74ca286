"""The small-sample widening of count-selected means stays bounded below its calibrated range.

A demo temperature of 6.5 independent samples (mean 319.6 K, plain error 2.5 K) was shown as
± 5442 K: the widening's seventh power in 1/n had no bound below the 50-sample threshold.
"""
import math

import numpy as np
import pytest
from scipy import stats

from mda_electrolyte import uncertainty as U


def _ar1(rng, g, n):
    phi = (g - 1.0) / (g + 1.0)
    x = np.empty(n)
    x[0] = rng.normal()
    noise = rng.normal(size=n) * math.sqrt(1.0 - phi * phi)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + noise[i]
    return x


@pytest.mark.parametrize("g", [1.0, 1.3, 3.0, 20.0])
def test_widening_below_the_threshold_is_its_value_at_the_threshold(g):
    at_threshold = U._small_sample_widening(U.MIN_INDEPENDENT_SAMPLES, g)
    for n in (0.5, 3.0, 6.5, 20.0, 49.9):
        assert U._small_sample_widening(n, g) == pytest.approx(at_threshold, rel=1e-12)
    # unchanged where it was calibrated: the formula of its docstring
    w = min(1.0, 2.0 * (g - 1.0))
    for n in (50.0, 60.0, 100.0, 1000.0):
        expected = math.sqrt(1.0 + (1.0 - w) * (U._WHITE_WIDENING / n) ** 2
                             + w * (U._CORRELATED_WIDENING / n) ** 7)
        assert U._small_sample_widening(n, g) == pytest.approx(expected, rel=1e-12)


def test_short_series_error_stays_near_the_standard_error_over_replicas():
    # AR(1) with g = 3 and 10 true independent samples, equilibration detected: the mean is
    # "too short", but its error must still say how far it is from the truth (0): within a
    # factor 3 of the true standard error, and its 95 % intervals not far from 95 %
    rng = np.random.default_rng(7)
    n_true, g = 10, 3.0
    true_se = math.sqrt(g / (n_true * g)) * math.sqrt(1.0)  # sqrt(g / N), N = n_true * g
    errors, hits = [], 0
    for _ in range(120):
        s = U.equilibrated_series_mean(_ar1(rng, g, int(n_true * g)))
        assert any(note.startswith("too short") for note in s.notes)
        errors.append(s.error)
        dof = max(s.n_independent - 1.0, 1.0)
        hits += abs(s.mean) < stats.t.ppf(0.975, dof) * s.error
    median = float(np.median(errors))
    assert true_se / 3.0 < median < 3.0 * true_se, (median, true_se)
    assert 0.8 <= hits / 120 <= 1.0
