"""Output faults of the ``electrolyte`` command: folders shared between commands, a full disk or a
file-size limit, and options that would be ignored.

Each must end in one line on stderr with exit status 2, before the work where it can be told
then, and without deleting another command's files or leaving a stale or partial one.
"""

import errno
import json
import os
import subprocess
import sys

import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.io import write
from cli_inputs import empty_registry, water_frames

from electrolyte_cli import main
from mda_electrolyte import report


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A folder with a labelled extxyz; the expensive entry points fail the test if reached."""
    import electrolyte_cli.arguments as cli_arguments
    import mda_electrolyte.diagnose

    def _forbidden(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    for module, name in ((cli_arguments, "make_calculator"), (report, "run_analyses"),
                         (mda_electrolyte.diagnose, "diagnose")):
        monkeypatch.setattr(module, name, _forbidden)
    frames = []
    for seed in range(3):
        frame = bulk("Cu", cubic=True)
        frame.rattle(0.05, seed=seed)
        frame.calc = EMT()
        frame.get_stress()
        frames.append(frame)
    write(tmp_path / "lab.extxyz", frames)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _one_line_error(capsys):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


# --- one folder, two commands ------------------------------------------------------------------

#: What another command left in a folder: its marker and files of the names the command clears.
_FOREIGN = {
    "diagnose": {"diagnose.json": b'{"per_frame": "rigid_volume_scan.csv"}',
                 "rigid_volume_scan.png": b"\x89PNG of diagnose",
                 "rigid_volume_scan.csv": b"frame,s,E\n0,1.0,-5.0\n",
                 "intra_inter_errors.png": b"\x89PNG of diagnose"},
    "demo": {"summary.json": b"{}", "report.html": b"<html>the demo's numbers</html>",
             "intra_inter_rdf.png": b"\x89PNG of the demo"},
    "analyze": {"summary.json": b'{"rigid_volume_scan": {}}',
                "rigid_volume_scan.png": b"\x89PNG of analyze",
                "intra_inter_errors.png": b"\x89PNG of analyze"},
}


@pytest.mark.parametrize("command, other, marker", [
    (["analyze", "lab.extxyz", "-o", "shared"], "diagnose", "diagnose.json"),
    (["analyze", "lab.extxyz", "-o", "shared"], "demo", "report.html"),
    (["diagnose", "lab.extxyz", "--model", "sevennet-0", "-o", "shared"], "analyze",
     "summary.json"),
    (["diagnose", "lab.extxyz", "--model", "sevennet-0", "-o", "shared"], "demo",
     "report.html"),
])
def test_a_folder_holding_another_commands_output_is_refused_and_kept(workdir, capsys, command,
                                                                     other, marker):
    """``analyze -o`` a diagnose folder deleted its rigid_volume_scan.png/.csv while
    diagnose.json still named them; into a demo's analysis folder it left report.html with
    the old numbers beside the new summary."""
    shared = workdir / "shared"
    shared.mkdir()
    for name, data in _FOREIGN[other].items():
        (shared / name).write_bytes(data)
    before = _files(shared)
    assert main(command) == 2
    err = _one_line_error(capsys)
    assert f"-o/--output shared holds the output of electrolyte {other} ({marker})" in err
    assert _files(shared) == before


def test_a_rerun_into_the_commands_own_folder_goes_ahead(workdir, capsys, monkeypatch):
    """The refusal is about another command's files: an earlier analyze's folder is reused."""
    calls = []
    monkeypatch.setattr(report, "run_analyses",
                        lambda universe, out, **kw: calls.append(out) or {})
    shared = workdir / "again"
    shared.mkdir()
    for name, data in _FOREIGN["analyze"].items():
        (shared / name).write_bytes(data)
    assert main(["analyze", "lab.extxyz", "-o", "again", "-q"]) == 0, capsys.readouterr().err
    assert [p.resolve() for p in calls] == [shared]


# --- options that --list would ignore ----------------------------------------------------------

@pytest.mark.parametrize("extra, named", [
    (["lab.extxyz"], "trajectory"),
    (["--only", "density"], "--only"),
    (["-o", "out", "--keep-going"], "-o/--output, --keep-going"),
    (["--model", "sevennet-0", "--device", "cpu"], "--model, --device"),
    (["--dt", "0.1"], "--dt"),
])
def test_list_with_a_trajectory_or_options_is_refused(workdir, capsys, extra, named):
    """``analyze run.h5md --list`` listed the analyses, analysed nothing and exited 0."""
    assert main(["analyze", "--list", *extra]) == 2
    err = _one_line_error(capsys)
    assert f"it takes no {named}:" in err
    assert not (workdir / "out").exists()


def test_list_alone_or_quiet_lists(capsys):
    for argv in (["analyze", "--list"], ["analyze", "--list", "-q"]):
        assert main(argv) == 0
        listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
        assert listed == list(report.registered_analyses())


# --- a full disk, a file-size limit ------------------------------------------------------------

@pytest.mark.parametrize("code, cause", [
    (errno.EFBIG, "a file-size limit (ulimit -f) was reached"),
    (errno.ENOSPC, "the disk is full"),
    (errno.EDQUOT, "the disk quota is used up"),
])
def test_a_bare_no_room_error_says_what_happened_where(workdir, capsys, monkeypatch, code, cause):
    """A PNG encoder's write past the limit read "error: [Errno 27] File too large" alone."""
    def full(universe, out, **kw):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(report, "run_analyses", full)
    assert main(["analyze", "lab.extxyz", "-o", "out", "-q"]) == 2
    err = _one_line_error(capsys)
    # a file-size limit is raised, not made room for
    remedy = "raise the limit or write elsewhere" if code == errno.EFBIG else "make room"
    assert f"[Errno {code}] {os.strerror(code)} ({cause} while writing into out; {remedy}, " \
           "then run the same command again)" in err


