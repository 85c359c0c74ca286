"""The recorded temperature and the thermostat count the same degrees of freedom.

run_md starts without centre-of-mass momentum and its dynamics keep it at zero, so N atoms
have 3N - 3 degrees of freedom (GROMACS' and LAMMPS' N_dof = 3N - N_constraints - 3). ASE's
Nosé–Hoover chain held the kinetic energy at 3N·k_B·T/2 while the 3N - 3 that move carried it:
8 EMT copper atoms at 300 K sat at 343 K, recorded as 300 K (2K / 3N k_B). Equipartition,
<K> = N_dof·k_B·T / 2, is the analytic case.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from ase import Atoms, units
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms, FixBondLengths, FixCom

from ase_electrolyte.md import (
    _degrees_of_freedom,
    _draw_velocities,
    _kinetic_temperature,
    run_md,
)
from ase_electrolyte.trajectory import h5md_series


def _gas(n, seed=0):
    rng = np.random.default_rng(seed)
    atoms = Atoms("Ar" * n, positions=rng.uniform(0, 10, (n, 3)), cell=[10, 10, 10], pbc=True)
    atoms.set_momenta(rng.normal(size=(n, 3)))
    return atoms


@pytest.mark.parametrize("constraint, removed", [
    (None, 3),                                       # centre of mass at rest
    (FixAtoms(indices=[0, 1]), 6),                   # fixed atoms take momentum: no COM dof
    (FixBondLengths([(0, 1), (2, 3), (4, 5)]), 6),   # internal: momentum kept, COM removed
    (FixCom(), 3),                                   # already removes the COM's 3
])
def test_degrees_of_freedom_follow_the_constraints(constraint, removed):
    atoms = _gas(6)
    if constraint is not None:
        atoms.set_constraint(constraint)
    assert _degrees_of_freedom(atoms) == 3 * 6 - removed


def test_temperature_is_that_of_the_motion_about_the_centre_of_mass():
    atoms = _gas(5, seed=1)
    internal = atoms.copy()
    from ase.md.velocitydistribution import Stationary

    Stationary(internal, preserve_temperature=False)
    # a drift adds no heat, and 3N - 3 = 12 degrees of freedom share the internal energy
    expected = 2 * internal.get_kinetic_energy() / (12 * units.kB)
    assert _kinetic_temperature(atoms) == pytest.approx(expected, rel=1e-12)
    assert _kinetic_temperature(internal) == pytest.approx(expected, rel=1e-12)
    # with fixed atoms ASE's convention stands (3N less the fixed ones, whole kinetic energy)
    atoms.set_constraint(FixAtoms(indices=[0]))
    atoms.set_momenta(atoms.get_momenta())
    assert _kinetic_temperature(atoms) == pytest.approx(atoms.get_temperature(), rel=1e-12)


def test_drawn_velocities_average_the_target():
    # Maxwell-Boltzmann less the centre-of-mass motion: <2K / (3N - 3) k_B> = T exactly
    atoms = Atoms("Cu4", positions=np.eye(4, 3) * 2.0)
    temps = []
    for seed in range(3000):
        _draw_velocities(atoms, 300.0, seed)
        temps.append(_kinetic_temperature(atoms))
    temps = np.array(temps)
    sem = temps.std(ddof=1) / np.sqrt(temps.size)
    assert abs(temps.mean() - 300.0) < 4 * sem
    # the old 3N count recorded 225 K on average for 4 atoms
    assert abs(temps.mean() * 9 / 12 - 300.0) > 20 * sem


def test_nvt_equipartition_over_replicas(tmp_path):
    n_atoms, target = 4, 300.0
    per_replica, temps = [], []
    for seed in range(4):
        atoms = bulk("Cu", "fcc", a=3.61, cubic=True)
        atoms.calc = EMT()
        path = tmp_path / f"nvt{seed}.h5md"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a short run's drift verdict
            run_md(atoms, ensemble="nvt", steps=1200, timestep_fs=5.0, temperature_K=target,
                   tdamp_fs=50.0, trajectory=path, write_interval=1200, seed=seed,
                   progress=False)
        kinetic = h5md_series(path, "kinetic_energy")[2][200:]
        per_replica.append(np.mean(kinetic) / (0.5 * units.kB * target))
        temps.append(np.mean(h5md_series(path, "temperature")[2][200:]))
    per_replica = np.array(per_replica)
    sem = per_replica.std(ddof=1) / np.sqrt(per_replica.size)
    dof = 3 * n_atoms - 3
    # <K> = N_dof k_B T / 2 within the replicas' error; ASE's own count (3N = 12) excluded
    assert abs(per_replica.mean() - dof) < 4 * sem + 0.02 * dof
    assert abs(per_replica.mean() - 3 * n_atoms) > 8 * sem
    # the recorded temperature averages the target
    assert abs(np.mean(temps) - target) < 4 * np.std(temps, ddof=1) / 2 + 0.02 * target
