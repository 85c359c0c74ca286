"""The screening benchmarks refuse bad sizes in one line (exit status 2) before any work, and
run at their smallest sizes.

Before: their options were ``type=int``/``float``: bench_screen_error_bars ``--rows 0`` ended in
a ZeroDivisionError after the first row batch, ``--rows -5`` in numpy's size error;
bench_screen_table_memory ``--replicas 0`` or ``--concentrations 0`` in a PlanError's traceback
and ``--properties 0`` wrote the density all the same and printed "× 0 properties";
bench_screen ``--repeats 0`` ended in an IndexError after starting its cluster and running
nothing, ``--workers 0`` reached the cluster, ``--n-atoms 0`` and ``--production-ps nan`` were
a PlanError's traceback.
"""

import runpy
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"

CASES = [
    ("bench_screen_error_bars.py", ["--rows", "0"], "--rows must be a whole number >= 1"),
    ("bench_screen_error_bars.py", ["--rows", "-5"], "--rows must be a whole number >= 1"),
    ("bench_screen_error_bars.py", ["--rows", "2.5"], "--rows must be a whole number"),
    ("bench_screen_error_bars.py", ["--seed", "-1"], "--seed must be a whole number >= 0"),
    ("bench_screen_table_memory.py", ["--replicas", "0"], "--replicas must be a whole number"),
    ("bench_screen_table_memory.py", ["--concentrations", "0"],
     "--concentrations must be a whole number >= 1"),
    ("bench_screen_table_memory.py", ["--temperatures", "-2"],
     "--temperatures must be a whole number >= 1"),
    ("bench_screen_table_memory.py", ["--properties", "0"],
     "--properties must be a whole number >= 1"),
    ("bench_screen.py", ["--repeats", "0"], "--repeats must be a whole number >= 1"),
    ("bench_screen.py", ["--workers", "0"], "--workers must be a whole number >= 1"),
    ("bench_screen.py", ["--n-atoms", "0"], "--n-atoms must be a whole number >= 1"),
    ("bench_screen.py", ["--production-ps", "nan"], "--production-ps must be a finite number"),
    ("bench_screen.py", ["--production-ps", "-0.1"], "--production-ps must be a finite number"),
    # the plan's own checks, before the cluster starts
    ("bench_screen.py", ["--model", "sevennet-O"], "sevennet-O"),
]


@pytest.fixture
def bench_path(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))


@pytest.mark.parametrize("script, args, named", CASES)
def test_bad_size_is_one_line_exit_2_before_work(bench_path, monkeypatch, capsys, script,
                                                 args, named):
    monkeypatch.setattr(sys, "argv", [script, *args])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(BENCH / script), run_name="__main__")
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing ran: no timing, no load line
    assert named in captured.err.strip().splitlines()[-1]


def test_table_memory_runs_at_its_smallest_size(bench_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["bench_screen_table_memory.py", "--concentrations", "1",
                                      "--temperatures", "1", "--replicas", "2",
                                      "--properties", "1"])
    runpy.run_path(str(BENCH / "bench_screen_table_memory.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "folder: 2 tasks × 1 properties" in out
    assert "task_table: 2 rows" in out and "aggregate: 1 summary rows" in out
