"""The benchmarks refuse bad sizes, options they do not read and unknown options in one line
(exit status 2) before any work, and run at their smallest sizes.

Before: ``type=int`` options took 0 and negatives (bench_md ``--steps 0`` ended in a
ZeroDivisionError after the timings, bench_committee ``--members 0`` likewise after loading the
model, bench_plan_load ``--density nan`` printed 'same verdicts' of checks at NaN g/cm³); four
scripts read no options at all or one flag, so ``--frames 3`` or ``--repeats 5`` ran the
default sizes without a word; ``--sevennet-steps`` without ``--sevennet`` changed nothing;
bench_md failed at import (``thermalize_momenta`` is ASE's, not ase_electrolyte.md's).
"""

import runpy
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"

CASES = [
    ("bench_committee.py", ["--members", "1"], "--members must be a whole number >= 2, got 1"),
    ("bench_committee.py", ["--members", "0"], "--members must be a whole number >= 2, got 0"),
    ("bench_committee.py", ["--molecules", "1"], "--molecules must be a whole number >= 2"),
    ("bench_committee.py", ["--repeats", "0"], "--repeats must be a whole number >= 1"),
    ("bench_committee.py", ["--device", "gpu"], "a GPU is spelt 'cuda'"),
    ("bench_md.py", ["--steps", "0"], "--steps must be a whole number >= 1, got 0"),
    ("bench_md.py", ["--emt-steps", "-3"], "--emt-steps must be a whole number >= 1"),
    ("bench_md.py", ["--atoms", "2"], "--atoms must be a whole number >= 4"),
    ("bench_md.py", ["--repeats", "inf"], "--repeats must be a whole number"),
    ("bench_md.py", ["--sevennet-steps", "3"], "--sevennet-steps is read only with --sevennet"),
    ("bench_memory.py", ["--pairs", "1"], "--pairs must be a whole number >= 2"),
    ("bench_memory.py", ["--solvent", "0"], "--solvent must be a whole number >= 2"),
    ("bench_memory.py", ["--lengths", "0", "600"], "--lengths must be a whole number >= 1"),
    ("bench_memory.py", ["--kept-frames", "14", "20"], "--kept-frames must be at least 15"),
    ("bench_memory.py", ["--kept-ions", "6", "6"], "--kept-ions needs two different values"),
    ("bench_memory.py", ["--kept-frames", "20", "20"],
     "--kept-frames needs two different values"),
    ("bench_intra_inter_memory.py", ["--molecules", "1"], "--molecules must be a whole number"),
    ("bench_intra_inter_memory.py", ["--frames", "4", "0"], "--frames must be a whole number"),
    ("bench_plan_load.py", ["--tasks", "0"], "--tasks must be a whole number >= 1, got 0"),
    ("bench_plan_load.py", ["--density", "nan"], "--density (g/cm³) must be a finite number"),
    ("bench_plan_load.py", ["--density", "-1"], "--density (g/cm³) must be a finite number > 0"),
    ("bench_plan_load.py", ["--density", "3"], "<= 2.5"),
    ("bench_plan_load.py", ["--atoms", "3"], "n_atoms=3 is too small"),
    ("bench_folder_sync.py", ["--files", "0"], "--files must be a whole number >= 1"),
    ("bench_folder_sync.py", ["--n-files", "3"], "unrecognized arguments: --n-files 3"),
    ("bench_frame_integrator_state.py", ["--frames", "0"], "--frames must be a whole number"),
    ("bench_frame_integrator_state.py", ["--repeats", "1.5"], "--repeats must be a whole number"),
    ("bench_volume_scan_memory.py", ["--molecules", "8"], "unrecognized arguments"),
    ("bench_rdf.py", ["--frames", "3"], "unrecognized arguments: --frames 3"),
    ("bench_rdf.py", ["--repeats", "0"], "--repeats must be a whole number >= 1"),
    ("bench_rdf.py", ["--profile", "--repeats", "1"], "--repeats is not read with --profile"),
]


@pytest.fixture
def bench_path(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))


