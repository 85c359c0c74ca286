"""A screen's tables say how each task's outcome came about (fresh, resumed, recomputed, the
workers lost), and an interrupted screen counts what it finished, failed and left, then resumes
without running any task twice to completion."""

import _thread
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from ase_electrolyte.screen.aggregate import aggregate
from ase_electrolyte.screen.engine import ScreenResult, _prepare_outdir, interrupted_note
from ase_electrolyte.screen.plan import load_plan
from ase_electrolyte.screen.task import ATTEMPTS_FILE, LOST, write_json

HERE = Path(__file__)


def _interrupting_plan(out, sentinel, replicas=2):
    return {
        "name": "interrupted screen",
        "seed": 5,
        "replicas": replicas,
        "temperatures": [300],
        "n_atoms": 70,
        "analyses": [],
        "model": {"calculator": f"{HERE}:interrupting_lj", "device": "cpu",
                  "options": {"out": str(out), "sentinel": str(sentinel)}},
        "protocol": {"relax_fmax": 20.0, "preequilibration_ps": 0.0, "equilibration_ps": 0.0,
                     "production_ps": 0.004, "production_ensemble": "nvt",
                     "write_interval_fs": 2.0, "observe_interval_fs": 1.0},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": [3.0]}],
    }


def interrupting_lj(out, sentinel):
    """Lennard-Jones that interrupts the main thread (as Ctrl-C does) once in the whole test:
    in the first evaluation after a task of ``out`` has finished (mid-way through the next)."""
    from ase.calculators.lj import LennardJones

    class Interrupting(LennardJones):
        def calculate(self, *args, **kwargs):
            if not os.path.exists(sentinel) and any(Path(out).glob("tasks/*/*/*/result.json")):
                Path(sentinel).write_text("interrupted")
                _thread.interrupt_main()
            super().calculate(*args, **kwargs)

    return Interrupting(sigma=1.0, epsilon=0.01, rc=4.0, smooth=True)


def test_an_interrupted_screen_counts_its_tasks_and_the_rerun_runs_each_once(tmp_path):
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("rdkit")
    pytest.importorskip("packmol")
    from ase_electrolyte.screen import run_screen

    sentinel, out = tmp_path / "interrupted", tmp_path / "out"
    plan = _interrupting_plan(out, sentinel)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0", silence_logs=50) as cluster, \
            distributed.Client(cluster) as client:
        with pytest.raises(KeyboardInterrupt) as caught:
            run_screen(plan, out, client=client, progress=False, plots=False, poll_s=0.2)
        assert sentinel.exists()
        (note,) = [n for n in caught.value.__notes__ if n.startswith("run_screen")]
        # the first task had finished, the second was running
        assert "1 of 2 tasks finished (0 before this run, 1 in it), 0 failed, 1 not finished " \
            "(1 was running: its partial run is kept" in note
        assert f"{out / 'summary.csv'} was not updated" in note
        assert not (out / "summary.csv").exists()
        # the interrupted task's thread runs on in this process' worker: the rerun joins it
        again = run_screen(plan, out, client=client, progress=False, plots=False, poll_s=0.2)
    assert again.n_done + again.n_skipped == 2 and again.n_failed == 0
    for task in load_plan(plan).tasks():
        outcomes = [a["outcome"] for a in
                    json.loads((out / "tasks" / task.id / ATTEMPTS_FILE).read_text())]
        assert outcomes.count("done") == 1, (task.id, outcomes)
    tasks = pd.read_csv(out / "tasks.csv")
    assert set(tasks["replica"]) == {0, 1}
    assert set(tasks["start"]) == {"fresh"} and set(tasks["attempt"]) == {1}


