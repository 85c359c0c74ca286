"""Worker counts of the screen's local cluster are whole numbers, checked where they are used.

``local_cluster_size("cpu", -1)`` returned -1 workers, ``2.5`` 2.5 workers and ``"2"`` a bare
TypeError of ``//``; ``n_workers=1.0`` passed ``check_workers`` and reached ``LocalCluster`` as a
float, with a float number of threads per task.
"""

import numpy as np
import pytest

from ase_electrolyte.screen import engine


@pytest.mark.parametrize("n", [0, -1, 2.5, "2", True, np.nan, np.inf, 10**6])
def test_local_cluster_size_refuses_bad_counts(n):
    with pytest.raises(ValueError, match="n_workers"):
        engine.local_cluster_size("cpu", n)


@pytest.mark.parametrize("n", [1, 1.0, np.int64(1), np.float32(1.0)])
def test_counts_are_returned_as_ints(n, monkeypatch):
    monkeypatch.setattr(engine, "_usable_cpus", lambda: 4)
    workers, threads, gpus = engine.local_cluster_size("cpu", n)
    assert (workers, threads, gpus) == (1, 4, 0)
    assert all(type(x) is int for x in (workers, threads, gpus))
    assert type(engine.check_workers(n)) is int
    assert type(engine._check_arguments(None, None, n, 1.0, True, True)) is int


def test_default_count_is_kept(monkeypatch):
    monkeypatch.setattr(engine, "_usable_cpus", lambda: 8)
    assert engine.local_cluster_size("cpu", None) == (2, 4, 0)
    assert engine.check_workers(None) is None
    assert engine._check_arguments(None, None, None, 1.0, True, True) is None
