"""The dask engine (a LocalCluster of one in-process worker) against the tasks run one after
the other in this process: the same numbers, the same failure; a rerun retries the failed task
and its record says it was tried before and how that attempt ended."""

import json
from pathlib import Path

import pytest

pytest.importorskip("rdkit")
pytest.importorskip("packmol")
distributed = pytest.importorskip("distributed")

from ase_electrolyte.screen import load_plan, run_screen, run_task  # noqa: E402
from ase_electrolyte.screen.engine import _TASK_PLAN_KEYS, _spec  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))
# the 3 mol/kg box has 76 atoms, the 4 mol/kg one 66: the model refuses the first
PLAN = {
    "name": "dask against serial",
    "seed": 5,
    "replicas": 1,
    "temperatures": [300],
    "n_atoms": 70,
    "analyses": [],
    "model": {"calculator": f"{MODELS}:picky_lj", "device": "cpu",
              "options": {"max_atoms": 70}},
    "protocol": {"relax_fmax": 20.0, "preequilibration_ps": 0.0, "equilibration_ps": 0.0,
                 "production_ps": 0.01, "production_ensemble": "npt",
                 "write_interval_fs": 1.0, "observe_interval_fs": 1.0},
    "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": [3.0, 4.0]}],
}
FAILS, RUNS = "EC_LiPF6-3molal/T300K/r0", "EC_LiPF6-4molal/T300K/r0"


def _screen(out):
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=":0", silence_logs=50)
    with cluster, distributed.Client(cluster) as client:
        return run_screen(PLAN, out, client=client, progress=False, plots=False)


def test_dask_equals_serial_and_a_rerun_retries_the_failed_task(tmp_path):
    result = _screen(tmp_path / "dask")
    assert (result.n_done, result.n_failed) == (1, 1)
    assert "at most 70 atoms" in result.failures[FAILS]

    plan = load_plan(PLAN)
    whole = plan.to_dict()
    task_plan = {k: whole[k] for k in _TASK_PLAN_KEYS}
    serial = {t.id: run_task(_spec(plan, t, tmp_path / "serial", None, task_plan))
              for t in plan.tasks()}
    stored = json.loads((tmp_path / "dask" / "tasks" / RUNS / "result.json").read_text())
    assert serial[RUNS]["status"] == "done"
    # same seed, same model, same steps: bit for bit, whichever engine ran it
    assert serial[RUNS]["properties"] == stored["properties"]
    assert serial[RUNS]["properties"]["density"]["value"] > 0
    assert serial[FAILS]["status"] == "failed"
    assert serial[FAILS]["error"] == result.failures[FAILS]

    # the table keeps the failed composition's row, without a number, its reason as verdict
    table = result.summary.set_index("composition")
    failed_row = table.loc["EC_LiPF6-3molal"]
    assert not failed_row["valid"] and failed_row["mean"] != failed_row["mean"]
    assert "1 replica(s) failed: RuntimeError: this model takes at most 70 atoms" in (
        failed_row["verdict"])

    again = _screen(tmp_path / "dask")
    assert (again.n_done, again.n_skipped, again.n_failed) == (0, 1, 1)
    error = json.loads((tmp_path / "dask" / "tasks" / FAILS / "error.json").read_text())
    assert error["restart"]["attempt"] == 2 and error["restart"]["lost_workers"] == []
    (before,) = error["restart"]["earlier_attempts"]
    assert before["outcome"].startswith("failed: RuntimeError: this model takes at most 70")
    assert again.restarted[FAILS] == error["restart"]


def _dies_before_starting(spec):
    """What a task's future raises when its workers died with it queued, before it ran."""
    from types import SimpleNamespace

    from distributed.scheduler import KilledWorker

    raise KilledWorker("run_task-key", SimpleNamespace(address="tcp://10.0.0.9:4444"), 3)


def test_a_task_killed_before_it_made_its_folder_is_recorded_and_named(tmp_path, monkeypatch):
    import ase_electrolyte.screen.engine as engine

    monkeypatch.setattr(engine, "run_task", _dies_before_starting)
    plan = {**PLAN, "model": {**PLAN["model"], "options": {"max_atoms": 1000}}}
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=":0", silence_logs=50)
    with cluster, distributed.Client(cluster) as client:
        result = run_screen(plan, tmp_path, client=client, progress=False, plots=False)
    # before: FileNotFoundError (cannot write error.json: folder ... does not exist), no table
    assert (result.n_done, result.n_failed) == (0, 2)
    for task, message in result.failures.items():
        assert message.startswith("KilledWorker: every worker that ran this task died")
        # the worker by name within what the table's verdict quotes
        assert "the last was tcp://10.0.0.9:4444" in message[:300]
        stored = json.loads((tmp_path / "tasks" / task / "error.json").read_text())
        assert stored["error"] == message
    assert len(result.summary) == 2 and not result.summary["valid"].any()
    assert all("tcp://10.0.0.9:4444" in v for v in result.summary["verdict"])
