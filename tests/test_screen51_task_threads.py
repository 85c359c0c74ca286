"""Each screen task runs torch on its own thread count, and leaves the process' variables alone.

Measured before, two tasks of one worker process (a worker with two threads) given 2 and 3
threads, each in a thread of its own that had not run torch yet:

* ``torch.set_num_threads`` was called in each task's thread before its first torch
  operation, and torch sets a thread's count at that first operation from the count set last
  in any thread: both tasks ran torch on 3 threads (on 2 when the 2 was set last);
* ``OMP_NUM_THREADS`` of the whole process was set to the budget while tasks ran: each task
  saw the count of the one started last;
* a model importing torch at its first evaluation ran torch on the count the worker's
  environment gave (dask's nanny: ``MKL_NUM_THREADS=1``, which torch on MKL takes over a
  raised ``OMP_NUM_THREADS``), not the task's.
"""

import os
import sys
import threading

import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte import environment
from ase_electrolyte.screen import task as task_module

torch = pytest.importorskip("torch")

CPUS = 8


class _Stop(Exception):
    pass


@pytest.fixture
def worker_process(monkeypatch):
    """A dask worker's process as the nanny starts it: one thread per library."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setattr(environment, "_usable_cpus", lambda: CPUS)
    monkeypatch.setattr(task_module, "_CALCULATORS", {})
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _spec(tmp_path, name, threads):
    model = {"kind": "calculator", "value": "ase.calculators.emt:EMT", "options": {},
             "dispersion": None, "device": "cpu"}
    task = {"id": name, "seed": 1, "temperature_K": 300.0,
            "composition": {"solvent": {}, "salt": None, "concentration": 0.0,
                            "units": "mol/kg", "ratio": "mass"}}
    plan = {"model": model, "fingerprint": "f", "n_atoms": 4, "density": None,
            "protocol": {}, "analyses": []}
    folder = tmp_path / name
    folder.mkdir()
    bulk("Cu", "fcc", a=3.6, cubic=True).write(folder / "initial.extxyz")
    return {"task": task, "plan": plan, "threads": threads, "folder": str(folder)}, folder


def _tasks_at_once(monkeypatch, tmp_path, budgets, protocol):
    """Run one task per budget, each in a fresh thread, all at once; ``protocol(budget)`` is
    each one's MD protocol. Returns the timing each task recorded, in the order of
    ``budgets``."""
    import ase_electrolyte.md

    timings = [{} for _ in budgets]
    errors = []

    def one(i, threads):
        spec, folder = _spec(tmp_path, f"t{i}", threads)
        try:
            task_module._run(spec, folder, timings[i])
        except _Stop:
            pass
        except BaseException as err:  # noqa: BLE001 - reported by the test below
            errors.append(err)

    monkeypatch.setattr(ase_electrolyte.md, "run_protocol", protocol)
    workers = [threading.Thread(target=one, args=ib) for ib in enumerate(budgets)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert not errors, errors
    return timings


def _product():
    a = torch.ones(256, 256)
    return float((a @ a)[0, 0])


BUDGETS = [(2, 3), (3, 2), (1, 4), (4, 1), (2, 2)]


@pytest.mark.parametrize("budgets", BUDGETS)
def test_tasks_at_once_each_run_torch_on_their_own_count(worker_process, monkeypatch, tmp_path,
                                                         budgets):
    all_set = threading.Barrier(len(budgets), timeout=20)
    seen = {}

    def protocol(atoms, calc, folder, **kwargs):
        all_set.wait()  # every task has set its count: its first torch operation comes now
        _product()
        all_set.wait()
        seen[threading.get_ident()] = (kwargs["seed"], torch.get_num_threads(),
                                       environment._thread_budget())
        raise _Stop

    timings = _tasks_at_once(monkeypatch, tmp_path, budgets, protocol)
    counts = sorted((torch_count, budget) for _, torch_count, budget in seen.values())
    assert counts == sorted((b, b) for b in budgets)
    assert [t["torch_threads"] for t in timings] == list(budgets)


@pytest.mark.parametrize("budgets", [(3,), (2, 5), (5, 2)])
def test_a_task_leaves_the_processs_thread_variable_alone(worker_process, monkeypatch, tmp_path,
                                                         budgets):
    all_in = threading.Barrier(len(budgets), timeout=20)
    seen = []

    def protocol(atoms, calc, folder, **kwargs):
        all_in.wait()
        seen.append(os.environ.get("OMP_NUM_THREADS"))
        raise _Stop

    _tasks_at_once(monkeypatch, tmp_path, budgets, protocol)
    assert seen == ["1"] * len(budgets)
    assert os.environ["OMP_NUM_THREADS"] == "1"


class _LazyTorch(EMT):
    """EMT whose first evaluation imports torch (``sys.modules`` as a model importing it
    late finds it) and runs a torch operation, as a model that loads torch lazily does."""

    def calculate(self, *args, **kwargs):
        sys.modules["torch"] = torch
        _product()
        self.torch_counts = [*getattr(self, "torch_counts", []), torch.get_num_threads()]
        super().calculate(*args, **kwargs)


@pytest.mark.parametrize("threads", [2, 3, 5])
def test_a_model_importing_torch_late_runs_it_on_the_tasks_count(worker_process, monkeypatch,
                                                                 tmp_path, threads):
    monkeypatch.delitem(sys.modules, "torch")
    torch.set_num_threads(1)  # the worker's count, as its environment set it
    calcs = []

    def make(model):
        calcs.append(_LazyTorch())
        return calcs[-1]

    monkeypatch.setattr(task_module, "make_calculator", make)

    def protocol(atoms, calc, folder, **kwargs):
        for x in (0.0, 0.01, 0.02):  # three evaluations: the first imports torch
            atoms = atoms.copy()
            atoms.positions[0, 0] += x
            atoms.calc = calc
            atoms.get_potential_energy()
        raise _Stop

    timings = _tasks_at_once(monkeypatch, tmp_path, (threads,), protocol)
    calc = calcs[0]
    # the first evaluation ran on the worker's count; every later one on the task's
    assert calc.torch_counts[1:] == [threads, threads]
    assert timings[0]["torch_threads"] == threads
    # and the calculator, cached for the worker's next task, is its class's own again
    assert "calculate" not in vars(calc)


def test_a_pure_python_model_never_imports_torch_and_keeps_its_calculate(worker_process,
                                                                          monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "torch")
    calcs = []

    def make(model):
        calcs.append(EMT())
        return calcs[-1]

    monkeypatch.setattr(task_module, "make_calculator", make)

    def protocol(atoms, calc, folder, **kwargs):
        atoms.calc = calc
        energy = atoms.get_potential_energy()
        reference = atoms.copy()
        reference.calc = EMT()
        assert energy == pytest.approx(reference.get_potential_energy(), rel=1e-12)
        raise _Stop

    timings = _tasks_at_once(monkeypatch, tmp_path, (3,), protocol)
    assert "torch" not in sys.modules
    assert "torch_threads" not in timings[0]
    assert "calculate" not in vars(calcs[0])
