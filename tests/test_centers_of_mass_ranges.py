"""``centers_of_mass`` over the whole range of masses and coordinates, and its bad inputs.

Before, masses of 1e308 (another unit, a scaled topology) summed to inf and every centre came out
NaN with only a RuntimeWarning; coordinates of 1e308 Å times their masses overflowed to inf;
NaN or infinite coordinates gave NaN centres without a word; positions of shape (n, 2) were an
IndexError. Now a centre is the mass-weighted mean (``numpy.average`` per molecule, the
reference here) whatever the unit of mass, finite wherever the coordinates are, and bad
coordinates are named.
"""

import numpy as np
import pytest

from mda_electrolyte.molecules import centers_of_mass

RNG = np.random.default_rng(7)
IDS = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3])
POSITIONS = RNG.uniform(-20.0, 20.0, (IDS.size, 3))
MASSES = RNG.uniform(1.0, 32.0, IDS.size)


def _reference(positions, masses, ids):
    return np.array([np.average(positions[ids == m], axis=0, weights=masses[ids == m])
                     for m in range(ids.max() + 1)])


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e-3, 1.0, 1e3, 1e150, 1e300, 1.7e308 / 32])
def test_centres_do_not_depend_on_the_unit_of_mass(scale):
    com = centers_of_mass(POSITIONS, MASSES * scale, IDS)
    np.testing.assert_allclose(com, _reference(POSITIONS, MASSES, IDS), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("offset", [0.0, 1e6, -1e12, 1e300, -1.7e308])
def test_centres_follow_a_translation_without_overflow(offset):
    shifted = POSITIONS * (1.0 if abs(offset) < 1e299 else 0.0) + offset
    com = centers_of_mass(shifted, MASSES, IDS)
    assert np.all(np.isfinite(com))
    np.testing.assert_allclose(com, _reference(shifted / max(1.0, abs(offset)), MASSES, IDS)
                               * max(1.0, abs(offset)), rtol=1e-12, atol=1e-9)


def test_a_massless_site_beside_massive_atoms_does_not_move_the_centre():
    masses = MASSES.copy()
    masses[1] = 0.0  # a virtual site (TIP4P's M)
    com = centers_of_mass(POSITIONS, masses, IDS)
    np.testing.assert_allclose(com, _reference(POSITIONS, masses, IDS), rtol=1e-12)


@pytest.mark.parametrize("bad, named", [
    (np.nan, r"atom 4 has non-finite coordinates \[nan"),
    (np.inf, r"atom 4 has non-finite coordinates \[inf"),
])
def test_non_finite_coordinates_are_named(bad, named):
    positions = POSITIONS.copy()
    positions[4, 0] = bad
    with pytest.raises(ValueError, match=named):
        centers_of_mass(positions, MASSES, IDS)


@pytest.mark.parametrize("shape", [(IDS.size, 2), (IDS.size,), (IDS.size, 3, 1)])
def test_positions_of_another_shape_are_refused_by_name(shape):
    with pytest.raises(ValueError, match=r"positions must have shape \(n_atoms, 3\)"):
        centers_of_mass(np.zeros(shape), MASSES, IDS)


def test_the_callers_arrays_are_not_changed():
    positions, masses = POSITIONS.copy(), MASSES * 1e300
    before = positions.copy(), masses.copy()
    centers_of_mass(positions, masses, IDS)
    np.testing.assert_array_equal(positions, before[0])
    np.testing.assert_array_equal(masses, before[1])
