"""Warnings raised on the workers of the cluster ``run_screen`` starts are shown by the calling
process as its own: the ``electrolyte screen: warning: ...`` line of the command, each text once
over all workers and the command itself (issue #16: sevenn's "No tensor product accelerator"
came from each in-process task in Python's two-line ``file:line: UserWarning:`` form with its
source line, and the plan's interval warning, said by the command, came again from each task).
"""

import inspect
import sys
import warnings

import pytest

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster_flush():
    from ase_electrolyte.screen import engine

    cluster = engine.start_local_cluster(2)
    client = distributed.Client(cluster)
    try:
        yield client, engine._show_warnings_as_caller(client)
    finally:
        client.close()
        cluster.close()


def _printed(monkeypatch):
    """Python's own showing of warnings (pytest records them instead)."""
    monkeypatch.setattr(warnings, "showwarning", lambda m, c, f, n, file=None, line=None: (
        sys.stderr.write(warnings.formatwarning(m, c, f, n, line))))


def _warn_on_workers(client, message, category=UserWarning, times=1, tasks=1):
    def task(i, message=message, category=category, times=times):
        import warnings

        for _ in range(times):
            warnings.warn(message, category)
        return i

    futures = [client.submit(task, i, pure=False) for i in range(tasks)]
    assert client.gather(futures) == list(range(tasks))


@pytest.mark.parametrize("message, shown", [
    ("No tensor product accelerator (cuEquivariance) found\nusing e3nn",
     "No tensor product accelerator (cuEquivariance) found using e3nn"),
    ("  spaced   text  ", "spaced text"),
])
def test_a_worker_warning_is_the_commands_one_line(cluster_flush, capsys, monkeypatch, message,
                                                  shown):
    from electrolyte_cli import _one_line_warnings

    _printed(monkeypatch)
    client, flush = cluster_flush
    capsys.readouterr()
    with _one_line_warnings("screen"):
        _warn_on_workers(client, message)
        flush()
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert lines == [f"electrolyte screen: warning: {shown}"]


def test_a_text_said_by_the_command_and_by_every_task_is_shown_once(cluster_flush, capsys,
                                                                    monkeypatch):
    from electrolyte_cli import _one_line_warnings

    _printed(monkeypatch)
    client, flush = cluster_flush
    text = "write_interval_fs = 1.5 fs is not a multiple of the 1 fs time step"
    capsys.readouterr()
    with _one_line_warnings("screen"):
        warnings.warn(text, UserWarning)  # the plan's check, in the command
        _warn_on_workers(client, text, times=3, tasks=4)  # each task's run_protocol
        flush()
        flush()  # a second call shows nothing again
    err = capsys.readouterr().err
    assert err.count(f"electrolyte screen: warning: {text}") == 1, err


@pytest.mark.parametrize("category", [RuntimeWarning, FutureWarning, UserWarning])
def test_a_worker_warning_keeps_its_category(cluster_flush, category):
    client, flush = cluster_flush
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _warn_on_workers(client, f"a {category.__name__} on a worker", category)
        flush()
    said = [w for w in caught if str(w.message) == f"a {category.__name__} on a worker"]
    assert len(said) == 1 and said[0].category is category


def test_run_screen_installs_it_on_the_cluster_it_starts_and_flushes_it():
    from ase_electrolyte.screen import engine

    source = inspect.getsource(engine._run_claimed)  # run_screen's body
    start = source.index("start_local_cluster(")
    assert "_show_warnings_as_caller(client)" in source[start:start + 300]
    assert source.index("flush_warnings()") < source.index("own_client.close()")
