"""run_md's time step: anything but a finite number of fs in [1e-6, 1000] is refused before the
model is evaluated and before a trajectory is created.

A time step of 1e-320 fs was accepted: the model ran, then the writer refused the first frame
after step 0, whose time (ps) had underflowed to 0 (and 1e-300 fs "ran" a run in which nothing
moves). Zero, negative, NaN, infinite, huge, flag and string steps were refused already; the
whole range is checked here, with the boundaries that are accepted.
"""

import warnings

import numpy as np
import pytest
from stopping_argon import StoppingArgon, argon  # noqa: E402

from ase_electrolyte.md import MAX_TIMESTEP_FS, run_md
from ase_electrolyte.trajectory import h5md_series

_Counting = StoppingArgon  # counts its evaluations, never stops


def _argon():
    atoms = argon(_Counting())
    return atoms


@pytest.mark.parametrize("timestep", [
    0, 0.0, -1.0, -0.0, float("nan"), np.float32("nan"), float("inf"), -float("inf"), 1e308,
    MAX_TIMESTEP_FS * (1 + 1e-12), 1e-300, 5e-324, 9.99e-7, True, "2", None, [1.0],
])
@pytest.mark.parametrize("ensemble", ["nve", "nvt"])
def test_bad_timesteps_are_refused_before_the_model(tmp_path, timestep, ensemble):
    atoms = _argon()
    path = tmp_path / "run.h5md"
    with pytest.raises(ValueError, match="timestep_fs"):
        run_md(atoms, ensemble=ensemble, steps=2, timestep_fs=timestep, temperature_K=60,
               trajectory=path, progress=False)
    assert atoms.calc.calls == 0
    assert not path.exists()


def test_the_shortest_timestep_runs_on_a_clock_that_advances(tmp_path):
    atoms = _argon()
    path = tmp_path / "run.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = run_md(atoms, ensemble="nve", steps=3, timestep_fs=1e-6, temperature_K=60,
                      trajectory=path, progress=False)
    step, time, _ = h5md_series(path, "temperature")
    np.testing.assert_array_equal(step, [0, 1, 2, 3])
    np.testing.assert_allclose(time, step * 1e-9, rtol=1e-12, atol=0)
    assert done.info["time_ps"] == pytest.approx(3e-9, rel=1e-12)
