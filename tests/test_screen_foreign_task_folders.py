"""A task folder copied from a screen of another plan is not taken as this screen's.

A task's seed follows from the plan's ``seed`` and the task's keys only, so two screens of the
same compositions and seed but another model (or protocol, box, analyses) give their tasks the
same seeds. A task folder copied from one into the other (merging two screens by hand) passed
every check of its ``result.json`` and was skipped as finished and averaged into the table as
if this screen's model had produced it. Its ``task.json`` records the plan it ran under: now a
rerun refuses it before anything is submitted and the table counts it as a failed replica,
naming the file. Tasks of a folder recorded before calculator files were hashed keep the
fingerprint they ran under and are still taken."""

import json

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")

from test_screen_failures import _folder  # noqa: E402
from test_screen_finite_size_diffusion import _replica, _run  # noqa: E402

from ase_electrolyte.screen import PlanError, aggregate, run_screen, task_table  # noqa: E402
from ase_electrolyte.screen.plan import fingerprint_of, record_fingerprints  # noqa: E402


def _screened(tmp_path, ran_under):
    """A finished folder of 2 compositions x 5 replicas whose ``task.json`` files record the
    fingerprint ``ran_under(plan, concentration, replica)`` (``None``: no task.json)."""
    plan = _folder(tmp_path, lambda c, r: _replica(r), replicas=5, simulation=_run)
    for task in plan.tasks():
        fingerprint = ran_under(plan, task.composition.concentration, task.replica)
        if fingerprint is not None:
            (tmp_path / "tasks" / task.id / "task.json").write_text(json.dumps(
                {"task": {"id": task.id}, "fingerprint": fingerprint}))
    return plan


def _other_model(plan):
    invariant = plan.invariant()
    invariant["model"] = {**invariant["model"], "options": {"epsilon": 0.02}}
    return fingerprint_of(invariant)


def test_a_copied_task_counts_as_a_failed_replica_in_the_table(tmp_path):
    _screened(tmp_path, lambda plan, c, r: _other_model(plan) if (c, r) == (3.0, 2)
              else plan.fingerprint())
    rows, failures = task_table(tmp_path)
    assert len(failures) == 1
    failure = failures.iloc[0]
    assert (failure["concentration"], failure["replica"]) == (3.0, 2)
    assert "was run under plan" in failure["error"] and "copied from a screen" in \
        failure["error"]
    assert not ((rows["concentration"] == 3.0) & (rows["replica"] == 2)).any()
    table = aggregate(tmp_path, plots=False)
    copied = table[table["concentration"] == 3.0]
    assert not copied["valid"].any() and set(copied["n_replicas"]) == {4}
    assert copied["verdict"].str.contains("1 replica(s) failed", regex=False).all()
    assert table[table["concentration"] == 4.0]["valid"].all()


def test_a_rerun_refuses_a_copied_task_before_submitting_anything(tmp_path):
    plan = _screened(tmp_path, lambda plan, c, r: _other_model(plan) if (c, r) == (4.0, 0)
                     else plan.fingerprint())
    before = (tmp_path / "plan.json").read_bytes()
    with pytest.raises(PlanError, match=r"1 finished task\(s\) hold a result that cannot be "
                                        r"used: .*r0/result.json was run under plan"):
        run_screen(plan, tmp_path, progress=False, plots=False, n_workers=1)
    assert (tmp_path / "plan.json").read_bytes() == before
    assert not (tmp_path / "summary.csv").exists()


@pytest.mark.parametrize("ran_under", [
    # this screen's tasks
    lambda plan, c, r: plan.fingerprint(),
    # recorded before calculator files were hashed: the same plan without the file's sha256
    lambda plan, c, r: fingerprint_of({**plan.invariant(), "model": {
        k: v for k, v in plan.invariant()["model"].items() if k != "sha256"}}),
    # no task.json (a task of an earlier version): judged by its result.json alone
    lambda plan, c, r: None,
])
def test_tasks_of_this_plan_are_taken(tmp_path, ran_under):
    plan = _screened(tmp_path, ran_under)
    assert len(record_fingerprints(plan.to_dict())) == 2  # with and without the file's hash
    rows, failures = task_table(tmp_path)
    assert failures.empty and rows["replica"].nunique() == 5
    assert aggregate(tmp_path, plots=False)["valid"].all()


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"fingerprint": 7}'])
def test_an_unreadable_task_json_leaves_the_result_to_its_own_checks(tmp_path, content):
    plan = _screened(tmp_path, lambda plan, c, r: None)
    (tmp_path / "tasks" / plan.tasks()[0].id / "task.json").write_text(content)
    _, failures = task_table(tmp_path)
    assert failures.empty


@pytest.mark.parametrize("foreign", ["fingerprint", "seed"])
def test_a_foreign_result_without_numbers_is_one_failure_not_also_a_finished_replica(tmp_path,
                                                                                     foreign):
    plan = _screened(tmp_path, lambda plan, c, r: _other_model(plan)
                     if (c, r) == (3.0, 2) and foreign == "fingerprint" else plan.fingerprint())
    task = next(t for t in plan.tasks() if (t.composition.concentration, t.replica) == (3.0, 2))
    seed = task.seed + 1 if foreign == "seed" else task.seed
    (tmp_path / "tasks" / task.id / "result.json").write_text(json.dumps(
        {"task": task.id, "status": "done", "seed": seed, "properties": {}}))
    table = aggregate(tmp_path, plots=False)
    row = table[table["concentration"] == 3.0].iloc[0]
    # 4 finished with numbers, 1 failed: 5 of the 5 planned (it was counted finished too: 6)
    assert (row["n_replicas"], row["n_invalid"], row["n_failed"], row["n_planned"]) == \
        (4, 0, 1, 5)
    assert "planned replicas not finished" not in row["verdict"]


def test_a_record_without_a_fingerprint_does_not_judge_its_tasks(tmp_path):
    # a folder of an earlier version: its tasks' task.json cannot be compared with anything
    _screened(tmp_path, lambda plan, c, r: "0123456789abcdef")
    record = json.loads((tmp_path / "plan.json").read_text())
    del record["fingerprint"]
    (tmp_path / "plan.json").write_text(json.dumps(record))
    assert record_fingerprints(record) == set()
    _, failures = task_table(tmp_path)
    assert failures.empty
