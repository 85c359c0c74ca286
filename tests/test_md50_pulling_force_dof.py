"""A constraint that pulls two atoms apart equally and oppositely keeps the total momentum, so
the centre of mass is no degree of freedom of the run: ASE's ``ExternalForce``.

Before, ``ExternalForce`` was counted as taking momentum: 3N degrees of freedom, the centre of
mass not removed from the drawn velocities, and 32 copper atoms given velocities at rest about
their centre of mass (which the force keeps at rest) recorded 3N/(3N - 3) = 3 % too cold. A
spring between two atoms (``Hookean``) was already counted so; both are checked here beside
the constraints that do take momentum (a spring to a point, fixed atoms).
"""

import warnings

import numpy as np
import pytest
from ase import units
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.constraints import ExternalForce, FixAtoms, Hookean

from ase_electrolyte.md import atoms_temperature_dof, run_md
from ase_electrolyte.trajectory import h5md_series

_N = 8

# constraint, degrees of freedom of 8 atoms, whether the centre of mass moves (takes momentum)
_CASES = {
    "pulling force": (lambda: ExternalForce(0, 1, 0.05), 3 * _N - 3, False),
    "pulling force, other order": (lambda: ExternalForce(3, 2, -0.2), 3 * _N - 3, False),
    "spring between atoms": (lambda: Hookean(0, 1, 3.0, 2.5), 3 * _N - 3, False),
    "spring to a point": (lambda: Hookean(0, (0.0, 0.0, 0.0), 3.0, 2.5), 3 * _N, True),
    "fixed atom": (lambda: FixAtoms([0]), 3 * _N - 3, True),
}


def _copper(constraint):
    atoms = bulk("Cu", cubic=True).repeat((2, 1, 1))
    atoms.rattle(0.02, seed=1)
    atoms.calc = EMT()
    atoms.set_constraint(constraint())
    return atoms


@pytest.mark.parametrize("name", sorted(_CASES))
def test_the_count_follows_the_momentum(name, tmp_path):
    constraint, dof, moves = _CASES[name]
    atoms = _copper(constraint)
    assert len(atoms) == _N
    assert atoms_temperature_dof(atoms) == dof
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run_md(atoms, ensemble="nve", steps=4, timestep_fs=2.0, temperature_K=300,
                     trajectory=tmp_path / "run.h5md", write_interval=2, progress=False,
                     seed=3)
    kinetic = h5md_series(tmp_path / "run.h5md", "kinetic_energy")[2]
    temperature = h5md_series(tmp_path / "run.h5md", "temperature")[2]
    momentum = out.get_momenta().sum(axis=0)
    if not moves:
        # drawn at rest about the centre of mass, which the constraint keeps there: every
        # recorded temperature is the whole kinetic energy over 3N - 3
        assert np.abs(momentum).max() < 1e-9
        np.testing.assert_allclose(temperature, 2.0 * kinetic / (dof * units.kB), rtol=1e-10)
