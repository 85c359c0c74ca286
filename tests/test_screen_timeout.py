"""A per-task time limit (the plan's ``task_timeout_s``): a task that runs past it is stopped for
good — by its timer, by its own watchdog, or killed by its worker — is recorded as failed with
the limit named, keeps a readable partial run that the next screen resumes, and frees its worker
for the other tasks. A task process that dies (a crash in native code) is a failure, not a lost
worker; one whose worker goes away stops as well."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rdkit")
pytest.importorskip("packmol")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from ase_electrolyte.screen import PlanError, load_plan, run_screen  # noqa: E402
from ase_electrolyte.screen import task as task_module  # noqa: E402
from ase_electrolyte.screen.engine import TASKS_DIR, _prepare_outdir, _spec  # noqa: E402
from ase_electrolyte.trajectory import h5md_info, read_h5md  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))
SLOW = "EC_LiPF6-3molal/T300K/r0"  # the 76-atom box
FAST = "EC_LiPF6-4molal/T300K/r0"  # the 66-atom box
PRODUCTION_STEPS = 30


def _plan(model, options, timeout, concentrations=(3.0, 4.0), **extra):
    return load_plan({
        "name": "timeouts", "seed": 7, "replicas": 1, "temperatures": [300], "n_atoms": 70,
        "analyses": [], "task_timeout_s": timeout,
        "model": {"calculator": f"{MODELS}:{model}", "device": "cpu", "options": options},
        "protocol": {"relax_fmax": 20.0, "preequilibration_ps": 0.0, "equilibration_ps": 0.0,
                     "production_ps": PRODUCTION_STEPS / 1000, "write_interval_fs": 1.0,
                     "observe_interval_fs": 1.0},
        "composition": [{"solvent": "EC", "salt": "LiPF6",
                         "concentration": list(concentrations)}],
        **extra,
    })


def _client():
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=":0", silence_logs=50)
    return cluster, distributed.Client(cluster)


def _evaluations(log):
    """``[(pid, atoms), ...]`` of the counting model's log."""
    if not log.exists():
        return []
    return [tuple(int(x) for x in line.split()) for line in log.read_text().splitlines()]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# -- the plan key -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -5, math.nan, math.inf, "2h", True, [60], 4e7])
def test_a_time_limit_that_is_no_positive_finite_number_of_seconds_is_refused(value):
    with pytest.raises(PlanError, match=r"task_timeout_s \(s\) must be a finite number > 0"):
        _plan("lj", {}, value)


def test_the_time_limit_is_not_part_of_the_plan_identity():
    # a rerun with a longer limit must reuse the folder (and resume the stopped tasks)
    limited, longer, unlimited = (_plan("lj", {}, t) for t in (60, 3600, None))
    assert limited.task_timeout_s == 60.0 and unlimited.task_timeout_s is None
    assert limited.fingerprint() == longer.fingerprint() == unlimited.fingerprint()
    assert limited.to_dict()["task_timeout_s"] == 60.0


# -- a task past its limit ----------------------------------------------------------------------


