"""``electrolyte select`` finds a folder that takes no new file before the model loads.

Permission bits do not tell it for root, nor for a file system with rules of its own:
``select cands.extxyz -n 2 -o /proc/picked.extxyz`` loaded SevenNet, picked the frames, then
failed naming a hidden temporary file ("[Errno 2] No such file or directory:
'/proc/.picked.6939-...part.extxyz'"). Now one line naming -o and the folder, exit 2, and
neither the model nor the selection runs.
"""

import os
from pathlib import Path

import pytest
from cli_inputs import labelled_water_frames

from electrolyte_cli import main
from electrolyte_cli.arguments import check_files_creatable


class _Ran(Exception):
    pass


@pytest.fixture
def no_selection(monkeypatch):
    """The selection (and the model it loads) fails the test if it starts."""
    import ase_electrolyte.active_learning as al

    def ran(*args, **kwargs):
        raise _Ran("the selection ran")

    monkeypatch.setattr(al, "select_candidates", ran)


def _refusing_folders():
    # existing folders of special file systems that take no regular file, also for root
    found = [p for p in ("/proc", "/sys", "/proc/sys", "/sys/kernel") if Path(p).is_dir()]
    return found or [pytest.param("/proc", marks=pytest.mark.skip("no /proc here"))]


@pytest.mark.parametrize("folder", _refusing_folders())
@pytest.mark.parametrize("method", ["fps", "d-optimal"])
def test_select_into_a_folder_taking_no_file(tmp_path, capsys, no_selection, folder, method):
    cands = labelled_water_frames(tmp_path / "cands.extxyz")
    target = os.path.join(folder, "picked.extxyz")
    status = main(["select", str(cands), "-n", "2", "--method", method, "-o", target])
    err = capsys.readouterr().err
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "-o/--output" in lines[0] and folder in lines[0]
    assert ".part" not in lines[0]  # no temporary name of the writer
    assert "the selection ran" not in err


@pytest.mark.parametrize("folder", _refusing_folders())
def test_check_files_creatable_refuses(folder):
    with pytest.raises(ValueError, match="takes no new file|not a writable"):
        check_files_creatable(folder)


def test_check_files_creatable_leaves_a_writable_folder_as_it_was(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    check_files_creatable(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_select_into_a_writable_folder_reaches_the_selection(tmp_path, capsys, no_selection):
    cands = labelled_water_frames(tmp_path / "cands.extxyz")
    out = tmp_path / "picked.extxyz"
    # the checks pass and the selection starts (here: the stand-in that says so)
    status = main(["select", str(cands), "-n", "2", "-o", str(out)])
    err = capsys.readouterr().err
    assert "the selection ran" in err
    assert status != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cands.extxyz"]
