"""run_md's guards on cases a step-to-step ratio or a full-periodic minimum image would miss.

Each stop names the step and the quantity, keeps a readable file up to the last good frame and
never marks it complete; the same call, resumed, stops again rather than going on.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms, units
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte.md import MDInstabilityError, _Guard, run_md
from ase_electrolyte.trajectory import h5md_info, read_h5md


class _Heater(EMT):
    """EMT copper with an anti-friction +γ m v: the temperature grows by 2γ per unit time, about
    4 % per 1 fs step, 50-fold in 100 steps and never 3-fold in one."""

    gamma = 0.02 / units.fs

    def calculate(self, atoms=None, properties=("energy",), system_changes=()):
        super().calculate(atoms, properties, system_changes)
        self.results["forces"] = self.results["forces"] + self.gamma * atoms.get_momenta()


def test_a_slow_heating_stops_at_the_limit_and_is_not_resumed_past_it(tmp_path):
    path = tmp_path / "hot.h5md"
    kw = dict(ensemble="nve", steps=300, timestep_fs=1.0, temperature_K=300.0,
              trajectory=path, write_interval=5, progress=False)
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2)
    atoms.calc = _Heater()
    for _ in range(2):  # the second call resumes the stopped file
        with pytest.raises(MDInstabilityError, match=r"^step (\d+): temperature [\d.]+ K "
                           r"exceeds 900 K") as err:
            run_md(atoms, **kw)
        step = int(str(err.value).split(":")[0].split()[1])
        info = h5md_info(path)
        assert not info["complete"]
        # the last good frame: every 5 steps, the bad step not written
        assert step - 5 <= info["last_step"] < step
        last = read_h5md(path, -1)
        assert last.get_temperature() < 900.0
        assert f"keeps {info['n_frames']} frames up to step {info['last_step']}" in str(err.value)
    # it grew about 50-fold from 300 K-ish before it stopped, past no one-step ratio
    assert 20 < step < 200


def test_the_displacement_guard_takes_the_minimum_image_of_periodic_directions_only():
    # a slab: periodic in x and y, open in z
    atoms = Atoms("Cu2", positions=[[1, 1, 5], [4, 4, 5]], cell=[8, 8, 20],
                  pbc=[True, True, False])
    atoms.calc = EMT()
    guard = _Guard(atoms, 300.0, None, 0.5, 1.0)
    # wrapped across the periodic x face (moved 0.1 Å): no jump
    atoms.positions[0] = [1.1 + 8.0, 1.0, 5.0]
    assert np.linalg.norm(atoms.positions[0] - guard.previous[0]) > 8
    guard.check(1, None)
    # 1 Å along the open axis is a jump, named with its atom and step
    atoms.positions[1] += [0.0, 0.0, 1.0]
    with pytest.raises(MDInstabilityError, match=r"^step 2: atom 1 \(Cu\) moved 1 Å"):
        guard.check(2, None)


class _NaNStress(EMT):
    """EMT copper whose stress (and only the stress) turns NaN after 20 evaluations."""

    calls = 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=()):
        super().calculate(atoms, properties, system_changes)
        type(self).calls += 1
        if type(self).calls > 20 and "stress" in self.results:
            self.results["stress"] = self.results["stress"] * np.nan


def test_a_nan_stress_alone_stops_npt_naming_it(tmp_path):
    path = tmp_path / "npt.h5md"
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2)
    atoms.calc = _NaNStress()
    with pytest.raises(MDInstabilityError, match=r"^step \d+: the calculator returned "
                       r"non-finite stress") as err:
        run_md(atoms, ensemble="npt", steps=60, timestep_fs=2.0, temperature_K=300.0,
               trajectory=path, write_interval=2, progress=False)
    info = h5md_info(path)
    assert not info["complete"] and info["n_frames"] >= 1
    assert f"up to step {info['last_step']}" in str(err.value)
    assert np.all(np.isfinite(read_h5md(path, -1).cell.array))
