"""A file replaced through ``atomic_path`` has its folder synced after the rename.

``os.replace`` changes the folder's entries, not the file: before the folder's blocks reach the
disk a power cut may bring the old name back although the file's contents were synced. The
folder is synced after each rename (reports written in one go, a trajectory's first frame); a
file system that cannot sync a folder is no error, and a sync that fails (EIO) warns, naming the
folder, with the new file in place.
"""

import errno
import os
import stat
import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte import atomic_file
from ase_electrolyte.atomic_file import atomic_path, write_json_atomic, write_text_atomic
from ase_electrolyte.trajectory import H5MDWriter, read_h5md


class _SyncSpy:
    """Records each fsync: whether it was a folder, and what the target held then."""

    def __init__(self, monkeypatch, target, fail_folder=None):
        self.calls = []
        self.target = target
        self.fail_folder = fail_folder
        real = os.fsync

        def fsync(fd):
            is_folder = stat.S_ISDIR(os.fstat(fd).st_mode)
            held = self.target.read_bytes() if self.target.exists() else None
            self.calls.append((is_folder, held))
            if is_folder and self.fail_folder is not None:
                raise OSError(self.fail_folder, os.strerror(self.fail_folder))
            return real(fd)

        monkeypatch.setattr(atomic_file.os, "fsync", fsync)

    def folder_syncs(self):
        return [held for is_folder, held in self.calls if is_folder]


@pytest.mark.parametrize("write", ["text", "json", "block"])
def test_folder_synced_after_the_rename(tmp_path, monkeypatch, write):
    target = tmp_path / "report.json"
    target.write_text('{"old": 1}')
    spy = _SyncSpy(monkeypatch, target)
    if write == "text":
        write_text_atomic(target, '{"new": 2}')
    elif write == "json":
        write_json_atomic(target, {"new": 2})
    else:
        with atomic_path(target) as tmp:
            tmp.write_text('{"new": 2}')
    new = target.read_bytes()
    assert b"new" in new
    # the file's contents first, then its folder, once the new name is in place
    assert [is_folder for is_folder, _ in spy.calls] == [False, True]
    assert spy.folder_syncs() == [new]


def test_no_folder_sync_when_the_write_failed(tmp_path, monkeypatch):
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    spy = _SyncSpy(monkeypatch, target)
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "old\n"
    assert spy.folder_syncs() == []


@pytest.mark.parametrize("code", [errno.EINVAL, errno.EBADF, errno.EOPNOTSUPP])
def test_file_system_without_folder_sync_is_silent(tmp_path, monkeypatch, code):
    target = tmp_path / "summary.txt"
    spy = _SyncSpy(monkeypatch, target, fail_folder=code)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_text_atomic(target, "done\n")
    assert target.read_text() == "done\n"
    assert len(spy.folder_syncs()) == 1


def test_failed_folder_sync_warns_and_keeps_the_file(tmp_path, monkeypatch):
    target = tmp_path / "summary.txt"
    target.write_text("old\n")
    _SyncSpy(monkeypatch, target, fail_folder=errno.EIO)
    with pytest.warns(RuntimeWarning, match=str(tmp_path)) as record:
        write_text_atomic(target, "new\n")
    assert "crash of the machine" in str(record[0].message)
    assert target.read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.txt"]


def test_folder_that_cannot_be_opened(tmp_path, monkeypatch):
    """A platform that opens no folder (Windows) writes the file and says nothing."""
    target = tmp_path / "notes.txt"
    real_open = os.open

    def refuse_folders(path, flags, *args, **kwargs):
        if os.path.isdir(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(atomic_file.os, "open", refuse_folders)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_text_atomic(target, "x\n")
    assert target.read_text() == "x\n"


def test_trajectory_first_frame_syncs_its_folder(tmp_path, monkeypatch):
    """A new trajectory appears by a rename at its first frame: its folder is synced then,
    and later frames (written in place) sync no folder."""
    atoms = bulk("Cu", cubic=True)
    atoms.calc = EMT()
    path = tmp_path / "run.h5md"
    spy = _SyncSpy(monkeypatch, path)
    with H5MDWriter(path, atoms) as writer:
        writer.write(atoms, step=0, time=0.0)
        assert len(spy.folder_syncs()) == 1
        assert spy.folder_syncs()[0] is not None  # the file was in place when synced
        for step in (1, 2, 3):
            atoms.positions[0, 0] += 0.01
            writer.write(atoms, step=step, time=step * 1e-3)
    assert len(spy.folder_syncs()) == 1
    np.testing.assert_array_equal(read_h5md(path, -1).positions, atoms.positions)
