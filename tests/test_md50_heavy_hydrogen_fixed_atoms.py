"""The state run_md returns after heavy hydrogen is the run's last state with each hydrogen's
velocity scaled to keep its kinetic energy, also with fixed atoms.

The centre-of-mass drift that the rescaled hydrogens leave was removed (ASE's ``Stationary``)
whatever the constraints; with atoms fixed (NVE only) the centre of mass is a degree of freedom
of the run, and the removal, which a fixed atom cannot share, changed every velocity of the
returned state (by 5 % of the largest for 4 methanes with one carbon fixed) and still left a
momentum. A run without constraints still returns its state without drift. A reused run
returns what the fresh one did.
"""

import warnings

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms, FixCartesian

from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import read_h5md

_CONSTRAINTS = {
    "none": (lambda: [], True),
    "fixed carbon": (lambda: [FixAtoms([0])], False),
    "fixed hydrogen": (lambda: [FixAtoms([1])], False),
    "one fixed direction": (lambda: [FixCartesian(0, mask=(False, False, True))], False),
}


def _methanes(constraints):
    one = molecule("CH4")
    atoms = Atoms()
    for i in range(2):
        for j in range(2):
            part = one.copy()
            part.translate([4.0 * i, 4.0 * j, 0.0])
            atoms += part
    atoms.set_cell([8.0, 8.0, 5.0])
    atoms.pbc = True
    atoms.calc = EMT()
    atoms.set_constraint(constraints)
    return atoms


@pytest.mark.parametrize("name", sorted(_CONSTRAINTS))
def test_the_returned_state_is_the_runs_with_real_hydrogen(name, tmp_path):
    make, drift_free = _CONSTRAINTS[name]
    path = tmp_path / "run.h5md"
    runs = []
    for _ in range(2):  # fresh, then reused
        atoms = _methanes(make())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runs.append(run_md(atoms, ensemble="nve", steps=6, timestep_fs=0.5,
                               temperature_K=300, hydrogen_mass=3.0, trajectory=path,
                               write_interval=3, progress=False, seed=2))
    fresh, reused = runs
    # within round-off: the file stores velocities in Å/ps
    np.testing.assert_allclose(reused.get_velocities(), fresh.get_velocities(), rtol=1e-12,
                               atol=1e-15)
    hydrogen = atoms.numbers == 1
    # the file holds the velocities the run integrated, hydrogen at 3 amu
    last = read_h5md(path, -1)
    expected = last.get_velocities()
    expected[hydrogen] *= np.sqrt(3.0 / atoms.get_masses()[hydrogen])[:, None]
    kinetic = 0.5 * atoms.get_masses()[:, None] * fresh.get_velocities() ** 2
    heavy = 0.5 * last.get_masses()[:, None] * last.get_velocities() ** 2
    heavy[hydrogen] *= 3.0 / atoms.get_masses()[hydrogen][:, None]
    if drift_free:
        np.testing.assert_allclose(fresh.get_momenta().sum(axis=0), 0.0, atol=1e-12)
    else:
        np.testing.assert_allclose(fresh.get_velocities(), expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(kinetic, heavy, rtol=1e-10, atol=1e-18)
