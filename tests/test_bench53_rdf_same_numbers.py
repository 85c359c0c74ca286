"""bench_rdf reports times only for the same RDFs: IntraInterRDF's g(r) of every element pair
within two pairs per bin of InterRDF's (bin-edge rounding), the vesin engine's equal to the
default's. Before, the difference was printed beside the speed-up however large, and the vesin
engine's RDFs were never looked at."""

import runpy
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    ns = runpy.run_path(str(BENCH / "bench_rdf.py"), run_name="bench_rdf_module")
    # run_path returns a copy: main reads the module's own globals
    ns = ns["main"].__globals__
    ns["solvation"] = lambda u, repeats: None  # the second benchmark, not under test here
    return ns


@pytest.mark.parametrize("rdf, count, ours, expected", [
    ([0, 1.0, 2.0], [0, 10, 20], [0, 1.0, 2.0], 0.0),
    ([0, 1.0, 2.0], [0, 10, 20], [0, 1.2, 2.0], 2.0),    # two pairs of 0.1 each
    ([0, 1.0, 2.0], [0, 10, 20], [0, 1.0, 2.3], 3.0),
    ([5, 0.0, 2.0], [9, 0, 20], [0, 0.5, 2.0], np.inf),  # pairs in a bin InterRDF found empty
    ([5, 1.0, 2.0], [9, 10, 20], [0, 1.0, 2.0], 0.0),    # bin 0 differs by design
])
def test_pairs_off(bench, rdf, count, ours, expected):
    off = bench["pairs_off"](np.array(ours), np.array(rdf), np.array(count))
    assert off == pytest.approx(expected)


def test_same_rdfs_are_timed(bench, capsys):
    bench["main"](repeats=1)
    out = capsys.readouterr().out
    assert "speed-up:" in out and "engine='vesin'" in out
    line = next(x for x in out.splitlines() if x.startswith("speed-up:"))
    assert int(line.split("the same g(r) to ")[1].split()[0]) <= 2


@pytest.mark.parametrize("spoiled", ["InterRDF", "vesin"])
def test_different_rdfs_are_not_reported(bench, capsys, monkeypatch, spoiled):
    import mda_electrolyte

    if spoiled == "InterRDF":
        base = bench["InterRDF"]

        class Shifted(base):
            def _conclude(self):
                super()._conclude()
                if set(self.g1.elements) == {"Li"} and set(self.g2.elements) == {"F"}:
                    i = int(np.argmax(self.results.count))
                    c = self.results.count[i]  # 3 more pairs in the fullest bin
                    self.results.rdf[i] *= (c + 3) / c
                    self.results.count[i] = c + 3
        bench["InterRDF"] = Shifted
        named = "IntraInterRDF's g('Li', 'F') differs from InterRDF's by 3 pairs"
    else:
        base = mda_electrolyte.IntraInterRDF

        class Engine(base):
            def _conclude(self):
                super()._conclude()
                if self._engine_name == "vesin":
                    self.results.inter[("Li", "O")] = self.results.inter[("Li", "O")] * 1.01

            def __init__(self, *args, engine="auto", **kwargs):
                self._engine_name = engine
                super().__init__(*args, engine=engine, **kwargs)
        monkeypatch.setattr(mda_electrolyte, "IntraInterRDF", Engine)
        named = "engine='vesin': the inter g('Li', 'O') differs from the default engine's"
    with pytest.raises(SystemExit) as exit_:
        bench["main"](repeats=1)
    assert str(exit_.value.code).startswith(named), exit_.value.code
    out = capsys.readouterr().out
    assert ("speed-up" if spoiled == "InterRDF" else "engine='vesin'") not in out
