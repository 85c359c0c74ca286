"""A plan of 10⁴ tasks: everything before the first simulation scales with the number of tasks,
not with tasks × compositions — one submission call, and task specs that do not carry the grid."""

import pickle
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from ase_electrolyte.screen import ScreenResult, load_plan  # noqa: E402
from ase_electrolyte.screen.engine import _submit_and_wait  # noqa: E402
from ase_electrolyte.screen.task import run_task  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))


def _plan(n_concentrations, temperatures=10, replicas=10):
    return load_plan({
        "n_atoms": 20000, "replicas": replicas, "analyses": [], "task_timeout_s": 3600,
        "temperatures": [280 + 5 * i for i in range(temperatures)],
        "model": {"calculator": f"{MODELS}:lj", "device": "cpu"},
        "composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6",
                         "concentration": [round(0.5 + 0.03 * i, 2)
                                           for i in range(n_concentrations)]}],
    })


class _Stop(Exception):
    pass


class _RecordingClient:
    """Takes the engine's submission and stops it there (no scheduler involved)."""

    def __init__(self):
        self.calls = []

    def submit(self, *args, **kwargs):
        self.calls.append(("submit", args, kwargs))
        raise _Stop

    def map(self, func, *iterables, **kwargs):
        self.calls.append(("map", (func, *iterables), kwargs))
        raise _Stop


def _submitted(plan, tmp_path):
    client = _RecordingClient()
    todo = plan.tasks()
    with pytest.raises(_Stop):
        _submit_and_wait(client, plan, todo, tmp_path, None, False,
                         ScreenResult(outdir=tmp_path), lambda *a: None, 1.0, None)
    return client.calls


def test_ten_thousand_tasks_go_in_one_submission_with_small_specs(tmp_path):
    plan = _plan(100)
    assert len(plan.tasks()) == 10_000
    [(kind, (func, specs), kwargs)] = _submitted(plan, tmp_path)
    assert kind == "map" and func is run_task and len(specs) == 10_000
    assert len(set(kwargs["key"])) == 10_000 and kwargs["pure"] is False
    # each spec names its own task and folder, with what a task reads of the plan
    assert [s["task"]["id"] for s in specs] == [t.id for t in plan.tasks()]
    assert specs[17]["folder"] == str(tmp_path / "tasks" / plan.tasks()[17].id)
    assert specs[0]["plan"]["task_timeout_s"] == 3600.0
    assert specs[0]["plan"]["fingerprint"] == plan.fingerprint()
    assert "compositions" not in specs[0]["plan"]
    # what goes to the scheduler: the same per task whatever the size of the grid
    sizes = {len(pickle.dumps(s)) for s in specs[:50]}
    small = _submitted(_plan(1, temperatures=1, replicas=1), tmp_path)[0][1][1]
    assert max(sizes) < 1.2 * len(pickle.dumps(small[0]))
