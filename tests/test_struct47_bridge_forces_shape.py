"""``from_ase`` on frames whose calculator holds forces that are not one vector per atom.

Before: a frame with ``SinglePointCalculator(atoms, forces=<(7, 3) array>)`` for 8 atoms (or
a flat or transposed array) gave a Universe without forces and without a word; the force
analyses then said only that there were none.
"""

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.singlepoint import SinglePointCalculator

from mda_electrolyte import from_ase


def _frame(forces=None):
    atoms = molecule("H2O") + molecule("H2O")
    atoms.positions[3:] += 3.0
    atoms.center(vacuum=4.0)
    atoms.pbc = True
    if forces is not None:
        atoms.calc = SinglePointCalculator(atoms, energy=0.0, forces=forces)
    return atoms


@pytest.mark.parametrize(
    "forces", [np.ones((5, 3)), np.ones((7, 3)), np.ones(18), np.ones((3, 6)), np.ones((6, 2))]
)
@pytest.mark.parametrize("frame", [0, 1])
def test_forces_of_another_shape_are_refused_naming_the_frame(forces, frame):
    frames = [_frame(np.zeros((6, 3))), _frame(np.zeros((6, 3)))]
    frames[frame] = _frame(forces)
    with pytest.raises(ValueError, match=rf"frame {frame}: its calculator holds forces of shape"):
        from_ase(frames)


def test_forces_of_every_atom_are_read_in_kj_per_mol_per_angstrom():
    forces = np.arange(18.0).reshape(6, 3) / 10.0
    u = from_ase([_frame(forces), _frame(forces)])
    assert u.trajectory.ts.has_forces
    # 1 eV/Å = 96.485 kJ/(mol·Å)
    assert np.allclose(u.trajectory.ts.forces, forces * 96.485332, rtol=1e-5)
