"""A start hotter than run_md's temperature guard allows is stopped at step 0, before any step
is integrated. The message blamed "the dynamics are unstable (time step, model)"; it now says
the starting velocities are too hot and how to fix them. A run that heats up later is still
blamed on the dynamics.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from ase_electrolyte.md import MDInstabilityError, run_md

sys.path.insert(0, str(Path(__file__).parent))
from stopping_argon import StoppingArgon, argon  # noqa: E402


def _with_temperature(atoms, kelvin):
    v = np.random.default_rng(0).normal(size=(len(atoms), 3))
    v -= v.mean(axis=0)
    ek = 0.5 * (atoms.get_masses()[:, None] * v**2).sum()
    dof = 3 * len(atoms) - 3
    atoms.set_velocities(v * np.sqrt(kelvin * dof * 8.617333262e-5 / (2 * ek)))
    return atoms


class _Kicked(StoppingArgon):
    """Lennard-Jones argon whose forces from the ``kick_at``-th evaluation on gain a large
    zero-sum push: the run heats up after its start."""

    def __init__(self, kick_at):
        super().__init__()
        self.kick_at = kick_at

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        if self.calls >= self.kick_at:
            push = np.zeros_like(self.results["forces"])
            push[::2, 0], push[1::2, 0] = 30.0, -30.0
            self.results["forces"] = self.results["forces"] + push


_HOT = [("nve", 84.0, True), ("nvt", 84.0, False), ("npt", 84.0, False)]


@pytest.mark.parametrize("ensemble, temperature_K, names_nve_cure", _HOT)
def test_a_hot_start_is_blamed_on_its_velocities(tmp_path, ensemble, temperature_K,
                                                 names_nve_cure):
    atoms = _with_temperature(argon(StoppingArgon(), rattle=0.05), 2000.0)
    kwargs = dict(pdamp_fs=5000.0) if ensemble == "npt" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(MDInstabilityError) as err:
            run_md(atoms, ensemble=ensemble, steps=5, timestep_fs=5.0,
                   temperature_K=temperature_K, progress=False,
                   trajectory=tmp_path / "run.h5md", **kwargs)
    message = str(err.value)
    assert message.startswith("step 0: temperature 2000 K exceeds")
    assert "before any step was integrated" in message
    assert "starting velocities are too hot" in message
    assert "dynamics are unstable" not in message and "time step" not in message
    assert ("leave out temperature_K" in message) == names_nve_cure
    # the limit it names is the guard's: the factor 3 times the 300 K floor (32 atoms: the
    # chi-square spread of 93 degrees of freedom is below 3)
    assert "exceeds 900 K" in message


@pytest.mark.parametrize("ensemble", ["nve", "nvt"])
def test_a_run_that_heats_later_is_still_blamed_on_the_dynamics(ensemble):
    atoms = argon(_Kicked(kick_at=3), rattle=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(MDInstabilityError) as err:
            run_md(atoms, ensemble=ensemble, steps=200, timestep_fs=5.0, temperature_K=84.0,
                   max_displacement=None, progress=False)
    message = str(err.value)
    step = int(message.split(":")[0].split()[-1])
    assert step >= 1
    assert "the dynamics are unstable" in message
    assert "before any step was integrated" not in message
