"""A screening folder has one screen at a time, and a scheduler address is checked to answer as
a dask scheduler before anything is recorded or submitted."""

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from test_screen_failures import _folder, _plan, _property  # noqa: E402

from ase_electrolyte.screen import PlanError, engine, run_screen  # noqa: E402
from ase_electrolyte.writer_lock import FOLDER_LOCK_NAME  # noqa: E402

HOLD = """
import sys, time
from ase_electrolyte.writer_lock import WriterLock
lock = WriterLock(sys.argv[1], "screening folder").acquire()
print("held", flush=True)
sys.stdin.read()
"""


def _finished(tmp_path):
    """A folder of a finished two-composition screen (nothing left to submit)."""
    return _folder(tmp_path, lambda c, r: {"density": _property(c / 3 + 0.01 * r)})


def test_a_second_screen_into_a_running_screens_folder_is_refused_before_anything(tmp_path):
    plan = _finished(tmp_path)
    record = (tmp_path / "plan.json").read_bytes()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "held"
        for again in (plan, _plan(seed=8)):  # the same plan, or another one
            with pytest.raises(PlanError, match=rf"another screen is running into {tmp_path} "
                                                rf"\(another process \(pid {holder.pid} on .*\), "
                                                r"lock .*nothing was submitted"):
                run_screen(again, tmp_path, progress=False, plots=False)
        assert (tmp_path / "plan.json").read_bytes() == record
        assert not (tmp_path / "summary.csv").exists()  # not even the table was written
    finally:
        holder.communicate("")
    # the first screen has ended: the same plan reuses its results, and leaves no lock file
    again = run_screen(plan, tmp_path, progress=False, plots=False)
    assert (again.n_tasks, again.n_skipped, again.n_done) == (4, 4, 0)
    means = again.summary.set_index("concentration")["mean"]
    assert means[3.0] == pytest.approx(1.005) and means[4.0] == pytest.approx(4 / 3 + 0.005)
    assert not (tmp_path / FOLDER_LOCK_NAME).exists()


def test_a_screen_of_another_thread_holds_the_folder_too(tmp_path, monkeypatch):
    plan = _finished(tmp_path)
    inside, leave = threading.Event(), threading.Event()
    real = engine._run_claimed

    def slow(*args, **kwargs):
        inside.set()
        leave.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_run_claimed", slow)
    try:
        first = threading.Thread(target=run_screen, args=(plan, tmp_path),
                                 kwargs={"progress": False, "plots": False})
        first.start()
        assert inside.wait(30)
        with pytest.raises(PlanError, match="another screen is running into"):
            run_screen(plan, tmp_path, progress=False, plots=False)
    finally:
        leave.set()
        first.join(30)
    assert (tmp_path / "summary.csv").exists() and not (tmp_path / FOLDER_LOCK_NAME).exists()


def _server(behaviour):
    """A TCP server on localhost that is no dask scheduler; returns its address."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    kept = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            if behaviour == "silent":  # a web server waiting for its request line
                kept.append(conn)
            elif behaviour == "banner":  # an SSH server's greeting, read as a message length
                conn.sendall(b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n")
                kept.append(conn)
            else:  # "close": a service that hangs up
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server, f"tcp://127.0.0.1:{server.getsockname()[1]}"


@pytest.mark.parametrize("behaviour, why", [
    ("silent", "no dask handshake within 1 s"),
    ("banner", "its answer is not dask's"),
    ("close", "its answer is not dask's"),
])
def test_an_address_of_another_service_is_refused_fast(tmp_path, monkeypatch, behaviour, why):
    # a silent server is waited for; one that answers or hangs up answers at once, and gets the
    # full time so that a loaded machine's slow connect is not read as silence
    monkeypatch.setattr(engine, "HANDSHAKE_S", 1.0 if behaviour == "silent" else 10.0)
    server, address = _server(behaviour)
    outdir = tmp_path / "new" / "screen"
    try:
        # distributed waited for the handshake forever, or raised MemoryError on the banner
        with pytest.raises(PlanError, match=rf"cannot use '{address}' as the dask scheduler: "
                                            rf"something listens there, but {why}.*8786.*"
                                            "Nothing was submitted"):
            run_screen(_plan(), outdir, scheduler=address, progress=False)
    finally:
        server.close()
    # the message is the handshake check's own: distributed's wait (forever on a silent
    # server, a MemoryError on the banner) was never entered; no wall-clock bound here
    assert not (tmp_path / "new").exists()  # no record of a plan that never ran


# -- a second copy of one task (a rescheduled task whose first worker lives on) ----------------

ZOMBIE = """
import json, sys
from ase_electrolyte.writer_lock import WriterLock
lock = WriterLock(sys.argv[1], "run folder").acquire()
print("held", flush=True)
result = sys.stdin.readline()
if result.strip():  # the first copy finishes: its result, written while it holds the folder
    with open(sys.argv[1] + "/result.json", "w") as f:
        f.write(result)
