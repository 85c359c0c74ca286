"""D3 with the three-body (ATM) term in a small triclinic cell of a salt (LiPF6, 5 Å vectors,
angles 73-99°, every cutoff spanning several images): simple-dftd3's numbers, the same lattice
in another basis or as a supercell, and the stress as the strain derivative of the energy.

Cutoffs are kept off multiples of the cell vectors: an atom's own image exactly at the cutoff
(20 Å = 4 × 5 Å) is in or out by rounding, and both codes then differ between supercells."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import niggli_reduce
from ase.stress import voigt_6_to_full_3x3_stress
from d3_structures import pf6
from test_d3_structure_edges import compare

from ase_electrolyte.d3 import D3

pytest.importorskip("dftd3.interface")

CUTOFFS = {"cutoff": 20.3, "cn_cutoff": 12.3, "atm": True, "atm_cutoff": 10.3}
CELL = np.array([[5.0, 0.0, 0.0], [1.5, 5.0, 0.0], [0.7, -1.1, 5.2]])


def lipf6_cell():
    anion = pf6()
    anion.center()
    salt = anion + Atoms("Li", positions=[anion.positions.max(axis=0) + 1.9])
    salt.set_cell(CELL)
    salt.pbc = True
    salt.positions += CELL.sum(axis=0) / 2 - salt.positions.mean(axis=0)
    salt.rattle(0.03, seed=2)
    return salt


def evaluate(atoms, **options):
    work = atoms.copy()
    work.calc = D3(device="cpu", **{**CUTOFFS, **options})
    return work.get_potential_energy(), work.get_forces(), work.get_stress()


@pytest.mark.parametrize("damping", ["bj", "zero"])
def test_matches_reference(damping):
    compare(lipf6_cell(), damping, rel=1e-10, **CUTOFFS)


def test_the_same_lattice_in_another_basis_gives_the_same_results():
    atoms = lipf6_cell()
    reduced = atoms.copy()
    niggli_reduce(reduced)
    rebased = atoms.copy()
    cell = rebased.cell[:].copy()
    cell[2] += cell[0] - cell[1]
    rebased.set_cell(cell, scale_atoms=False)
    energy, forces, stress = evaluate(atoms)
    for other in (reduced, rebased):
        e, f, s = evaluate(other)
        assert e == pytest.approx(energy, rel=1e-12)
        # niggli_reduce may rotate the frame: compare what does not depend on it
        np.testing.assert_allclose(np.linalg.norm(f, axis=1), np.linalg.norm(forces, axis=1),
                                   atol=1e-12)
        np.testing.assert_allclose(np.linalg.eigvalsh(voigt_6_to_full_3x3_stress(s)),
                                   np.linalg.eigvalsh(voigt_6_to_full_3x3_stress(stress)),
                                   atol=1e-13)


def test_a_supercell_gives_the_cell_times_its_size():
    atoms = lipf6_cell()
    energy, forces, stress = evaluate(atoms)
    e, f, s = evaluate(atoms.repeat(2))
    assert e == pytest.approx(8 * energy, rel=1e-12)
    np.testing.assert_allclose(f, np.tile(forces, (8, 1)), atol=1e-12)
    np.testing.assert_allclose(s, stress, atol=1e-13)


def test_stress_is_the_strain_derivative_of_the_energy():
    # a smooth two-body cutoff: no pair jumps across it under the strain; the three-body
    # cutoff is hard, and this strain (1e-5) takes no triple across it (a jump would show)
    atoms = lipf6_cell()
    options = {"smooth_cutoff": 2.0}
    stress = voigt_6_to_full_3x3_stress(evaluate(atoms, **options)[2])
    volume, h = atoms.get_volume(), 1e-5
    numeric = np.zeros((3, 3))
    for i in range(3):
        for j in range(i, 3):
            direction = np.zeros((3, 3))
            direction[i, j] += 0.5
            direction[j, i] += 0.5
            energies = []
            for sign in (1, -1):
                work = atoms.copy()
                work.set_cell(atoms.cell[:] @ (np.eye(3) + sign * h * direction),
                              scale_atoms=True)
                energies.append(evaluate(work, **options)[0])
            numeric[i, j] = numeric[j, i] = (energies[0] - energies[1]) / (2 * h * volume)
    assert np.abs(stress).max() > 1e-3
    assert np.abs(stress - numeric).max() < 1e-8
