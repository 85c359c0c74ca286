"""velocity_temperature with dof=0 returned 0 K for moving atoms.

2K over no degrees of freedom has no value: velocities with kinetic energy that counts
(internal motion with com_removed, any motion without) are refused by name; velocities whose
only motion is not counted still give 0 K.
"""

import numpy as np
import pytest

from ase_electrolyte.md import velocity_temperature


@pytest.mark.parametrize(
    "masses, velocities, com_removed",
    [
        ([1.0], [[1.0, 0.0, 0.0]], False),                       # one moving atom
        ([1.0, 2.0], [[1.0, 0, 0], [0, 0, 0]], True),            # internal motion
        ([12.0, 1.0], [[0, 0, 0], [0, 0, 1e-3]], False),
        ([1.0, 1.0], np.stack([np.zeros((2, 3)), np.eye(3)[:2]]), True),  # 2nd frame moves
        (np.array([4.0]), np.array([[0.0, 0.0, -3.0]]), False),
    ],
)
def test_zero_dof_with_motion_is_refused(masses, velocities, com_removed):
    with pytest.raises(ValueError, match="dof .*= 0, but the velocities carry kinetic"):
        velocity_temperature(masses, velocities, 0, com_removed)


@pytest.mark.parametrize("dof", [0, np.int64(0), 0.0])
def test_zero_dof_without_counted_motion_is_zero_kelvin(dof):
    # one atom whose only motion is its centre of mass', or atoms at rest
    assert velocity_temperature([1.0], [[1.0, 2.0, 3.0]], dof, True) == 0.0
    assert velocity_temperature([1.0, 2.0], np.zeros((2, 3)), dof, False) == 0.0
    # a rigid translation of two atoms
    t = velocity_temperature([1.0, 2.0], [[0.5, 0, 0], [0.5, 0, 0]], dof, True)
    assert t == 0.0


def test_positive_dof_unchanged():
    from ase import units

    v = np.array([[1.0, 0, 0], [-1.0, 0, 0]]) * 0.01
    t = velocity_temperature([1.0, 1.0], v, 3)
    assert t == pytest.approx(2e-4 / (3 * units.kB), rel=1e-12)


@pytest.mark.parametrize("masses, velocities, match", [
    ([True, True], [[1.0, 0, 0], [0, 0, 0]], "masses .*must be real numbers"),
    ([1.0, 1.0], [[True, False, False], [0, 0, 0]], "velocities must be real numbers"),
    (["1", "1"], [[1.0, 0, 0], [0, 0, 0]], "masses .*must be real numbers"),
    ([1.0, 1.0], [[1 + 1j, 0, 0], [0, 0, 0]], "velocities: complex values"),
    (np.array([1, 1], dtype=bool), np.zeros((2, 3)), "masses"),
])
def test_non_numbers_refused(masses, velocities, match):
    # flags and number strings were read as numbers, complex values failed in float()
    with pytest.raises(ValueError, match=match):
        velocity_temperature(masses, velocities, 3, False)


def test_integer_and_float32_inputs_agree():
    v = np.array([[0.01, 0.0, 0.0], [0.0, -0.02, 0.0]])
    t = velocity_temperature([1.0, 2.0], v, 3, False)
    assert velocity_temperature(np.array([1, 2]), v.astype(np.float32), np.int64(3),
                                False) == pytest.approx(t, rel=1e-6)
