"""The CPUs a process may use are at most its control group's CPU quota.

Measured before, in a container limited to 2 CPUs on a 64-core host (affinity: all 64):
``_usable_cpus()`` was 64, the screen's local cluster was sized 16 workers × 4 threads, and
D3's default thread count (no torch, no ``OMP_NUM_THREADS``) was 64; dask's own count
(``dask.system.cpu_count``) reads the quota.
"""

import pytest

from ase_electrolyte import environment
from ase_electrolyte.d3 import calculator as d3_calculator
from ase_electrolyte.screen import engine

HOST = 64


def _tree(tmp_path, files, proc="0::/\n"):
    for name, text in files.items():
        path = tmp_path / "cgroup" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "proc_cgroup").write_text(proc)
    return str(tmp_path / "cgroup"), str(tmp_path / "proc_cgroup")


CASES = [
    # cgroup v2 at the root of the container's namespace
    ({"cpu.max": "200000 100000\n"}, "0::/\n", 2),
    ({"cpu.max": "150000 100000\n"}, "0::/\n", 2),  # 1.5 CPUs: rounded up, as dask does
    ({"cpu.max": "50000 100000\n"}, "0::/\n", 1),
    ({"cpu.max": "max 100000\n"}, "0::/\n", None),
    # cgroup v2, the process' own group (a systemd slice, a Slurm job)
    ({"job/cpu.max": "400000 100000\n", "cpu.max": "max 100000\n"}, "0::/job\n", 4),
    # cgroup v1, each layout of the cpu controller's folder
    ({"cpu/cpu.cfs_quota_us": "300000\n", "cpu/cpu.cfs_period_us": "100000\n"},
     "1:cpu:/\n0::/\n", 3),
    ({"cpu,cpuacct/cpu.cfs_quota_us": "800000\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"},
     "1:cpu,cpuacct:/\n", 8),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, "1:cpu:/\n", None),
    # nothing readable
    ({}, "", None),
    ({"cpu.max": "garbage\n"}, "0::/\n", None),
]


@pytest.fixture
def host(monkeypatch):
    monkeypatch.setattr(environment.os, "sched_getaffinity", lambda pid: set(range(HOST)),
                        raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


@pytest.mark.parametrize("files, proc, quota", CASES)
def test_the_quota_caps_the_usable_cpus(tmp_path, monkeypatch, host, files, proc, quota):
    root, proc_file = _tree(tmp_path, files, proc)
    monkeypatch.setattr(environment, "_CGROUP_ROOT", root)
    monkeypatch.setattr(environment, "_PROC_CGROUP", proc_file)
    assert environment._cgroup_cpus() == quota
    assert environment._usable_cpus() == (quota or HOST)


def test_a_two_cpu_container_sizes_the_cluster_and_d3_for_two(tmp_path, monkeypatch, host):
    root, proc_file = _tree(tmp_path, {"cpu.max": "200000 100000\n"})
    monkeypatch.setattr(environment, "_CGROUP_ROOT", root)
    monkeypatch.setattr(environment, "_PROC_CGROUP", proc_file)
    monkeypatch.delitem(__import__("sys").modules, "torch", raising=False)
    assert engine.local_cluster_size("cpu") == (2, 1, 0)  # was (16, 4, 0)
    assert d3_calculator.D3(device="cpu").num_threads == 2  # was 64
    with pytest.raises(ValueError, match="at most the 2 cores"):
        engine.check_workers(3)