@pytest.mark.parametrize("script, args, named", CASES)
def test_bad_option_is_one_line_exit_2_before_work(bench_path, monkeypatch, capsys, script,
                                                    args, named):
    monkeypatch.setattr(sys, "argv", [script, *args])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(BENCH / script), run_name="__main__")
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert named in captured.err.strip().splitlines()[-1]
    assert captured.out == ""  # nothing was measured


@pytest.mark.parametrize("script", ["bench_folder_sync.py", "bench_volume_scan_memory.py",
                                    "bench_frame_integrator_state.py", "bench_rdf.py"])
def test_unknown_options_refused_as_main(bench_path, monkeypatch, capsys, script):
    """Run as a script (``__main__``), where these read their options."""
    monkeypatch.setattr(sys, "argv", [script, "--bogus"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(BENCH / script), run_name="__main__")
    assert exit_.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


@pytest.mark.parametrize("script, args, printed", [
    ("bench_folder_sync.py", ["--files", "2", "--frames", "2"],
     "H5MDWriter.write with / without the folder sync:"),
    ("bench_frame_integrator_state.py", ["--frames", "2", "--repeats", "1"],
     "without the integrator state (the reference)"),
])
def test_writing_benchmarks_take_sizes_and_leave_no_files(bench_path, monkeypatch, capsys,
                                                          tmp_path, script, args, printed):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "argv", [script, *args])
    runpy.run_path(str(BENCH / script), run_name="__main__")
    out = capsys.readouterr().out
    assert printed in out and "ratio" in out or "with / without" in out
    assert list(tmp_path.iterdir()) == []


def test_bench_md_runs_at_its_smallest_size(bench_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["bench_md.py", "--steps", "2", "--emt-steps", "1",
                                      "--atoms", "4", "--repeats", "1"])
    runpy.run_path(str(BENCH / "bench_md.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "springs (driver cost only): 4 atoms, 2 steps" in out
    assert "observables every step / frames only =" in out and "EMT (Cu): 4 atoms" in out


def test_committee_numbers_checked_before_timing(bench_path):
    """A committee whose mean is not its member's (a model that differs) is not timed."""
    from ase.build import bulk
    from ase.calculators.emt import EMT

    check = runpy.run_path(str(BENCH / "bench_committee.py"), run_name="bench")[
        "check_same_numbers"]
    atoms = bulk("Cu", cubic=True)
    atoms.rattle(0.05, seed=1)
    check(EMT(), EMT(), atoms)  # the same numbers pass

    class Scaled(EMT):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def calculate(self, *args, **kwargs):
            super().calculate(*args, **kwargs)
            self.results = {k: self.factor * np.asarray(v) for k, v in self.results.items()}

    for factor in (1 + 1e-4, 0.5, np.nan):
        with pytest.raises(SystemExit, match="differs from its member.*not timed"):
            check(EMT(), Scaled(factor), atoms)


def test_rdf_conclusion_timed_within_a_run(bench_path):
    """bench_rdf timed the conclusion by concluding a finished IntraInterRDF again, which
    raised KeyError '_close_frame_counts' (the pass's scratch is consumed): the benchmark
    stopped after its first two timings. Its conclusion is now timed inside a fresh run."""
    import warnings

    import mda_electrolyte

    rdf_bench = runpy.run_path(str(BENCH / "bench_rdf.py"), run_name="bench")
    build = runpy.run_path(str(BENCH / "bench_conductivity.py"), run_name="bench")["build"]
    u = build(5, 4, 3, np.random.default_rng(0))
    u.add_TopologyAttr("elements", u.atoms.names)

    def make(run=True):
        rdf = mda_electrolyte.IntraInterRDF(u.atoms, pairs="elements", nbins=20,
                                            range=(0.0, 6.0))
        return rdf.run() if run else rdf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wall, cpu = rdf_bench["_conclusion_time"](make)
        assert wall > 0 and cpu >= 0
        # the run so concluded gives the plain run's g(r)
        plain = make()
        timed = rdf_bench["_concluded_by"](make(run=False), lambda original: original()).run()
    for pair in plain.results.total:
        np.testing.assert_array_equal(timed.results.total[pair], plain.results.total[pair])
