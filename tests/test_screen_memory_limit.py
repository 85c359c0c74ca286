"""A task run in its own process (``task_timeout_s``) keeps to what its dask worker's
``memory_limit`` leaves it: dask measures the worker's process only, and a task that grew without
bound in its own process was stopped by nothing short of the system's out-of-memory killer. Past
its budget the task is stopped (its error names both numbers); on a CPU device an allocation too
large for the budget's hard limit is refused at once, and named the same way. The models here
allocate for real; each has a cap past which it raises instead of growing, so that a limit that
does not work fails the test without taking the machine."""

import json
from pathlib import Path

import pytest

pytest.importorskip("rdkit")
pytest.importorskip("packmol")
distributed = pytest.importorskip("distributed")
pytest.importorskip("psutil")

from ase_electrolyte.screen import load_plan, run_screen, run_task  # noqa: E402
from ase_electrolyte.screen import task as task_module  # noqa: E402
from ase_electrolyte.screen.engine import TASKS_DIR, _prepare_outdir, _spec  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))
MIB = 2**20


def _plan(options):
    return load_plan({
        "name": "memory", "seed": 7, "replicas": 1, "temperatures": [300], "n_atoms": 70,
        "analyses": [], "task_timeout_s": 600,
        "model": {"calculator": f"{MODELS}:hungry_lj", "device": "cpu", "options": options},
        "protocol": {"relax_fmax": 20.0, "preequilibration_ps": 0.0, "equilibration_ps": 0.0,
                     "production_ps": 0.03, "write_interval_fs": 1.0,
                     "observe_interval_fs": 1.0},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 4.0}],
    })


def _run(tmp_path, options):
    plan = _plan(options)
    out = tmp_path / "screen"
    _prepare_outdir(plan, out)
    task = plan.tasks()[0]
    return run_task(_spec(plan, task, out, 1, plan.to_dict())), out / TASKS_DIR / task.id


@pytest.fixture
def budget(monkeypatch):
    """The worker's answer, as a worker with a 700 MiB memory_limit of which it holds 200."""
    monkeypatch.setattr(task_module, "memory_budget", lambda: (500 * MIB, 700 * MIB, 200 * MIB))


def test_a_task_past_its_memory_budget_is_stopped_and_names_both_numbers(tmp_path, budget):
    # 450 MiB kept on top of the process' own (~250 MiB of writable data, 150 resident): past
    # the budget, below the hard limit (1 GiB of writable data); then it holds them, 1 s
    # per evaluation (the check has the rest of the run, many seconds, to see it; the stop
    # cuts the sleep short)
    result, folder = _run(tmp_path, {"mb": 25, "hold_mb": 450, "cap_mb": 1200, "wait": 1.0})
    assert result["status"] == "failed"
    message = result["error"]
    assert message.startswith("TaskMemoryLimit: the task's process held ")
    assert ("GiB, over the 0.49 GiB its worker's memory_limit of 0.68 GiB leaves it (less the "
            "worker's own 0.20 GiB); its partial run stays in its folder: give the workers a "
            "larger memory_limit, or the plan a smaller box or model") in message
    held = float(message.split("held ")[1].split(" GiB")[0])
    # stopped past the budget (given to 0.01 GiB), before the cap
    assert round(500 / 1024, 2) <= held < 1200 / 1024
    error = json.loads((folder / "error.json").read_text())
    assert error["error"] == message and error["memory_budget_bytes"] == 500 * MIB
    assert not (folder / "result.json").exists()
    assert "[watchdog] stopping the task: TaskMemoryLimit" in (folder / "task.log").read_text()


def test_an_allocation_too_large_for_the_hard_limit_is_refused_at_once(tmp_path, budget):
    # 8 GiB asked for in one go: refused by the hard limit before a page is written (the
    # resident-memory check would see it only once filled)
    result, folder = _run(tmp_path, {"at_once_mb": 8192, "cap_mb": 1000})
    assert result["status"] == "failed"
    message = result["error"]
    assert message.startswith(
        "TaskMemoryLimit: an allocation was refused at the task's hard memory limit of 1.00 GiB "
        "(the larger of 2 times its budget and 1.00 GiB; its budget: the 0.49 GiB its worker's "
        "memory_limit of 0.68 GiB leaves it (less the worker's own 0.20 GiB)); its partial run "
        "stays in its folder")
    assert "(MemoryError: Unable to allocate 8.00 GiB" in message
    assert json.loads((folder / "error.json").read_text())["error"] == message


def test_a_worker_that_fills_its_own_limit_leaves_its_task_a_named_stop(tmp_path, monkeypatch):
    # no budget at all: the task's process still starts (its hard limit has a floor) and is
    # stopped at the first check, named, rather than dying unable to allocate a byte
    monkeypatch.setattr(task_module, "memory_budget", lambda: (0, 500 * MIB, 600 * MIB))
    result, _ = _run(tmp_path, {"mb": 1, "hold_mb": 1, "cap_mb": 100, "wait": 1.0})
    assert result["status"] == "failed"
    assert result["error"].startswith("TaskMemoryLimit: the task's process held ")
    assert ("over the 0.00 GiB its worker's memory_limit of 0.49 GiB leaves it (less the "
            "worker's own 0.59 GiB)") in result["error"]


def test_without_a_worker_memory_limit_the_task_is_not_limited(tmp_path, monkeypatch):
    monkeypatch.setattr(task_module, "memory_budget", lambda: None)
    result, _ = _run(tmp_path, {"mb": 20, "hold_mb": 200, "cap_mb": 400})
    assert result["status"] == "done", result.get("error")


def _cluster(memory_limit):
    return distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                    memory_limit=memory_limit, dashboard_address=":0",
                                    silence_logs=50)


def test_the_budget_is_the_workers_limit_less_its_own_resident_memory():
    assert task_module.memory_budget() is None  # not in a worker
    with _cluster("600MB") as cluster, distributed.Client(cluster) as client:
        budget, limit, own = client.submit(task_module.memory_budget, pure=False).result()
    assert limit == 600_000_000 and 0 < own < limit and budget == limit - own
    with _cluster(0) as cluster, distributed.Client(cluster) as client:
        assert client.submit(task_module.memory_budget, pure=False).result() is None


def test_a_screen_on_workers_with_a_memory_limit_stops_a_task_that_grows(tmp_path):
    # the whole path: the worker's limit read by the worker, the task stopped in its own
    # process (by the check or by the hard limit, whichever sees it first), the worker kept.
    # It keeps 40 MiB per evaluation up to 700 MiB (past the ~560 MiB the worker leaves it),
    # then holds them, 1 s per evaluation: it cannot end before a check sees it
    plan = _plan({"mb": 40, "hold_mb": 700, "cap_mb": 2000, "wait": 1.0})
    out = tmp_path / "screen"
    with _cluster("700MB") as cluster, distributed.Client(cluster) as client:
        workers = set(client.scheduler_info()["workers"])
        result = run_screen(plan, out, client=client, progress=False, plots=False)
        assert set(client.scheduler_info()["workers"]) == workers  # no worker was lost
    (task,) = plan.tasks()
    assert result.n_failed == 1 and result.timed_out == []
    message = result.failures[task.id]
    assert message.startswith("TaskMemoryLimit: ")
    assert "its worker's memory_limit of 0.65 GiB leaves it" in message
    row = result.summary.iloc[0]
    assert not row["valid"] and "1 replica(s) failed: TaskMemoryLimit: " in row["verdict"]
