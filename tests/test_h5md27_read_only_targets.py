"""A file its owner made read-only is not replaced by the rename of an atomic write.

``os.replace`` needs only the folder's permission: a finished run's summary or a trajectory
protected with ``chmod a-w`` was replaced where an open for writing is refused. Permissions
are simulated through ``os.access`` (the tests may run as root, whom modes do not stop).
"""

import os

import pytest

import ase_electrolyte.atomic_file as atomic_file
from ase_electrolyte.atomic_file import atomic_path, write_json_atomic, write_text_atomic


def _read_only(monkeypatch, path):
    access = os.access
    monkeypatch.setattr(atomic_file.os, "access", lambda name, mode, **kw: (
        not (mode & os.W_OK and os.path.realpath(name) == os.path.realpath(path))
        and access(name, mode, **kw)))


@pytest.mark.parametrize("write", [
    lambda p: write_text_atomic(p, "new"),
    lambda p: write_json_atomic(p, {"new": 1.0}),
    lambda p: atomic_path(p).__enter__(),
])
def test_a_read_only_target_is_refused_before_any_write_and_kept(write, tmp_path, monkeypatch):
    path = tmp_path / "summary.json"
    path.write_text('{"old": 0}')
    _read_only(monkeypatch, path)
    with pytest.raises(PermissionError, match=r"summary.json is read-only: not replaced \(the "
                                              r"file is unchanged\).*chmod u\+w"):
        write(path)
    assert path.read_text() == '{"old": 0}'
    assert os.listdir(tmp_path) == ["summary.json"]  # no temporary left


def test_a_symlink_to_a_read_only_file_is_refused_and_a_writable_one_written(tmp_path,
                                                                           monkeypatch):
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    _read_only(monkeypatch, real)
    with pytest.raises(PermissionError, match="real.json is read-only"):
        write_text_atomic(link, "new")
    assert real.read_text() == "old"
    monkeypatch.undo()
    write_text_atomic(link, "new")
    assert real.read_text() == "new" and link.is_symlink()
