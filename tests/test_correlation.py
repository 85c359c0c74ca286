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


@pytest.mark.parametrize("n_lags", [2.5, True, "3", np.nan])
def test_n_lags_must_be_a_whole_number(n_lags):
    # 2.5 was truncated to 2, True read as 1 and "3" as 3
    for function in (time_correlation, mean_squared_displacement):
        with pytest.raises(ValueError, match="n_lags must be a whole number"):
            function(np.arange(10.0), n_lags=n_lags)


@pytest.mark.parametrize("flag", ["no", 0, None])
def test_sum_columns_must_be_a_flag(flag):
    # "no" is truthy: the columns were summed
    from ase_electrolyte.atoms_checks import FlagError

    for function in (time_correlation, mean_squared_displacement):
        with pytest.raises(FlagError, match="sum_columns"):
            function(np.ones((10, 3)), sum_columns=flag)


def test_a_correlation_that_overflows_is_refused():
    # 1e200² is not a float64: the ACF was [inf, nan, nan]
    with pytest.raises(ValueError, match="overflows float64"):
        time_correlation(np.array([1e200, -1e200, 1e200, 0.0]))
    assert np.all(np.isfinite(time_correlation(np.array([1e150, -1e150, 1e150, 0.0]))))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_fit_line_refuses_non_finite_points(bad):
    # gave a NaN slope, intercept and r²
    x = np.arange(10.0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        fit_line(x, np.where(x == 3, bad, x))
    with pytest.raises(ValueError, match="NaN or infinite"):
        fit_line(np.where(x == 3, bad, x), x)


def test_check_sampling_refuses_bad_spacing_and_non_finite_acf():
    from mda_electrolyte.correlation import check_sampling

    acf = np.array([1.0, 0.8, 0.5, 0.2])
    # a NaN spacing was reported as resolved
    for dt in (np.nan, 0.0, -0.1, "0.1"):
        with pytest.raises(ValueError, match="dt"):
            check_sampling(acf, dt)
    # a NaN ACF was said to be "zero at the origin"
    with pytest.raises(ValueError, match="NaN or infinite"):
        check_sampling(np.array([1.0, np.nan, 0.5]), 0.1)
    for threshold in (np.nan, 0.0, 1.5):
        with pytest.raises(ValueError, match="threshold"):
            check_sampling(acf, 0.1, threshold=threshold)


def test_plateau_verdict_needs_two_lags():
    from mda_electrolyte.correlation import plateau_verdict

    time = np.arange(10.0)
    rising = np.vstack([time, 2 * time, 3 * time])
    # one lag: drift 0 ± 0 and "converged" for a rising integral
    with pytest.raises(ValueError, match="holds 1 lag"):
        plateau_verdict(time, rising, slice(5, 6))
    assert not plateau_verdict(time, rising + np.array([[0.0], [0.1], [-0.1]]),
                               slice(5, 7))["converged"]


def _whole(monkeypatch, *args, **kwargs):
    """``time_correlation`` by one FFT of the whole series (the blocked path switched off)."""
    with monkeypatch.context() as m:
        m.setattr(correlation, "_BLOCKED_MIN_FRAMES", 2**62)
        return time_correlation(*args, **kwargs)


@pytest.mark.parametrize("n_frames", [64, 100, 257])
@pytest.mark.parametrize("n_cols", [1, 4])
def test_blocked_correlation_equals_the_whole_series_fft(monkeypatch, n_frames, n_cols):
    """Blocks of time origins (overlap-add) give the whole-series correlation to round-off:
    1 and m columns, summed or not, a and b different, n_lags 1, 2, T/8, and blocks that end
    exactly at T (64 = 8 blocks of 8) or not."""
    rng = np.random.default_rng(n_frames + n_cols)
    a = rng.normal(size=(n_frames, n_cols)) + 0.3  # a mean: C(k) far from zero at every lag
    b = np.roll(a, 3, axis=0) + rng.normal(size=(n_frames, n_cols))
    monkeypatch.setattr(correlation, "_BLOCKED_MIN_FRAMES", 16)
    monkeypatch.setattr(correlation, "_BLOCK_MIN", 8)
    for n_lags in sorted({1, 2, 3, n_frames // 8}):
        for second in (None, b):
            for summed in (True, False):
                got = time_correlation(a, second, n_lags=n_lags, sum_columns=summed)
                want = _whole(monkeypatch, a, second, n_lags=n_lags, sum_columns=summed)
                assert got.shape == want.shape == ((n_lags,) if summed else (n_lags, n_cols))
                scale = np.max(np.abs(want))
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * scale,
                                           err_msg=f"n_lags={n_lags} summed={summed}")
    # and the definition itself, lag by lag, where the blocks hold 4 * n_lags origins
    np.testing.assert_allclose(time_correlation(a, b, n_lags=n_frames // 8),
                               direct_correlation(a, b, n_frames // 8), rtol=1e-12, atol=1e-12)


def test_blocked_path_at_the_default_switch_and_its_overflow(monkeypatch):
    """At the default switch (T >= 65536, n_lags <= T/8) the blocked path is taken and agrees
    with the definition; an overflow is refused there as on the whole-series path."""
    rng = np.random.default_rng(7)
    n = correlation._BLOCKED_MIN_FRAMES
    a = rng.normal(size=(n, 2))
    b = 0.5 * np.roll(a, 2, axis=0) + rng.normal(size=(n, 2))
    calls = []
    blocked = correlation._blocked_products
    monkeypatch.setattr(correlation, "_blocked_products",
                        lambda *args: calls.append(args[2]) or blocked(*args))
    got = time_correlation(a, b, n_lags=5, sum_columns=False)
    assert calls == [5]
    want = np.array([np.mean(a[: n - k] * b[k:], axis=0) for k in range(5)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert got[2].sum() == pytest.approx(1.0, abs=0.03)  # ⟨a·0.5 a⟩ over 2 columns
    # one lag more than T/8, or one sample fewer than the switch: the whole-series FFT
    time_correlation(a, b, n_lags=n // 8 + 1)
    time_correlation(a[1:], b[1:], n_lags=5)
    assert calls == [5]
    huge = np.zeros((n, 1))
    huge[::3] = 1e200
    with pytest.raises(ValueError, match="overflows float64"):
        time_correlation(huge, n_lags=4)
    assert calls == [5, 4]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_anywhere_are_refused(bad):
    # the check is by min and max (no boolean copy of the series): every position and sign
    for where in (0, 5, -1):
        x = np.ones((10, 3))
        x[where, 1] = bad
        for function in (time_correlation, mean_squared_displacement):
            with pytest.raises(ValueError, match="x|a contains NaN or infinite"):
                function(x)
        with pytest.raises(ValueError, match="b contains NaN or infinite"):
            time_correlation(np.ones((10, 3)), x)


@pytest.mark.parametrize("n_frames", [40, 41])
def test_whole_series_fft_pads_to_t_plus_lags_without_wrap_around(n_frames):
    """Padding to T + n_lags - 1 (not 2T): no lag returned wraps around, up to n_lags = T, for
    auto- and cross-correlations, summed or per column."""
    rng = np.random.default_rng(n_frames)
    a = rng.normal(size=(n_frames, 2)) + 1.0  # a mean: a wrapped-in term would show
    b = rng.normal(size=(n_frames, 2)) - 2.0
    for n_lags in (1, 2, n_frames // 2 + 1, n_frames - 1, n_frames):
        for second in (a, b):
            want = np.array([np.mean(a[: n_frames - k] * second[k:], axis=0)
                             for k in range(n_lags)])
            auto = second is a
            got = time_correlation(a, None if auto else second, n_lags=n_lags,
                                   sum_columns=False)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(
                time_correlation(a, None if auto else second, n_lags=n_lags),
                want.sum(axis=1), rtol=1e-12, atol=1e-12)


def test_squares_that_overflow_are_one_clear_error_not_nan_or_warnings():
    import warnings

    from mda_electrolyte.correlation import fit_line

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy overflow warnings came before (or instead)
        # the MSD: "overflow encountered in multiply" warnings, then the correlation's error
        for x in (np.array([0.0, 1e300, -1e300, 0.0]), np.array([0.0, 1e200, 0.0, 1e200])):
            with pytest.raises(ValueError, match="mean-squared displacement overflows"):
                mean_squared_displacement(x)
        # fit_line returned NaN slope, intercept and R² (or a NaN R² beside a finite slope)
        for x, y in (([0, 1e200, 2e200], [0, 1e200, 3e200]), ([0, 1, 2], [0, 1e200, 3e200])):
            with pytest.raises(ValueError, match="fit_line: the points overflow"):
                fit_line(x, y)
        # large but representable: exact
        assert fit_line([0, 1, 2], [0, 1e150, 2e150])[0] == pytest.approx(1e150)
        assert mean_squared_displacement(np.array([0.0, 1e150]))[1] == pytest.approx(1e300)


def test_helpers_refuse_malformed_input_with_a_message():
    from mda_electrolyte.correlation import (
        check_sampling,
        check_segment_lags,
        independence_notes,
        loglog_slope,
    )

    # a 2-D autocorrelation: numpy's "truth value of an array ... is ambiguous"
    with pytest.raises(ValueError, match="one value per lag"):
        check_sampling(np.ones((3, 3)), 0.1)
    # all-zero lag times put every lag in the window; decreasing ones were "a -9 ps segment"
    for time in (np.zeros(10), -np.arange(10.0), np.array([0.0, 1, 1, 2, 3])):
        with pytest.raises(ValueError, match="must increase"):
            fit_window_slice(time, (0.1, 0.9), None)
    # a NaN in the MSD was masked out and the slope of the other lags (1.0) reported
    t = np.arange(6.0)
    for msd in (np.array([0, 1, np.nan, 3, 4, 5.0]), np.array([0, 1, np.inf, 3, 4, 5.0])):
        with pytest.raises(ValueError, match="NaN or infinite"):
            loglog_slope(t, msd, slice(0, 6))
    assert loglog_slope(t, t**2, slice(1, 6)) == pytest.approx(2.0)
    # a NaN spacing: "cannot convert float NaN to integer"; a spacing that is not positive
    # skips the checks in ps (the callers refuse frames out of time order by name), the
    # fractions are still checked
    for dt in (np.nan, 0.0, -1.0, np.inf):
        assert check_segment_lags(10, dt, where="GK", max_lag=0.5) is None
        with pytest.raises(ValueError, match="holds 1 lag;"):
            check_segment_lags(10, dt, where="GK", fit_window=(0.1, 0.2))
    with pytest.raises(ValueError, match="frame spacing dt"):
        check_segment_lags(10, "0.1", where="GK", max_lag=0.5)
    with pytest.raises(ValueError, match="max_lag = 2.0 ps needs"):
        check_segment_lags(10, 0.1, where="GK", max_lag=2.0)
    with pytest.raises(ValueError, match="rows of a segment"):
        check_segment_lags(10.5, 0.1, where="GK", max_lag=0.5)
    # empty runs, n_blocks 0, NaN or empty series: min() of an empty sequence, a
    # ZeroDivisionError, a NaN counted as 20 independent samples, a reshape error
    good = [np.random.default_rng(0).normal(size=(200, 3))]
    assert independence_notes(good, 2, "the current") == []
    for runs, n_blocks, match in (([], 2, "no series"), (good, 0, "n_blocks"),
                                  ([np.full((20, 3), np.nan)], 2, "NaN or infinite"),
                                  ([np.ones((0, 3))], 2, "no samples")):
        with pytest.raises(ValueError, match=match):
            independence_notes(runs, n_blocks, "the current")
    # one sample is still a verdict ("too short"), not an error
    assert independence_notes([np.ones((1, 3))], 1, "the current")[0].startswith("too short")
