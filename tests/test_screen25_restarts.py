"""A screen killed mid-task (its whole process, SIGKILL) and run again: the finished task is
kept, the interrupted one resumes from its own last complete frame (no step run twice), and its
``result.json`` says so: the attempt lost, on which worker, and from which step it resumed."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("rdkit")
pytest.importorskip("packmol")
distributed = pytest.importorskip("distributed")

from ase_electrolyte.screen import run_screen  # noqa: E402
from ase_electrolyte.screen.engine import restart_line  # noqa: E402
from ase_electrolyte.screen.task import ATTEMPTS_FILE, LOST  # noqa: E402
from ase_electrolyte.trajectory import h5md_info  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))
TASK = "EC_LiPF6-3molal/T300K/r0"


def _plan(sentinel):
    return {
        "name": "killed screen",
        "seed": 11,
        "replicas": 1,
        "temperatures": [300],
        "n_atoms": 70,
        "analyses": [],
        # the first process to reach its 14th force call (mid-production: a relaxation of a
        # few calls, then one per MD step) kills itself, as a node lost or `kill -9` would
        "model": {"calculator": f"{MODELS}:killing_lj", "device": "cpu",
                  "options": {"sentinel": str(sentinel), "kill_at": 14}},
        "protocol": {"relax_fmax": 20.0, "preequilibration_ps": 0.0, "equilibration_ps": 0.0,
                     "production_ps": 0.024, "production_ensemble": "nvt",
                     "write_interval_fs": 2.0, "observe_interval_fs": 1.0},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": [3.0]}],
    }


def _cluster():
    return distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                    dashboard_address=":0", silence_logs=50)


def test_a_screen_killed_mid_task_resumes_it_and_records_the_lost_attempt(tmp_path, capsys):
    sentinel, out = tmp_path / "killed", tmp_path / "out"
    plan = _plan(sentinel)
    script = textwrap.dedent(f"""
        import distributed
        from ase_electrolyte.screen import run_screen
        if __name__ == "__main__":
            cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1,
                processes=False, dashboard_address=":0", silence_logs=50)
            with distributed.Client(cluster) as c:
                run_screen({plan!r}, {str(out)!r}, client=c, progress=False, plots=False)
    """)
    (tmp_path / "screen.py").write_text(script)
    proc = subprocess.run([sys.executable, str(tmp_path / "screen.py")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert int(sentinel.read_text()) > 0
    folder = out / "tasks" / TASK
    assert not (folder / "result.json").exists()
    (dead,) = json.loads((folder / ATTEMPTS_FILE).read_text())
    assert dead["outcome"] is None and str(os.getpid()) not in dead["worker"]
    partial = h5md_info(folder / "production.h5md")
    assert not partial["complete"] and 0 < partial["last_step"] < 24

    with _cluster() as cluster, distributed.Client(cluster) as client:
        result = run_screen(plan, out, client=client, progress=True, plots=False)
    assert (result.n_done, result.n_failed) == (1, 0)
    record = json.loads((folder / "result.json").read_text())["restart"]
    assert record == result.restarted[TASK]
    assert record["attempt"] == 2 and record["start"] == "resumed"
    assert record["lost_workers"] == [dead["worker"]]
    assert record["earlier_attempts"][0]["outcome"] == LOST
    kept = record["trajectories"]["production.h5md"]
    assert (kept["complete"], kept["last_step"]) == (False, partial["last_step"])
    # resumed, not rerun: the frames of the lost attempt are the start of the finished file
    final = h5md_info(folder / "production.h5md")
    assert final["complete"] and final["last_step"] == 24 and final["n_frames"] == 13
    attempts = json.loads((folder / ATTEMPTS_FILE).read_text())
    assert [a["outcome"] for a in attempts] == [LOST, "done"]
    printed = capsys.readouterr().out
    assert f"{TASK}: attempt 2 (lost on {dead['worker']})" in printed
    assert f"production.h5md from step {partial['last_step']}" in printed

    # a third run finds it finished: nothing runs, the record is unchanged
    with _cluster() as cluster, distributed.Client(cluster) as client:
        again = run_screen(plan, out, client=client, progress=False, plots=False)
    assert (again.n_done, again.n_skipped, again.restarted) == (0, 1, {})
    assert json.loads((folder / ATTEMPTS_FILE).read_text()) == attempts


def test_the_restart_line_names_failed_attempts_and_a_rerun_from_the_start():
    restart = {"attempt": 3, "start": "recomputed", "lost_workers": ["tcp://10.0.0.2:4000"],
               "earlier_attempts": [{"worker": "tcp://10.0.0.2:4000", "outcome": LOST},
                                    {"worker": "tcp://10.0.0.3:4000",
                                     "outcome": "failed: RuntimeError: CUDA error"}],
               "trajectories": {}}
    line = restart_line("A/T300K/r0", restart)
    assert "attempt 3 (lost on tcp://10.0.0.2:4000; 1 earlier attempt failed)" in line
    assert "recomputed from its start" in line