def test_a_no_room_error_naming_its_file_gets_the_cause_and_the_remedy(workdir, capsys,
                                                                       monkeypatch):
    def full(universe, out, **kw):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "out/summary.json")

    monkeypatch.setattr(report, "run_analyses", full)
    assert main(["analyze", "lab.extxyz", "-o", "out", "-q"]) == 2
    err = _one_line_error(capsys)
    assert err.strip().endswith(f"[Errno {errno.ENOSPC}] {os.strerror(errno.ENOSPC)}: "
                        "'out/summary.json' (the disk is full; make room, then run the same "
                        "command again)"), err


@pytest.mark.parametrize("error", [
    OSError(errno.EFBIG, "out/relaxed.h5md would exceed the file-size limit; run again to resume"),
    OSError(errno.EACCES, os.strerror(errno.EACCES)),
], ids=["own-message", "not-room"])
def test_an_error_that_says_it_all_gets_no_hint(workdir, capsys, monkeypatch, error):
    def fail(universe, out, **kw):
        raise error

    monkeypatch.setattr(report, "run_analyses", fail)
    assert main(["analyze", "lab.extxyz", "-o", "out", "-q"]) == 2
    err = _one_line_error(capsys)
    assert "make room" not in err and str(error) in err


def test_keep_going_stops_at_a_full_disk_and_records_other_failures(tmp_path, monkeypatch):
    """With --keep-going a full disk was recorded as each analysis' failure and the command
    ended with status 0: the results of every analysis lost, the run called done."""
    import MDAnalysis as mda
    import numpy as np

    empty_registry(monkeypatch)
    ran = []

    @report.register_analysis("broken")
    def broken(universe, outdir, *, calculator=None, verbose=False):
        ran.append("broken")
        raise ValueError("too few frames")

    @report.register_analysis("figure")
    def figure(universe, outdir, *, calculator=None, verbose=False):
        ran.append("figure")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    @report.register_analysis("after")
    def after(universe, outdir, *, calculator=None, verbose=False):
        ran.append("after")
        return {}

    u = mda.Universe.empty(2, trajectory=True)
    u.atoms.positions = np.zeros((2, 3))
    with pytest.warns(UserWarning, match="too few frames"), pytest.raises(OSError) as raised:
        report.run_analyses(u, tmp_path / "out", keep_going=True)
    assert raised.value.errno == errno.ENOSPC and ran == ["broken", "figure"]
    assert not (tmp_path / "out" / "summary.json").exists()
    assert report.no_room(raised.value) == "the disk is full"
    assert report.no_room(ValueError("x")) is None
    assert report.no_room(OSError(errno.EACCES, "denied")) is None



def _limited(limit):
    def set_limit():
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return set_limit


def test_a_file_size_limit_in_a_real_run_leaves_no_partial_or_stale_file(tmp_path):
    """A child process whose file-size limit is below the size of the first figure: one line,
    status 2, and the folder holds no half-written file and still the earlier run's outputs."""
    water_frames(tmp_path / "water.extxyz")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    command = [sys.executable, "-m", "electrolyte_cli", "analyze", "water.extxyz", "-o", "out",
               "-q", "--keep-going"]
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=600)
    assert first.returncode == 0, first.stderr
    figure = tmp_path / "out" / "intra_inter_rdf.png"
    earlier = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "failed" not in earlier["intra_inter_rdf"]
    earlier_figure = figure.read_bytes()
    # the figure cannot be written; a summary recording its failure could (before: status 0)
    limit = figure.stat().st_size // 2
    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=600, preexec_fn=_limited(limit))
    assert again.returncode == 2, again.stdout + again.stderr
    last = again.stderr.strip().splitlines()[-1]
    assert "Traceback" not in again.stderr
    # the figure's writer named no file; atomic_path names it, run_analyses the analysis
    assert last == ("electrolyte analyze: error: [Errno 27] File too large: "
                    "'out/intra_inter_rdf.png'; analysis 'intra_inter_rdf' failed (a file-size "
                    "limit (ulimit -f) was reached; raise the limit or write elsewhere, then run "
                    "the same command again)")
    # the earlier run's summary and figures are kept as they were (all or nothing), and no
    # .part file or staging folder is left
    assert json.loads((tmp_path / "out" / "summary.json").read_text()) == earlier
    assert figure.read_bytes() == earlier_figure
    assert all(not p.name.startswith(".") for p in (tmp_path / "out").iterdir())
