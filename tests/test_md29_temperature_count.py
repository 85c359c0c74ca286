"""The public kinetic temperature and its count of degrees of freedom (ase_electrolyte.md).

N_dof = 3N − N_constraints − 3 (temperature_dof); T = 2 (K − P²/2M) / (N_dof k_B)
(velocity_temperature). Checked against ASE's get_temperature where the counts agree, against
Maxwell–Boltzmann velocities over replicas, and, for constrained atoms, against ASE's own
constraints: the trace of the map that applies them to velocities (a projection, whose trace is
the number of directions left free), which the sum of ASE's get_removed_dof miscounts where
two constraints hold the same coordinates.
"""

import numpy as np
import pytest
from ase import Atoms, units
from ase.build import bulk, molecule
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms, FixBondLengths, FixCom, FixLinearTriatomic, Hookean
from ase.md.velocitydistribution import Stationary
from ase.md.verlet import VelocityVerlet

from ase_electrolyte.md import (
    atoms_temperature,
    atoms_temperature_dof,
    run_md,
    temperature_dof,
    velocity_temperature,
)

T = 300.0


def _box(name, n=8, length=9.0):
    atoms = Atoms(cell=[length] * 3, pbc=True)
    grid = np.arange(2) * length / 2 + 1.5
    sites = np.array(np.meshgrid(grid, grid, grid)).reshape(3, -1).T
    for i in range(n):
        m = molecule(name)
        m.rotate(37 * i, "z")
        m.translate(sites[i])
        atoms += m
    return atoms


def _water_bonds(n=8):
    return [(3 * i, 3 * i + j) for i in range(n) for j in (1, 2)] + [
        (3 * i + 1, 3 * i + 2) for i in range(n)]


def _free_directions(atoms, stationary):
    """The number of directions ASE's constraints leave the velocities: the trace of the map
    that applies them (set_momenta with the constraints, then Stationary where the centre of
    mass is at rest), a projection, whose trace is its rank."""
    masses = atoms.get_masses()
    trace = 0.0
    for k in range(3 * len(atoms)):
        v = np.zeros(3 * len(atoms))
        v[k] = 1.0
        atoms.set_momenta(masses[:, None] * v.reshape(-1, 3), apply_constraint=True)
        if stationary:
            Stationary(atoms, preserve_temperature=False)
        trace += atoms.get_velocities().ravel()[k]
    return trace


def test_the_3n_count_is_ases_get_temperature():
    atoms = bulk("Cu", cubic=True).repeat(2)
    atoms.set_velocities(np.random.default_rng(1).normal(0, 0.02, (len(atoms), 3)))
    dof = temperature_dof(len(atoms), com_removed=False)
    assert dof == 3 * len(atoms)
    got = velocity_temperature(atoms.get_masses(), atoms.get_velocities(), dof,
                               com_removed=False)
    assert got == pytest.approx(atoms.get_temperature(), rel=1e-12)
    # fixed atoms take momentum: the whole kinetic energy over 3N − 3·fixed, as ASE counts
    atoms.set_constraint(FixAtoms(indices=[0, 5, 9]))
    atoms.set_velocities(atoms.get_velocities())
    assert atoms_temperature_dof(atoms) == atoms.get_number_of_degrees_of_freedom() == 87
    assert atoms_temperature(atoms) == pytest.approx(atoms.get_temperature(), rel=1e-12)


@pytest.mark.parametrize("com_removed", [True, False])
def test_maxwell_velocities_average_their_temperature(com_removed):
    # one array of 2000 frames: the temperature of each, and their mean against the analytic
    # T with the chi-square error of N_dof quadratic terms
    rng = np.random.default_rng(2)
    n, frames = 16, 2000
    masses = rng.uniform(1.0, 40.0, n)
    v = rng.normal(size=(frames, n, 3)) * np.sqrt(units.kB * T / masses)[None, :, None]
    dof = temperature_dof(n, com_removed=com_removed)
    temps = velocity_temperature(masses, v, dof, com_removed=com_removed)
    assert temps.shape == (frames,)
    sigma = T * np.sqrt(2.0 / dof / frames)
    assert abs(temps.mean() - T) < 4 * sigma
    # the other count is off by 3/N_dof, 6 sigma here: the test can tell them apart
    wrong = temps * dof / (dof + 3 if com_removed else dof - 3)
    assert abs(wrong.mean() - T) > 4 * sigma


CASES = {
    # name: (constraints of two waters, N_dof, whether the centre of mass is at rest)
    "rigid water": (lambda: [FixBondLengths(_water_bonds(2))], 18 - 6 - 3, True),
    # the fixed molecule's 3 bonds hold nothing FixAtoms does not: ASE's sum says 3
    "fixed rigid water": (lambda: [FixAtoms([0, 1, 2]), FixBondLengths(_water_bonds(2))],
                          18 - 9 - 3, False),
    # a pair listed twice is one constraint
    "bond listed twice": (lambda: [FixBondLengths(_water_bonds(2) + [(0, 1)])], 18 - 6 - 3,
                          True),
    "FixCom and rigid water": (lambda: [FixCom(), FixBondLengths(_water_bonds(2))], 18 - 6 - 3,
                               True),
}


