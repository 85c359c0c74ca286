"""Runs stopped at their earliest moments (SIGKILL) or by SIGTERM, in a child process.

A run killed after its trajectory was created but before its first frame (a model loading or
compiling before its first forces) left a sound H5MD file of no frame, on which
``MDAnalysis.Universe(file)`` failed with a bare ``OSError`` (its reader reads the first frame on
opening). The writer now builds a new file beside its name and renames it over the name with
its first frame: a run stopped before leaves the previous file (or none) and a hidden temporary
file that the next writer removes. SIGTERM to a library ``run_md``/``run_protocol`` ended the
process silently; it now unwinds as Ctrl-C does, with a note saying what is kept and that the
same call resumes.
"""

import multiprocessing
import os
import signal
import traceback
import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones
from MDAnalysis.coordinates.H5MD import H5MDReader

from ase_electrolyte import trajectory as trajectory_module
from ase_electrolyte.md import Terminated, run_md, run_protocol, terminate_as_interrupt
from ase_electrolyte.trajectory import H5MDWriter, h5md_info, open_h5md, read_h5md
from mda_electrolyte.bridge import from_ase

_FORK = multiprocessing.get_context("fork")
_RUN = dict(ensemble="nve", steps=12, timestep_fs=2.0, temperature_K=60, write_interval=2,
            progress=False)
_PROTOCOL = dict(temperature_K=60, relax_fmax=0.05, preequilibration_ps=0.0,
                 equilibration_ps=0.0, production_ps=0.024, production_ensemble="nve",
                 timestep_fs=2.0, write_interval_fs=4.0, observe_interval_fs=2.0,
                 progress=False)


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.05, seed=3)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    return atoms


def _signal_at(owner, name, n, signum, before=True):
    """Make ``owner.name`` send ``signum`` to its own process at its ``n``-th call."""
    original = getattr(owner, name)
    calls = [0]

    def signalling(*args, **kwargs):
        calls[0] += 1
        if before and calls[0] == n:
            os.kill(os.getpid(), signum)
        out = original(*args, **kwargs)
        if not before and calls[0] == n:
            os.kill(os.getpid(), signum)
        return out

    setattr(owner, name, signalling)


def _child(queue, point, signum, call, path, kw):
    """Run ``call`` into ``path`` with a signal at ``point``; report how it ended."""
    warnings.simplefilter("ignore")
    if point is not None:
        owner, name, n, *before = point
        _signal_at(owner, name, n, signum, *before)
    try:
        if call == "run_md":
            run_md(_argon(), trajectory=path, **kw)
        else:
            run_protocol(_argon(), _argon().calc, path, **kw)
    except BaseException as err:  # noqa: BLE001 - reported to the test
        queue.put((type(err).__name__, getattr(err, "__notes__", []),
                   traceback.format_exc()))
        os._exit(3)
    queue.put(("finished", [], ""))
    os._exit(0)


def _in_child(point, signum, call, path, kw):
    queue = _FORK.SimpleQueue()
    child = _FORK.Process(target=_child, args=(queue, point, signum, call, path, kw))
    child.start()
    child.join(180)
    return child.exitcode, (None if queue.empty() else queue.get())


