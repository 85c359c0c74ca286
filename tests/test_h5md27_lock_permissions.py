"""The writer's claim in folders shared between users and hosts.

A lock file left by a run of another user (or host) that has ended could not be opened for
writing by this user, and every writer of the file failed with a bare ``[Errno 13] Permission
denied: '.md.h5md.lock'``; ``flock`` needs no write permission, so such a file is now locked
through a read-only descriptor (refused only while its run holds it), and a folder that is not
writable is named as such. Permissions are simulated (the tests may run as root).
"""

import errno
import fcntl
import json
import os

import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

import ase_electrolyte.writer_lock as writer_lock
from ase_electrolyte.trajectory import H5MDWriter, h5md_info
from ase_electrolyte.writer_lock import ConcurrentWriterError, lock_file


def _copper():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.calc = EMT()
    return atoms


def _left_by_another_run(path):
    lock = lock_file(path)
    lock.write_text(json.dumps({"pid": 4242, "host": "node17"}))
    return lock


def _not_writable_by_this_user(monkeypatch, lock, *, exclusive_lock_needs_write=False):
    opened = os.open

    def fake_open(name, flags, *args, **kwargs):
        # a lock file of another user, or a folder this user may not create files in
        if os.fspath(name) == str(lock) and flags & (os.O_RDWR | os.O_WRONLY | os.O_CREAT):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(name))
        return opened(name, flags, *args, **kwargs)

    monkeypatch.setattr(writer_lock.os, "open", fake_open)
    if exclusive_lock_needs_write:
        flock = fcntl.flock

        def nfs_flock(fd, operation):
            if operation & fcntl.LOCK_EX and (
                    fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE) == os.O_RDONLY:
                raise OSError(errno.EBADF, "Bad file descriptor")
            return flock(fd, operation)

        monkeypatch.setattr(writer_lock.fcntl, "flock", nfs_flock)


@pytest.mark.parametrize("readable_only", [False, True])
def test_a_lock_file_left_by_an_ended_run_of_another_host_or_user_is_taken_over(
        readable_only, tmp_path, monkeypatch):
    path = tmp_path / "md.h5md"
    lock = _left_by_another_run(path)
    if readable_only:
        _not_writable_by_this_user(monkeypatch, lock)
    atoms = _copper()
    with H5MDWriter(path, atoms) as w:
        w.write(atoms, step=0, time=0.0)
    assert h5md_info(path)["n_frames"] == 1
    assert not lock.exists()  # given back with the claim


def test_a_lock_file_of_another_users_run_still_going_refuses_naming_it(tmp_path,
                                                                       monkeypatch):
    path = tmp_path / "md.h5md"
    lock = _left_by_another_run(path)
    held = os.open(lock, os.O_RDWR)  # another open file description: another run's claim
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        _not_writable_by_this_user(monkeypatch, lock)
        with pytest.raises(ConcurrentWriterError, match=r"md.h5md is being written by another "
                                                        r"process \(pid 4242 on node17\)"):
            H5MDWriter(path, _copper())
    finally:
        os.close(held)
    assert not path.exists()


def test_a_lock_this_user_cannot_take_at_all_is_named_with_the_cure(tmp_path, monkeypatch):
    """NFS emulates flock with byte-range locks: an exclusive one needs a writable descriptor."""
    path = tmp_path / "md.h5md"
    lock = _left_by_another_run(path)
    _not_writable_by_this_user(monkeypatch, lock, exclusive_lock_needs_write=True)
    with pytest.raises(PermissionError, match=r"md.h5md cannot be claimed for writing: its lock "
                                              r"file .*\.md\.h5md\.lock cannot be locked by this "
                                              r"user.*remove the lock file"):
        H5MDWriter(path, _copper())
    assert not path.exists() and lock.exists()


def test_a_folder_that_is_not_writable_is_named_not_the_lock_file(tmp_path, monkeypatch):
    path = tmp_path / "md.h5md"
    _not_writable_by_this_user(monkeypatch, lock_file(path))
    with pytest.raises(PermissionError, match=rf"md.h5md cannot be written: its folder "
                                              rf"{tmp_path} is not writable") as err:
        H5MDWriter(path, _copper())
    assert err.value.errno == errno.EACCES
    assert os.listdir(tmp_path) == []