def _finished_folder(tmp_path, restarts, failed=None):
    """A folder of a 3-replica plan whose tasks finished with the given ``restart`` records
    (``None``: a task of an earlier version, none recorded); ``failed``: replica -> error.json
    written instead (its ``attempts.json`` beside it)."""
    plan = load_plan({
        "name": "attempts", "seed": 1, "replicas": len(restarts), "temperatures": [300],
        "n_atoms": 70, "analyses": [],
        "model": {"calculator": f"{HERE.with_name('screen_models.py')}:lj"},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": [1.0]}]})
    out = tmp_path / "out"
    _prepare_outdir(plan, out)
    failed = failed or {}
    for t, restart in zip(plan.tasks(), restarts, strict=True):
        folder = out / "tasks" / t.id
        folder.mkdir(parents=True)
        if t.replica in failed:
            attempts, record = failed[t.replica]
            write_json(folder / ATTEMPTS_FILE, attempts)
            write_json(folder / "error.json", {"task": t.id, "status": "failed", **record})
            continue
        result = {"task": t.id, "status": "done", "seed": t.seed,
                  "properties": {"density": {"value": 1.2 + 0.01 * t.replica, "stderr": 0.01,
                                             "unit": "g/cm^3", "converged": True,
                                             "verdict": "valid"}}}
        if restart is not None:
            result["restart"] = restart
        write_json(folder / "result.json", result)
    return out


def test_the_tables_carry_each_tasks_attempt_state(tmp_path):
    lost = "tcp://10.0.0.7:4000"
    out = _finished_folder(tmp_path, [
        {"attempt": 1, "start": "fresh", "lost_workers": []},
        {"attempt": 2, "start": "resumed", "lost_workers": [lost]},
        {"attempt": 3, "start": "recomputed", "lost_workers": []},
        None,
    ], failed={3: ([{"worker": "tcp://10.0.0.8:4000", "outcome": None},
                    {"worker": "tcp://10.0.0.9:4000", "outcome": LOST}],
                   {"error": "KilledWorker: the workers died"})})
    summary = aggregate(out, plots=False)
    tasks = pd.read_csv(out / "tasks.csv", keep_default_na=False)
    by_replica = {int(r.replica): r for r in tasks.itertuples()}
    assert (by_replica[0].attempt, by_replica[0].start, by_replica[0].lost_workers) == \
        (1, "fresh", "")
    assert (by_replica[1].attempt, by_replica[1].start, by_replica[1].lost_workers) == \
        (2, "resumed", lost)
    assert (by_replica[2].attempt, by_replica[2].start) == (3, "recomputed")
    # the failure the screen recorded (its workers died) has no restart: attempts.json counts
    (failure,) = pd.read_csv(out / "failures.csv", keep_default_na=False).itertuples()
    assert (failure.replica, failure.attempt, failure.start) == (3, 2, "")
    assert failure.lost_workers == "tcp://10.0.0.8:4000; tcp://10.0.0.9:4000"
    (row,) = summary.itertuples()
    assert row.attempts == (f"r1 resumed, attempt 2, lost on {lost}; r2 recomputed, attempt 3; "
                            "r3 failed, attempt 2, lost on tcp://10.0.0.8:4000; "
                            "tcp://10.0.0.9:4000")
    written = pd.read_csv(out / "summary.csv", keep_default_na=False)
    assert written["attempts"].tolist() == [row.attempts]


def test_a_screen_whose_tasks_all_ran_once_has_no_attempts_text(tmp_path):
    out = _finished_folder(tmp_path, [{"attempt": 1, "start": "fresh", "lost_workers": []}] * 2
                           + [None])
    summary = aggregate(out, plots=False)
    assert summary["attempts"].tolist() == [""]
    tasks = pd.read_csv(out / "tasks.csv")
    assert tasks["attempt"].isna().tolist() == [False, False, True]


@pytest.mark.parametrize("terminated", [False, True])
def test_the_interruption_line_of_the_command_counts_the_tasks(tmp_path, monkeypatch, capsys,
                                                               terminated):
    from ase_electrolyte.termination import Terminated
    from electrolyte_cli import main

    plan = tmp_path / "plan.toml"
    plan.write_text("")
    out = tmp_path / "out"

    def stopped(*args, **kwargs):
        result = ScreenResult(outdir=out, n_tasks=6, n_skipped=1, n_done=2, n_failed=1)
        result._running = 2
        err = (Terminated if terminated else KeyboardInterrupt)()
        err.add_note(interrupted_note(result, out, err))
        raise err

    import ase_electrolyte.screen as screen

    monkeypatch.setattr(screen, "run_screen", stopped)
    monkeypatch.setattr("electrolyte_cli.screen._check_screen", lambda args: None)
    status = main(["screen", str(plan), "-o", str(out), "-q"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == (143 if terminated else 130)
    assert len(lines) == 1, lines
    word = "terminated (SIGTERM)" if terminated else "interrupted"
    assert lines[0].startswith(f"electrolyte screen: {word}; 3 of 6 tasks finished "
                               "(1 before this run, 2 in it), 1 failed, 2 not finished "
                               "(2 were running: their partial runs are kept")
    assert lines[0].endswith("run the same command again to resume")
    assert "a rerun with the same arguments" not in lines[0]


@pytest.mark.parametrize("terminated", [False, True])
def test_attempts_stopped_with_the_screens_own_cluster_are_interrupted_not_lost(tmp_path,
                                                                               terminated):
    """The rerun of a screen stopped by Ctrl-C said 'lost on tcp://127.0.0.1:...' of the
    tasks its own (closed) workers were running, as if a worker had died."""
    from types import SimpleNamespace

    from ase_electrolyte.screen.engine import _mark_interrupted, restart_line
    from ase_electrolyte.screen.task import INTERRUPTED, _open_attempt
    from ase_electrolyte.termination import Terminated

    out = tmp_path / "out"
    running, finished = SimpleNamespace(id="A/T300K/r0"), SimpleNamespace(id="A/T300K/r1")
    for task in (running, finished):
        (out / "tasks" / task.id).mkdir(parents=True)
        write_json(out / "tasks" / task.id / ATTEMPTS_FILE,
                   [{"worker": "tcp://127.0.0.1:1", "start": 1.0, "outcome": None}])
    write_json(out / "tasks" / finished.id / "result.json", {"status": "done"})
    _mark_interrupted(out, [running, finished], Terminated() if terminated else
                      KeyboardInterrupt())
    (stopped,) = json.loads((out / "tasks" / running.id / ATTEMPTS_FILE).read_text())
    assert stopped["outcome"] == f"{INTERRUPTED} ({'SIGTERM' if terminated else 'Ctrl-C'})"
    # a task that finished meanwhile keeps its log as its own run left it
    assert json.loads((out / "tasks" / finished.id / ATTEMPTS_FILE).read_text())[0][
        "outcome"] is None
    restart = _open_attempt(out / "tasks" / running.id, {"worker": "tcp://127.0.0.1:2"})
    assert restart["attempt"] == 2 and restart["lost_workers"] == []
    assert "attempt 2 (1 earlier attempt interrupted)" in restart_line(running.id, restart)
