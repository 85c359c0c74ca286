"""A trajectory whose clock (the frames' or samples' ``time``) was edited is refused before work.

``run_md`` writes ``step × timestep_fs`` as each time. A file whose times were edited (rescaled,
shifted, a NaN) was resumed until its writer refused the first new frame ("time ... does not
follow the last frame's time"), after the model had run a frame interval of steps, with a
message blaming the step's data; times edited downwards were resumed without a word (the time
axis then jumped); a finished file was reused with the edited time as ``info["time_ps"]``. Now
every such file is refused before the model is evaluated, naming the file, the step, the time
found and the time its step means; unedited files resume and reuse as before.
"""

import warnings

import h5py
import numpy as np
import pytest
from stopping_argon import StoppingArgon as _Counting  # noqa: E402
from stopping_argon import argon

from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import h5md_info, read_h5md

_FRAMES = "particles/trajectory/position/time"
_SAMPLES = "parameters/ase_electrolyte/series/temperature/time"




def _run(path, stop_at=None, ensemble="nvt"):
    atoms = argon(_Counting(stop_at), rattle=0.02, seed=1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return run_md(atoms, ensemble=ensemble, steps=20, timestep_fs=2.0,
                          temperature_K=60, write_interval=5, trajectory=path, progress=False)
    finally:
        _run.calls = atoms.calc.calls


def _edit(path, dataset, how):
    with h5py.File(path, "a") as f:
        t = f[dataset]
        times = t[()]
        if how == "scaled up":
            times = times * 1000
        elif how == "scaled down":
            times = times * 0.5
        elif how == "last shifted":
            times[-1] += 1.0
        elif how == "first shifted":
            times[0] += 1e-6
        elif how == "nan":
            times[-1] = np.nan
        elif how == "inf":
            times[1] = np.inf
        t[...] = times


_EDITS = ["scaled up", "scaled down", "last shifted", "first shifted", "nan", "inf"]


@pytest.mark.parametrize("dataset", [_FRAMES, _SAMPLES], ids=["frames", "samples"])
@pytest.mark.parametrize("how", _EDITS)
@pytest.mark.parametrize("ensemble", ["nve", "nvt"])
def test_an_interrupted_file_with_an_edited_clock_is_refused_before_the_model(
        tmp_path, how, dataset, ensemble):
    path = tmp_path / "edited.h5md"
    with pytest.raises(KeyboardInterrupt):
        _run(path, stop_at=14, ensemble=ensemble)
    before = h5md_info(path)
    _edit(path, dataset, how)
    with pytest.raises(ValueError, match="its clock does not follow its steps") as err:
        _run(path, ensemble=ensemble)
    assert _run.calls == 0  # refused before any evaluation
    message = str(err.value)
    assert str(path) in message and "× 2.0 fs" in message
    assert ("frame at step" if dataset == _FRAMES else "sample of temperature at step") in message
    assert h5md_info(path)["n_frames"] == before["n_frames"]  # the file is left as it was


@pytest.mark.parametrize("how", ["scaled up", "last shifted", "nan"])
def test_a_finished_file_with_an_edited_clock_is_not_reused(tmp_path, how):
    path = tmp_path / "done.h5md"
    _run(path)
    _edit(path, _FRAMES, how)
    with pytest.raises(ValueError, match="its clock does not follow its steps"):
        _run(path)
    assert _run.calls == 0


def test_unedited_files_resume_and_reuse_with_their_own_clock(tmp_path):
    path = tmp_path / "sound.h5md"
    with pytest.raises(KeyboardInterrupt):
        _run(path, stop_at=14)
    done = _run(path)
    # the resumed and the reused run carry the same record of the conserved energy's drift
    assert done.info.pop("energy_drift") == _run(path).info["energy_drift"]
    assert done.info == {"step": 20, "time_ps": 0.04}
    again = _run(path)
    again.info.pop("energy_drift")
    assert _run.calls == 0 and again.info == {"step": 20, "time_ps": 0.04}
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f[_FRAMES][()], np.arange(0, 21, 5) * 2.0 / 1000.0)
    assert read_h5md(path, -1).info["time_ps"] == 0.04


def test_samples_after_the_last_frame_are_not_judged(tmp_path):
    """Samples written after the last complete frame (an interrupted flush) do not count:
    the resume truncates and recomputes them, whatever their times."""
    path = tmp_path / "tail.h5md"
    with pytest.raises(KeyboardInterrupt):
        _run(path, stop_at=14)
    last = h5md_info(path)["last_step"]
    with h5py.File(path, "a") as f:
        g = f["parameters/ase_electrolyte/series/temperature"]
        n = g["step"].shape[0]
        for key in ("value", "step", "time"):
            g[key].resize(n + 1, axis=0)
        g["step"][n] = last + 1
        g["time"][n] = 99.0
        g["value"][n] = 60.0
    done = _run(path)
    assert done.info["step"] == 20 and h5md_info(path)["complete"]


@pytest.mark.parametrize("stage", ["preequilibration", "production"])
def test_run_protocol_refuses_an_edited_stage_clock_before_the_first_stage(tmp_path, stage):
    from ase_electrolyte.md import run_protocol

    protocol = dict(temperature_K=60, relax_fmax=0.05, preequilibration_ps=0.024,
                    preequilibration_timestep_fs=2.0, equilibration_ps=0.024,
                    production_ps=0.024, timestep_fs=2.0, write_interval_fs=4.0,
                    observe_interval_fs=2.0, progress=False)
    folder = tmp_path / "run"
    atoms = argon(rattle=0.05, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_protocol(atoms, _Counting(), folder, **protocol)
    path = folder / f"{stage}.h5md"
    _edit(path, _FRAMES, "last shifted")
    calc = _Counting()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=f"{stage} stage: .*its clock does not follow"):
            run_protocol(atoms, calc, folder, **protocol)
    assert calc.calls == 0
