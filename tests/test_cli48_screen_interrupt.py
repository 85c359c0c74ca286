"""A Ctrl-C to ``electrolyte screen`` ends in its one line, without dask's tracebacks.

Ctrl-C reaches the whole process group: each worker of the local cluster died of it in its
event loop and printed dask's tracebacks ("KeyboardInterrupt ... asyncio/runners.py
_on_sigint", CancelledError, CommClosedError) over the command's "interrupted; ..." line. The
workers now start with the signal ignored (a restarted one too, by the worker plugin), and
the command's process, which takes it, closes the cluster. A worker's tqdm bars no longer make
a multiprocessing lock, whose semaphore a stopped worker leaked ("resource_tracker: There
appear to be 2 leaked semaphore objects" after the command's line).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

MODELS = str(Path(__file__).with_name("screen_models.py"))


@pytest.fixture(scope="module")
def cluster_client():
    from ase_electrolyte.screen import engine

    cluster = engine.start_local_cluster(1)
    client = distributed.Client(cluster)
    try:
        yield engine, client
    finally:
        client.close()
        cluster.close()


def _sigint_blocked():
    import signal

    return signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])


def _sigint_handler():
    import signal

    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_the_workers_start_with_ctrl_c_ignored_and_this_process_keeps_it(cluster_client):
    _, client = cluster_client
    assert all(client.run(_sigint_handler).values())
    # the caller's own mask is as it was
    assert not _sigint_blocked()
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN


def test_a_worker_given_the_plugin_ignores_ctrl_c(cluster_client):
    engine, client = cluster_client
    engine._show_warnings_as_caller(client)
    assert all(client.run(_sigint_handler).values())


def _tqdm_semaphores():
    """Named semaphores a worker's first tqdm bar registers with the resource tracker."""
    import io
    from multiprocessing import resource_tracker

    from tqdm import tqdm

    registered = []
    register = resource_tracker.register
    resource_tracker.register = lambda name, rtype: registered.append(rtype) or register(
        name, rtype)
    try:
        tqdm(range(2), file=io.StringIO()).close()
    finally:
        resource_tracker.register = register
    return registered


def test_a_workers_tqdm_bar_leaves_no_semaphore_to_leak(cluster_client):
    # a worker stopped by its nanny (after a Ctrl-C) never released tqdm's multiprocessing
    # lock: "resource_tracker: There appear to be 2 leaked semaphore objects" ended the
    # command (one per worker; e3nn's code generation draws a bar in SevenNet's first call)
    pytest.importorskip("tqdm")
    engine, client = cluster_client
    engine._show_warnings_as_caller(client)
    assert list(client.run(_tqdm_semaphores).values()) == [[]]


PLAN = f"""
seed = 7
replicas = 1
temperatures = [300]
n_atoms = 70
analyses = []
[model]
calculator = "{MODELS}:lj"
device = "cpu"
[protocol]
relax_fmax = 20.0
preequilibration_ps = 0.0
equilibration_ps = 0.0
production_ps = 200
write_interval_fs = 100.0
observe_interval_fs = 10.0
[[composition]]
solvent = "EC"
salt = "LiPF6"
concentration = [1.0]
"""


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups are POSIX")
def test_ctrl_c_to_the_process_group_ends_in_the_commands_one_line(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "electrolyte_cli", "screen", str(plan), "-o", str(out),
         "--workers", "1", "-q", "--no-plots"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.time() + 90
        # the task is running: its production file exists
        while time.time() < deadline and not list(out.glob("tasks/*/*/*/production.h5md")):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        time.sleep(1.0)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    err = err.decode()
    assert proc.returncode == 130, err
    lines = [line for line in err.splitlines()
             if line.strip() and "warning: n_atoms = 70 packs" not in line]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert len(lines) == 1 and lines[0].startswith("electrolyte screen: interrupted"), err
