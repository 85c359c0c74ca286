"""Two runs racing into one trajectory file or run folder: one writer, the other refused at once.

Trajectories are opened without HDF5 file locking so that readers never block a run; before the
writer claim (:mod:`ase_electrolyte.writer_lock`) a second ``run_md`` on a running file resumed
it in parallel and overwrote frames of the first, which still reported success and marked the
file complete. The children are forked (the imports are shared) and paused inside their run by
events, not by timing: the second writer always meets a first that is mid-run.
"""

import hashlib
import multiprocessing
import os
import signal
import threading

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import run_md, run_protocol
from ase_electrolyte.trajectory import H5MDWriter, h5md_info, open_h5md, read_h5md
from ase_electrolyte.writer_lock import ConcurrentWriterError, WriterLock, lock_file

_FORK = multiprocessing.get_context("fork")
# a child that never reaches its event has hung: fail instead of waiting for ever
_WAIT_S = 60
_MD = dict(ensemble="nvt", steps=12, timestep_fs=1.0, temperature_K=80, write_interval=2,
           progress=False)


class _GatedLJ(LennardJones):
    """Argon LJ that counts its evaluations; from the ``at``-th one it signals and waits."""

    def __init__(self, at=None, reached=None, proceed=None):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.at, self.reached, self.proceed = at, reached, proceed
        self.calls = 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        if self.at is not None and self.calls == self.at:
            self.reached.set()
            if not self.proceed.wait(_WAIT_S):
                raise RuntimeError("the test never let this run go on")
        super().calculate(*args, **kwargs)


def _argon(calc=None):
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    atoms.calc = calc or _GatedLJ()
    return atoms


def _child_md(path, at, reached, proceed, results, barrier=None):
    try:
        if barrier is not None:
            barrier.wait(_WAIT_S)
        run_md(_argon(_GatedLJ(at, reached, proceed)), trajectory=path, **_MD)
        results.put(("ok", ""))
    except BaseException as err:  # noqa: BLE001 - reported to the test, which judges it
        results.put((type(err).__name__, str(err)))


def _child_protocol(folder, at, reached, proceed, results):
    try:
        run_protocol(_argon(), _GatedLJ(at, reached, proceed), folder, **_PROTOCOL)
        results.put(("ok", ""))
    except BaseException as err:  # noqa: BLE001 - reported to the test, which judges it
        results.put((type(err).__name__, str(err)))


def _child_hold(target, held, release):
    with WriterLock(target, "output folder"):
        held.set()
        release.wait(_WAIT_S)


def _start(target, *args):
    proc = _FORK.Process(target=target, args=args)
    proc.start()
    return proc


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _datasets(path):
    """Every dataset of an H5MD file by name, and its run_info."""
    import h5py

    out = {}
    with open_h5md(path) as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset)
                     else None)
        return out, f["parameters/ase_electrolyte"].attrs["run_info"]


def _assert_same_file(path, reference):
    data, info = _datasets(path)
    ref, ref_info = _datasets(reference)
    assert info == ref_info and sorted(data) == sorted(ref)
    for name in ref:
        np.testing.assert_array_equal(data[name], ref[name], err_msg=name)


@pytest.fixture
def gate():
    """(reached, proceed) events; ``proceed`` is set at teardown: no child is left hanging."""
    reached, proceed = _FORK.Event(), _FORK.Event()
    yield reached, proceed
    proceed.set()


