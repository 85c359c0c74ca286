"""A trajectory whose stored numbers hold NaN or inf is damaged, and its readers say so.

:class:`~ase_electrolyte.trajectory.H5MDWriter` refuses non-finite positions, cells,
velocities, forces, observables and integrator variables, so one read back is damage (a hand
edit, another tool's rewrite, a disk fault). Before, the readers returned them as they were:
``run_md`` reused a finished file whose last frame held a NaN position and returned that NaN
(or inf velocity, inf cell) without a word, and resumed an interrupted one from it, ran the
model and then blamed the time step ("the simulation exploded (time step 2.0 fs too long, or
the model failed)"). Now every reader names the file, the frame, its step and the data, and
run_md refuses the file before any model evaluation.
"""

import shutil
import warnings

import h5py
import numpy as np
import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import run_md, stage_file_problem
from ase_electrolyte.trajectory import (
    h5md_info,
    h5md_series,
    integrator_state,
    read_h5md,
    start_state,
)

_RUN = dict(ensemble="nvt", steps=10, timestep_fs=2.0, temperature_K=100, write_interval=5,
            progress=False)

# dataset, what the message names, the reader that meets it first
_DAMAGE = {
    "position": ("particles/trajectory/position/value", "position", "frame"),
    "velocity": ("particles/trajectory/velocity/value", "velocity", "frame"),
    "cell": ("particles/trajectory/box/edges/value", "box edges", "frame"),
    "force": ("particles/trajectory/force/value", "force", "frame"),
    "energy": ("observables/potential_energy/value", "potential_energy", "frame"),
    "chain": ("parameters/ase_electrolyte/integrator/thermostat_p_eta/value",
              "integrator state thermostat_p_eta", "state"),
    "start": ("parameters/ase_electrolyte/start_positions", "the start's positions", "start"),
    "conserved": ("parameters/ase_electrolyte/series/conserved_energy/value",
                  "'conserved_energy' series", "series"),
}


def _run(path, stop_at=None):
    calc = StoppingArgon(stop_at)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_md(argon(calc, rattle=0.02, seed=1), trajectory=path, **_RUN), calc


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sound")
    done = folder / "done.h5md"
    _run(done)
    stopped = folder / "stopped.h5md"
    with pytest.raises(KeyboardInterrupt):
        _run(stopped, stop_at=9)
    assert not h5md_info(stopped)["complete"] and h5md_info(stopped)["last_step"] == 5
    return {"complete": done, "stopped": stopped}


def _damage(source, target, dataset, bad):
    shutil.copy(source, target)
    with h5py.File(target, "r+") as f:
        data = f[dataset]
        value = data[()]
        # the last stored row: the frame (or sample) a reuse or resume reads
        if not dataset.endswith("/value"):
            value.flat[1] = bad
        elif value.ndim == 1:
            value[-1] = bad
        else:
            value[-1].flat[1] = bad  # a view of the last row
        data[...] = value
    return target


def _read(kind, path):
    if kind == "frame":
        return read_h5md(path, -1)
    if kind == "state":
        return integrator_state(path, -1)
    if kind == "start":
        return start_state(path)
    return h5md_series(path, "conserved_energy")


@pytest.mark.parametrize("bad", [np.nan, -np.inf], ids=["nan", "-inf"])
@pytest.mark.parametrize("name", sorted(_DAMAGE))
def test_the_reader_names_the_damage(files, name, bad, tmp_path):
    dataset, what, kind = _DAMAGE[name]
    path = _damage(files["complete"], tmp_path / "damaged.h5md", dataset, bad)
    with pytest.raises(ValueError, match="is damaged") as err:
        _read(kind, path)
    message = str(err.value)
    assert what in message and "non-finite" in message
    if kind in ("frame", "state"):
        assert "frame 2 (step 10)" in message
    if kind == "series":
        assert "step 10" in message
    # the sound file reads
    _read(kind, files["complete"])


@pytest.mark.parametrize("state", ["complete", "stopped"])
@pytest.mark.parametrize("name", sorted(_DAMAGE))
def test_run_md_refuses_a_damaged_file_before_the_model(files, name, state, tmp_path):
    """A finished run was reused with its NaN, an interrupted one resumed from it into a
    failure blamed on the time step; now both are refused before any evaluation, unchanged."""
    dataset, what, _ = _DAMAGE[name]
    path = _damage(files[state], tmp_path / "damaged.h5md", dataset, np.nan)
    before = path.read_bytes()
    calc = StoppingArgon()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="damaged") as err:
            run_md(argon(calc, rattle=0.02, seed=1), trajectory=path, **_RUN)
    assert what in str(err.value) and "overwrite=True" in str(err.value)
    assert calc.calls == 0
    assert path.read_bytes() == before
    assert what in stage_file_problem(path)


def test_a_sound_file_is_still_reused_and_resumed(files, tmp_path):
    whole, _ = _run(tmp_path / "whole.h5md")
    reused, calc = _run(files["complete"])
    assert calc.calls == 0
    np.testing.assert_array_equal(reused.positions, whole.positions)
    path = tmp_path / "stopped.h5md"
    shutil.copy(files["stopped"], path)
    resumed, _ = _run(path)
    np.testing.assert_allclose(resumed.positions, whole.positions, rtol=0, atol=1e-10)
