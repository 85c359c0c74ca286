"""SolvationShells' default table budget decided once, by the run's first frames, on any backend.

``store_table=None`` drops the table when its size, extrapolated from the first
``_TABLE_PROBE_FRAMES`` frames, exceeds ``TABLE_BUDGET_BYTES``, and counts the shells in a
second pass. A run in parts judged in each part from that part's own frames: with fewer
frames per part than the probe (10 frames on 2 workers, probe of 7) no part judged, the
table was kept where the serial run dropped it (``results.table`` present or absent by the
backend, also in the serial ``run(n_workers=2)``), and a spawned dask worker read the
module's budget, not the one the caller set. The calling process now judges the first frames
of the run before its parts are computed.
"""

import warnings

import pytest
from test_shell_summary import _bn_fec_groups, _compare
from test_solvation import _assert_identical, bn_fec

import mda_electrolyte.solvation as solvation
from mda_electrolyte import SolvationShells


def _run(u, **run):
    shells = SolvationShells(*_bn_fec_groups(u), cutoffs={"pf6": 2.8})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shells.run(**run)
    return shells, sum("second pass" in str(w.message) for w in caught)


def test_parallel_drops_the_table_where_the_serial_run_does(monkeypatch):
    u = bn_fec()
    kept, _ = _run(u)
    monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", 0)
    # more frames than either worker's five
    monkeypatch.setattr(solvation, "_TABLE_PROBE_FRAMES", 7)
    serial, n_serial = _run(u)
    parallel, n_parallel = _run(u, backend="multiprocessing", n_workers=2)
    # a serial run in two parts judged each part's first frames too
    parts, n_parts = _run(u, n_workers=2)
    assert n_serial == n_parallel == n_parts == 1
    for shells in (serial, parallel, parts):
        assert "table" not in shells.results
        # the probe reads frames of the run, which keeps all of its own
        assert list(shells.frames) == list(range(u.trajectory.n_frames))
        _compare(kept.results, shells.results)
        assert shells.results.cutoff_cn_errors == kept.results.cutoff_cn_errors
        assert shells.results.cutoff_share_errors == kept.results.cutoff_share_errors
    _assert_identical(serial.results.estimates, parallel.results.estimates, "estimates")


def test_parallel_keeps_the_table_where_the_serial_run_does(monkeypatch):
    u = bn_fec()
    monkeypatch.setattr(solvation, "_TABLE_PROBE_FRAMES", 7)
    serial, n_serial = _run(u)
    parallel, n_parallel = _run(u, backend="multiprocessing", n_workers=2)
    assert n_serial == n_parallel == 0
    assert "table" in serial.results and "table" in parallel.results
    for key in ("classes", "shell_labels", "fractions", "coordination_numbers", "estimates"):
        _assert_identical(serial.results[key], parallel.results[key], key)


@pytest.mark.parametrize("budget", [0, 2**40])
def test_the_budget_is_read_by_the_calling_process(monkeypatch, budget):
    # what a spawned worker (dask's processes) takes with the analysis: the caller's values
    u = bn_fec()
    monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", budget)
    shells = SolvationShells(*_bn_fec_groups(u), cutoffs={"pf6": 2.8})
    shells._configure_backend("multiprocessing", 2)
    shells._setup_frames(u.trajectory)
    shells._setup_computation_groups(2)
    assert shells._table_limits[1] == budget
    assert (shells._table_decision > 0) == (budget == 0)
