"""Results the user made read-only are never replaced or removed by a rerun.

The analyses publish a rerun by renames and remove the earlier run's files they do not write
now; both need only the folder's write permission, so ``chmod a-w summary.json`` did not
protect it: ``analyze`` replaced it (and deleted a protected figure of an analysis not run
now) and ``diagnose`` did the same after the model's evaluations. Now each command refuses
in one line, exit status 2, naming the file, before the trajectory is read; the library
refuses before the first analysis, and a file protected while the analyses ran is refused
before the first rename. Permissions are simulated through ``os.access`` (the tests may run as
root, whom modes do not stop), as ``atomic_path`` reads them.
"""

import os

import pytest
from ase import Atoms
from ase.io import write
from cli_inputs import empty_registry, four_atoms

from electrolyte_cli import main
from mda_electrolyte import report


class _Reached(Exception):
    """Raised by the work the checks must come before."""


def _protect(monkeypatch, *paths):
    """``os.access`` says the files ``paths`` are not writable (from now on)."""
    protected = {os.path.realpath(p) for p in paths}
    access = os.access
    monkeypatch.setattr(os, "access", lambda name, mode, **kw: (
        not (mode & os.W_OK and os.path.realpath(name) in protected)
        and access(name, mode, **kw)))


@pytest.fixture
def guarded(tmp_path, monkeypatch):
    """A frames file in ``tmp_path``; reading a trajectory or loading a model raises."""
    import electrolyte_cli.arguments as cli_arguments
    import mda_electrolyte.bridge

    def reached(*args, **kwargs):
        raise _Reached

    for module, name in ((cli_arguments, "make_calculator"), (mda_electrolyte.bridge, "from_ase"),
                         (mda_electrolyte.bridge, "read_ase_frames"), (report, "_run")):
        monkeypatch.setattr(module, name, reached)
    frames = [Atoms("LiF", positions=[[0, 0, 0], [2, 0, 0]], cell=[8, 8, 8], pbc=True)] * 3
    write(tmp_path / "traj.extxyz", frames)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _refused(capsys, argv, folder, protected):
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert os.path.join(os.path.relpath(folder), protected) in err, err
    assert "is read-only" in err and "chmod u+w" in err, err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@pytest.mark.parametrize(("name", "only"), [
    ("summary.json", ["--only", "rdf"]),
    ("intra_inter_rdf.png", []),
    # not run now, so removed as the earlier run's figure: deleted although protected
    ("viscosity.png", ["--only", "rdf"]),
])
def test_analyze_refuses_a_protected_result_before_reading(guarded, capsys, monkeypatch, name,
                                                           only):
    out = guarded / "out"
    out.mkdir()
    (out / "summary.json").write_text('{"density": 1.2}')
    (out / name).write_bytes(b"the user's result")
    _protect(monkeypatch, out / name)
    _refused(capsys, ["analyze", "traj.extxyz", "-o", "out", "-q", *only], out, name)


def test_analyze_goes_ahead_when_nothing_is_protected(guarded, monkeypatch):
    """Not vacuous: the same folder with writable files reaches the reading of the trajectory;
    a link at an output name to a protected file is no obstacle (the link is replaced)."""
    monkeypatch.setenv("ELECTROLYTE_DEBUG", "1")
    out = guarded / "out"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    (guarded / "kept.png").write_bytes(b"x")
    (out / "viscosity.png").symlink_to(guarded / "kept.png")
    _protect(monkeypatch, guarded / "kept.png")
    with pytest.raises(_Reached):
        main(["analyze", "traj.extxyz", "-o", "out", "-q", "--only", "rdf"])


@pytest.mark.parametrize("name", ["diagnose.json", "rigid_volume_scan.csv"])
def test_diagnose_refuses_a_protected_result_before_reading(guarded, capsys, monkeypatch, name):
    out = guarded / "diag"
    out.mkdir()
    (out / "diagnose.json").write_text("{}")
    (out / name).write_bytes(b"the user's result")
    _protect(monkeypatch, out / name)
    _refused(capsys, ["diagnose", "traj.extxyz", "--model", "sevennet-0", "-o", "diag", "-q"],
             out, name)


