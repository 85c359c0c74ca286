"""benchmarks/bench_conductivity.py runs, on molecules the analyses accept, and checks its numbers.

Its system scattered every atom at random over the box, each walking on its own: PF6's seven
atoms were no molecule and atoms of different residues sat at bond length, so every analysis
refused the Universe ('the residues are not molecules: 1 covalent bond(s) join two residues')
before any timing, at every size (bench_memory.py builds the same system). Its copper crystal,
one molecule index per atom, was refused when the H5MD file was read back (648 covalent bonds
join atoms of two molecules). Bad sizes ended in tracebacks after the build.
"""

import runpy
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    return runpy.run_path(str(BENCH / "bench_conductivity.py"), run_name="bench")


@pytest.mark.parametrize("pairs, solvent", [(2, 0), (3, 2), (50, 60), (80, 150)])
def test_molecules_are_rigid_apart_and_accepted(bench, pairs, solvent):
    from MDAnalysis.lib.distances import distance_array

    from mda_electrolyte import Diffusion
    from mda_electrolyte.molecules import check_residues_are_molecules

    u = bench["build"](30, pairs, solvent, np.random.default_rng(1))
    box = u.dimensions
    first = [distance_array(r.atoms.positions, r.atoms.positions, box=box)
             for r in u.residues]
    # at the first frame (where the analyses judge the residues) molecules are apart; later
    # they walk as an ideal gas of rigid molecules (a guessed C-C bond: below 1.82 Å)
    u.trajectory[0]
    check_residues_are_molecules(u.atoms)
    other = u.atoms.resindices[:, None] != u.atoms.resindices[None, :]
    assert distance_array(u.atoms.positions, u.atoms.positions, box=box)[other].min() > 2.0
    for _ts in u.trajectory[::7]:
        for r, d0 in zip(u.residues, first, strict=True):
            # rigid: each molecule's own distances (minimum image) do not change
            d = distance_array(r.atoms.positions, r.atoms.positions, box=box)
            np.testing.assert_allclose(d, d0, atol=2e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Diffusion(u, {"Li": "resname LI", "PF6": "resname PF6"}, unwrap=True,
                      n_blocks=2).run()
    assert np.isfinite(d.results.D["Li"])


def test_same_numbers_is_checked(bench):
    class R:
        def __init__(self, sigma, err):
            self.results = type("res", (), {"sigma": sigma, "sigma_err": err})()

    bench["check_same_numbers"]({"GK": R(1.0, 0.1)}, {"GK": R(1.0, 0.1)})
    for other in (R(1.0 + 1e-6, 0.1), R(1.0, 0.2), R(np.nan, 0.1)):
        with pytest.raises(SystemExit, match="not timed"):
            bench["check_same_numbers"]({"GK": R(1.0, 0.1)}, {"GK": other})


@pytest.mark.parametrize("args, named", [
    (["--frames", "2009"], "--frames must be a whole number >= 2010"),
    (["--frames", "0"], "--frames must be a whole number >= 2010"),
    (["--pairs", "0"], "--pairs must be a whole number >= 1"),
    (["--pairs", "2.5"], "--pairs must be a whole number"),
    (["--solvent", "-1"], "--solvent must be a whole number >= 0"),
    (["--md-steps", "10"], "--md-steps must be a whole number >= 50"),
    (["--md-steps", "nan"], "--md-steps"),
])
def test_bad_sizes_refused_before_work(bench, monkeypatch, capsys, args, named):
    monkeypatch.setattr(sys, "argv", ["bench_conductivity.py", *args])
    monkeypatch.setitem(bench["main"].__globals__, "build", _no_work)
    with pytest.raises(SystemExit) as exit_:
        bench["main"]()
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert named in captured.err.strip().splitlines()[-1]
    assert captured.out == ""


def _no_work(*args):
    raise AssertionError("the build started")


def test_runs_at_its_smallest_size(bench, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["bench_conductivity.py", "--frames", "2010", "--pairs",
                                      "2", "--solvent", "1", "--md-steps", "50"])
    bench["main"]()
    out = capsys.readouterr().out
    assert "same numbers: sigma of GreenKuboConductivity, EinsteinHelfandConductivity, " \
           "OnsagerCoefficients from the one collection equal to the separate reads" in out
    assert "ratio to plain reading" in out and "GreenKuboViscosity(h5md)" in out
