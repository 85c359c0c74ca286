"""A folder (or a link that loops) where a command writes one of its files.

``simulate -o run`` with ``run/production.h5md`` a folder failed after the relaxation and both
NPT stages; ``analyze -o out`` with ``out/summary.json`` a folder failed after every analysis
had run; the demo's ``report.html`` at the very end. Each is now one line with exit status 2
before any trajectory is read, box packed or model loaded, and nothing in the folder is touched.
"""

import os

import numpy as np
import pytest
from ase import Atoms
from ase.io import write

from electrolyte_cli import main
from electrolyte_cli.simulate import RUN_FILES
from mda_electrolyte import report


class _Reached(Exception):
    """Raised by the work the checks must come before."""


@pytest.fixture
def guarded(tmp_path, monkeypatch):
    """A frames file in ``tmp_path``; reading a trajectory, packing, loading a model or running
    an analysis raises :class:`_Reached`."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    import mda_electrolyte.bridge

    def reached(*args, **kwargs):
        raise _Reached

    for module, name in ((cli_arguments, "make_calculator"), (cli_arguments, "check_model_args"),
                         (mda_electrolyte.bridge, "from_ase"), (report, "_run"),
                         (ase_electrolyte.build, "electrolyte_box")):
        monkeypatch.setattr(module, name, reached)
    frames = [Atoms("LiF", positions=[[0, 0, 0], [2, 0, 0]], cell=[8, 8, 8], pbc=True)] * 3
    write(tmp_path / "traj.extxyz", frames)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _refused(capsys, argv, path):
    """``argv`` ends with one line naming ``path`` and status 2; ``path`` is left as it was."""
    before = sorted(p.name for p in path.iterdir()) if path.is_dir() else None
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert os.path.relpath(path) in err and "give another output folder" in err, err
    assert (sorted(p.name for p in path.iterdir()) if path.is_dir() else None) == before
    return err


@pytest.mark.parametrize("name", ["summary.json", "diffusion.png", "rigid_volume_scan.csv"])
def test_analyze_refuses_a_folder_where_its_summary_or_a_figure_goes(guarded, capsys, name):
    (guarded / "out" / name).mkdir(parents=True)
    (guarded / "out" / name / "keep.txt").write_text("mine")
    if name != "summary.json":
        # an earlier run's folder (its summary): one of the user's alone is refused as such
        (guarded / "out" / "summary.json").write_text("{}")
    err = _refused(capsys, ["analyze", "traj.extxyz", "-o", "out", "-q"],
                   guarded / "out" / name)
    assert "is a folder" in err
    assert (guarded / "out" / name / "keep.txt").read_text() == "mine"


def test_analyze_goes_ahead_when_the_folder_is_where_no_asked_analysis_writes(guarded,
                                                                             monkeypatch):
    """Not vacuous: a folder named for an analysis not asked for is no obstacle, and the
    command reaches the reading of the trajectory."""
    monkeypatch.setenv("ELECTROLYTE_DEBUG", "1")  # the guard's exception, raised
    (guarded / "out" / "diffusion.png").mkdir(parents=True)
    (guarded / "out" / "summary.json").write_text("{}")  # an earlier run's folder
    with pytest.raises(_Reached):
        main(["analyze", "traj.extxyz", "-o", "out", "-q", "--only", "intra_inter_rdf"])


def test_a_link_that_loops_where_the_summary_goes_is_removed_not_refused(guarded, monkeypatch):
    """The analyses remove a link of their names before writing (clear_outputs): a link is
    no obstacle to them."""
    monkeypatch.setenv("ELECTROLYTE_DEBUG", "1")
    out = guarded / "out"
    out.mkdir()
    os.symlink(out / "summary.json", out / "summary.json")
    with pytest.raises(_Reached):
        main(["analyze", "traj.extxyz", "-o", "out", "-q"])


@pytest.mark.parametrize("name", RUN_FILES)
def test_simulate_refuses_a_folder_where_a_run_file_goes_before_packing(guarded, capsys, name):
    (guarded / "run" / name).mkdir(parents=True)
    err = _refused(capsys, ["simulate", "--counts", "EC=3", "--model", "sevennet-0", "-o",
                            "run"], guarded / "run" / name)
    assert "is a folder" in err


def test_simulate_refuses_a_link_that_loops_where_its_record_goes(guarded, capsys):
    run = guarded / "run"
    run.mkdir()
    os.symlink(run / "simulation.json", run / "simulation.json")
    err = _refused(capsys, ["simulate", "--counts", "EC=3", "--model", "sevennet-0", "-o",
                            "run"], run / "simulation.json")
    assert "loops" in err


@pytest.mark.parametrize("name", ["analysis/report.html", "analysis/summary.json",
                                  "production.h5md"])
def test_demo_refuses_a_folder_where_its_run_or_report_goes_before_the_banner(guarded, capsys,
                                                                             name):
    (guarded / "demo" / name).mkdir(parents=True)
    err = _refused(capsys, ["demo", "-o", "demo", "--device", "cpu", "-q"],
                   guarded / "demo" / name)
    out = capsys.readouterr().out
    assert "is a folder" in err and "demo:" not in out


def test_run_analyses_refuses_the_folder_before_any_analysis(guarded):
    import MDAnalysis as mda

    universe = mda.Universe.empty(2, trajectory=True)
    universe.atoms.positions = np.array([[0.0, 0, 0], [2.0, 0, 0]])
    (guarded / "out" / "summary.json").mkdir(parents=True)
    with pytest.raises(ValueError, match="summary.json is a folder"):
        report.run_analyses(universe, guarded / "out", only=["intra_inter_rdf"])


def test_check_outputs_refuses_bad_names_and_flags(tmp_path):
    with pytest.raises(ValueError, match="file names inside outdir"):
        report.check_outputs(tmp_path, "summary.json")
    with pytest.raises(ValueError, match="file names inside outdir"):
        report.check_outputs(tmp_path, ["../summary.json"])
    with pytest.raises(TypeError, match="links_removed"):
        report.check_outputs(tmp_path, ["a"], links_removed="no")
    # a missing folder, a file of that name, a link to a file yet to be written: all fine
    (tmp_path / "a").write_text("x")
    os.symlink(tmp_path / "missing.json", tmp_path / "b")
    report.check_outputs(tmp_path, ["a", "b", "c"])
    report.check_outputs(tmp_path / "not_yet", ["a"])


def test_demo_refuses_a_diagnose_folder_as_its_analysis_folder(guarded, capsys):
    """The demo's analyses clear rigid_volume_scan.png/.csv: a diagnose's folder lost them
    while its diagnose.json still named them."""
    analysis = guarded / "demo" / "analysis"
    analysis.mkdir(parents=True)
    (analysis / "diagnose.json").write_text("{}")
    (analysis / "rigid_volume_scan.csv").write_text("scale,energy\n")
    assert main(["demo", "-o", "demo", "--device", "cpu", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds the output of electrolyte diagnose" in err
    assert sorted(p.name for p in analysis.iterdir()) == ["diagnose.json",
                                                          "rigid_volume_scan.csv"]


def test_demo_goes_on_in_its_own_analysis_folder(guarded, monkeypatch):
    """A demo's own analysis folder (a summary.json, the marker of analyze, with or without
    its report.html) is no other command's folder: the demo goes on to its model check."""
    monkeypatch.setenv("ELECTROLYTE_DEBUG", "1")
    analysis = guarded / "demo" / "analysis"
    analysis.mkdir(parents=True)
    (analysis / "summary.json").write_text("{}")
    with pytest.raises(_Reached):
        main(["demo", "-o", "demo", "--device", "cpu", "-q"])
    (analysis / "report.html").write_text("<html></html>")
    with pytest.raises(_Reached):
        main(["demo", "-o", "demo", "--device", "cpu", "-q"])