@pytest.mark.slow
def test_a_task_past_its_limit_is_stopped_kept_and_resumed_by_the_next_screen(tmp_path):
    log, block = tmp_path / "evaluations.log", tmp_path / "slow"
    block.write_text("the 76-atom box sleeps 2 s per evaluation of its production while this "
                     "file exists")
    out = tmp_path / "screen"
    # slow from its production on only: the task's start (imports, packing, relaxation) takes
    # what it takes on a loaded machine, and then its production's 31 evaluations need 62 s, so
    # it cannot finish within its 30 s limit however fast its start was, and it writes its
    # first frames however slow (it did finish, and could reach no frame, when every
    # evaluation slept 0.5 s: 2 s of margin). The fast task runs whole within the same limit:
    # at 15 s it was stopped too on a machine loaded 9 times over (18 processes, 2 cores)
    options = {"seconds": 2.0, "log": str(log), "block": str(block), "min_atoms": 70,
               "after": str(out / TASKS_DIR / SLOW / "production.h5md")}
    cluster, client = _client()
    with cluster, client:
        # one worker thread: the fast task gets it only if the stopped one gives it back
        first = run_screen(_plan("counting_slow_lj", options, 30), out, client=client,
                           progress=False, plots=False)
        assert (first.n_done, first.n_failed, first.timed_out) == (1, 1, [SLOW])
        assert first.failures[SLOW].startswith(
            "TaskTimeout: stopped at the plan's task_timeout_s = 30 s")
        folder = out / TASKS_DIR / SLOW
        assert not (folder / "result.json").exists()
        error = json.loads((folder / "error.json").read_text())
        assert error["timed_out"] is True and error["task_timeout_s"] == 30.0
        # the work stopped for good: its process is gone and evaluates nothing more
        slow = [(pid, n) for pid, n in _evaluations(log) if n > 70]
        assert slow and not any(_alive(pid) for pid, _ in slow)
        assert {pid for pid, _ in slow}.isdisjoint({os.getpid()})  # not in the worker
        count = len(_evaluations(log))
        time.sleep(1.5)
        assert len(_evaluations(log)) == count
        # the partial run is readable: complete frames only, not marked complete
        info = h5md_info(folder / "production.h5md")
        kept = info["n_frames"]
        assert 1 <= kept < PRODUCTION_STEPS + 1 and not info["complete"]
        before = [read_h5md(folder / "production.h5md", k).positions for k in range(kept)]
        # the table names the limit as the slow composition's failure; the fast one is whole
        row = first.summary.set_index("composition").loc["EC_LiPF6-3molal"]
        assert row["n_failed"] == 1 and not row["valid"]
        assert "1 replica(s) failed: TaskTimeout: stopped at the plan's task_timeout_s = 30 s" \
            in row["verdict"]
        assert (out / TASKS_DIR / FAST / "result.json").exists()
        failures = pd.read_csv(out / "failures.csv")
        assert list(failures["task"]) == [SLOW]

        # the rerun (a longer limit, the model no longer slow) resumes the stopped task only
        block.unlink()
        second = run_screen(_plan("counting_slow_lj", options, 600), out, client=client,
                            progress=False, plots=False)
    assert (second.n_done, second.n_skipped, second.n_failed) == (1, 1, 0)
    assert list(second.task_s) == [SLOW] and second.timed_out == []
    assert json.loads((out / "plan.json").read_text())["task_timeout_s"] == 600.0
    assert (folder / "result.json").exists() and not (folder / "error.json").exists()
    info = h5md_info(folder / "production.h5md")
    assert info["complete"] and info["n_frames"] == PRODUCTION_STEPS + 1
    # resumed from its last frame, not run again: the kept frames are unchanged and the rerun
    # evaluated the remaining steps only (a restart relaxes and runs all 30 steps again)
    for k, positions in enumerate(before):
        np.testing.assert_array_equal(read_h5md(folder / "production.h5md", k).positions,
                                      positions)
    rerun = len(_evaluations(log)) - count
    assert rerun <= PRODUCTION_STEPS - (kept - 1) + 2
    assert not pd.read_csv(out / "summary.csv")["verdict"].str.contains("failed").any()


def test_a_task_that_swallows_the_stop_is_killed_by_its_watchdog(tmp_path, monkeypatch):
    monkeypatch.setattr(task_module, "TIMEOUT_GRACE_S", 1.0)
    out = tmp_path / "screen"
    cluster, client = _client()
    # the limit must come after the model has loaded (it swallows the stop from then on): 10 s
    # for a start of about 2 s here (4 s, a loaded machine's start could take, and the task
    # then stopped as an ordinary one)
    with cluster, client:
        result = run_screen(_plan("stubborn_lj", {}, 10, concentrations=(3.0,)), out,
                            client=client, progress=False, plots=False)
    assert result.timed_out == [SLOW] and result.n_failed == 1
    message = result.failures[SLOW]
    assert message.startswith("TaskTimeout: stopped at the plan's task_timeout_s = 10 s")
    assert "did not stop within 1 s of the limit and its process was killed" in message
    error = json.loads((out / TASKS_DIR / SLOW / "error.json").read_text())
    assert error["timed_out"] is True and error["error"] == message


class _DroppedStop:
    """A task (in place of ``run_task``) whose evaluations sleep where the first stop is lost:
    in a ``__del__`` or a ``weakref.finalize`` callback (Python prints "Exception ignored in"
    and goes on) or under a model's ``except BaseException``; it sleeps in plain code after."""

    def __init__(self, where):
        self.where, self.dropped, self.finished = where, [], False

    def _sleep_dropping(self):
        try:
            time.sleep(10)
        except BaseException as err:
            self.dropped.append(type(err).__name__)
            raise

    def __call__(self, spec):
        import weakref

        if self.where == "__del__":
            holder = type("Holder", (), {"__del__": lambda _: self._sleep_dropping()})
            holder()  # deleted at once: its __del__ sleeps
        elif self.where == "weakref.finalize":
            weakref.finalize(type("Obj", (), {})(), self._sleep_dropping)
        else:
            try:
                self._sleep_dropping()
            except BaseException:  # noqa: BLE001, S110 - a model's error handling
                pass
        assert self.dropped, "the first stop came outside the place that drops it"
        time.sleep(10)  # a task that got no second stop finishes: the limit was not enforced
        self.finished = True
        return {"status": "done"}


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the drop
@pytest.mark.parametrize("where", ["__del__", "weakref.finalize", "except BaseException"])
def test_a_stop_that_was_dropped_is_raised_again_until_the_task_stops(where, monkeypatch):
    task = _DroppedStop(where)
    monkeypatch.setattr(task_module, "run_task", task)
    previous = signal.signal(signal.SIGALRM, task_module._expire)
    try:
        began = time.time()
        result, why = task_module._run_until_stopped({}, began + 0.3)
        took = time.time() - began
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert task.dropped == ["TaskTimeout"] and not task.finished
    assert (result, why) == (None, "task_timeout_s")
    # stopped by a repeat, during the task's second sleep of 10 s (it would have finished at
    # 20 s; a repeat comes every 0.5 s: the bound leaves a loaded machine 7 s of slack)
    assert took < 8.0


