"""Copies of a frame to float32 rounding are copies: active-learning selection skips them.

Before: ``farthest_point_sampling`` and ``d_optimal_selection`` left out only frames whose
descriptors were bitwise equal to a picked frame's. ``frame_descriptors`` are per-element
means of SevenNet's float32 features, so one frame with its atoms in another order (or
shifted by a lattice vector) differs by float32 rounding (1e-7 relative): of 3 frames and
their rounded copies, 4 picks took a frame and its copy (farthest-point: frames 1 and 4;
D-optimal: 2 and 5) without a word, labelling one structure twice. Now rows within 1e-5 of
the largest descriptor magnitude are copies; frames 1e-3 apart stay distinct.
"""

import warnings

import numpy as np
import pytest

from ase_electrolyte.active_learning import d_optimal_selection, farthest_point_sampling


def _pool(relative):
    rng = np.random.default_rng(0)
    distinct = rng.normal(size=(3, 8))
    # float32 rounding of the same structure's features, or a real (small) difference
    copies = distinct * (1.0 + relative * rng.choice([-1.0, 1.0], size=distinct.shape))
    return np.vstack([distinct, copies])


def _picks(method, d, n):
    if method == "fps":
        return farthest_point_sampling(d, n)
    return d_optimal_selection(d, n)[0]


@pytest.mark.parametrize("method", ["fps", "d_optimal"])
@pytest.mark.parametrize("relative", [1e-12, 1.2e-7, 1e-6])
def test_copies_to_float32_rounding_are_not_picked(method, relative):
    d = _pool(relative)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        picked = _picks(method, d, 4)
    assert sorted(k % 3 for k in picked) == [0, 1, 2]  # one of each structure
    assert any("only 3 have distinct descriptors" in str(w.message) for w in caught)


@pytest.mark.parametrize("method", ["fps", "d_optimal"])
def test_frames_a_little_apart_are_still_distinct(method):
    d = _pool(1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        picked = _picks(method, d, 6)
    assert sorted(picked) == list(range(6))


def test_copies_of_the_first_pick_are_not_picked():
    d = _pool(1e-7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert 3 not in farthest_point_sampling(d, 3, first=0)
        assert 3 not in d_optimal_selection(d, 3, first=0)[0]
