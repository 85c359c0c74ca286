"""benchmarks/bench_d3.py reports times only for the same numbers: ours and simple-dftd3's
energy, forces and stress of each box within test_d3's tolerances, and ``--tensor``'s routes
within TENSOR_REL_DIFF; otherwise it stops (exit status 1) naming the quantity.

Before, ``|dE|/E`` was printed beside the speed-up however large, and the forces and stress
were never compared (the child passed on only their largest entry, which nothing read).
"""

import runpy
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_d3.py"


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH.parent))
    ns = runpy.run_path(str(BENCH), run_name="bench_d3_module")
    return ns["main"].__globals__  # run_path returns a copy: main reads the module's globals


def result(energy=-1.25, forces=None, stress=None, natoms=2):
    forces = np.array([[0.1, -0.2, 0.3], [-0.1, 0.2, -0.3]]) if forces is None else forces
    stress = [1e-3, 2e-3, 3e-3, 0.0, 1e-4, -1e-4] if stress is None else stress
    return {"natoms": natoms, "time": 1.0, "energy": energy, "forces": np.asarray(forces).tolist(),
            "stress": list(stress), "peak_mb": 10.0}


SPOILED = {
    "energy": dict(energy=-1.25 * (1 + 1e-7)),
    "energy NaN": dict(energy=float("nan")),
    "forces": dict(forces=[[0.1, -0.2, 0.3 + 1e-6], [-0.1, 0.2, -0.3]]),
    "forces NaN": dict(forces=[[0.1, -0.2, float("nan")], [-0.1, 0.2, -0.3]]),
    "stress": dict(stress=[1e-3, 2e-3, 3e-3, 1e-7, 1e-4, -1e-4]),
}


def test_the_same_numbers_pass(bench):
    ref = result()
    ours = result(energy=-1.25 * (1 + 1e-12), stress=[1e-3 + 1e-12, 2e-3, 3e-3, 0, 1e-4, -1e-4])
    assert bench["check_same"](ours, ref, "box 1,1,1") == pytest.approx(1e-12, rel=1e-3)


@pytest.mark.parametrize("case", list(SPOILED))
def test_different_numbers_stop_the_benchmark(bench, case):
    with pytest.raises(SystemExit) as stop:
        bench["check_same"](result(**SPOILED[case]), result(), "box 1,1,1")
    message = str(stop.value.code)
    assert message.startswith(f"bench_d3: box 1,1,1: the {case.split()[0]} of ase_electrolyte.D3")
    assert message.endswith("times not reported")


def test_boxes_of_other_sizes_stop_the_benchmark(bench):
    three = result(forces=np.zeros((3, 3)), natoms=3)
    with pytest.raises(SystemExit, match="boxes of 3 and 2 atoms"):
        bench["check_same"](three, result(), "box 1,1,1")


@pytest.mark.parametrize("diff, stops", [(5e-11, False), (2e-9, True), (float("nan"), True)])
def test_tensor_routes_that_differ_stop(bench, diff, stops):
    if stops:
        with pytest.raises(SystemExit, match="--tensor slab: .* times not reported"):
            bench["check_tensor"](diff, "slab")
    else:
        assert bench["check_tensor"](diff, "slab") == diff


def test_main_times_agreeing_codes(bench, capsys, monkeypatch):
    """The whole route on one 10-atom box, real children of both codes: their numbers pass."""
    monkeypatch.setattr("sys.argv", ["bench_d3.py", "--sizes", "1,1,1", "--rounds", "1"])
    bench["main"]()
    rows = [line.split() for line in capsys.readouterr().out.splitlines()
            if line.split()[:1] == ["10"]]
    assert len(rows) == 1 and rows[0][3].endswith("x") and float(rows[0][6]) < 1e-9


def test_main_stops_before_the_row_of_codes_that_differ(bench, capsys, monkeypatch):
    """ours off by 1e-6 eV/Å in one force component, which the old table printed beside a
    speed-up with |dE|/E 0."""
    def measure(code, nrep, repeats, atm_cutoff=None):
        out = result()
        if code == "ours":
            out["forces"][0][0] += 1e-6
        return out

    monkeypatch.setitem(bench, "_measure", measure)
    monkeypatch.setattr("sys.argv", ["bench_d3.py", "--sizes", "1,1,1", "--rounds", "2"])
    with pytest.raises(SystemExit, match="box 1,1,1: the forces of ase_electrolyte.D3 differs"):
        bench["main"]()
    assert "x " not in capsys.readouterr().out  # no speed-up row
