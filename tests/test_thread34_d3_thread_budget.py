"""D3's default thread count is the model's budget (torch's threads, else OMP_NUM_THREADS).

Before, ``num_threads=None`` took every CPU of the process whatever torch or OpenMP were
given: a worker started with ``OMP_NUM_THREADS=1`` or set to one torch thread ran D3 on all
cores, k processes on c cores ran k·c D3 threads.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from d3_structures import electrolyte_like_box

from ase_electrolyte.d3 import D3, backend

torch = pytest.importorskip("torch")

# the usable CPUs the tests pin (below), so that they run, and can fail, on a machine of any
# size: on one CPU every count was capped to 1 and the tests were skipped
CPUS = 4


@pytest.fixture(autouse=True)
def _usable_cpus(monkeypatch):
    from ase_electrolyte import environment
    from ase_electrolyte.d3 import calculator

    monkeypatch.setattr(environment, "_usable_cpus", lambda: CPUS)
    monkeypatch.setattr(calculator, "_usable_cpus", lambda: CPUS)
SHORT = {"cutoff": 20.0, "cn_cutoff": 10.0}


@pytest.fixture
def torch_threads():
    """Sets torch's intra-op threads for the test; the count before is restored after."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


@pytest.fixture
def kernel_threads(monkeypatch):
    """The thread counts the CPU kernel was called with, in order."""
    given = []
    run = backend.run_kernel
    monkeypatch.setattr(backend, "run_kernel", lambda *a: given.append(a[-1]) or run(*a))
    return given


def _results(calc, atoms):
    atoms = atoms.copy()
    atoms.calc = calc
    return atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()


def test_default_follows_torch_threads_and_results_do_not_depend_on_them(
        torch_threads, kernel_threads):
    box = electrolyte_like_box(2, 4.4, seed=5)
    torch_threads(1)
    calc = D3(device="cpu", **SHORT)
    assert calc.num_threads == 1
    one = _results(calc, box)
    two = _results(D3(device="cpu", num_threads=2, **SHORT), box)
    assert kernel_threads == [1, 2]
    # as test_d3's thread test: the kernel's sums do not depend on the split between threads
    assert one[0] == pytest.approx(two[0], rel=1e-13)
    np.testing.assert_allclose(one[1], two[1], rtol=0, atol=1e-13)
    np.testing.assert_allclose(one[2], two[2], rtol=0, atol=1e-15)
    # looked up at every calculation: a count torch is given later is followed, with no set()
    torch_threads(2)
    assert calc.num_threads == 2
    calc.reset()
    _results(calc, box)
    assert kernel_threads == [1, 2, 2]
    # the rule is recorded, not the count of one machine
    assert calc.parameters["num_threads"] is None
    assert calc.todict()["num_threads"] is None
    assert D3(**calc.todict()).num_threads == 2


def test_an_explicit_count_wins_over_torch(torch_threads, kernel_threads):
    torch_threads(1)
    calc = D3(device="cpu", num_threads=2, **SHORT)
    assert calc.num_threads == 2
    _results(calc, electrolyte_like_box(1, 4.4, seed=1))
    assert kernel_threads == [2]
    calc.set(num_threads=None)
    assert calc.num_threads == 1
    # torch's count is capped at the usable CPUs as an explicit one is
    torch_threads(CPUS + 3)
    assert calc.num_threads == CPUS


@pytest.mark.parametrize(("omp", "expected"), [
    ("1", 1), (" 1 ", 1), ("1,2", 1), (str(CPUS + 5), CPUS),
    # OpenMP ignores these, and so does the default
    ("", CPUS), ("abc", CPUS), ("0", CPUS), ("-2", CPUS), (None, CPUS),
])
def test_without_torch_the_default_is_omp_num_threads(monkeypatch, omp, expected):
    # a process that has not loaded torch: importing it for a count would cost seconds
    monkeypatch.setitem(sys.modules, "torch", None)
    if omp is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", omp)
    assert D3(device="cpu").num_threads == expected
    assert D3(device="cpu", num_threads=2).num_threads == 2


SCRIPT = """
import json, sys
from ase.build import molecule
from ase_electrolyte.d3 import D3, backend
given = []
run = backend.run_kernel
backend.run_kernel = lambda *a: given.append(a[-1]) or run(*a)
calc = D3(device="cpu")
calc.get_potential_energy(molecule("CH3OH"))
seen = {"torch_loaded": "torch" in sys.modules, "before_torch": calc.num_threads}
import torch
seen.update(after_torch=calc.num_threads, torch=torch.get_num_threads(), kernel=given)
print(json.dumps(seen))
"""


def test_omp_num_threads_one_in_a_fresh_process_gives_one_d3_thread():
    """As a dask worker started by its nanny: OMP_NUM_THREADS=1 before anything is loaded."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"torch_loaded": False, "before_torch": 1, "after_torch": 1, "torch": 1,
                    "kernel": [1]}
