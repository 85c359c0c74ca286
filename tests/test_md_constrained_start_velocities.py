"""Given velocities that the caller's constraints forbid (set before ``FixAtoms``, a drift under
``FixCom``) start the run as ASE's ``set_momenta`` would leave them: the first frame obeys the
constraints, the NVE energy is conserved from step 0, and a rerun reuses the file.

Before, the first frame kept the fixed atoms moving: 32 EMT copper atoms, half fixed, recorded
519 K at step 0 and 288 K from step 1 on, and the total energy fell by 0.48 eV in that step.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms, FixCom

from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import h5md_info, h5md_series, read_h5md

_RUN = dict(ensemble="nve", steps=6, timestep_fs=1.0, write_interval=1, progress=False)


def _copper(constraint):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    velocities = np.random.default_rng(0).normal(scale=0.02, size=(len(atoms), 3))
    velocities -= velocities.mean(axis=0)
    if constraint == "FixCom":
        velocities += 0.002  # a drift well below the thermal one (the run refuses larger)
    atoms.set_velocities(velocities)  # before the constraint: it does not act on them
    atoms.set_constraint(FixAtoms(indices=range(16)) if constraint == "FixAtoms" else FixCom())
    atoms.calc = EMT()
    return atoms


def _total_energy(path):
    kinetic = h5md_series(path, "kinetic_energy")[2]
    return kinetic + h5md_series(path, "potential_energy")[2]


@pytest.mark.parametrize("constraint", ["FixAtoms", "FixCom"])
def test_the_first_frame_obeys_the_constraints_and_nve_conserves_energy_from_it(constraint,
                                                                               tmp_path):
    atoms = _copper(constraint)
    given = atoms.get_velocities().copy()
    path = tmp_path / "md.h5md"
    final = run_md(atoms, trajectory=path, **_RUN)
    np.testing.assert_array_equal(atoms.get_velocities(), given)  # the caller's untouched
    first = read_h5md(path, 0)
    masses = atoms.get_masses()
    if constraint == "FixAtoms":
        assert np.abs(first.get_velocities()[:16]).max() == 0.0
        np.testing.assert_allclose(first.get_velocities()[16:], given[16:], rtol=1e-12,
                                   atol=1e-14)
    else:
        momentum = (masses[:, None] * first.get_velocities()).sum(axis=0)
        assert np.abs(momentum).max() < 1e-9 * np.abs(masses[:, None] * given).sum()
    energy = _total_energy(path)
    # the drift over the 6 steps: 1e-6 eV of a 0.38 eV total; the fixed atoms' kinetic energy
    # left in frame 0 had been 0.48 eV
    assert np.ptp(energy) < 1e-4
    temperature = h5md_series(path, "temperature")[2]
    assert abs(temperature[0] - temperature[1]) < 0.02 * temperature[1]
    # the rerun finds its own start in the file: reused, not refused as other velocities
    again = run_md(_copper(constraint), trajectory=path, **_RUN)
    np.testing.assert_allclose(again.positions, final.positions, rtol=0, atol=1e-9)
    assert h5md_info(path)["complete"]
