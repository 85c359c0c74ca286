"""Warnings raised on the workers of the cluster ``run_screen`` starts are shown as the calling
process shows its own: the ``electrolyte screen: warning: ...`` line of the command, each text
once (issue #16: sevenn's "No tensor product accelerator" came from each in-process task in
Python's two-line ``file:line: UserWarning:`` form with its source line).
"""

import inspect

import pytest

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def one_line_cluster():
    from ase_electrolyte.screen import engine
    from electrolyte_cli import _one_line_warnings

    with _one_line_warnings("screen"):
        cluster = engine.start_local_cluster(1)
        client = distributed.Client(cluster)
        try:
            engine._show_warnings_as_caller(client)
            yield client
        finally:
            client.close()
            cluster.close()


def _worker_output(client, message, category, times=1):
    """What the worker's warning machinery writes for ``times`` warnings (its stderr, caught in
    the worker: a cluster's processes keep the stream they were started with)."""
    def task(message=message, category=category, times=times):
        import io
        import sys
        import warnings

        before, sys.stderr = sys.stderr, io.StringIO()
        try:
            for _ in range(times):
                warnings.warn(message, category)
            return sys.stderr.getvalue()
        finally:
            sys.stderr = before

    return client.submit(task, pure=False).result()


@pytest.mark.parametrize("message, category, shown", [
    ("No tensor product accelerator (cuEquivariance) found\nusing e3nn", UserWarning,
     "No tensor product accelerator (cuEquivariance) found using e3nn"),
    ("a plain one", RuntimeWarning, "a plain one"),
    ("  spaced   text  ", FutureWarning, "spaced text"),
])
def test_a_worker_warning_is_the_commands_one_line(one_line_cluster, message, category,
                                                     shown):
    err = _worker_output(one_line_cluster, message, category)
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [f"electrolyte screen: warning: {shown}"]


def test_a_worker_warning_repeated_is_shown_once(one_line_cluster):
    err = _worker_output(one_line_cluster, "said by every task", UserWarning, times=3)
    err += _worker_output(one_line_cluster, "said by every task", UserWarning, times=2)
    assert err.count("electrolyte screen: warning: said by every task") == 1


def test_run_screen_installs_it_on_the_cluster_it_starts():
    from ase_electrolyte.screen import engine

    source = inspect.getsource(engine._run_claimed)  # run_screen's body
    start = source.index("start_local_cluster(")
    assert "_show_warnings_as_caller(client)" in source[start:start + 300]
