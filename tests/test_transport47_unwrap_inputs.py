"""unwrap_trajectory, find_wrapping_jump and count_far_steps refuse what they cannot unwrap.

Found by probing the public ``carriers.unwrap_trajectory``: a zero box ([0, 0, 0, 90, 90,
90]) divided by zero and returned NaN from frame 1 on; a NaN position returned NaN for every
later frame; boxes of fewer frames than the positions were paired silently; one box (6,)
raised "iteration over a 0-d array", (T, 3, 3) cell matrices a numpy broadcasting error, a
singular cell LinAlgError, zero frames IndexError, and a ``start`` of the wrong shape was
broadcast over the atoms.
"""

import numpy as np
import pytest

from mda_electrolyte.carriers import count_far_steps, find_wrapping_jump, unwrap_trajectory

BOX = [10.0, 10.0, 10.0, 90.0, 90.0, 90.0]


def track():
    pos = np.zeros((4, 2, 3))
    pos[:, 0, 0] = [1.0, 9.5, 0.5, 9.8]
    return pos, np.array([BOX] * 4)


EXPECTED = [1.0, -0.5, 0.5, -0.2]


@pytest.mark.parametrize(
    "boxes",
    [
        np.array([BOX] * 4),
        [BOX] * 4,
        np.array(BOX),
        BOX,
        np.array([BOX] * 4, dtype=np.float32),
        # a box that changes: the fractional path
        np.array(
            [BOX, [10.0, 10.0, 10.0, 90.0, 90.0, 90.0], BOX, [10, 10, 10, 90, 90, 90]], dtype=int
        ),
    ],
)
def test_boxes_as_given(boxes):
    pos, _ = track()
    assert unwrap_trajectory(pos, boxes)[:, 0, 0] == pytest.approx(EXPECTED)


def test_changing_box_unwraps_in_fractions():
    pos, boxes = track()
    boxes = boxes.copy()
    boxes[2, :3] = 10.5
    out = unwrap_trajectory(pos, boxes)
    assert np.all(np.isfinite(out))
    assert out[1, 0, 0] == pytest.approx(-0.5)


@pytest.mark.parametrize(
    ("row", "box"),
    [
        (0, [0.0, 0.0, 0.0, 90.0, 90.0, 90.0]),
        (2, [0.0, 0.0, 0.0, 90.0, 90.0, 90.0]),
        (1, [np.nan] * 6),
        (3, [10.0, 10.0, np.inf, 90.0, 90.0, 90.0]),
        (1, [10.0, 10.0, 10.0, 0.0, 90.0, 90.0]),
        (0, [10.0, 10.0, -10.0, 90.0, 90.0, 90.0]),
    ],
)
def test_frames_without_a_box_named(row, box):
    pos, boxes = track()
    boxes = boxes.copy()
    if row == 0:
        boxes[:] = box  # every frame: the constant-box path
    else:
        boxes[row] = box
    first = 0 if row == 0 else row
    with pytest.raises(ValueError, match=rf"frame {first} has no box"):
        unwrap_trajectory(pos, boxes)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("frame", [0, 2])
def test_non_finite_positions_refused(bad, frame):
    pos, boxes = track()
    pos[frame, 1, 2] = bad
    with pytest.raises(ValueError, match="positions contain NaN or infinite values"):
        unwrap_trajectory(pos, boxes)


@pytest.mark.parametrize(
    ("positions", "boxes"),
    [
        (np.zeros((4, 2, 3)), np.zeros((3, 6)) + BOX),
        (np.zeros((4, 2, 3)), np.zeros((5, 6)) + BOX),
        (np.zeros((4, 2, 3)), np.repeat(np.eye(3)[None] * 10, 4, axis=0)),
        (np.zeros((4, 3)), np.zeros((4, 6)) + BOX),
        (np.zeros((4, 2, 2)), np.zeros((4, 6)) + BOX),
    ],
)
def test_shapes_named(positions, boxes):
    with pytest.raises(ValueError, match="must have shape|are needed"):
        unwrap_trajectory(positions, boxes)
    if positions.ndim == 3 and positions.shape[2] == 3:
        for judge in (find_wrapping_jump, count_far_steps):
            with pytest.raises(ValueError, match=r"boxes of shape \(T, 6\) are needed"):
                judge(positions, boxes)


@pytest.mark.parametrize("start", [np.zeros(3), np.zeros((3, 3)), np.full((2, 3), np.nan)])
def test_start_of_another_shape_or_not_finite_refused(start):
    pos, boxes = track()
    with pytest.raises(
        ValueError,
        match=r"start must be finite unwrapped positions of shape "
        r"\(2, 3\)",
    ):
        unwrap_trajectory(pos, boxes, start=start)


def test_start_continues_a_track():
    pos, boxes = track()
    out = unwrap_trajectory(pos, boxes, start=pos[0] + [[10.0, 0, 0], [0, 0, 0]])
    assert out[:, 0, 0] == pytest.approx(np.add(EXPECTED, 10.0))


def test_zero_and_one_frames():
    pos, boxes = track()
    assert unwrap_trajectory(pos[:0], boxes[:0]).shape == (0, 2, 3)
    one = unwrap_trajectory(pos[:1], boxes[:1])
    assert np.array_equal(one, pos[:1]) and one is not pos
