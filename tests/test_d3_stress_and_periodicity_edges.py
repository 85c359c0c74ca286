"""D3 on the periodicities a user mixes: stress asked of a molecule is refused by name before
the kernel (ASE's bare "stress not present in this calculation" came after it); a slab
(``pbc=[True, True, False]``) gives forces and stress that are the derivatives of its energy;
positions given as float32 give the float64 numbers.

The finite-difference checks use a smooth two-body cutoff and cutoffs that are no multiple of
the cell lengths: with a hard cutoff equal to a lattice vector's length an atom and its own
image sit exactly at the cutoff, and a strain of 1e-5 moves them across it.
"""

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.calculator import PropertyNotImplementedError
from ase.calculators.fd import calculate_numerical_forces
from ase.stress import full_3x3_to_voigt_6_stress

from ase_electrolyte.d3 import D3

OPTIONS = {"cutoff": 11.3, "cn_cutoff": 7.7, "smooth_cutoff": 2.0, "device": "cpu"}


def _slab():
    atoms = molecule("CH3CH2OH")
    atoms.cell = [6.0, 6.5, 15.0]
    atoms.pbc = [True, True, False]
    atoms.center()
    atoms.rattle(0.02, seed=1)
    return atoms


def _strain_derivative(atoms, d=1e-5):
    """(1/V) dE/dε by central differences, positions carried along (Voigt)."""
    cell, pos = atoms.cell.array.copy(), atoms.positions.copy()
    volume = atoms.get_volume()
    out = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            energies = []
            for sign in (1, -1):
                x = np.eye(3)
                x[i, j] += sign * d
                atoms.set_cell(cell @ x)
                atoms.positions = pos @ x
                energies.append(atoms.get_potential_energy())
            out[i, j] = (energies[0] - energies[1]) / (2 * d) / volume
    atoms.set_cell(cell)
    atoms.positions = pos
    return full_3x3_to_voigt_6_stress(out)


@pytest.mark.parametrize("cell", [None, [10.0, 10.0, 10.0]])
def test_stress_of_a_molecule_is_refused_by_name_and_the_energy_still_given(cell):
    atoms = molecule("CH3CH2OH")
    if cell is not None:
        atoms.cell = cell
    atoms.calc = D3(**OPTIONS)
    with pytest.raises(PropertyNotImplementedError, match="D3 stress needs a periodic"):
        atoms.get_stress()
    energy = atoms.get_potential_energy()
    reference = molecule("CH3CH2OH")
    reference.calc = D3(**OPTIONS)
    assert energy == reference.get_potential_energy()


def test_a_slab_gives_the_derivatives_of_its_energy():
    atoms = _slab()
    atoms.calc = D3(**OPTIONS)
    forces, stress = atoms.get_forces(), atoms.get_stress()
    numeric = calculate_numerical_forces(atoms, eps=1e-4)
    np.testing.assert_allclose(forces, numeric, rtol=0, atol=1e-8)
    assert np.abs(forces).max() > 1e-3
    np.testing.assert_allclose(stress, _strain_derivative(atoms), rtol=1e-5, atol=1e-11)
    # the slab's energy is that of the 3D cell with the non-periodic vector long enough
    # for no image to be in reach
    tall = atoms.copy()
    tall.cell[2] = [0.0, 0.0, 100.0]
    tall.pbc = True
    tall.calc = D3(**OPTIONS)
    assert tall.get_potential_energy() == pytest.approx(atoms.get_potential_energy(), abs=1e-12)


def test_float32_positions_give_the_float64_numbers():
    atoms = _slab()
    atoms.positions = atoms.positions.astype(np.float32).astype(np.float64)
    single = atoms.copy()
    single.arrays["positions"] = single.positions.astype(np.float32)
    atoms.calc = D3(**OPTIONS)
    single.calc = D3(**OPTIONS)
    assert single.get_potential_energy() == pytest.approx(atoms.get_potential_energy(),
                                                          abs=1e-12)
    np.testing.assert_allclose(single.get_forces(), atoms.get_forces(), rtol=0, atol=1e-12)
    assert single.positions.dtype == np.float32
