"""Fixtures shared by the test modules."""

import sys

import matplotlib
import pytest

# plots are drawn in tests, never shown
matplotlib.use("Agg")


@pytest.fixture(scope="session")
def electrolyte_box_small():
    """A 58-atom periodic box: 1 LiPF6, 2 EC, 2 EMC packed by packmol (seeded)."""
    pytest.importorskip("rdkit")
    from ase_electrolyte.build import electrolyte_box

    return electrolyte_box(counts={"EC": 2, "EMC": 2, "Li": 1, "PF6": 1}, seed=0)


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Torch runs one intra-op thread in the test process, once something has imported it.

    The suite's models are tiny or molecule-sized: most of their tensors are below torch's
    parallel grain, and the rest too small to repay waking a second thread. With torch's default
    of one thread per core, each parallel region waited on a second thread that other work (CI's
    other process, a test's own workers, another session) held: SevenNet-0 on 28 atoms took
    5.7 s of CPU per energy/forces/stress call with two threads against 0.23 s with one, a tiny
    model's 5 epochs 3.6 s against 0.7 s (same process, interleaved, 2-core machine under load).
    Set lazily: tests that check which modules a command imports must not find torch already
    imported, and subprocesses keep torch's own default.
    """
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    yield
