"""``excluded_volume`` reshaped its positions to (-1, 3): a (3, 2) array was taken as two atoms
of other coordinates, a (2, 2) one failed in numpy's reshape ("cannot reshape array of size
4"), and a position of 1e200 Å overflowed inside scipy's k-d tree ("The value of p too large").
Positions of another shape than (n, 3), and positions or radii beyond MAX_COORDINATE, are
refused naming them; the volumes of valid input are those of the analytic unions of spheres."""
import math

import numpy as np
import pytest

from ase_electrolyte.atoms_checks import MAX_COORDINATE
from ase_electrolyte.build import excluded_volume


@pytest.mark.parametrize("shape", [(3, 2), (2, 2), (1, 4), (3,), (6,), (2, 3, 1), (1, 1, 3)])
def test_another_shape_is_refused(shape):
    with pytest.raises(ValueError, match=r"positions must have shape \(n, 3\)"):
        excluded_volume(np.zeros(shape), 1.0)


@pytest.mark.parametrize("positions, radius", [
    ([[1e200, 0, 0], [0, 0, 0]], 1.0),
    ([[0, 0, -2 * MAX_COORDINATE]], 1.0),
    ([[0, 0, 0]], 2 * MAX_COORDINATE),
])
def test_coordinates_beyond_any_molecule_are_refused(positions, radius):
    with pytest.raises(ValueError, match="no molecule lies"):
        excluded_volume(positions, radius)


@pytest.mark.parametrize("d", [0.0, 0.5, 1.0, 1.5, 2.5])
@pytest.mark.parametrize("r", [0.7, 1.0, 1.6])
def test_two_spheres_against_the_lens_formula(r, d):
    d *= r
    lens = math.pi * (4 * r + d) * (2 * r - d) ** 2 / 12 if d < 2 * r else 0.0
    exact = 2 * 4 / 3 * math.pi * r**3 - lens
    assert excluded_volume(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, d]]), r) == pytest.approx(
        exact, rel=0.01)


def test_no_atom_has_no_volume():
    assert excluded_volume(np.zeros((0, 3)), 1.0) == 0.0
    assert excluded_volume([], 1.0) == 0.0
