"""``real_array`` refuses flags among numbers given as a list or tuple.

``np.asarray([True, 1.5])`` is a float64 array ``[1.0, 1.5]``: the flag is gone before the dtype
could show it, so a mask mixed into a series of numbers was taken as the number 1 (or 0).
An array of flags was refused already; a list of them now is too, at any nesting depth.
"""

import numpy as np
import pytest

from mda_electrolyte.uncertainty import real_array

FLAGGED = [
    [True, 1.5],
    [1.5, False],
    (1, np.True_),
    [[1.0, 2.0], [np.False_, 3.0]],
    [np.array([True, False]), np.array([1.0, 2.0])],
    [[1, 2], (3, True)],
]


@pytest.mark.parametrize("values", FLAGGED, ids=range(len(FLAGGED)))
def test_a_flag_among_numbers_is_refused_by_name(values):
    with pytest.raises(ValueError, match=r"series: .*|series must be real numbers, got a flag"):
        real_array(values, "series")


NUMBERS = [
    ([1, 2.5], [1.0, 2.5]),
    ((np.int64(3), np.float32(0.5)), [3.0, 0.5]),
    ([[1, 2], [3, 4]], [[1.0, 2.0], [3.0, 4.0]]),
    ([np.arange(3.0), np.arange(3.0)], [[0.0, 1.0, 2.0]] * 2),
    ([], []),
]


@pytest.mark.parametrize("values, expected", NUMBERS, ids=range(len(NUMBERS)))
def test_numbers_in_lists_still_convert(values, expected):
    out = real_array(values, "series")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, np.asarray(expected, dtype=float))


def test_the_message_shows_the_values_given():
    with pytest.raises(ValueError, match=r"flag \(True/False\).*\[True, 1\.5\]"):
        real_array([True, 1.5], "series")
