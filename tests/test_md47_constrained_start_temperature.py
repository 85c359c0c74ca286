"""run_md's drawn velocities start at temperature_K in the temperature it records.

Where constraints take momentum (FixAtoms, FixCartesian: NVE only) the centre of mass moves
thermally and the recorded temperature counts its 3 degrees of freedom, but the draw removed the
centre-of-mass motion all the same: 8 copper atoms with one fixed started at 257 K on average
for 300 K, 2 atoms with one fixed at 75 K, and a single atom at rest (0 K recorded for 300 K).
"""

import warnings

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms, FixCartesian

from ase_electrolyte import md

SEEDS = range(30)


def _pair(constraint):
    atoms = Atoms("Cu2", positions=[[0, 0, 0], [2.5, 0.2, 0.1]], cell=[12, 12, 12], pbc=True)
    if constraint is not None:
        atoms.set_constraint(constraint)
    atoms.calc = EMT()
    return atoms


def _start_temperatures(make):
    temps = []
    for seed in SEEDS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # one step of 0.01 fs: the temperature of the drawn velocities, to 1e-4
            out = md.run_md(
                make(),
                ensemble="nve",
                steps=1,
                timestep_fs=0.01,
                temperature_K=300.0,
                seed=seed,
                progress=False,
                max_temperature_factor=1e6,
            )
        temps.append(md.atoms_temperature(out))
    return np.array(temps)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: _pair(FixAtoms([0])), id="FixAtoms"),
        pytest.param(lambda: _pair(FixCartesian(0)), id="FixCartesian"),
        pytest.param(lambda: _pair(None)[[1]], id="one-atom"),
    ],
)
def test_momentum_taking_constraints_start_at_the_target(make):
    def build():
        atoms = make()
        atoms.calc = EMT()
        return atoms

    temps = _start_temperatures(build)
    # 3 degrees of freedom: one draw's temperature scatters by 300 sqrt(2/3) = 245 K; the mean
    # of 30 by 45 K. Before, the mean was 75 K (one atom of two moving) or 0 K (one atom).
    assert abs(temps.mean() - 300.0) < 3.5 * 300.0 * np.sqrt(2 / 3) / np.sqrt(len(temps))
    assert np.all(temps > 0)


def test_free_atoms_still_start_without_centre_of_mass_motion():
    atoms = _pair(None)
    out = md.run_md(
        atoms,
        ensemble="nve",
        steps=1,
        timestep_fs=0.5,
        temperature_K=300.0,
        seed=3,
        progress=False,
        max_temperature_factor=1e6,
    )
    momentum = out.get_momenta().sum(axis=0)
    assert np.allclose(momentum, 0.0, atol=1e-12)
    assert md.atoms_temperature(out) > 0