@pytest.mark.parametrize("block", ["finally", "except"])
def test_the_repeats_leave_the_cleanup_of_a_stop_on_its_way_out_alone(block, monkeypatch):
    # closing the trajectory as not complete may take longer than the repeats' period
    cleaned = []

    def cleanup():
        time.sleep(3 * task_module._RESTOP_S)
        cleaned.append(True)

    def task(spec):
        if block == "finally":
            try:
                time.sleep(10)
            finally:
                cleanup()
        else:
            try:
                time.sleep(10)
            except BaseException:
                cleanup()
                raise
        return {"status": "done"}

    monkeypatch.setattr(task_module, "run_task", task)
    previous = signal.signal(signal.SIGALRM, task_module._expire)
    try:
        result, why = task_module._run_until_stopped({}, time.time() + 0.2)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert cleaned == [True] and (result, why) == (None, "task_timeout_s")


def test_the_stopped_timer_is_off_and_a_late_stop_is_not_raised(monkeypatch):
    # the task finished just before its limit: neither the timer nor a repeat of it may raise
    # into the writing of its outcome
    monkeypatch.setattr(task_module, "run_task", lambda spec: {"status": "done"})
    previous = signal.signal(signal.SIGALRM, task_module._expire)
    try:
        result, why = task_module._run_until_stopped({}, time.time() + 0.2)
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        assert signal.getsignal(signal.SIGALRM) == signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGALRM)
        time.sleep(0.4)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert (result, why) == ({"status": "done"}, None)
    # past the limit already: stopped before it starts
    assert task_module._run_until_stopped({}, time.time() - 1) == (None, "task_timeout_s")


def test_a_task_stuck_in_native_code_holding_the_gil_is_killed_by_its_worker(tmp_path,
                                                                            monkeypatch):
    # neither its timer's handler nor its watchdog thread can run: the worker kills it (or
    # its watchdog does, where the limit comes before the model is first evaluated)
    monkeypatch.setattr(task_module, "TIMEOUT_GRACE_S", 1.0)
    monkeypatch.setattr(task_module, "_KILL_SLACK_S", 1.0)
    out = tmp_path / "screen"
    cluster, client = _client()
    # the limit after the model's loading (from then on the timer's signal is ignored), with
    # room for a loaded machine's slow start
    with cluster, client:
        result = run_screen(_plan("gil_hog_lj", {"seconds": 300}, 12, concentrations=(3.0,)),
                            out, client=client, progress=False, plots=False)
    assert result.timed_out == [SLOW]
    assert result.failures[SLOW].startswith(
        "TaskTimeout: stopped at the plan's task_timeout_s = 12 s")
    assert "its process was killed" in result.failures[SLOW]
    assert result.task_s == {} and result.n_done == 0


def test_a_task_process_that_dies_is_a_failure_with_its_log_and_resumes(tmp_path):
    # process workers: the limited task runs in a child of the worker process, which outlives it
    sentinel = tmp_path / "killed"
    plan = _plan("killing_lj", {"sentinel": str(sentinel), "kill_at": 12}, 600,
                 concentrations=(3.0,))
    out = tmp_path / "screen"
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                       memory_limit=0, dashboard_address=":0", silence_logs=50)
    with cluster, distributed.Client(cluster) as client:
        workers = set(client.scheduler_info()["workers"])
        first = run_screen(plan, out, client=client, progress=False, plots=False)
        assert set(client.scheduler_info()["workers"]) == workers  # no worker was lost
        assert first.n_failed == 1 and first.timed_out == []
        message = first.failures[SLOW]
        assert message.startswith("TaskProcessDied: the task's process ended by signal SIGKILL")
        assert str(out / TASKS_DIR / SLOW / "task.log") in message
        assert int(sentinel.read_text()) not in {os.getpid(), *client.run(os.getpid).values()}
        second = run_screen(plan, out, client=client, progress=False, plots=False)
    assert (second.n_done, second.n_failed) == (1, 0)
    assert h5md_info(out / TASKS_DIR / SLOW / "production.h5md")["complete"]


