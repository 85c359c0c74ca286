"""A task's memory budget bounds host memory only, and bounds it wherever the task runs on the host.

The hard limit on a task process' writable data (``RLIMIT_DATA``) would count a CUDA context's
address-space reservations (no host memory at all) and stop a GPU task from starting, so it is
never set for ``"cuda"``/``"cuda:N"``. ``"auto"`` runs on the CPU where no GPU can be seen; it
was left without the limit there, so an allocation too large for the machine went unrefused
until the resident-memory check saw it filled. The decision is tested here on its inputs (the
driver files, ``CUDA_VISIBLE_DEVICES``), no GPU needed; the limit itself in a process of its
own (setting it in the test process would bound the test runner)."""

import json
import subprocess
import sys

import pytest

from ase_electrolyte.screen import task as task_module

MIB = 2**20


@pytest.fixture
def driver(tmp_path, monkeypatch):
    """``present(flag)``: make the GPU driver's files exist or not, for this test."""
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    there = tmp_path / "nvidiactl"
    there.write_text("")

    def present(flag):
        files = (str(there),) if flag else (str(tmp_path / "absent"),)
        monkeypatch.setattr(task_module, "_GPU_DRIVER_FILES", files)

    return present


@pytest.mark.parametrize("device", ["cpu", "cuda", "cuda:0", "cuda:3", "auto"])
@pytest.mark.parametrize("gpu", [False, True])
def test_only_a_task_that_cannot_reach_a_gpu_gets_the_hard_limit(device, gpu, driver):
    driver(gpu)
    expected = device == "cpu" or (device == "auto" and not gpu)
    assert task_module._host_only(device) is expected


@pytest.mark.parametrize("hidden", ["", "-1"])
def test_auto_with_every_gpu_hidden_runs_on_the_host_and_is_limited(hidden, driver,
                                                                    monkeypatch):
    driver(True)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", hidden)
    assert task_module._host_only("auto")
    assert not task_module._host_only("cuda")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    assert not task_module._host_only("auto")


_CHILD = """
import json, resource, sys
from ase_electrolyte.screen import task
task._GPU_DRIVER_FILES = tuple(sys.argv[2:])
before = resource.getrlimit(resource.RLIMIT_DATA)[0]
budget = task._limit_memory((300 * 2**20, 800 * 2**20, 500 * 2**20), sys.argv[1])
after = resource.getrlimit(resource.RLIMIT_DATA)[0]
oom = task._failure_text(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"))
host = task._failure_text(MemoryError("Unable to allocate 8.00 GiB"))
print(json.dumps({"before": before, "after": after, "budget": budget,
                  "hard": task._MEMORY.get("hard"), "oom": oom, "host": host}))
"""


def _limit_in_a_child(device, driver_files):
    out = subprocess.run([sys.executable, "-c", _CHILD, device, *driver_files],
                         capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("device, gpu, limited", [
    ("cpu", False, True), ("auto", False, True), ("auto", True, False), ("cuda", True, False),
])
def test_the_hard_limit_is_set_where_the_decision_says(tmp_path, device, gpu, limited):
    there = tmp_path / "nvidiactl"
    there.write_text("")
    files = [str(there)] if gpu else [str(tmp_path / "absent")]
    got = _limit_in_a_child(device, files)
    # the budget (resident memory, host only) holds on every device
    assert got["budget"] == 300 * MIB
    if limited:
        # the larger of twice the budget and the 1 GiB floor
        assert got["hard"] == got["after"] == max(600 * MIB, 2**30)
        assert got["host"].startswith("TaskMemoryLimit: an allocation was refused at the "
                                      "task's hard memory limit of 1.00 GiB")
    else:
        assert got["hard"] is None and got["after"] == got["before"]
        assert got["host"] == "MemoryError: Unable to allocate 8.00 GiB"
    # a GPU's own out-of-memory error is never taken for the host budget's
    assert got["oom"] == "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"
