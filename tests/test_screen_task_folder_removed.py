"""A task folder removed while its task runs: the task ends in a failure that says so, records
nothing, and the next run of the screen runs the task again.

``run_task`` never raises, yet a folder deleted mid-run (a user cleaning up, a script) made it
raise ``FileNotFoundError: cannot write error.json: folder ... does not exist`` from its
failure handler, in the worker's process and in the parent of a ``task_timeout_s`` task alike;
the screen reported that instead of why. A finished run whose folder was removed (or removed
and made again, the claim's lock file gone with it) would have written its ``result.json``
into nothing, or beside files that are not its own.
"""

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("rdkit")
pytest.importorskip("packmol")
pytest.importorskip("distributed")

from ase_electrolyte.screen import load_plan, run_task  # noqa: E402
from ase_electrolyte.screen import task as task_module  # noqa: E402
from ase_electrolyte.screen.engine import TASKS_DIR, _prepare_outdir, _spec  # noqa: E402
from ase_electrolyte.screen.task import ERROR_FILE, RESULT_FILE  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))
_REMOVED = r"^TaskFolderRemoved: the task folder .* was removed while the task ran"


def _plan(model, timeout=None):
    return load_plan({
        "name": "removed", "seed": 7, "replicas": 1, "temperatures": [300], "n_atoms": 70,
        "analyses": [], "task_timeout_s": timeout, "model": model,
        "protocol": {"relax_fmax": 20.0, "preequilibration_ps": 0.0, "equilibration_ps": 0.0,
                     "production_ps": 0.03, "write_interval_fs": 1.0,
                     "observe_interval_fs": 1.0},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 4.0}],
    })


def _task_folder(tmp_path):
    out = tmp_path / "screen"
    task = _plan({"calculator": f"{MODELS}:lj", "device": "cpu"}).tasks()[0]
    return out, out / TASKS_DIR / task.id


@pytest.mark.parametrize("timeout", [None, 600], ids=["in-worker", "own-process"])
def test_a_folder_removed_mid_run_is_a_named_failure_and_the_rerun_does_the_task(tmp_path,
                                                                                timeout):
    out, folder = _task_folder(tmp_path)
    model = {"calculator": f"{MODELS}:removing_lj", "device": "cpu",
             "options": {"folder": str(folder), "remove_at": 20,
                         "sentinel": str(tmp_path / "removed-once")}}
    plan = _plan(model, timeout)
    task = plan.tasks()[0]
    _prepare_outdir(plan, out)
    spec = _spec(plan, task, out, 1, plan.to_dict())
    failure = run_task(spec)  # returns: never raises
    assert failure["status"] == "failed" and failure["task"] == task.id
    assert re.match(_REMOVED, failure["error"])
    assert "nothing was recorded" in failure["error"]
    assert "next run of the screen runs the task again" in failure["error"]
    # the run's own failure is named inside it, and nothing was made again at the path
    assert "its run failed: " in failure["error"]
    assert not folder.exists()
    if timeout:  # the rerun is the same in both ways of running a task: once is enough
        return
    # the next run (the model removes nothing now) runs the task from its start
    done = run_task(spec)
    assert done["status"] == "done", done.get("error")
    assert (folder / RESULT_FILE).is_file() and not (folder / ERROR_FILE).exists()


def _finished_run(folder, how):
    """A stand-in for the task's run that finishes, its folder then removed (or made again)."""
    def run(spec, folder_, timing):
        import shutil

        shutil.rmtree(folder_)
        if how == "made again":
            folder_.mkdir()
            (folder_ / "initial.extxyz").write_text("another copy's file\n")
        return {"task": spec["task"]["id"], "status": "done", "properties": {}}
    return run


@pytest.mark.parametrize("how", ["removed", "made again"])
def test_a_finished_run_writes_no_result_where_its_folder_was_removed(tmp_path, monkeypatch,
                                                                     how):
    out, folder = _task_folder(tmp_path)
    plan = _plan({"calculator": f"{MODELS}:lj", "device": "cpu"})
    task = plan.tasks()[0]
    _prepare_outdir(plan, out)
    monkeypatch.setattr(task_module, "_run", _finished_run(folder, how))
    failure = run_task(_spec(plan, task, out, 1, plan.to_dict()))
    assert failure["status"] == "failed"
    verb = "removed and made again" if how == "made again" else "removed"
    assert failure["error"].startswith(
        f"TaskFolderRemoved: the task folder {folder} was {verb} while the task ran")
    assert "it had finished, but its trajectories and analyses went with the folder" in \
        failure["error"]
    if how == "made again":  # the new folder keeps its own files, and gets none of this run's
        assert sorted(p.name for p in folder.iterdir()) == ["initial.extxyz"]
    else:
        assert not folder.exists()


def test_a_failure_in_a_folder_that_stays_is_recorded_as_before(tmp_path, monkeypatch):
    out, folder = _task_folder(tmp_path)
    plan = _plan({"calculator": f"{MODELS}:lj", "device": "cpu"})
    task = plan.tasks()[0]
    _prepare_outdir(plan, out)

    def run(spec, folder_, timing):
        raise RuntimeError("the model failed")

    monkeypatch.setattr(task_module, "_run", run)
    failure = run_task(_spec(plan, task, out, 1, plan.to_dict()))
    assert failure["status"] == "failed"
    assert failure["error"] == "RuntimeError: the model failed"
    assert json.loads((folder / ERROR_FILE).read_text())["error"] == failure["error"]