@pytest.mark.filterwarnings("ignore:molecules .'Ar'. are not in the species library")
def test_second_writer_is_refused_mid_run_readers_are_not_and_the_file_is_a_solo_runs(
    tmp_path, gate
):
    from mda_electrolyte.bridge import from_ase

    solo = tmp_path / "solo.h5md"
    run_md(_argon(), trajectory=solo, **_MD)
    race = tmp_path / "race.h5md"
    reached, proceed = gate
    results = _FORK.Queue()
    # paused at its 6th evaluation, after the frames of steps 0, 2 and 4 are written
    first = _start(_child_md, race, 6, reached, proceed, results)
    assert reached.wait(_WAIT_S)
    assert h5md_info(race)["n_frames"] == 3
    before = _sha(race)
    for kw in ({}, {"overwrite": True}, {"steps": 20}):
        calc = _GatedLJ()
        with pytest.raises(ConcurrentWriterError, match="being written by another process") as e:
            run_md(_argon(calc), trajectory=race, **{**_MD, **kw})
        assert str(race) in str(e.value) and f"pid {first.pid}" in str(e.value)
        assert calc.calls == 0  # refused before any evaluation
    for mode in ("a", "w"):
        with pytest.raises(ConcurrentWriterError, match=str(race)):
            H5MDWriter(race, _argon(), mode=mode)
    assert _sha(race) == before  # the first run's file untouched
    # readers open the running file, and one that stays open does not stop the run
    assert read_h5md(race, -1).info["step"] == 4
    with pytest.warns(UserWarning, match="has not finished"):
        universe = from_ase(race)
    assert universe.trajectory.n_frames == 3
    with open_h5md(race):
        proceed.set()
        first.join(_WAIT_S)
    universe.trajectory.close()
    assert results.get(timeout=_WAIT_S) == ("ok", "") and first.exitcode == 0
    assert h5md_info(race)["complete"]
    _assert_same_file(race, solo)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["race.h5md", "solo.h5md"]


def test_two_processes_racing_for_one_file_leave_one_writer(tmp_path, gate):
    solo = tmp_path / "solo.h5md"
    run_md(_argon(), trajectory=solo, **_MD)
    race = tmp_path / "race.h5md"
    reached, proceed = gate
    results = _FORK.Queue()
    # both wait at their first evaluation until one of them has been answered: the winner is
    # then still running when the loser asks
    barrier = _FORK.Barrier(2)
    procs = [_start(_child_md, race, 1, reached, proceed, results, barrier) for _ in range(2)]
    loser = results.get(timeout=_WAIT_S)
    proceed.set()
    winner = results.get(timeout=_WAIT_S)
    for proc in procs:
        proc.join(_WAIT_S)
    assert loser[0] == "ConcurrentWriterError" and str(race) in loser[1]
    assert winner == ("ok", "")
    _assert_same_file(race, solo)


_PROTOCOL = dict(temperature_K=80, preequilibration_ps=0.008, equilibration_ps=0.0,
                 production_ps=0.006, production_ensemble="nvt", write_interval_fs=2.0,
                 observe_interval_fs=1.0, relax_fmax=2.0, progress=False)


@pytest.mark.filterwarnings("ignore:atoms carries no molecule")
@pytest.mark.filterwarnings("ignore:temperature_K = 80.0 K is far")
def test_a_second_protocol_into_a_running_folder_is_refused(tmp_path, gate):
    folder = tmp_path / "run"
    reached, proceed = gate
    results = _FORK.Queue()
    # the relaxation has converged (argon fcc: one evaluation) and the NPT stage is running
    # (after the two stress evaluations that measure its start's stiffness)
    first = _start(_child_protocol, folder, 6, reached, proceed, results)
    assert reached.wait(_WAIT_S)
    stage = folder / "preequilibration.h5md"
    assert stage.exists()
    calc = _GatedLJ()
    with pytest.raises(ConcurrentWriterError, match=f"run folder {folder} is being written"):
        run_protocol(_argon(), calc, folder, **_PROTOCOL)
    with pytest.raises(ConcurrentWriterError, match=f"trajectory {stage} is being written"):
        run_md(_argon(calc), trajectory=stage, **_MD)
    assert calc.calls == 0
    proceed.set()
    first.join(_WAIT_S)
    assert results.get(timeout=_WAIT_S) == ("ok", "")
    # finished: the same call now reuses the folder without evaluating anything
    done = run_protocol(_argon(), calc, folder, **_PROTOCOL)
    assert calc.calls == 0 and h5md_info(done.files["production"])["complete"]
    assert not any(p.name.endswith(".lock") for p in folder.iterdir())


