"""Descriptors of frames with no feature are refused by name, before any selection.

d_optimal_selection and farthest_point_sampling took rows of zero features (a descriptor model
that returned nothing) into numpy's "zero-size array to reduction operation maximum which has
no identity"; rows with features are selected as before.
"""
import numpy as np
import pytest

from ase_electrolyte.active_learning import d_optimal_selection, farthest_point_sampling

SELECTIONS = [lambda d, n: d_optimal_selection(d, n)[0], farthest_point_sampling]


@pytest.mark.parametrize("select", SELECTIONS, ids=["d_optimal", "fps"])
@pytest.mark.parametrize("shape", [(10, 0), (1, 0), (3, 0)])
@pytest.mark.parametrize("as_list", [False, True])
def test_frames_without_features_are_refused_by_name(select, shape, as_list):
    d = np.zeros(shape)
    with pytest.raises(ValueError, match=r"no feature"):
        select(d.tolist() if as_list else d, 1)


@pytest.mark.parametrize("select, expected", zip(SELECTIONS, [[1, 3], [0, 3]], strict=True),
                         ids=["d_optimal", "fps"])
def test_one_feature_per_frame_is_enough(select, expected):
    # along one feature D-optimality takes the two ends; farthest-point sampling from frame 0
    # (0.3) takes the end farthest from it (1.0)
    d = np.array([[0.3], [0.0], [0.5], [1.0], [0.7]])
    assert sorted(select(d, 2)) == expected
