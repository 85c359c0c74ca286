"""FFT correlation and MSD maths against direct O(T²) sums."""

import numpy as np
import pytest

from mda_electrolyte import correlation
from mda_electrolyte.correlation import (
    fit_line,
    fit_window_slice,
    mean_squared_displacement,
    time_correlation,
)


def direct_correlation(a, b, n_lags):
    t = a.shape[0]
    return np.array([np.mean(np.sum(a[: t - k] * b[k:], axis=1)) for k in range(n_lags)])


def test_cross_correlation_is_ordered_and_origin_averaged():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(97, 3))
    b = np.roll(a, 5, axis=0) + 0.1 * rng.normal(size=(97, 3))  # b lags a by 5 frames
    ab = time_correlation(a, b, n_lags=20)
    np.testing.assert_allclose(ab, direct_correlation(a, b, 20), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        time_correlation(b, a, n_lags=20), direct_correlation(b, a, 20), rtol=1e-12, atol=1e-12
    )
    assert np.argmax(ab) == 5
    per_col = time_correlation(a, b, n_lags=20, sum_columns=False)
    np.testing.assert_allclose(per_col.sum(axis=1), ab, rtol=1e-12)


def test_chunked_columns_give_the_same_answer(monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 50))
    whole = time_correlation(x, n_lags=30)
    whole_msd = mean_squared_displacement(np.cumsum(x, axis=0), n_lags=30, sum_columns=False)
    monkeypatch.setattr(correlation, "_CHUNK_BYTES", 16 * 70)  # one column per FFT
    np.testing.assert_allclose(time_correlation(x, n_lags=30), whole, rtol=1e-12)
    np.testing.assert_allclose(
        mean_squared_displacement(np.cumsum(x, axis=0), n_lags=30, sum_columns=False),
        whole_msd,
        rtol=1e-10,
        atol=1e-10,
    )


def test_msd_of_a_large_offset_series_is_accurate():
    """Positions far from the origin must not lose the MSD to cancellation in S1 - 2C."""
    rng = np.random.default_rng(2)
    x = 1e4 + np.cumsum(rng.normal(size=(200, 3)), axis=0)
    direct = np.array([np.mean(np.sum((x[k:] - x[: 200 - k]) ** 2, axis=1)) for k in range(200)])
    np.testing.assert_allclose(mean_squared_displacement(x), direct, rtol=1e-7, atol=1e-8)


def test_fit_line_and_window():
    x = np.linspace(0, 10, 11)
    slope, intercept, r2 = fit_line(x, 3 * x - 2)
    assert (slope, intercept, r2) == pytest.approx((3, -2, 1))
    _, _, r2 = fit_line(x, np.where(x > 5, 1.0, 0.0))
    assert 0 < r2 < 1
    assert fit_window_slice(np.arange(101) * 0.5, (0.1, 0.6), None) == slice(10, 61)
    assert fit_window_slice(np.arange(101) * 0.5, (0.1, 0.6), (2.0, 3.0)) == slice(4, 7)


def test_bad_series():
    with pytest.raises(ValueError, match="NaN"):
        time_correlation(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(ValueError, match="same shape"):
        time_correlation(np.ones((5, 3)), np.ones((5, 2)))
    with pytest.raises(ValueError, match="n_lags"):
        mean_squared_displacement(np.ones((5, 3)), n_lags=6)
