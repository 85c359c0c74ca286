"""bench_electrostatics_cutoff checks each cutoff's step against a reference on the same box
before timing it (Ewald 1000 times tighter): its rows were timed without looking at what the
sum returned, so a cutoff whose forces, energy or stress were off by many tolerances was timed
and compared as if it were the same sum."""

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from ase_electrolyte import Electrostatics
from ase_electrolyte.electrostatics import COULOMB

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
ARGS = ["--sizes", "6", "--methods", "ewald", "--repeat", "1", "--cutoffs", "2.5", "3"]


def _run(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.setattr(sys, "argv", ["bench_electrostatics_cutoff.py", *ARGS])
    runpy.run_path(str(BENCH / "bench_electrostatics_cutoff.py"), run_name="__main__")


def test_every_row_is_checked_and_agrees(monkeypatch, capsys):
    _run(monkeypatch)
    out = capsys.readouterr().out
    header = next(line.split() for line in out.splitlines() if "err/tol" in line)
    column = header.index("dev") + 1  # "box Å" is two words
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("6.0")]
    assert [r[3] for r in rows] == ["2.5", "3"]
    for row in rows:
        # within the band, and not zero (not the reference compared with itself)
        assert 0.0 < float(row[column]) <= 1.0, row


@pytest.mark.parametrize("what", ["forces", "energy", "stress"])
@pytest.mark.parametrize("cutoff", [2.5, 3.0])
def test_a_wrong_sum_is_not_timed(monkeypatch, capsys, what, cutoff):
    evaluate = Electrostatics._evaluate

    def wrong(self, atoms, q):
        res = evaluate(self, atoms, q)
        p = self.parameters
        if p["tolerance"] < 1e-7 or p["cutoff"] != cutoff:  # the reference left right
            return res
        res = dict(res)
        off = 10 * p["tolerance"] * COULOMB
        if what == "forces":
            signs = np.where(np.arange(len(atoms)) % 2, 1.0, -1.0)
            res["forces"] = res["forces"] + off * signs[:, None]
        elif what == "energy":
            res["energy"] = res["energy"] + 10 * len(atoms) * off
        else:
            res["stress"] = res["stress"] + off * np.array([0, 0, 1, 0, 0, 0.0])
        return res

    monkeypatch.setattr(Electrostatics, "_evaluate", wrong)
    with pytest.raises(SystemExit) as exit_:
        _run(monkeypatch)
    message = str(exit_.value.code)
    assert message.startswith(f"6 Å box, ewald, cutoff {cutoff}: disagrees with the reference")
    value = float(message.split(f"{what} ")[1].split(",")[0].split(")")[0])
    assert value > 1.0, message
    rows = [line.split() for line in capsys.readouterr().out.splitlines()
            if line.strip().startswith("6.0")]
    assert f"{cutoff:g}" not in [r[3] for r in rows]
