"""A worker thread keeps the model of its last task only.

The cache of loaded models (one load per worker, not per task) kept every model a worker had
ever loaded: a worker kept from one screen to the next (a running scheduler, a notebook's
cluster) screening several fine-tuned models held each one's weights, and GPU memory, until it
ran out."""

import gc
import threading
import weakref

import pytest

from ase_electrolyte.screen import load_plan
from ase_electrolyte.screen.task import make_calculator


def _model(epsilon):
    return load_plan({
        "name": "cache", "replicas": 1, "temperatures": [300], "n_atoms": 70, "analyses": [],
        "model": {"calculator": "ase.calculators.lj:LennardJones", "device": "cpu",
                  "options": {"sigma": 1.0, "epsilon": epsilon, "rc": 4.0}},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0}],
    }).model


def test_consecutive_tasks_share_a_model_and_another_model_releases_it():
    first = make_calculator(_model(0.01))
    assert make_calculator(_model(0.01)) is first  # loaded once for the tasks of a screen
    gone = weakref.ref(first)
    del first
    second = make_calculator(_model(0.02))
    gc.collect()
    assert gone() is None  # the first model is no longer held
    assert second.parameters.epsilon == pytest.approx(0.02)
    again = make_calculator(_model(0.01))
    assert again.parameters.epsilon == pytest.approx(0.01) and again is not second


def test_each_worker_thread_keeps_its_own():
    here = make_calculator(_model(0.04))
    there = {}

    def task():
        there["calc"] = make_calculator(_model(0.05))

    thread = threading.Thread(target=task)
    thread.start()
    thread.join()
    assert there["calc"].parameters.epsilon == pytest.approx(0.05)
    # the other thread's model did not displace this thread's
    assert make_calculator(_model(0.04)) is here