"""


def _task_spec(tmp_path):
    from ase_electrolyte.screen.engine import _prepare_outdir, _spec

    plan = _plan(replicas=1, concentrations=(3.0,))
    out = tmp_path / "screen"
    _prepare_outdir(plan, out)
    (task,) = plan.tasks()
    spec = _spec(plan, task, out, 1, plan.to_dict())
    Path(spec["folder"]).mkdir(parents=True)
    return task, spec


def _second_copy(spec):
    from ase_electrolyte.screen import run_task

    box = {}
    thread = threading.Thread(target=lambda: box.update(out=run_task(spec)))
    thread.start()
    return thread, box


@pytest.mark.parametrize("first", ["finishes", "is killed"])
def test_a_second_copy_of_a_task_waits_for_the_first_and_reports_one_result(
        tmp_path, monkeypatch, first):
    from ase_electrolyte.screen import task as task_module

    monkeypatch.setattr(task_module, "CLAIM_POLL_S", 0.1)
    task, spec = _task_spec(tmp_path)
    folder = Path(spec["folder"])
    zombie = subprocess.Popen([sys.executable, "-c", ZOMBIE, str(folder)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert zombie.stdout.readline().strip() == "held"
    thread, box = _second_copy(spec)
    time.sleep(1.0)
    # it waits: before, run_protocol refused it and the task was reported failed
    assert thread.is_alive() and not (folder / "error.json").exists()
    if first == "finishes":
        record = {"task": task.id, "status": "done", "seed": task.seed,
                  "properties": {"density": _property(1.25)}}
        zombie.communicate(json.dumps(record) + "\n")
    else:
        zombie.kill()
        zombie.wait()
    thread.join(120)
    out = box["out"]
    assert out["status"] == "done", out.get("error")
    assert not (folder / "error.json").exists()
    stored = json.loads((folder / "result.json").read_text())
    if first == "finishes":  # the first copy's result, not a second run beside it
        assert out.get("skipped") and out["properties"]["density"]["value"] == 1.25
        assert not (folder / "production.h5md").exists()
    else:  # the folder is free again: this copy runs the task
        # it waited (the claim was held when it started): at least one poll, whatever the load
        assert not out.get("skipped") and out["timing"]["waited_s"] >= task_module.CLAIM_POLL_S
        assert stored["properties"]["density"]["value"] == out["properties"]["density"]["value"]
        assert 0.5 < stored["properties"]["density"]["value"] < 3.0


# -- the scheduler goes away mid-screen --------------------------------------------------------


def test_a_scheduler_lost_mid_screen_is_one_clear_error_and_a_rerun_reuses_its_work(tmp_path):
    out = tmp_path / "screen"
    started = out / "tasks" / "EC_LiPF6-3molal" / "T300K" / "r0" / "relaxed.h5md"
    gate = tmp_path / "gate"
    gate.write_text("the task waits in its evaluations from its relaxation on while this exists")
    # held until the scheduler is gone: a task that finished first (0.25 s of work were left
    # when it was slowed by a sleep only) reached the client, and no loss was seen
    plan = _plan(replicas=1, concentrations=(3.0,), model="gated_lj",
                 options={"gate": str(gate), "after": str(started)})
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=":0", silence_logs=50)

    def stop_when_running():
        deadline = time.time() + 60
        while not started.exists() and time.time() < deadline:
            time.sleep(0.05)
        try:
            cluster.close()
        finally:
            gate.unlink()

    stopper = threading.Thread(target=stop_when_running)
    with distributed.Client(cluster.scheduler_address) as client:
        stopper.start()
        # distributed's own words were a FuturesCancelledError or CommClosedError traceback
        with pytest.raises(RuntimeError, match=r"lost the dask scheduler at \S+ \(\w+: .*\) "
                                               r"with 1 of 1 submitted tasks unfinished \(0 done, "
                                               r"0 failed\); the finished tasks are kept in .*run "
                                               "the same screen again"):
            run_screen(plan, out, client=client, progress=False, plots=False, poll_s=0.1)
    stopper.join(60)
    task = started.parent
    assert not (task / "error.json").exists()  # not a failure of the task: it was cancelled
    # a worker thread cannot be stopped: the in-process worker's task runs on to its end
    deadline = time.time() + 60
    while (task / ".electrolyte-writer.lock").exists() and time.time() < deadline:
        time.sleep(0.1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0", silence_logs=50) as again, \
            distributed.Client(again) as client:
        second = run_screen(plan, out, client=client, progress=False, plots=False)
    # the rerun reuses what the lost screen's task finished: one result, no failure
    assert (second.n_done, second.n_skipped, second.n_failed) == (0, 1, 0)
    assert (task / "result.json").exists() and not (task / "error.json").exists()
    row = second.summary.iloc[0]
    assert len(second.summary) == 1 and row["n_replicas"] + row["n_invalid"] == 1


def test_a_closed_client_is_refused_before_anything(tmp_path):
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0", silence_logs=50) as cluster:
        client = distributed.Client(cluster)
        client.close()
        outdir = tmp_path / "new" / "screen"
        # scheduler_info() of a closed client raised KeyError 'workers'
        with pytest.raises(PlanError, match="the dask client given is closed, not running; "
                                            "nothing was submitted"):
            run_screen(_plan(), outdir, client=client, progress=False)
    assert not (tmp_path / "new").exists()