def _assert_readable_by_both(path, n_frames):
    """MDAnalysis' reader and ours give exactly ``n_frames`` frames of finite positions."""
    reader = H5MDReader(str(path))
    try:
        assert reader.n_frames == n_frames
        assert all(np.isfinite(ts.positions).all() for ts in reader)
    finally:
        reader.close()
    assert h5md_info(path)["n_frames"] == n_frames
    read_h5md(path, -1)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run, the one every rerun must reproduce."""
    path = tmp_path_factory.mktemp("reference") / "md.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        final = run_md(_argon(), trajectory=path, **_RUN)
    return path, final


# where a run is killed before its first frame is complete
_EARLY = {
    "just after the file's creation": (H5MDWriter, "write", 1),
    "in the first force evaluation": (LennardJones, "calculate", 1),
    "inside the first frame's write": (trajectory_module, "_append_rows", 1),
    "at the first frame's rename": (H5MDWriter, "_publish_file", 1),
}


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("point", list(_EARLY))
def test_a_run_killed_before_its_first_frame_leaves_no_unreadable_file(point, tmp_path,
                                                                       reference):
    path = tmp_path / "md.h5md"
    code, _ = _in_child(_EARLY[point], signal.SIGKILL, "run_md", path, _RUN)
    assert code == -signal.SIGKILL, "the run was not killed where the test meant"
    # nothing under the name: both readers say so by name, not with a bare OSError
    assert not path.exists()
    with pytest.raises(FileNotFoundError, match="md.h5md"):
        from_ase(path)
    with pytest.raises(FileNotFoundError):
        H5MDReader(str(path))
    # the same call runs it, bit for bit, and removes the dead writer's temporary file
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        final = run_md(_argon(), trajectory=path, **_RUN)
    assert not [p.name for p in tmp_path.iterdir() if ".part" in p.name]
    np.testing.assert_array_equal(final.positions, reference[1].positions)
    np.testing.assert_array_equal(read_h5md(path, -1).positions,
                                  read_h5md(reference[0], -1).positions)
    _assert_readable_by_both(path, h5md_info(reference[0])["n_frames"])


@pytest.mark.parametrize("point", ["just after the file's creation",
                                   "in the first force evaluation"])
def test_an_overwrite_killed_before_its_first_frame_keeps_the_previous_file(point, tmp_path,
                                                                             reference):
    path = tmp_path / "md.h5md"
    path.write_bytes(reference[0].read_bytes())
    before = path.read_bytes()
    other = dict(_RUN, temperature_K=80)
    code, _ = _in_child(_EARLY[point], signal.SIGKILL, "run_md", path,
                        dict(other, overwrite=True))
    assert code == -signal.SIGKILL
    # the previous run, whole and still readable: never a file of no frame in its place
    assert path.read_bytes() == before
    _assert_readable_by_both(path, h5md_info(reference[0])["n_frames"])
    # not mistaken for the new run
    with pytest.raises(ValueError, match="different run.*temperature_K"):
        run_md(_argon(), trajectory=path, **other)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_md(_argon(), trajectory=path, overwrite=True, **other)
    assert h5md_info(path)["run_info"]["temperature_K"] == 80.0


def test_an_empty_file_of_an_earlier_writer_is_named_and_rerun(tmp_path, reference):
    """A file of no frame (left by a writer that created it before its first frame)."""
    path = tmp_path / "md.h5md"
    H5MDWriter(path, _argon(), run_info={"steps": 1}).close(complete=True)
    with open_h5md(path, "r+") as f:
        f["parameters/ase_electrolyte"].attrs["complete"] = False
    assert h5md_info(path)["n_frames"] == 0
    with pytest.raises(IndexError, match="holds no complete frame.*stopped before its first "
                                         "frame.*calling it again runs it"):
        read_h5md(path, -1)
    with pytest.raises(ValueError, match="holds no complete frame"):
        from_ase(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        final = run_md(_argon(), trajectory=path, **_RUN)
    np.testing.assert_array_equal(final.positions, reference[1].positions)
    _assert_readable_by_both(path, h5md_info(reference[0])["n_frames"])


def test_a_writer_closed_incomplete_before_any_frame_writes_nothing(tmp_path):
    path = tmp_path / "w.h5md"
    H5MDWriter(path, _argon()).close(complete=False)
    assert not path.exists() and not list(tmp_path.iterdir())
    # with a previous file there, that file is kept as it was
    atoms = _argon()
    with H5MDWriter(path, atoms) as w:
        w.write(atoms, step=0, time=0.0)
    before = path.read_bytes()
    H5MDWriter(path, _argon()).close(complete=False)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["w.h5md"]


def test_the_first_frame_publishes_a_file_that_mdanalysis_reads_while_the_run_goes_on(tmp_path):
    path = tmp_path / "w.h5md"
    atoms = _argon()
    w = H5MDWriter(path, atoms)
    try:
        assert not path.exists()
        w.write(atoms, step=0, time=0.0)
        assert path.exists()
        atoms.positions += 0.01
        w.write(atoms, step=1, time=0.002)
    finally:
        w.close(complete=False)
    _assert_readable_by_both(path, 2)
    assert not h5md_info(path)["complete"]


# --- SIGTERM ----------------------------------------------------------------------------------
def test_sigterm_mid_run_ends_as_ctrl_c_and_the_same_call_resumes(tmp_path, reference):
    path = tmp_path / "md.h5md"
    code, (kind, notes, _) = _in_child((H5MDWriter, "write", 3, False), signal.SIGTERM, "run_md",
                                       path, _RUN)
    assert code == 3 and kind == "Terminated"
    assert notes == [f"run_md: terminated (SIGTERM); {path} keeps 3 frames up to step 4, not "
                     "marked complete; the same call resumes from its last frame"]
    info = h5md_info(path)
    assert info["n_frames"] == 3 and not info["complete"]
    _assert_readable_by_both(path, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        final = run_md(_argon(), trajectory=path, **_RUN)
    assert h5md_info(path)["complete"]
    # resumed from a stored frame: velocities round-trip through Å/ps (1 ulp)
    np.testing.assert_allclose(final.positions, reference[1].positions, rtol=0, atol=1e-9)
    _assert_readable_by_both(path, h5md_info(reference[0])["n_frames"])


def test_sigterm_before_the_first_frame_says_nothing_was_written(tmp_path):
    path = tmp_path / "md.h5md"
    code, (kind, notes, _) = _in_child((LennardJones, "calculate", 1), signal.SIGTERM, "run_md",
                                       path, _RUN)
    assert code == 3 and kind == "Terminated"
    assert notes == [f"run_md: terminated (SIGTERM); no frame was written, so {path} was not "
                     "written (nor replaced); the same call runs it"]
    assert not path.exists() and not list(tmp_path.iterdir())


def test_sigterm_in_a_protocol_names_the_finished_stages_and_the_same_call_resumes(tmp_path):
    folder = tmp_path / "run"
    # the production's 3rd frame: the relaxation is finished
    code, (kind, notes, _) = _in_child((H5MDWriter, "write", 4, False), signal.SIGTERM,
                                       "run_protocol", folder, _PROTOCOL)
    assert code == 3 and kind == "Terminated"
    # the stage as the protocol's caller knows it, not a run_md call they never made
    assert notes[0].startswith("run_protocol's production stage: terminated (SIGTERM); ")
    assert notes[0].endswith("a rerun with the same arguments resumes it from its last frame")
    assert notes[1] == (f"run_protocol: terminated (SIGTERM); finished stage files in {folder}: "
                        "relaxed.h5md; the same call (overwrite=False) reuses them and resumes "
                        "the stage that was running")
    _assert_readable_by_both(folder / "production.h5md", 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = run_protocol(_argon(), _argon().calc, folder, **_PROTOCOL)
    assert all(h5md_info(p)["complete"] for p in done.files.values())


def _own_handler_child(queue):
    received = []
    signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    _signal_at(LennardJones, "calculate", 2, signal.SIGTERM)
    warnings.simplefilter("ignore")
    final = run_md(_argon(), trajectory=None, **_RUN)
    handler_kept = signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
    queue.put((received, final.info["step"], handler_kept))
    os._exit(0)


def test_a_callers_own_sigterm_handler_is_left_alone():
    queue = _FORK.SimpleQueue()
    child = _FORK.Process(target=_own_handler_child, args=(queue,))
    child.start()
    child.join(180)
    assert child.exitcode == 0
    received, step, handler_kept = queue.get()
    assert received == [signal.SIGTERM] and step == _RUN["steps"] and handler_kept


def test_the_default_sigterm_action_is_back_after_a_run():
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with terminate_as_interrupt():
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN)
        with pytest.raises(Terminated):
            os.kill(os.getpid(), signal.SIGTERM)
            # the handler runs at the next bytecode: anything that gives it the chance
            for _ in range(1000):
                pass
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_sigterm_in_the_relaxation_of_a_protocol_says_nothing_is_finished(tmp_path):
    folder = tmp_path / "run"
    code, (kind, notes, _) = _in_child((LennardJones, "calculate", 3), signal.SIGTERM,
                                       "run_protocol", folder, _PROTOCOL)
    assert code == 3 and kind == "Terminated"
    # the relaxation as the protocol's caller knows it, not a relax call they never made
    assert notes == [
        f"run_protocol's relaxation: terminated (SIGTERM) before it converged; "
        f"{folder / 'relaxed.h5md'} not written; a rerun with the same arguments relaxes again "
        "from the start",
        f"run_protocol: terminated (SIGTERM); finished stage files in {folder}: none; the same "
        "call (overwrite=False) reuses them and resumes the stage that was running",
    ]
    assert not [p for p in folder.iterdir() if not p.name.startswith(".")]


def test_a_handler_installed_during_the_run_is_left_in_place():
    def own(signum, frame):
        pass

    try:
        with terminate_as_interrupt():
            signal.signal(signal.SIGTERM, own)
        assert signal.getsignal(signal.SIGTERM) is own
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_sigterm_after_the_first_frame_counts_one_frame(tmp_path):
    path = tmp_path / "md.h5md"
    code, (kind, notes, _) = _in_child((H5MDWriter, "write", 1, False), signal.SIGTERM, "run_md",
                                       path, _RUN)
    assert code == 3 and kind == "Terminated"
    assert notes == [f"run_md: terminated (SIGTERM); {path} keeps 1 frame up to step 0, not "
                     "marked complete; the same call resumes from its last frame"]
    _assert_readable_by_both(path, 1)


class _DroppingLJ(LennardJones):
    """Lennard-Jones whose ``n``-th evaluation receives SIGTERM inside a ``__del__`` (a model's
    temporary object), where Python drops the handler's exception ("Exception ignored in")."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n, self.calls = n, 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.n:
            drop_sigterm()
        super().calculate(*args, **kwargs)


