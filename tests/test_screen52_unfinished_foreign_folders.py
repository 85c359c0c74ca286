"""An unfinished task folder of another plan or task is refused, not resumed as this task's.

Measured before: a task folder copied from a screen of another model (or from another
replica) before its task finished (``task.json``, ``initial.extxyz``, no ``result.json``) was
submitted; the task overwrote its ``task.json`` with this plan's fingerprint and ran on the
copied box and frames, so its result was recorded as this plan's (or as a second sample of
the other replica's start). Finished copies were already refused (test_screen_foreign_task_
folders); now unfinished ones are too, before any worker starts.
"""

import json

import pytest

pytest.importorskip("distributed")

from test_screen_foreign_task_folders import _other_model, _screened  # noqa: E402

from ase_electrolyte.screen import PlanError, run_screen  # noqa: E402
from ase_electrolyte.screen.engine import _check_unfinished  # noqa: E402
from ase_electrolyte.screen.plan import fingerprint_of, record_fingerprints  # noqa: E402


def _unfinished(tmp_path, plan, which, record):
    """Make task ``which`` unfinished (its result.json gone, a packed box left) with
    ``record(plan, task)`` as its task.json."""
    task = plan.tasks()[which]
    folder = tmp_path / "tasks" / task.id
    (folder / "result.json").unlink()
    (folder / "initial.extxyz").write_text("1\n\nLi 0 0 0\n")
    (folder / "task.json").write_text(json.dumps(record(plan, task)))
    return task


FOREIGN = {
    "another model": (lambda plan, task: {"task": {"id": task.id, "seed": task.seed},
                                          "fingerprint": _other_model(plan)},
                      "records plan .* not this folder's"),
    "another replica": (lambda plan, task: {"task": {"id": task.id[:-1] + "9", "seed": 7},
                                            "fingerprint": plan.fingerprint()},
                        "records task .*r9' with seed 7"),
    "another seed": (lambda plan, task: {"task": {"id": task.id, "seed": task.seed + 1},
                                         "fingerprint": plan.fingerprint()},
                     "with seed"),
}


@pytest.mark.parametrize("which", [0, 7])
@pytest.mark.parametrize("foreign", sorted(FOREIGN))
def test_a_rerun_refuses_an_unfinished_copy_before_starting_workers(tmp_path, monkeypatch,
                                                                   foreign, which):
    import distributed

    monkeypatch.setattr(distributed, "LocalCluster",
                        lambda **kwargs: pytest.fail("a cluster was started"))
    plan = _screened(tmp_path, lambda plan, c, r: plan.fingerprint())
    record, says = FOREIGN[foreign]
    task = _unfinished(tmp_path, plan, which, record)
    before = (tmp_path / "plan.json").read_bytes()
    with pytest.raises(PlanError, match=r"1 unfinished task folder\(s\) hold a partial run "
                                        r"that is not this task's .*" + says) as info:
        run_screen(plan, tmp_path, progress=False, plots=False, n_workers=1)
    assert f"{task.id}/task.json" in str(info.value)
    assert (tmp_path / "plan.json").read_bytes() == before
    # the copied files are left for the user to look at
    assert (tmp_path / "tasks" / task.id / "initial.extxyz").exists()


@pytest.mark.parametrize("record", [
    lambda plan, task: {"task": {"id": task.id, "seed": task.seed},
                        "fingerprint": plan.fingerprint()},
    # recorded before calculator files were hashed
    lambda plan, task: {"task": {"id": task.id, "seed": task.seed},
                        "fingerprint": fingerprint_of({**plan.invariant(), "model": {
                            k: v for k, v in plan.invariant()["model"].items()
                            if k != "sha256"}})},
    # an earlier version's or a damaged task.json: the task writes its own
    lambda plan, task: {"fingerprint": 7},
    lambda plan, task: [1, 2],
])
def test_an_unfinished_task_of_this_plan_is_resumed(tmp_path, record):
    plan = _screened(tmp_path, lambda plan, c, r: plan.fingerprint())
    task = _unfinished(tmp_path, plan, 3, record)
    _check_unfinished(tmp_path, [task], record_fingerprints(plan.to_dict()))