def test_demo_refuses_a_protected_report_before_the_banner(guarded, capsys, monkeypatch):
    out = guarded / "demo" / "analysis"
    out.mkdir(parents=True)
    (out / "report.html").write_text("<html>earlier</html>")
    _protect(monkeypatch, out / "report.html")
    _refused(capsys, ["demo", "-o", "demo", "--device", "cpu", "-q"], out, "report.html")
    assert "demo:" not in capsys.readouterr().out


@pytest.fixture
def counted(monkeypatch):
    """Two registered analyses that write a figure each; ``runs`` counts their calls."""
    empty_registry(monkeypatch)
    runs = []

    for name in ("first", "second"):
        @report.register_analysis(name)
        def analysis(universe, outdir, *, calculator=None, verbose=False, name=name):
            runs.append(name)
            (outdir / f"{name}.png").write_bytes(b"new")
            return {"x_angstrom": float(universe.atoms.positions[:, 0].mean())}
    return runs


@pytest.mark.parametrize("name", ["summary.json", "first.png", "second.png"])
def test_run_analyses_refuses_before_the_first_analysis(tmp_path, monkeypatch, counted, name):
    (tmp_path / "summary.json").write_text("{}")
    (tmp_path / name).write_bytes(b"protected")
    _protect(monkeypatch, tmp_path / name)
    with pytest.raises(PermissionError, match=f"{name} is read-only.*chmod u\\+w"):
        report.run_analyses(four_atoms(), tmp_path, only=["first"])
    assert counted == []
    assert (tmp_path / name).read_bytes() == b"protected"


def test_a_file_protected_while_the_analyses_ran_is_kept_and_nothing_published(
        tmp_path, monkeypatch, counted):
    (tmp_path / "summary.json").write_text('{"old": 1}')
    (tmp_path / "second.png").write_bytes(b"old second")
    original = report._run

    def run_then_protect(*args, **kwargs):
        original(*args, **kwargs)
        _protect(monkeypatch, tmp_path / "second.png")

    monkeypatch.setattr(report, "_run", run_then_protect)
    with pytest.raises(PermissionError, match="second.png is read-only"):
        report.run_analyses(four_atoms(), tmp_path, only=["first"])
    assert counted == ["first"]
    # all or nothing: the earlier summary beside no new figure, no staging folder left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["second.png", "summary.json"]
    assert (tmp_path / "summary.json").read_text() == '{"old": 1}'


def test_clear_outputs_removes_none_when_one_is_protected(tmp_path, monkeypatch):
    for name in ("a.png", "b.png", "c.csv"):
        (tmp_path / name).write_text("old")
    _protect(monkeypatch, tmp_path / "b.png")
    with pytest.raises(PermissionError, match="b.png is read-only"):
        report.clear_outputs(tmp_path, ["a.png", "b.png", "c.csv"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png", "c.csv"]
    monkeypatch.undo()
    report.clear_outputs(tmp_path, ["a.png", "b.png"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"]


def test_select_overwrite_refuses_a_protected_selection_before_the_model(guarded, capsys,
                                                                         monkeypatch):
    import electrolyte_cli.arguments as cli_arguments

    monkeypatch.setattr(cli_arguments, "check_model_args", lambda *a, **k: (_ for _ in ()).throw(
        _Reached()))
    (guarded / "picked.extxyz").write_text("the user's labelled selection")
    (guarded / "link.extxyz").symlink_to(guarded / "picked.extxyz")
    _protect(monkeypatch, guarded / "picked.extxyz")
    for name in ("picked.extxyz", "link.extxyz"):
        assert main(["select", "traj.extxyz", "-n", "1", "-o", name, "--overwrite"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "picked.extxyz is read-only" in err, err
    assert (guarded / "picked.extxyz").read_text() == "the user's labelled selection"
    monkeypatch.undo()
    monkeypatch.chdir(guarded)
    monkeypatch.setattr(cli_arguments, "check_model_args", lambda *a, **k: (_ for _ in ()).throw(
        _Reached()))
    monkeypatch.setenv("ELECTROLYTE_DEBUG", "1")
    with pytest.raises(_Reached):  # writable: on to the model
        main(["select", "traj.extxyz", "-n", "1", "-o", "picked.extxyz", "--overwrite"])
