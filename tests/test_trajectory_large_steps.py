"""Trajectories past 2³¹ steps: step numbers stay exact in the file, its readers and a resume.

A run of 1e11 steps (``MAX_STEPS``) passes 2³¹ (a 32-bit integer) and 2⁵³ (where a float64
stops holding every integer) is beyond any run, but the file's int64 step datasets hold them.
Checked here: the writer, :func:`read_h5md`, :func:`h5md_series`, :func:`integrator_state`,
MDAnalysis' H5MD reader and a resume of ``run_md`` from a frame past 2³¹ (its clock, its last
step and its integrator state).
"""

import warnings

import h5py
import numpy as np
import pytest
from stopping_argon import StoppingArgon as _Stopping  # noqa: E402
from stopping_argon import argon

from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import (
    H5MDWriter,
    h5md_info,
    h5md_series,
    integrator_state,
    read_h5md,
)

_STEPS = [2**31 - 1, 2**31, 2**32 + 3, 2**53 + 2, 2**62 + 7]


def _argon(calc=None):
    atoms = argon(calc or _Stopping(), rattle=0.02, seed=1)
    return atoms


def test_writer_and_readers_keep_large_steps_exact(tmp_path):
    mda = pytest.importorskip("MDAnalysis")
    path = tmp_path / "long.h5md"
    atoms = _argon()
    with H5MDWriter(path, atoms) as writer:
        for k, step in enumerate(_STEPS):
            atoms.positions[0, 0] += 0.01
            writer.write(atoms, step=step, time=step * 1.0 / 1000.0,
                         integrator_state={"p": np.full(2, float(k))})
    assert h5md_info(path)["last_step"] == _STEPS[-1]
    assert [read_h5md(path, k).info["step"] for k in range(len(_STEPS))] == _STEPS
    np.testing.assert_array_equal(h5md_series(path, "temperature")[0], _STEPS)
    assert [float(integrator_state(path, k)["p"][0]) for k in range(len(_STEPS))] == [
        0.0, 1.0, 2.0, 3.0, 4.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        universe = mda.Universe(str(path))
    steps = [int(ts.data["step"]) for ts in universe.trajectory]
    universe.trajectory.close()
    assert steps == _STEPS


def test_step_past_int64_is_refused_before_writing(tmp_path):
    path = tmp_path / "t.h5md"
    atoms = _argon()
    with H5MDWriter(path, atoms) as writer:
        writer.write(atoms, step=2**62, time=1.0)
        with pytest.raises(ValueError, match="int64"):
            writer.write(atoms, step=2**63, time=2.0)
    assert h5md_info(path)["n_frames"] == 1




# multiples of the frame interval: a real run's frames lie on its step grid from step 0
@pytest.mark.parametrize("offset", [5 * 2**29, 5 * (2**33 + 1)])
def test_run_md_resumes_a_run_past_two_to_the_31_steps(tmp_path, offset):
    """A run stopped at step 2³¹ + 10 of 2³¹ + 20 (its first steps moved there: the run
    itself would take years) resumes with the last 10 steps, on the same clock."""
    total = offset + 20
    dt = 2.0
    settings = dict(ensemble="nvt", steps=total, timestep_fs=dt, temperature_K=60,
                    write_interval=5, progress=False)
    path = tmp_path / "long.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(KeyboardInterrupt):
            run_md(_argon(_Stopping(14)), trajectory=path, **settings)
    with h5py.File(path, "a") as f:
        groups = [f["particles/trajectory"][n] for n in ("position", "velocity", "force")]
        groups.append(f["particles/trajectory/box/edges"])
        for parent in ("observables", "parameters/ase_electrolyte/series",
                       "parameters/ase_electrolyte/integrator"):
            groups += list(f[parent].values())
        for g in groups:
            steps = g["step"][()] + offset
            g["step"][...] = steps
            g["time"][...] = steps * dt / 1000.0
    assert h5md_info(path)["last_step"] == offset + 10
    calc = _Stopping()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = run_md(_argon(calc), trajectory=path, **settings)
    # 10 steps and the guard's check of the resume frame, not 2³¹
    assert calc.calls <= 12
    # the conserved energy's drift is fitted on times relative to the run's first sample
    assert np.isfinite(done.info.pop("energy_drift")["value"])
    assert done.info == {"step": total, "time_ps": total * dt / 1000.0}
    info = h5md_info(path)
    assert info["complete"] and info["last_step"] == total
    frames = [read_h5md(path, k).info["step"] for k in range(info["n_frames"])]
    assert frames == [offset, offset + 5, offset + 10, offset + 15, offset + 20]
    step, time, _ = h5md_series(path, "temperature")
    np.testing.assert_array_equal(step, np.arange(offset, total + 1))
    np.testing.assert_array_equal(time, step * dt / 1000.0)
    assert integrator_state(path, -1) is not None
