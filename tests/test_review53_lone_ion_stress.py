"""intramolecular_stress of single-atom molecules (ions) whose forces are rounding.

A lone ion's isolated force is zero but for rounding (a Coulomb sum over its own images gave
9.4e-33 eV/Å), which is all of its atoms' sum: the relative net-force rule refused every such
frame, and IntraInterErrors of a salt with a neutralising background failed on frame 0. Forces
at rounding level are force-free; a real net force (0.01 eV/Å) on the same ion is still refused.
"""

import numpy as np
import pytest

from mda_electrolyte.force_decomposition import intramolecular_stress

POS = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0],
                [6.0, 6.0, 6.0]])
MASSES = np.array([6.94, 16.0, 1.0, 1.0, 35.45])
IDS = np.array([0, 1, 1, 1, 2])


def _forces(ion_force):
    f = np.zeros((5, 3))
    # a bent molecule's internal forces: opposite pairs along the bonds, zero net and torque
    for i, j, k in [(1, 2, 0.7), (1, 3, -0.4), (2, 3, 0.2)]:
        bond = POS[j] - POS[i]
        f[i] += k * bond
        f[j] -= k * bond
    f[0] = ion_force
    f[4] = -np.asarray(ion_force) * 0.5
    return f


@pytest.mark.parametrize("size", [0.0, 1e-33, 1e-20, 1e-9])
def test_ions_with_rounding_forces_are_force_free(size):
    stress = intramolecular_stress(_forces([size, -size, size]), POS, MASSES, IDS, 1000.0)
    free = intramolecular_stress(_forces([0.0, 0.0, 0.0]), POS, MASSES, IDS, 1000.0)
    assert np.all(np.isfinite(stress))
    np.testing.assert_allclose(stress, free, atol=1e-12)


@pytest.mark.parametrize("size", [1e-2, 1.0])
def test_an_ion_with_a_real_force_is_refused(size):
    with pytest.raises(ValueError, match="molecule 0 has a net force"):
        intramolecular_stress(_forces([size, 0.0, 0.0]), POS, MASSES, IDS, 1000.0)
