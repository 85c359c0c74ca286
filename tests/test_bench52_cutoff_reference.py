"""bench_electrostatics_cutoff's ratio column is the step over that at one reference cutoff,
timed first in each box and method. Its column read "step/8Å", but the reference was the first
cutoff timed until 8 Å came: with ``--cutoffs 10 8`` the 10 Å row was its own reference
(1.00) under "step/8Å", and without 8 Å every ratio was to an unnamed cutoff; a cutoff given
twice was timed twice."""

import runpy
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _rows(out):
    return [line.split() for line in out.splitlines() if line.strip().startswith("6.0")]


@pytest.mark.parametrize("cutoffs, reference", [
    (["2.5", "3"], "2.5"), (["3", "2.5"], "3"), (["3", "2.5", "3"], "3"),
])
def test_ratios_are_to_the_named_reference(monkeypatch, capsys, cutoffs, reference):
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.setattr(sys, "argv", ["bench_electrostatics_cutoff.py", "--sizes", "6",
                                      "--methods", "ewald", "--repeat", "1", "--cutoffs",
                                      *cutoffs])
    runpy.run_path(str(BENCH / "bench_electrostatics_cutoff.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert f"the reference cutoff {float(reference)} Å" in out and "step/ref" in out
    rows = _rows(out)
    assert [r[3] for r in rows] == list(dict.fromkeys(f"{float(c):g}" for c in cutoffs))
    assert rows[0][3] == f"{float(reference):g}" and rows[0][-1] == "1.00"
    base = float(rows[0][-2])
    for row in rows:  # ratio = step / the reference's step, within the printed rounding
        step, ratio = float(row[-2]), float(row[-1])
        low, high = (step - 5e-4) / (base + 5e-4), (step + 5e-4) / max(base - 5e-4, 1e-9)
        assert low - 5e-3 <= ratio <= high + 5e-3, row
