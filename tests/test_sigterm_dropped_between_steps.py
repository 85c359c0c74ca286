"""A SIGTERM whose ``Terminated`` was dropped (raised in a ``__del__``, where Python prints
"Exception ignored in" and goes on) outside the MD and FIRE steps: in the writer's last frame,
while a stage file is closed, between two protocol stages.

The steps' observer (``md._raise_if_terminated``) raised it again only at the next step: after a
run's last step there is none, so the run closed its file as complete and returned, and the
protocol went on to its next stage's first model evaluation, or returned its result (and a
batch job its success) after the scheduler had asked it to stop.
"""

import multiprocessing
import os
import traceback
import warnings

import numpy as np
from ase.calculators.lj import LennardJones
from test_runs_stopped_early import _PROTOCOL, _RUN, _argon, drop_sigterm

from ase_electrolyte import md as md_module
from ase_electrolyte.md import run_md, run_protocol
from ase_electrolyte.trajectory import H5MDWriter, h5md_info

_FORK = multiprocessing.get_context("fork")


class _CountingLJ(LennardJones):
    calls = 0

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)


_CountingLJ.__module__, _CountingLJ.__name__ = LennardJones.__module__, LennardJones.__name__


def _dropping(owner, name, when):
    """Make ``owner.name`` drop a SIGTERM before the call for which ``when(args)`` holds."""
    original = getattr(owner, name)

    def wrapped(*args, **kwargs):
        if when(*args, **kwargs):
            drop_sigterm()
        return original(*args, **kwargs)

    setattr(owner, name, wrapped)


def _child(queue, call, path, patch):
    warnings.simplefilter("ignore")
    patch()
    atoms = _argon()
    atoms.calc = _CountingLJ(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    try:
        if call == "run_md":
            run_md(atoms, trajectory=path, **_RUN)
        else:
            run_protocol(atoms, atoms.calc, path, **_PROTOCOL)
    except BaseException as err:  # noqa: BLE001 - reported to the test
        queue.put((type(err).__name__, getattr(err, "__notes__", []), _CountingLJ.calls,
                   traceback.format_exc()))
        os._exit(3)
    queue.put(("finished", [], _CountingLJ.calls, ""))
    os._exit(0)


def _in_child(call, path, patch):
    queue = _FORK.SimpleQueue()
    child = _FORK.Process(target=_child, args=(queue, call, path, patch))
    child.start()
    child.join(180)
    assert not queue.empty(), f"the child ended with {child.exitcode} and no report"
    return child.exitcode, queue.get()


def _last_frame_of_run():
    # the run's last frame (step 12): after the last observer's check of SIGTERM
    _dropping(H5MDWriter, "write", lambda self, atoms, step, *a, **k: step == _RUN["steps"])


def test_a_sigterm_dropped_in_the_last_frames_write_leaves_the_run_incomplete(tmp_path):
    path = tmp_path / "md.h5md"
    code, (kind, notes, calls, trace) = _in_child("run_md", path, _last_frame_of_run)
    assert code == 3 and kind == "Terminated", trace
    assert notes == [f"run_md: terminated (SIGTERM); {path} keeps 7 frames up to step 12, not "
                     "marked complete; the same call resumes from its last frame"]
    info = h5md_info(path)
    assert not info["complete"] and info["last_step"] == _RUN["steps"]
    # the same call completes the file without a step (no model evaluation)
    _CountingLJ.calls = 0
    atoms = _argon()
    atoms.calc = _CountingLJ(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        final = run_md(atoms, trajectory=path, **_RUN)
    assert _CountingLJ.calls == 0 and final.info["step"] == _RUN["steps"]
    assert h5md_info(path)["complete"] and h5md_info(path)["n_frames"] == 7


def _between_stages():
    # the mean-volume step between the NPT stages and the production
    _dropping(md_module, "_at_mean_volume", lambda *a, **k: True)


def test_a_sigterm_dropped_between_two_stages_starts_no_stage(tmp_path):
    folder = tmp_path / "run"
    code, (kind, notes, calls, trace) = _in_child("run_protocol", folder, _between_stages)
    assert code == 3 and kind == "Terminated", trace
    assert notes == [f"run_protocol: terminated (SIGTERM); finished stage files in {folder}: "
                     "relaxed.h5md; the same call (overwrite=False) reuses them and resumes "
                     "the stage that was running"]
    # the relaxation's evaluations alone: the production never evaluated the model
    relaxed = h5md_info(folder / "relaxed.h5md")
    assert relaxed["complete"]
    assert not (folder / "production.h5md").exists()
    assert not any(p.name.endswith(".part.h5md") for p in folder.iterdir())
    # the same call reuses the relaxation and runs the production
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = run_protocol(_argon(), _argon().calc, folder, **_PROTOCOL)
    assert all(h5md_info(p)["complete"] for p in done.files.values())
    assert calls >= 1


def _closing_production():
    _dropping(H5MDWriter, "close",
              lambda self, complete=True: complete and self.path.name == "production.h5md")


def test_a_sigterm_dropped_while_the_last_stage_file_closes_returns_no_result(tmp_path):
    # before, the protocol detected equilibration over every sample and returned its result
    folder = tmp_path / "run"
    code, (kind, notes, _, trace) = _in_child("run_protocol", folder, _closing_production)
    assert code == 3 and kind == "Terminated", trace
    assert notes == [f"run_protocol: terminated (SIGTERM); finished stage files in {folder}: "
                     "relaxed.h5md, production.h5md; the same call (overwrite=False) reuses them "
                     "and resumes the stage that was running"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        done = run_protocol(_argon(), _argon().calc, folder, **_PROTOCOL)
    assert np.isfinite(done.temperature.value)
    assert h5md_info(folder / "production.h5md")["n_frames"] == 7


def _while_hashing_the_model():
    # the calculator's fingerprint (a model file's SHA-256: seconds for a large model)
    _dropping(md_module, "calculator_fingerprint", lambda *a, **k: True)


def test_a_sigterm_dropped_before_the_first_step_evaluates_nothing(tmp_path):
    path = tmp_path / "md.h5md"
    code, (kind, notes, calls, trace) = _in_child("run_md", path, _while_hashing_the_model)
    assert code == 3 and kind == "Terminated", trace
    assert calls == 0  # before, the first step's evaluation ran
    assert notes == [f"run_md: terminated (SIGTERM); no frame was written, so {path} was not "
                     "written (nor replaced); the same call runs it"]
    assert not list(tmp_path.iterdir())


def test_a_sigterm_dropped_before_a_relaxation_evaluates_nothing(tmp_path):
    folder = tmp_path / "run"
    code, (kind, notes, calls, trace) = _in_child("run_protocol", folder,
                                                  _while_hashing_the_model)
    assert code == 3 and kind == "Terminated", trace
    assert calls == 0
    assert notes[0] == ("run_protocol's relaxation: terminated (SIGTERM) before it converged; "
                        f"{folder / 'relaxed.h5md'} not written; a rerun with the same "
                        "arguments relaxes again from the start")
    assert not (folder / "relaxed.h5md").exists()
