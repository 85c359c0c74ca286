"""intramolecular_stress: the virial of isolated molecules' forces, checked against ASE's
stress of the same molecules, and refused where the forces are not an isolated molecule's.

Before, forces with a net force or torque per molecule (the whole frame's forces, or positions
of a molecule broken across the box) were symmetrised and returned as an intramolecular stress:
one water wrapped by a box vector gave a stress off by its whole value, without a word.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.lj import LennardJones

from mda_electrolyte.force_decomposition import intramolecular_stress

BOX = 30.0


def _two_molecules():
    """Two bent triatomics 15 Å apart (beyond the LJ cutoff of 6 Å: isolated), their LJ
    forces and stress from ASE."""
    rng = np.random.default_rng(3)
    shape = np.array([[0.0, 0.0, 0.0], [1.1, 0.1, 0.0], [-0.3, 1.05, 0.2]])
    positions = np.concatenate([shape + [5.0, 5.0, 5.0],
                                shape @ np.linalg.qr(rng.normal(size=(3, 3)))[0]
                                + [20.0, 5.0, 5.0]])
    atoms = Atoms("OHH" * 2, positions=positions, cell=[BOX] * 3, pbc=True)
    atoms.calc = LennardJones(sigma=1.0, epsilon=0.1, rc=6.0, smooth=True)
    return atoms, atoms.get_forces(), atoms.get_stress(), np.repeat([0, 1], 3)


def test_the_virial_of_isolated_molecules_is_ases_stress():
    atoms, forces, stress, ids = _two_molecules()
    ours = intramolecular_stress(forces, atoms.positions, atoms.get_masses(), ids,
                                 atoms.get_volume())
    np.testing.assert_allclose(ours, stress, atol=1e-9 * np.abs(stress).max())
    # anywhere in space: the molecules moved by a box vector and a shift
    moved = atoms.positions + [-2.0, 7.0, 1.0]
    moved[3:] += [BOX, 0.0, 0.0]
    np.testing.assert_allclose(intramolecular_stress(forces, moved, atoms.get_masses(), ids,
                                                     atoms.get_volume()), ours, atol=1e-12)


def _broken(atoms, forces, ids):
    # the second molecule's last atom wrapped to the other side of the box
    positions = atoms.positions.copy()
    positions[5, 0] -= BOX
    return forces, positions


def _frame_forces(atoms, forces, ids):
    # a force between the molecules, as the whole frame's forces would hold
    pull = np.zeros_like(forces)
    pull[0] = [0.2, 0.0, 0.0]
    pull[3] = [-0.2, 0.0, 0.0]
    return forces + pull, atoms.positions


def _torque(atoms, forces, ids):
    # equal and opposite forces on two atoms of one molecule, off its line: a net torque
    twist = np.zeros_like(forces)
    twist[1] = [0.0, 0.0, 0.3]
    twist[2] = [0.0, 0.0, -0.3]
    return forces + twist, atoms.positions


@pytest.mark.parametrize(("case", "what"), [(_broken, "torque"), (_frame_forces, "net force"),
                                            (_torque, "torque")])
def test_forces_that_are_not_an_isolated_molecules_are_refused(case, what):
    atoms, forces, _, ids = _two_molecules()
    f, positions = case(atoms, forces, ids)
    with pytest.raises(ValueError, match=f"not an isolated molecule's.*has a {what}"):
        intramolecular_stress(f, positions, atoms.get_masses(), ids, atoms.get_volume())


def test_rounding_of_single_precision_forces_is_no_torque():
    atoms, forces, stress, ids = _two_molecules()
    ours = intramolecular_stress(forces.astype(np.float32), atoms.positions.astype(np.float32),
                                 atoms.get_masses(), ids, atoms.get_volume())
    np.testing.assert_allclose(ours, stress, atol=1e-5 * np.abs(stress).max())