@pytest.mark.parametrize("case", CASES)
def test_constrained_count_is_what_ases_constraints_leave_free(case):
    constraints, expected, stationary = CASES[case]
    atoms = _box("H2O", n=2)
    atoms.set_constraint(constraints())
    assert atoms_temperature_dof(atoms) == expected
    assert _free_directions(atoms, stationary) == pytest.approx(expected, abs=1e-6)
    # so that velocities drawn at T and constrained read T on average (N_dof k_B T / 2)
    rng = np.random.default_rng(5)
    masses = atoms.get_masses()[:, None]
    temps = []
    for _ in range(30):
        atoms.set_momenta(rng.normal(size=(6, 3)) * np.sqrt(masses * units.kB * T),
                          apply_constraint=True)
        if stationary:
            Stationary(atoms, preserve_temperature=False)
        temps.append(atoms_temperature(atoms))
    assert abs(np.mean(temps) - T) < 4 * T * np.sqrt(2.0 / expected / len(temps))


def test_rigid_linear_triatomics_remove_four_each():
    # n–o–m: the centre on the line (3) and the outer distance (1); ASE's adjust_momenta of
    # FixLinearTriatomic is no mass-weighted projection, so the replica check above does not
    # apply to it
    atoms = _box("CO2")
    atoms.set_constraint(FixLinearTriatomic([(3 * i + 1, 3 * i, 3 * i + 2) for i in range(8)]))
    assert atoms_temperature_dof(atoms) == 72 - 32 - 3
    # and with the molecule's atoms fixed as well, the fixed one counts 9, not 9 + 4
    atoms.set_constraint([FixAtoms([0, 1, 2]),
                          FixLinearTriatomic([(3 * i + 1, 3 * i, 3 * i + 2) for i in range(8)])])
    assert atoms_temperature_dof(atoms) == 72 - 9 - 28


def test_a_spring_between_two_atoms_keeps_the_momentum_one_to_a_point_does_not():
    for spring, dof in ((Hookean(0, 1, 5.0, 2.0), 93), (Hookean(0, (1.5, 1.5, 1.5), 5.0, 0.5),
                                                        96)):
        atoms = bulk("Cu", cubic=True).repeat(2)
        atoms.rattle(0.05, seed=3)
        atoms.set_constraint(spring)
        atoms.set_velocities(np.random.default_rng(4).normal(0, 0.02, (len(atoms), 3)))
        Stationary(atoms)
        atoms.calc = EMT()
        VelocityVerlet(atoms, timestep=2 * units.fs).run(30)
        momentum = np.linalg.norm(atoms.get_momenta().sum(axis=0))
        # a moving centre of mass is a degree of freedom; one that stays at rest is none
        assert atoms_temperature_dof(atoms) == dof
        assert (momentum < 1e-9) == (dof == 93), momentum


@pytest.mark.parametrize("call, match", [
    (lambda: temperature_dof(3, n_constraints=10), "n_constraints = 10 exceeds the 6"),
    (lambda: temperature_dof(0), "n_atoms"),
    (lambda: temperature_dof(4, n_constraints=1.5), "n_constraints"),
    (lambda: temperature_dof(4, com_removed="yes"), "com_removed"),
    (lambda: velocity_temperature([1.0, 1.0], np.zeros((3, 3)), 3), r"\(\.\.\., N, 3\)"),
    (lambda: velocity_temperature([1.0, np.nan], np.zeros((2, 3)), 3), "masses"),
    (lambda: velocity_temperature([1.0, 1.0], [[0, 0, np.inf], [0, 0, 0]], 3),
     r"velocities must be finite, got inf at index \(0, 2\)"),
    (lambda: velocity_temperature([1.0, 1.0], np.zeros((2, 3)), True), "dof"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


class _NeverCalled(EMT):
    def calculate(self, *args, **kwargs):
        raise AssertionError("the model was evaluated before the constraints were checked")


def test_linear_molecule_held_by_its_three_distances_is_refused_before_the_model():
    # ASE's RATTLE raised a bare RuntimeError('Did not converge') at the first step
    atoms = _box("CO2", n=2)
    atoms.set_constraint(FixBondLengths([(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5)]))
    with pytest.raises(RuntimeError, match="Did not converge"):
        _rattle_constrained(atoms)
    atoms.calc = _NeverCalled()
    with pytest.raises(ValueError, match=r"pairs of atoms \[0, 1, 2\] are not independent.*"
                                         "FixLinearTriatomic"):
        run_md(atoms, ensemble="nve", steps=5, timestep_fs=1.0, temperature_K=300,
               progress=False)
    # the same molecules as rigid linear molecules: 4 constraints each
    atoms.set_constraint(FixLinearTriatomic([(1, 0, 2), (4, 3, 5)]))
    assert atoms_temperature_dof(atoms) == 18 - 8 - 3


def _rattle_constrained(atoms):
    moved = atoms.copy()
    moved.set_constraint(atoms.constraints)
    moved.set_positions(atoms.positions + np.random.default_rng(6).normal(0, 0.01, (6, 3)),
                        apply_constraint=True)
