"""Per-step observables buffered in memory: the file stays consistent with its frames whatever
stops the run (an exception, a killed process, a full disk), a resume gives the uninterrupted
series, and the room check covers what a write really adds to the file."""

import os
import subprocess
import sys

import h5py
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones
from MDAnalysis.coordinates.H5MD import H5MDReader

from ase_electrolyte.md import _observables, run_md
from ase_electrolyte.topology import set_topology
from ase_electrolyte.trajectory import H5MDWriter, h5md_info, h5md_series
from mda_electrolyte.observables import read_observable

_SERIES = ("charge_current", "pressure_tensor", "temperature", "potential_energy", "density")


def _charged_argon():
    """32 LJ atoms carrying ±1 charges on alternating atoms, so a charge current is recorded."""
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    n = len(atoms)
    set_topology(
        atoms,
        np.arange(n),
        np.where(np.arange(n) % 2 == 0, "A", "B"),
        np.where(np.arange(n) % 2 == 0, 1, -1),
    )
    atoms.calc = _lj()
    return atoms


def _lj():
    return LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)


class _FailingLJ(LennardJones):
    """LJ that raises on its n-th evaluation, posing as plain LJ so that LJ may resume."""

    def __init__(self, fail_at):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.calls, self.fail_at = 0, fail_at

    def calculate(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("simulated crash")
        super().calculate(*args, **kwargs)


_FailingLJ.__module__, _FailingLJ.__name__ = LennardJones.__module__, LennardJones.__name__


def _nve(atoms, path, **kw):
    return run_md(
        atoms, ensemble="nve", steps=40, timestep_fs=2.0, temperature_K=60, trajectory=path,
        write_interval=5, observe_interval=1, progress=False, **kw,
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "ref.h5md"
    _nve(_charged_argon(), path)
    return path


def _assert_series_match(path, ref, last_step):
    for name in _SERIES:
        step, time, value = h5md_series(path, name)
        np.testing.assert_array_equal(step, np.arange(last_step + 1))
        np.testing.assert_allclose(time, step * 0.002, rtol=1e-12)
        r_step, _, r_value = h5md_series(ref, name)
        np.testing.assert_allclose(value, r_value[: last_step + 1], rtol=1e-7, atol=1e-9)


def test_series_every_step_match_the_frames(reference):
    info = h5md_info(reference)
    assert info["complete"] and info["last_step"] == 40
    _assert_series_match(reference, reference, 40)
    # the frame-aligned copies are the per-step samples at the frame steps
    reader = H5MDReader(str(reference))
    _, _, temperature = h5md_series(reference, "temperature")
    for ts in reader:
        assert ts.data["temperature"] == pytest.approx(temperature[ts.data["step"]], rel=1e-12)
    assert read_observable(reference, "charge_current")["value"].shape == (41, 2, 3)


def test_exception_mid_run_keeps_series_up_to_last_frame_and_resume_matches(tmp_path, reference):
    path = tmp_path / "crash.h5md"
    # evaluation 24 is step 22 (two evaluations before the first step): frames 0..20 are kept
    with pytest.raises(RuntimeError, match="simulated crash"):
        _nve(_with(_FailingLJ(fail_at=24)), path)
    info = h5md_info(path)
    last = info["last_step"]
    assert not info["complete"] and last % 5 == 0 and 10 <= last < 40
    # the steps after the last frame were buffered and dropped, never written
    _assert_nothing_after(path, last)
    _assert_series_match(path, reference, last)
    _nve(_charged_argon(), path)
    assert h5md_info(path)["complete"]
    _assert_series_match(path, reference, 40)


def _assert_nothing_after(path, last):
    with h5py.File(path, "r", locking=False) as f:
        for name in _SERIES:
            assert f[f"parameters/ase_electrolyte/series/{name}/step"][-1] == last


def _with(calc):
    atoms = _charged_argon()
    atoms.calc = calc
    return atoms


_BUILD = """
import os, sys
import numpy as np
from ase.build import bulk
from ase.calculators.lj import LennardJones
from ase_electrolyte.md import _observables, run_md
from ase_electrolyte.topology import set_topology
from ase_electrolyte.trajectory import H5MDWriter
atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
n = len(atoms)
set_topology(atoms, np.arange(n), np.where(np.arange(n) % 2 == 0, "A", "B"),
             np.where(np.arange(n) % 2 == 0, 1, -1))
"""

_KILLED_RUN = _BUILD + """
class Killed(LennardJones):
    calls = 0
    def calculate(self, *args, **kwargs):
        Killed.calls += 1
        if Killed.calls == int(sys.argv[2]):
            os._exit(9)  # as kill -9: no exception handler, no close, no flush
        super().calculate(*args, **kwargs)

Killed.__module__, Killed.__name__ = LennardJones.__module__, LennardJones.__name__
atoms.calc = Killed(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
run_md(atoms, ensemble="nve", steps=40, timestep_fs=2.0, temperature_K=60,
       trajectory=sys.argv[1], write_interval=5, observe_interval=1, progress=False)
"""


@pytest.mark.parametrize("kill_at", [9, 33])
def test_killed_process_leaves_a_readable_file_that_resumes(tmp_path, reference, kill_at):
    path = tmp_path / "killed.h5md"
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_RUN, str(path), str(kill_at)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 9, done.stderr
    info = h5md_info(path)
    last = info["last_step"]
    assert not info["complete"] and last % 5 == 0 and 0 <= last < 40
    assert H5MDReader(str(path)).n_frames == last // 5 + 1
    _assert_nothing_after(path, last)
    _assert_series_match(path, reference, last)
    _nve(_charged_argon(), path)
    _assert_series_match(path, reference, 40)


_BUFFERED_WRITES = _BUILD + """
atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
w = H5MDWriter(sys.argv[1], atoms, buffer_samples=3)
obs = _observables(atoms, atoms.get_masses().sum())
w.write(atoms, 0, 0.0, observables=obs)
for k in range(1, 5):
    w.write_observables(atoms, k, 0.001 * k, observables=obs)
w.write(atoms, 5, 0.005, observables=obs)
for k in range(6, 10):  # the 3 samples 6..8 are flushed when the buffer fills, then killed
    w.write_observables(atoms, k, 0.001 * k, observables=obs)
os._exit(9)
"""


def test_full_buffer_flushes_between_frames_and_the_file_stays_consistent(tmp_path):
    path = tmp_path / "w.h5md"
    done = subprocess.run(
        [sys.executable, "-c", _BUFFERED_WRITES, str(path)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 9, done.stderr
    info = h5md_info(path)
    assert info["n_frames"] == 2 and info["last_step"] == 5
    with h5py.File(path, "r", locking=False) as f:
        raw = f["parameters/ase_electrolyte/series/temperature/step"][()]
    np.testing.assert_array_equal(raw, np.arange(9))  # on disk, past the last frame
    step, _, _ = h5md_series(path, "temperature")
    np.testing.assert_array_equal(step, np.arange(6))  # but not counted
    # a resume truncates what follows the last frame and continues without duplicates
    atoms = _charged_argon()
    obs = _observables(atoms, atoms.get_masses().sum())
    with H5MDWriter(path, atoms, mode="a") as w:
        for k in range(6, 10):
            w.write_observables(atoms, k, 0.001 * k, observables=obs)
        w.write(atoms, 10, 0.010, observables=obs)
    step, _, value = h5md_series(path, "pressure_tensor")
    np.testing.assert_array_equal(step, np.arange(11))
    assert value.shape == (11, 3, 3)


def test_room_check_covers_what_each_write_adds(tmp_path):
    atoms = _charged_argon()
    obs = _observables(atoms, atoms.get_masses().sum())
    path = tmp_path / "room.h5md"
    w = H5MDWriter(path, atoms, buffer_samples=50)
    checked = []
    # the file being written: beside its name until its first frame renames it
    check = w._check_room

    def recording(frame=None, state=None, what=None):
        checked.append((w._room_needed(frame, state), os.path.getsize(w._where)))
        check(frame, state, what)

    w._check_room = recording
    for k in range(0, 1201):
        before = os.path.getsize(w._where)
        n_checked = len(checked)
        if k % 100 == 0:
            # with an NPT run's integrator state: its rows are room too
            w.write(atoms, k, 0.001 * k, observables=obs,
                    integrator_state={"thermostat_p_eta": np.full(3, k),
                                      "reference_cell": np.eye(3), "strain": 0.01 * k})
        else:
            w.write_observables(atoms, k, 0.001 * k, observables=obs)
        if len(checked) == n_checked:
            assert os.path.getsize(w._where) == before  # buffered: the file is untouched
            continue
        need, size = checked[-1]
        assert os.path.getsize(w._where) - size <= need, (k, need, os.path.getsize(w._where) - size)
    w.close()
    assert len(checked) > 24  # frames and flushes of a full buffer between them
    assert h5md_info(path)["n_frames"] == 13
