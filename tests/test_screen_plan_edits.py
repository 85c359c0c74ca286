"""A plan edited between two runs into one folder: a finished task is reused only when what made
it is unchanged — here, the bytes of a ``file.py:function`` calculator, hashed as a model file's
are. An edited calculator file is refused before anything is submitted, and a task never runs
a file edited after the plan was read."""

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from screen_folders import finish_every_task  # noqa: E402

from ase_electrolyte.screen import PlanError, load_plan, run_screen, run_task  # noqa: E402
from ase_electrolyte.screen.engine import _spec  # noqa: E402
from ase_electrolyte.screen.plan import fingerprint_of  # noqa: E402
from ase_electrolyte.screen.task import write_json  # noqa: E402

MODELS = Path(__file__).with_name("screen_models.py")


def _model_file(tmp_path):
    path = tmp_path / "my_potential.py"
    shutil.copy(MODELS, path)
    return path


def _plan(path):
    return load_plan({
        "name": "edits", "seed": 7, "replicas": 1, "temperatures": [300], "n_atoms": 70,
        "analyses": [], "model": {"calculator": f"{path}:lj", "device": "cpu"},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": [3.0, 4.0]}],
    })


def _edit(path):
    path.write_text(path.read_text().replace("epsilon=0.01, rc=4.0", "epsilon=0.02, rc=4.0", 1))


def test_an_edited_calculator_file_is_another_plan(tmp_path):
    path = _model_file(tmp_path)
    before = _plan(path)
    assert before.model["sha256"] and len(before.model["sha256"]) == 64
    _edit(path)
    after = _plan(path)
    assert after.model["sha256"] != before.model["sha256"]
    assert after.fingerprint() != before.fingerprint()
    # a registered module's function has no file to hash
    assert "sha256" not in load_plan({
        "model": {"calculator": "ase.calculators.lj:LennardJones"}, "analyses": [],
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 1.0}]}).model


def test_a_rerun_with_an_edited_calculator_file_is_refused_before_submitting(tmp_path):
    path = _model_file(tmp_path)
    out = tmp_path / "screen"
    finish_every_task(_plan(path), out, density=1.3)
    record = (out / "plan.json").read_bytes()
    # unchanged: every task is reused, no cluster is started (nothing to run)
    again = run_screen(_plan(path), out, progress=False, plots=False)
    assert (again.n_skipped, again.n_done) == (2, 0)
    _edit(path)
    with pytest.raises(PlanError, match=rf"holds results of a different plan .*differs in the "
                                        rf"content of model file {path}:lj"):
        run_screen(_plan(path), out, progress=False, plots=False)
    assert (out / "plan.json").read_bytes() == record


def test_a_task_refuses_a_calculator_file_edited_after_the_plan_was_read(tmp_path):
    path = _model_file(tmp_path)
    plan = _plan(path)
    task = plan.tasks()[0]
    _edit(path)
    out = run_task(_spec(plan, task, tmp_path / "screen", 1, plan.to_dict()))
    assert out["status"] == "failed"
    assert f"model file {path} changed since the plan was read" in out["error"]
    # refused before the box was packed
    assert not (tmp_path / "screen" / "tasks" / task.id / "initial.extxyz").exists()


def test_a_folder_recorded_before_calculator_files_were_hashed_is_taken_on(tmp_path):
    path = _model_file(tmp_path)
    plan = _plan(path)
    out = tmp_path / "screen"
    finish_every_task(plan, out, density=1.3)
    # the record as earlier versions wrote it: no sha256, and the fingerprint without it
    old = json.loads((out / "plan.json").read_text())
    del old["model"]["sha256"]
    invariant = plan.invariant()
    del invariant["model"]["sha256"]
    old["fingerprint"] = fingerprint_of(invariant)
    write_json(out / "plan.json", old)
    result = run_screen(_plan(path), out, progress=False, plots=False)
    assert (result.n_skipped, result.n_failed) == (2, 0)
    record = json.loads((out / "plan.json").read_text())
    assert record["model"]["sha256"] == plan.model["sha256"]
    assert record["fingerprint"] == plan.fingerprint()
    # from now on an edit is seen
    _edit(path)
    with pytest.raises(PlanError, match="content of model file"):
        run_screen(_plan(path), out, progress=False, plots=False)
