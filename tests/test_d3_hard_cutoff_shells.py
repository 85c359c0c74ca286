"""D3's hard cutoffs and the pair distances of a crystal.

Away from every pair distance, forces and stress are the exact derivative of the energy with
hard two-body, coordination-number and three-body cutoffs. A hard cutoff equal to a lattice
length puts a whole shell of pairs (an atom and its own images among them) exactly at it: the
shell is inside (r <= cutoff, as simple-dftd3), the same for every atom and whatever image the
atoms sit in, and the energy jumps as soon as a strain moves the shell out (the stress is then
one side's derivative: the finite difference across the jump is meaningless).
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.fd import calculate_numerical_forces, calculate_numerical_stress
from ase.neighborlist import neighbor_list

from ase_electrolyte.d3 import D3


def _rocksalt(repeat=1, rattle=0.0, seed=0):
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True) * (repeat, repeat, repeat)
    if rattle:
        atoms.rattle(rattle, seed=seed)
    return atoms


def _in_widest_gap(atoms, low, high):
    """The middle of the widest gap between pair distances (images included) in [low, high]
    and the gap's half width (Å)."""
    distances = np.unique(np.round(neighbor_list("d", atoms, high + 0.5), 12))
    edges = np.concatenate([[low], distances[(distances > low) & (distances < high)], [high]])
    k = int(np.argmax(np.diff(edges)))
    return 0.5 * (edges[k] + edges[k + 1]), 0.5 * (edges[k + 1] - edges[k])


def test_forces_and_stress_are_the_derivative_away_from_the_pair_distances():
    atoms = _rocksalt(rattle=0.12, seed=4)
    cutoff, gap = _in_widest_gap(atoms, 6.0, 8.0)
    cn_cutoff, cn_gap = _in_widest_gap(atoms, 4.0, 5.5)
    atm_cutoff, atm_gap = _in_widest_gap(atoms, 5.0, 6.5)
    # the finite differences (1e-4 Å, strain 1e-5 of distances below 8 Å) stay in the gaps
    assert min(gap, cn_gap, atm_gap) > 2e-3
    atoms.calc = D3(cutoff=cutoff, cn_cutoff=cn_cutoff, atm=True, atm_cutoff=atm_cutoff,
                    device="cpu")
    forces = atoms.get_forces()
    stress = atoms.get_stress()
    assert np.abs(forces).max() > 1e-3
    np.testing.assert_allclose(forces, calculate_numerical_forces(atoms, 1e-4), rtol=0,
                               atol=1e-8)
    np.testing.assert_allclose(stress, calculate_numerical_stress(atoms, 1e-5), rtol=0,
                               atol=1e-10)


def test_a_cutoff_at_a_lattice_length_holds_the_shell_at_it():
    atoms = _rocksalt(repeat=2)
    length = float(atoms.cell.lengths()[0])

    def energies(cutoff, shift=(0.0, 0.0, 0.0)):
        work = atoms.copy()
        work.positions += shift
        work.calc = D3(cutoff=cutoff, cn_cutoff=7.7, device="cpu")
        return work.get_potential_energy(), work.get_potential_energies()

    at, per_atom = energies(length)
    above, _ = energies(length * (1.0 + 1e-12))
    below, _ = energies(length * (1.0 - 1e-9))
    assert at == pytest.approx(above, abs=1e-10)
    # the shell at 11.28 Å is 9 meV of the 64 atoms' energy
    assert below - at > 5e-3
    # every Na (and every Cl) keeps the same share, whatever image the atoms sit in
    for numbers in (11, 17):
        assert np.ptp(per_atom[atoms.numbers == numbers]) < 1e-12
    shifted, shifted_per_atom = energies(length, shift=(0.123456789, 11.28 * 3 + 1e-3, -7.77))
    assert shifted == pytest.approx(at, abs=1e-10)
    np.testing.assert_allclose(shifted_per_atom, per_atom, rtol=0, atol=1e-12)


def test_a_strain_moves_the_shell_out_and_the_energy_jumps():
    """At a hard cutoff equal to the lattice length, a stretch of 1e-7 loses the shell: the jump
    is the shell's energy, orders of magnitude beyond the stress times the strain."""
    atoms = _rocksalt(repeat=2)
    length = float(atoms.cell.lengths()[0])
    atoms.calc = D3(cutoff=length, cn_cutoff=7.7, device="cpu")
    at = atoms.get_potential_energy()
    pressure_work = abs(atoms.get_stress()[:3].sum()) * atoms.get_volume() * 1e-7
    stretched = atoms.copy()
    stretched.set_cell(atoms.cell.array * (1.0 + 1e-7), scale_atoms=True)
    stretched.calc = D3(cutoff=length, cn_cutoff=7.7, device="cpu")
    jump = stretched.get_potential_energy() - at
    assert jump > 5e-3 > 1e3 * pressure_work
