"""Selections refuse descriptors they cannot use, naming the frames.

Before: a NaN or infinite descriptor (a frame the descriptor model failed on) was refused as
"descriptors must be finite", naming neither the frame nor the cure, and a 1D or empty array
as "descriptors must be a non-empty 2D array" without the shape given. Now the frames holding
non-finite values are listed with the cure, and the shape is named; the caller's array is
left as it was.
"""

import numpy as np
import pytest

from ase_electrolyte.active_learning import d_optimal_selection, farthest_point_sampling

_SELECTIONS = [d_optimal_selection, farthest_point_sampling]


def _descriptors(n=8, width=5):
    return np.random.default_rng(0).normal(size=(n, width))


@pytest.mark.parametrize("select", _SELECTIONS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("rows", [[0], [3], [2, 7]])
def test_non_finite_descriptors_name_their_frames(select, bad, rows):
    d = _descriptors()
    d[rows, 1] = bad
    before = d.copy()
    listed = ", ".join(str(k) for k in rows)
    with pytest.raises(ValueError, match=rf"frame\(s\) {listed} \({len(rows)} of 8\) hold NaN "
                                         r"or infinite values; drop those frames"):
        select(d, 2)
    np.testing.assert_array_equal(d, before)  # the caller's descriptors untouched


@pytest.mark.parametrize("select", _SELECTIONS)
@pytest.mark.parametrize("shape", [(5,), (0, 4), (2, 3, 4)])
def test_descriptors_of_the_wrong_shape_are_named(select, shape):
    with pytest.raises(ValueError, match=rf"non-empty 2D array .*got shape \({shape[0]},"):
        select(np.ones(shape), 1)


@pytest.mark.parametrize("select", _SELECTIONS)
def test_the_frames_left_after_dropping_the_named_ones_select_as_alone(select):
    # the cure the message names works: the finite frames select as a set of their own
    d = _descriptors()
    d[4, 0] = np.nan
    keep = [k for k in range(len(d)) if k != 4]
    picked = select(d[keep], 3)
    picked = picked[0] if isinstance(picked, tuple) else picked
    assert len(set(picked)) == 3 and all(0 <= k < 7 for k in picked)
