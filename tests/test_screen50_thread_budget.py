"""A screen task's thread budget is its own; OMP_NUM_THREADS has one reading; the local
cluster's arguments are checked before any worker starts.

Measured before:

* two tasks of one worker process (a worker with two threads) given 2 and 3 threads: D3's
  default count was ``OMP_NUM_THREADS``, the process' variable, and both ran on 3;
* ``OMP_NUM_THREADS="4,0"`` and ``"+3"`` were refused by ``check_thread_variables`` (OpenMP
  ignores them) while ``_thread_budget`` read them as 4 and 3; ``"٤"`` (an Arabic-Indic 4,
  which OpenMP ignores) was accepted by both;
* ``start_local_cluster(0)`` and ``(-1)`` started a cluster of no worker, ``(True)`` one worker
  after "Nanny failed to start", ``(1.5)`` and ``("2")`` raised dask's ``TypeError``.
"""

import sys
import threading

import pytest

from ase_electrolyte import environment
from ase_electrolyte.d3 import calculator as d3_calculator
from ase_electrolyte.environment import _thread_budget, check_thread_variables
from ase_electrolyte.screen import engine

CPUS = 8


@pytest.fixture
def eight_cpus(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setattr(environment, "_usable_cpus", lambda: CPUS)
    monkeypatch.setattr(d3_calculator, "_usable_cpus", lambda: CPUS)


@pytest.mark.parametrize("budgets", [(2, 3), (3, 2), (1, 5), (4, 4)])
def test_tasks_at_once_in_one_process_each_keep_their_own_budget(eight_cpus, budgets):
    both_in = threading.Barrier(len(budgets), timeout=10)
    seen = {}

    def task(threads):
        with environment._given_thread_budget(threads):
            both_in.wait()  # the other task has set its budget too
            seen[threads] = (_thread_budget(), d3_calculator.D3(device="cpu").num_threads)
            both_in.wait()

    workers = [threading.Thread(target=task, args=(b,)) for b in budgets]
    for w in workers:
        w.start()
    for w in workers:
        w.join(10)
    assert seen == {b: (b, b) for b in budgets}


def test_a_budget_given_to_a_thread_is_never_more_than_the_cpus(eight_cpus):
    before = _thread_budget()
    with environment._given_thread_budget(3 * CPUS):
        assert _thread_budget() == CPUS
    assert _thread_budget() == before


@pytest.mark.parametrize("threads", [True, 1.5, -1, "2", float("nan")])
def test_a_task_budget_that_is_no_thread_count_is_refused(eight_cpus, threads):
    import os

    with pytest.raises(ValueError, match="threads") as info:
        with environment._given_thread_budget(threads):
            pass
    assert repr(threads) in str(info.value) or str(threads) in str(info.value)
    assert os.environ["OMP_NUM_THREADS"] == "1"  # nothing set


@pytest.mark.parametrize(
    "value, budget",
    [
        ("3", 3), (" 3 ", 3), ("4,2", 4), ("2, 1", 2),
        # OpenMP ignores these: every usable CPU, and the check refuses them
        ("4,0", None), ("+3", None), ("\u0664", None), ("0", None), ("abc", None), ("3.0", None),
    ],
)
def test_the_check_and_the_budget_read_omp_num_threads_alike(monkeypatch, value, budget):
    monkeypatch.setattr(environment, "_usable_cpus", lambda: CPUS)
    monkeypatch.delitem(sys.modules, "torch", raising=False)  # no torch: the variable is read
    env = {"OMP_NUM_THREADS": value, "NUMEXPR_NUM_THREADS": "1"}
    if budget is None:
        with pytest.raises(ValueError, match="OMP_NUM_THREADS"):
            check_thread_variables(env)
        assert _thread_budget(env) == CPUS
    else:
        check_thread_variables(env)
        assert _thread_budget(env) == budget


@pytest.mark.parametrize("n_workers", [0, -1, 1.5, True, "2", 10**6])
def test_start_local_cluster_refuses_a_worker_count_before_starting(monkeypatch, n_workers):
    import distributed

    def started(**kwargs):
        raise AssertionError(f"a cluster was started with {kwargs}")

    monkeypatch.setattr(distributed, "LocalCluster", started)
    with pytest.raises(ValueError, match="n_workers .*whole number >= 1"):
        engine.start_local_cluster(n_workers)


@pytest.mark.parametrize("gpu", ["no", 1, None])
def test_start_local_cluster_refuses_a_gpu_that_is_no_flag(monkeypatch, gpu):
    import distributed

    monkeypatch.setattr(distributed, "LocalCluster", lambda **kwargs: pytest.fail("started"))
    with pytest.raises(ValueError, match="gpu must be True or False"):
        engine.start_local_cluster(1, gpu=gpu)


def test_start_local_cluster_sizes_a_cluster_left_unsized(monkeypatch):
    import distributed

    asked = {}
    monkeypatch.setattr(distributed, "LocalCluster", lambda **kwargs: asked.update(kwargs))
    monkeypatch.setattr(engine, "_usable_cpus", lambda: 2)
    engine.start_local_cluster(None)
    assert asked["n_workers"] == engine.local_cluster_size("cpu")[0] == 2
    engine.start_local_cluster(2.0)
    assert asked["n_workers"] == 2 and type(asked["n_workers"]) is int
