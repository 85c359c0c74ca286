"""A screen task runs D3 (and a torch imported later) on the threads it was given.

Measured before: a plan's ASE calculator on ``device = "cpu"`` with ``dispersion = "d3-bj"``
in a dask worker (``OMP_NUM_THREADS=1``, set by dask's nanny) with ``threads = 2`` for the
task: torch was never imported, so ``torch.set_num_threads`` was skipped and D3's kernel ran
``num_threads == 1``, a single core of the task's share.
"""

import sys
import threading

import pytest
from ase.build import bulk

from ase_electrolyte import environment
from ase_electrolyte.d3 import calculator as d3_calculator
from ase_electrolyte.screen import task as task_module

CPUS = 4


class _Stop(Exception):
    pass


@pytest.fixture
def no_torch_worker(monkeypatch):
    """A dask worker's process as the nanny starts it, before any model imported torch."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(environment, "_usable_cpus", lambda: CPUS)
    monkeypatch.setattr(d3_calculator, "_usable_cpus", lambda: CPUS)
    monkeypatch.setattr(task_module, "_CALCULATORS", {})


def _spec(tmp_path, threads, dispersion="d3-bj"):
    model = {
        "kind": "calculator",
        "value": "ase.calculators.emt:EMT",
        "options": {},
        "dispersion": dispersion,
        "device": "cpu",
    }
    task = {
        "id": "t0",
        "seed": 1,
        "temperature_K": 300.0,
        "composition": {
            "solvent": {},
            "salt": None,
            "concentration": 0.0,
            "units": "mol/kg",
            "ratio": "mass",
        },
    }
    plan = {
        "model": model,
        "fingerprint": "f",
        "n_atoms": 4,
        "density": None,
        "protocol": {},
        "analyses": [],
    }
    folder = tmp_path / "task"
    folder.mkdir()
    bulk("Cu", "fcc", a=3.6, cubic=True).write(folder / "initial.extxyz")
    return {"task": task, "plan": plan, "threads": threads, "folder": str(folder)}, folder


@pytest.mark.parametrize("threads", [2, 3, CPUS])
def test_d3_runs_the_tasks_threads_without_torch(no_torch_worker, monkeypatch, tmp_path, threads):
    import ase_electrolyte.md

    seen = {}

    def protocol(atoms, calc, folder, **kwargs):
        d3 = [c for c in calc.mixer.calcs if isinstance(c, d3_calculator.D3)][0]
        seen.update(
            d3=d3.num_threads, budget=environment._thread_budget(), torch="torch" in sys.modules
        )
        raise _Stop

    monkeypatch.setattr(ase_electrolyte.md, "run_protocol", protocol)
    spec, folder = _spec(tmp_path, threads)
    timing = {}
    with pytest.raises(_Stop):
        task_module._run(spec, folder, timing)
    assert seen == {"d3": threads, "budget": threads, "torch": False}  # was 1, 1, False
    assert timing["threads"] == threads
    # the worker's own setting is back once the task has ended, failed or not
    import os

    assert os.environ["OMP_NUM_THREADS"] == "1"


def test_without_a_thread_count_the_workers_setting_stays(no_torch_worker, monkeypatch, tmp_path):
    import ase_electrolyte.md

    seen = []

    def protocol(atoms, calc, folder, **kwargs):
        seen.append(environment._thread_budget())
        raise _Stop

    monkeypatch.setattr(ase_electrolyte.md, "run_protocol", protocol)
    spec, folder = _spec(tmp_path, None)
    with pytest.raises(_Stop):
        task_module._run(spec, folder, {})
    assert seen == [1]


@pytest.mark.parametrize("before", [None, "1", "6"])
def test_tasks_at_once_in_one_worker_keep_the_budget_until_the_last_ends(monkeypatch, before):
    """Two tasks of one worker process (a worker with two threads): the first to end does not
    take the budget from the other, and neither changes the worker's variable (it was set to
    the budget while tasks ran, the process' for every thread of it)."""
    import os

    monkeypatch.setattr(environment, "_usable_cpus", lambda: CPUS)
    if before is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", before)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = []

    def other_task():
        with environment._given_thread_budget(3):
            second_in.set()
            first_out.wait(5)
            seen.append((environment._thread_budget(), os.environ.get("OMP_NUM_THREADS")))

    worker = threading.Thread(target=other_task)
    with environment._given_thread_budget(2):
        first_in.set()
        worker.start()
        assert second_in.wait(5)
        assert environment._thread_budget() == 2
    first_out.set()
    worker.join(5)
    assert seen == [(3, before)]
    assert os.environ.get("OMP_NUM_THREADS") == before
