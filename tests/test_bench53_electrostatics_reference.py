"""bench_electrostatics checks each Ewald and PME step it times against a reference on the same
structure before timing it. It timed them without looking at what they returned: a sum that
was wrong (forces, energy or stress off by many tolerances, or right on the 116-atom box and
wrong on the repeated ones of the scaling) was timed and printed as the cost of the QRd
Coulomb term. The reference is Ewald 1000 times tighter on the 116-atom box, which the lattice
sums of a box repeated n times per axis repeat exactly (energy n³ times, forces tiled, the
same stress)."""

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from ase_electrolyte import Electrostatics
from ase_electrolyte.electrostatics import COULOMB

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
SMALLEST = ["--box-repeat", "1", "--largest-repeat", "2", "--no-mlip", "--repeat", "1",
            "--threads", "1"]


def _run(monkeypatch, args):
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.setattr(sys, "argv", ["bench_electrostatics.py", *args])
    runpy.run_path(str(BENCH / "bench_electrostatics.py"), run_name="__main__")


def _deviations(line):
    words = line.split("against the reference:")[1].split(")")[0].replace(",", " ").split()
    return dict(zip(words[::2], map(float, words[1::2]), strict=True))


def test_every_timed_step_is_checked_and_agrees(monkeypatch, capsys):
    _run(monkeypatch, SMALLEST)
    out = capsys.readouterr().out
    checked = [line for line in out.splitlines() if "against the reference:" in line]
    # Ewald and PME on the timed box, PME at N = 116 and 928 of the scaling
    assert len(checked) == 4, out
    for line in checked:
        dev = _deviations(line)
        assert set(dev) == {"forces", "energy", "stress"}
        # the tolerance is met, and not by a deviation of exactly zero (a reference compared
        # with itself)
        assert all(0.0 < v <= 1.0 for k, v in dev.items() if k != "energy"), line
    assert "ratio to the Ewald step" in out


def _spoil(monkeypatch, method, what, min_atoms):
    """Electrostatics' sum of ``method`` made wrong in ``what`` by 10 tolerances (e²/Å² ×
    Coulomb constant) on structures of ``min_atoms`` atoms or more; the reference (1000 times
    tighter) left right."""
    evaluate = Electrostatics._evaluate

    def wrong(self, atoms, q):
        res = evaluate(self, atoms, q)
        if (self.parameters["method"] != method or len(atoms) < min_atoms
                or self.parameters["tolerance"] < 1e-7):
            return res
        res = dict(res)
        off = 10 * self.parameters["tolerance"] * COULOMB
        if what == "forces":
            res["forces"] = res["forces"] + off * np.sign(np.arange(len(atoms)) % 2 - 0.5)[:, None]
        elif what == "energy":
            res["energy"] = res["energy"] + 10 * len(atoms) * off
        else:
            res["stress"] = res["stress"] + off * np.array([1, 0, 0, 0, 0, 0.0])
        return res

    monkeypatch.setattr(Electrostatics, "_evaluate", wrong)


@pytest.mark.parametrize("method, what, min_atoms, label", [
    ("ewald", "forces", 0, "ewald"),
    ("ewald", "stress", 0, "ewald"),
    ("pme", "energy", 0, "pme"),
    ("pme", "forces", 0, "pme"),
    # right on the 116-atom box, wrong on the repeated box of the scaling
    ("pme", "forces", 200, "PME at N = 928"),
])
def test_a_wrong_sum_is_not_timed(monkeypatch, capsys, method, what, min_atoms, label):
    _spoil(monkeypatch, method, what, min_atoms)
    with pytest.raises(SystemExit) as exit_:
        _run(monkeypatch, SMALLEST)
    message = str(exit_.value.code)
    assert message.startswith(f"{label}: disagrees with the reference"), message
    dev = _deviations(message.replace("(deviation over its band:", "against the reference:"))
    assert dev[what] > 1.0
    out = capsys.readouterr().out
    if label != "ewald":  # the wrong step's time is not printed
        assert not any(line.startswith(f"{label[:5]:5s} QRd") for line in out.splitlines())
    if label == "PME at N = 928":
        assert "N =    116:" in out and "N =    928:" not in out


@pytest.mark.parametrize("args, named", [
    (["--box-repeat", "0"], "--box-repeat must be a whole number >= 1"),
    (["--largest-repeat", "1"], "--largest-repeat must be a whole number >= 2"),
    (["--largest-repeat", "2.5"], "--largest-repeat must be a whole number"),
])
def test_sizes_refused_before_work(monkeypatch, capsys, args, named):
    with pytest.raises(SystemExit) as exit_:
        _run(monkeypatch, args)
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert named in captured.err.strip().splitlines()[-1] and captured.out == ""
