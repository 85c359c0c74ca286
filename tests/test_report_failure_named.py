"""An analysis that fails without keep_going is named, with the way to run the others.

``electrolyte analyze`` stopped at a failing analysis with "error: cannot compute the thing":
neither which analysis failed nor that ``--keep-going`` would have kept the results of the
others, which were lost (no summary.json). The library's notes on an error (which analysis,
what a stopped MD run kept) were dropped from the command's one line.
"""

import errno

import pytest
from ase import Atoms
from ase.io import write
from cli_inputs import two_atoms

from electrolyte_cli import main
from mda_electrolyte import report


@pytest.fixture
def broken(monkeypatch):
    """A registered analysis ``zz_broken`` raising what ``broken.error`` holds."""
    report.registered_analyses()  # the real ones first, so that zz_broken runs last

    class Broken:
        error = ValueError("cannot compute the thing")

        def __call__(self, universe, outdir, *, calculator=None, verbose=False):
            raise self.error

    func = Broken()
    monkeypatch.setitem(report._REGISTRY, "zz_broken", (func, ()))
    return func


def test_a_failing_analysis_is_named_with_keep_going(tmp_path, broken):
    with pytest.raises(ValueError, match="cannot compute the thing") as info:
        report.run_analyses(two_atoms(2.0), tmp_path / "out", only=["zz_broken"])
    notes = info.value.__notes__
    assert len(notes) == 1 and "analysis 'zz_broken' failed" in notes[0]
    assert "keep_going=True" in notes[0] and "--keep-going" in notes[0]
    assert not (tmp_path / "out" / "summary.json").exists()


def test_keep_going_records_it_and_adds_no_note(tmp_path, broken):
    with pytest.warns(UserWarning, match="zz_broken"):
        summary = report.run_analyses(two_atoms(2.0), tmp_path / "out", only=["zz_broken"],
                                      keep_going=True)
    assert summary == {"zz_broken": {"failed": "ValueError: cannot compute the thing"}}
    assert not hasattr(broken.error, "__notes__")


def test_a_full_disk_with_keep_going_is_named_without_the_keep_going_advice(tmp_path, broken):
    broken.error = OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(OSError) as info:
        report.run_analyses(two_atoms(2.0), tmp_path / "out", only=["zz_broken"], keep_going=True)
    assert info.value.__notes__ == ["analysis 'zz_broken' failed"]


@pytest.fixture
def trajectory(tmp_path, monkeypatch):
    frames = [Atoms("LiF", positions=[[0, 0, 0], [2, 0, 0]], cell=[8, 8, 8], pbc=True)] * 3
    write(tmp_path / "traj.extxyz", frames)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "traj.extxyz"


def test_the_command_names_the_failing_analysis_and_keep_going(trajectory, capsys, broken):
    assert main(["analyze", "traj.extxyz", "-o", "out", "-q", "--only", "zz_broken"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("electrolyte analyze: error: cannot compute the thing; analysis "
                          "'zz_broken' failed; keep_going=True (electrolyte analyze "
                          "--keep-going)"), err


def test_the_command_keeps_every_note_and_the_full_disk_hint(trajectory, capsys, broken):
    broken.error = OSError(errno.ENOSPC, "No space left on device")
    broken.error.add_note("run_md: 12 frames kept")
    assert main(["analyze", "traj.extxyz", "-o", "out", "-q", "--only", "zz_broken"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    # the library's notes in order, then what a full disk means and what to do
    assert "No space left on device; run_md: 12 frames kept; analysis 'zz_broken' failed " \
           "(" in err
    # --keep-going stops at a full disk too (the test above): it is no advice for one
    assert "keep" not in err.replace("frames kept", ""), err
    assert err.rstrip().endswith("make room, then run the same command again)"), err
