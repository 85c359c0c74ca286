"""mean_error of very large estimates: a finite mean and error, or a named error; never inf.

Before: estimates of 1e300-3e300 gave 2e300 ± inf and two of 1e308 a mean of inf (the
squares of the spread, and the sum, overflowed), without a word. Now each slice beyond 1e150
is scaled by a power of two (exact), so its numbers are those of the scaled samples times the
scale to the last bit, and a spread that overflows even so is refused.
"""

import numpy as np
import pytest

from mda_electrolyte.uncertainty import mean_error


@pytest.mark.parametrize("power", [0, 500, 900, 1000])
def test_scaling_by_a_power_of_two_scales_the_mean_and_error_exactly(power):
    samples = np.random.default_rng(8).normal(3.0, 1.5, size=(12, 4))
    mean, err, dof = mean_error(samples)
    big_mean, big_err, big_dof = mean_error(samples * 2.0**power)
    assert dof == big_dof == 11
    np.testing.assert_array_equal(big_mean, mean * 2.0**power)
    np.testing.assert_array_equal(big_err, err * 2.0**power)
    assert np.all(np.isfinite(big_err)) and np.all(big_err > 0)


def test_columns_of_very_different_size_each_keep_their_error():
    small = np.array([1.0, 2.0, 4.0])
    table = np.column_stack([small * 2.0**1000, small, small * 1e-300])
    mean, err, _ = mean_error(table)
    ref_mean, ref_err, _ = mean_error(small)
    np.testing.assert_array_equal(mean[:2], [ref_mean * 2.0**1000, ref_mean])
    np.testing.assert_array_equal(err[:2], [ref_err * 2.0**1000, ref_err])
    # the small column as it always was (no scaling applied to it)
    assert err[2] == pytest.approx(ref_err * 1e-300, rel=1e-12)
    # along the other axis, the same
    mean_t, err_t, _ = mean_error(table.T, axis=1)
    np.testing.assert_array_equal(mean_t, mean)
    np.testing.assert_array_equal(err_t, err)


def test_a_spread_beyond_double_precision_is_refused():
    assert mean_error([1e308, 1e308])[:2] == (1e308, 0.0)
    assert mean_error([1e300, 3e300, 2e300])[0] == pytest.approx(2e300, rel=1e-15)
    with pytest.raises(ValueError, match="overflows double precision"):
        mean_error([1e308, -1e308])
