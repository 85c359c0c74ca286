"""benchmarks/bench_md_step_overhead.py refuses bad sizes in one line before work, and prints
its overhead as a ratio to the model's time measured in the same run.

Before: ``--repeats 0`` ended in a traceback ("min() arg is an empty sequence") after nothing,
``--steps 0`` in one from run_md, and the overhead was printed in ms only, to be compared by
hand between two versions run at different times.
"""

import re
import runpy
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPT = BENCH / "bench_md_step_overhead.py"


@pytest.fixture
def bench_path(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))


@pytest.mark.parametrize("args, named", [
    (["--repeats", "0"], "--repeats must be a whole number >= 1, got 0"),
    (["--steps", "0"], "--steps must be a whole number >= 1, got 0"),
    (["--steps", "-5"], "--steps must be a whole number >= 1"),
    (["--steps", "1.5"], "--steps must be a whole number"),
    (["--repeats", "nan"], "--repeats must be a whole number"),
])
def test_bad_sizes_are_one_line_before_work(bench_path, monkeypatch, capsys, args, named):
    monkeypatch.setattr(sys, "argv", [SCRIPT.name, *args])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert named in captured.err.strip().splitlines()[-1]
    assert captured.out == ""


def test_the_smallest_run_prints_the_ratio_of_its_own_numbers(bench_path, monkeypatch,
                                                                capsys):
    monkeypatch.setattr(sys, "argv", [SCRIPT.name, "--steps", "3", "--repeats", "1"])
    runpy.run_path(str(SCRIPT), run_name="__main__")
    out = capsys.readouterr().out
    model = float(re.search(r"model\s+([\d.]+) ms/step", out).group(1))
    overhead = float(re.search(r"overhead\s+([\d.]+) ms/step", out).group(1))
    ratio = float(re.search(r"overhead / model: ([\d.]+)", out).group(1))
    assert model > 0 and overhead > 0
    assert ratio == pytest.approx(overhead / model, rel=0.01, abs=0.01)