def test_a_task_whose_worker_went_away_stops_and_frees_its_folder(tmp_path):
    log, block = tmp_path / "evaluations.log", tmp_path / "slow"
    block.write_text("slow while this file exists")
    plan = _plan("counting_slow_lj",
                 {"seconds": 0.3, "log": str(log), "block": str(block), "min_atoms": 0},
                 600, concentrations=(3.0,))
    out = tmp_path / "screen"
    _prepare_outdir(plan, out)
    task = plan.tasks()[0]
    spec = _spec(plan, task, out, None, plan.to_dict())
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    # a stand-in for a worker: runs the task, and is killed mid-task as a lost node's worker
    worker = subprocess.Popen([sys.executable, "-c",
                               "import json, sys; from ase_electrolyte.screen.task import "
                               "run_task; run_task(json.load(open(sys.argv[1])))",
                               str(tmp_path / "spec.json")])
    folder = out / TASKS_DIR / task.id
    # killed inside the production: a kill inside the relaxation (4 evaluations in, as import
    # times vary) left the rerun to relax again, 2 evaluations past the production's bound
    for _ in range(600):
        if (len(_evaluations(log)) > 3 and (folder / "production.h5md").exists()):
            break
        time.sleep(0.1)
    child = _evaluations(log)[-1][0]
    assert child != worker.pid
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    for _ in range(300):
        if not _alive(child):
            break
        time.sleep(0.1)
    assert not _alive(child)  # orphaned, it stopped itself
    error = json.loads((folder / "error.json").read_text())
    assert error["error"].startswith("TaskStopped: the worker that started this task went away")
    count = len(_evaluations(log))
    # the folder's claim went with it: the rescheduled task resumes at once
    block.unlink()
    cluster, client = _client()
    with cluster, client:
        result = run_screen(plan, out, client=client, progress=False, plots=False)
    assert (result.n_done, result.n_failed) == (1, 0)
    assert result.task_timing[task.id].get("waited_s", 0.0) < task_module.CLAIM_POLL_S
    assert len(_evaluations(log)) - count <= PRODUCTION_STEPS + 2


def test_a_task_whose_workers_all_died_says_why_and_resumes(tmp_path):
    # without a time limit the task runs in its worker: a death there (here once, at the 12th
    # evaluation; a memory limit would do the same) takes the worker with it
    import dask

    sentinel = tmp_path / "killed"
    plan = _plan("killing_lj", {"sentinel": str(sentinel), "kill_at": 12}, None,
                 concentrations=(3.0,))
    out = tmp_path / "screen"
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                           memory_limit=0, dashboard_address=":0",
                                           silence_logs=50)
        with cluster, distributed.Client(cluster) as client:
            first = run_screen(plan, out, client=client, progress=False, plots=False)
            assert first.n_failed == 1 and sentinel.exists()
            message = first.failures[SLOW]
            assert message.startswith("KilledWorker: every worker that ran this task died while "
                                      "running it (most often out of memory")
            assert "the next run of the screen resumes it" in message and "\n" not in message
            error = json.loads((out / TASKS_DIR / SLOW / "error.json").read_text())
            assert error["error"] == message
            kept = h5md_info(out / TASKS_DIR / SLOW / "production.h5md")["n_frames"]
            second = run_screen(plan, out, client=client, progress=False, plots=False)
    assert (second.n_done, second.n_failed) == (1, 0), second.failures
    info = h5md_info(out / TASKS_DIR / SLOW / "production.h5md")
    assert info["complete"] and info["n_frames"] == PRODUCTION_STEPS + 1 and kept >= 1


def test_output_printed_before_the_task_process_redirects_it_leaves_the_outcome_whole(
        tmp_path, monkeypatch):
    # a sitecustomize (or a package imported on start) printing to standard output wrote into
    # the pipe that carries the task's outcome, and a finished task read as a dead process
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        'print("banner on standard output {\\"status\\": \\"failed\\"}", flush=True)\n')
    monkeypatch.syspath_prepend(str(site))
    plan = _plan("lj", {}, 600, concentrations=(4.0,))
    out = tmp_path / "screen"
    _prepare_outdir(plan, out)
    task = plan.tasks()[0]
    result = task_module.run_task(_spec(plan, task, out, 1, plan.to_dict()))
    assert result["status"] == "done", result.get("error")
    assert (out / TASKS_DIR / task.id / "result.json").exists()
