"""Farthest-point and D-optimal selection of descriptors of any magnitude.

Before: descriptors scaled by 1e-20 or 1e-200 fell below the absolute constant-column floor
(1e-12) and those scaled by 1e200 overflowed in the variances: every column read as constant
and both selections returned one frame, warning that the others were copies (D-optimal: any
n frames with log-determinant 0). Rows of unequal length ended in numpy's "setting an array
element with a sequence". Now the selections are invariant to one common factor and ragged
rows are refused by name.
"""

import warnings

import numpy as np
import pytest

from ase_electrolyte.active_learning import d_optimal_selection, farthest_point_sampling

_D = np.random.default_rng(0).normal(size=(8, 3))


@pytest.mark.parametrize("factor", [1e-200, 1e-20, 1e-13, 1e13, 1e200])
def test_selections_do_not_depend_on_the_descriptors_magnitude(factor):
    want_fps = farthest_point_sampling(_D, 4)
    want_dopt, want_logdet = d_optimal_selection(_D, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "only 1 have distinct descriptors"
        assert farthest_point_sampling(_D * factor, 4) == want_fps
        # an offset common to all frames changes nothing either
        assert farthest_point_sampling(_D * factor + 7.0 * factor, 4) == want_fps
        picked, logdet = d_optimal_selection(_D * factor, 3)
    assert picked == want_dopt
    assert logdet == pytest.approx(want_logdet, rel=1e-9)
    assert len(set(want_fps)) == 4


@pytest.mark.parametrize("select", [farthest_point_sampling, d_optimal_selection])
def test_rows_of_unequal_length_are_refused_by_name(select):
    with pytest.raises(
        ValueError,
        match=r"descriptors must be a 2D array of numbers, one row "
        r"of equal length per frame",
    ):
        select([[1.0, 2.0], [3.0]], 1)