def test_a_lock_left_by_a_killed_run_does_not_block_the_next(tmp_path):
    path = tmp_path / "md.h5md"
    # not the fixture's: an event whose waiter was killed must never be set (it would hang)
    reached, proceed = _FORK.Event(), _FORK.Event()
    first = _start(_child_md, path, 6, reached, proceed, _FORK.Queue())
    assert reached.wait(_WAIT_S)
    os.kill(first.pid, signal.SIGKILL)
    first.join(_WAIT_S)
    assert first.exitcode == -signal.SIGKILL
    assert lock_file(path).exists()  # left behind, but nobody holds it any more
    assert h5md_info(path)["n_frames"] == 3
    calc = _GatedLJ()
    run_md(_argon(calc), trajectory=path, **_MD)  # resumes
    info = h5md_info(path)
    assert info["complete"] and info["last_step"] == _MD["steps"] and calc.calls > 0
    assert not lock_file(path).exists()


def test_the_cli_reports_a_busy_output_folder_in_one_line_before_any_work(
    tmp_path, capsys, monkeypatch
):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    def _forbidden(*args, **kwargs):
        raise AssertionError("expensive work started in a folder another run is writing")

    monkeypatch.setattr(cli_arguments, "make_calculator", _forbidden)
    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _forbidden)
    folder = tmp_path / "out"
    folder.mkdir()
    held, release = _FORK.Event(), _FORK.Event()
    holder = _start(_child_hold, folder, held, release)
    try:
        assert held.wait(_WAIT_S)
        for argv in (
            ["simulate", "--counts", "EC=2,Li=1,PF6=1", "--model", "sevennet-0", "-q"],
            ["demo", "-q"],
        ):
            assert main(argv + ["-o", str(folder)]) == 2
            err = capsys.readouterr().err
            assert err.startswith(f"electrolyte {argv[0]}: error: output folder {folder} is "
                                  "being written by another process")
            assert err.count("\n") == 1 and "Traceback" not in err
    finally:
        release.set()
        holder.join(_WAIT_S)
    assert list(folder.iterdir()) == []


def test_analyze_and_diagnose_wait_for_the_writer_of_their_output_folder(tmp_path, capsys,
                                                                          monkeypatch):
    """Also the analysis folder of a running demo: the demo claims it with its run folder."""
    import electrolyte_cli.arguments as cli_arguments
    import mda_electrolyte.bridge
    from electrolyte_cli import main

    def _forbidden(*args, **kwargs):
        raise AssertionError("work started in a folder another run is writing")

    monkeypatch.setattr(cli_arguments, "make_calculator", _forbidden)
    monkeypatch.setattr(mda_electrolyte.bridge, "from_ase", _forbidden)
    monkeypatch.setattr(mda_electrolyte.bridge, "read_ase_frames", _forbidden)
    trajectory = tmp_path / "md.h5md"
    run_md(_argon(), trajectory=trajectory, **_MD)
    folder = tmp_path / "run" / "analysis"
    folder.mkdir(parents=True)
    held, release = _FORK.Event(), _FORK.Event()
    # what a running demo holds besides its run folder
    holder = _start(_child_hold, folder, held, release)
    try:
        assert held.wait(_WAIT_S)
        for argv, out in ((["analyze", str(trajectory)], folder),
                          (["diagnose", str(trajectory), "--model", "sevennet-0"], folder),
                          # a second demo into that run folder meets the claim on its analysis
                          (["demo"], folder.parent)):
            assert main(argv + ["-o", str(out), "-q"]) == 2
            err = capsys.readouterr().err
            assert err.startswith(f"electrolyte {argv[0]}: error: output folder {folder} is "
                                  "being written by another process"), err
            assert err.count("\n") == 1
    finally:
        release.set()
        holder.join(_WAIT_S)


def test_claims_are_reentrant_in_one_thread_and_refused_to_another(tmp_path):
    target = tmp_path / "t.h5md"
    outer = WriterLock(target, "trajectory").acquire()
    with WriterLock(target, "trajectory") as inner:  # e.g. run_md's claim, then its writer's
        assert inner.held
    assert outer.held and lock_file(target).exists()
    errors = []

    def other():
        try:
            WriterLock(target, "trajectory").acquire()
        except ConcurrentWriterError as err:
            errors.append(str(err))

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "another thread of this process" in errors[0]
    outer.release()
    assert not lock_file(target).exists()
    with WriterLock(target, "trajectory"):  # free again
        assert lock_file(target).exists()