def drop_sigterm():
    """SIGTERM received inside a ``__del__``: the handler's exception is dropped there."""

    class Temporary:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(10_000):  # the handler runs here, at a bytecode boundary
                pass

    Temporary()


def _dropping_child(queue, path, call="run_md"):
    warnings.simplefilter("ignore")
    atoms = _argon()
    atoms.calc = _DroppingLJ(5, sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    try:
        if call == "relax":
            from ase_electrolyte.md import relax

            atoms.rattle(0.2, seed=1)  # far from converged: the relaxation has steps to run
            with terminate_as_interrupt():
                relax(atoms, fmax=1e-4, steps=200, trajectory=path)
        else:
            run_md(atoms, trajectory=path, **_RUN)
    except BaseException as err:  # noqa: BLE001 - reported to the test
        queue.put((type(err).__name__, getattr(err, "__notes__", []), atoms.calc.calls))
        os._exit(3)
    queue.put(("finished", [], atoms.calc.calls))
    os._exit(0)


def test_sigterm_whose_exception_was_dropped_stops_the_run_at_its_next_step(tmp_path):
    # before, the run went on to its end (and was marked complete) after SIGTERM
    path = tmp_path / "md.h5md"
    queue = _FORK.SimpleQueue()
    child = _FORK.Process(target=_dropping_child, args=(queue, path))
    child.start()
    child.join(180)
    assert child.exitcode == 3
    kind, notes, calls = queue.get()
    assert kind == "Terminated" and calls == 5  # no evaluation after the dropped one's step
    assert len(notes) == 1 and notes[0].startswith("run_md: terminated (SIGTERM); ")
    info = h5md_info(path)
    assert not info["complete"] and 1 <= info["n_frames"] < _RUN["steps"] // 2 + 1
    _assert_readable_by_both(path, info["n_frames"])


def test_sigterm_whose_exception_was_dropped_stops_a_relaxation_at_its_next_step(tmp_path):
    path = tmp_path / "relaxed.h5md"
    queue = _FORK.SimpleQueue()
    child = _FORK.Process(target=_dropping_child, args=(queue, path, "relax"))
    child.start()
    child.join(180)
    assert child.exitcode == 3
    kind, notes, calls = queue.get()
    assert kind == "Terminated" and calls == 5
    assert notes == [f"relax: terminated (SIGTERM) before it converged; {path} not written; "
                     "the same call relaxes again from the start"]
    assert not path.exists()
