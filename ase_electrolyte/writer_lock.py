"""One writer per trajectory file and per run folder, across processes.

Trajectories are opened without HDF5 file locking (so that readers never block a run, see
:mod:`ase_electrolyte.trajectory`), which leaves HDF5 unable to stop a second *writer*: two
processes appending to one H5MD file overwrite each other's frames while both report success.
:class:`WriterLock` is the claim every writer takes first instead: an exclusive
:func:`fcntl.flock` on a hidden lock file next to the guarded file (``.<name>.lock``) or inside
the guarded folder (:data:`FOLDER_LOCK_NAME`). A second writer is refused at once with
:class:`ConcurrentWriterError`; nothing waits.

* Readers take no claim: h5py, MDAnalysis, :func:`~mda_electrolyte.bridge.from_ase` and
  :func:`~ase_electrolyte.trajectory.read_h5md` open a file that is being written as before,
  and a reader never blocks a writer or a resume.
* The operating system drops a ``flock`` when the process that holds it ends, however it ends:
  a lock file left by a killed run (``SIGKILL``, a node going down) holds no lock and is taken
  over by the next run. There is no pid file to judge stale.
* A lock file left by an ended run of another user (a shared project folder; the file is
  theirs, not writable by this user) is locked through a read-only descriptor, which ``flock``
  allows: it refuses only while that run holds it. Where it cannot be locked at all (NFS's
  byte-range emulation needs a writable descriptor), or the folder is not writable, the
  :class:`PermissionError` names that, not the bare lock file.
* A normal release removes the lock file. It is removed while still locked, and a claim counts
  only when the file it locked is still the one at the path, so a process that opened the old
  file just before it was removed cannot hold a lock alongside the next owner.
* Claims are re-entrant within one thread of one process (:func:`~ase_electrolyte.md.\
run_protocol` claims its folder, then each stage its file, and :class:`~ase_electrolyte.\
trajectory.H5MDWriter` the file that ``run_md`` has already claimed); another thread or a forked
  child of the holder is refused like another process.
* ``flock`` works across the machines that share a network file system where that file system
  supports it (NFS emulates it with byte-range locks); on one that does not (some FUSE
  mounts) the claim fails with that file system's error instead of going unchecked.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import threading
from pathlib import Path

__all__ = ["WriterLock", "ConcurrentWriterError", "FOLDER_LOCK_NAME", "lock_file", "writer_of"]

# the longest file name of common file systems (ext4, xfs, btrfs, tmpfs), in bytes
_NAME_MAX = 255

#: Name of the lock file inside a claimed folder.
FOLDER_LOCK_NAME = ".electrolyte-writer.lock"

# lock file path -> [pid, thread id, depth] of the claims this process holds; a forked child
# inherits the dict but not the claims (the pid tells), and gets a guard no thread holds
_HELD = {}
_HELD_GUARD = threading.Lock()


def _new_guard():
    global _HELD_GUARD
    _HELD_GUARD = threading.Lock()


os.register_at_fork(after_in_child=_new_guard)


class ConcurrentWriterError(BlockingIOError):
    """Another process (or thread) is writing this trajectory or run folder; nothing was changed.

    A :class:`BlockingIOError` (``errno`` EWOULDBLOCK) whose ``filename`` is the guarded file or
    folder.
    """

    def __str__(self):
        # the message names the file and the holder; OSError's "[Errno 11] " prefix adds nothing
        return self.strerror


def lock_file(target):
    """The lock file that guards ``target``: inside it if it is a folder, beside it otherwise.

    Symbolic links are resolved first: two names of one file or folder share one lock.
    """
    target = Path(os.path.realpath(target))
    if target.is_dir():
        return target / FOLDER_LOCK_NAME
    name = f".{target.name}.lock"
    if len(os.fsencode(name)) > _NAME_MAX:
        # a trajectory name of 250 to 255 bytes is a valid file name, but its lock file's was
        # not: the writer failed with ENAMETOOLONG naming a file the user never made. The
        # name is shortened, with a digest of the whole name so that two long names that
        # share their start keep two locks
        import hashlib

        digest = hashlib.sha256(os.fsencode(target.name)).hexdigest()[:16]
        tail = f"-{digest}.lock"
        stem = os.fsencode(target.name)[: _NAME_MAX - 1 - len(tail)]
        # a character cut in two is left out
        name = f".{stem.decode('utf-8', 'ignore')}{tail}"
    return target.parent / name


class WriterLock:
    """Exclusive claim on a trajectory file or a run folder, refused at once when taken.

    Parameters
    ----------
    target : str or os.PathLike
        The file (need not exist yet; its folder must) or the existing folder to guard.
    what : str
        What ``target`` is, for the error message (e.g. ``"trajectory"``, ``"run folder"``).

    Raises
    ------
    ConcurrentWriterError
        From :meth:`acquire` (and ``with``) when another process or thread holds the claim.
    PermissionError
        From :meth:`acquire`: the folder is not writable (no lock file can be made), or the
        lock file is another user's and cannot be locked by this one; nothing was written.

    Examples
    --------
    >>> import tempfile
    >>> from ase_electrolyte.writer_lock import WriterLock
    >>> folder = tempfile.mkdtemp()
    >>> with WriterLock(folder, "run folder"):
    ...     pass  # write into folder
    """

    def __init__(self, target, what="file"):
        self.target = Path(target)
        self.what = what
        self.path = lock_file(self.target)
        self._key = str(self.path)
        self._fd = None
        self._held = False

    def acquire(self):
        """Take the claim (a nested claim of the same thread only counts); returns ``self``."""
        if self._held:
            return self
        with _HELD_GUARD:
            entry = _HELD.get(self._key)
            if entry is not None and entry[0] == os.getpid():
                if entry[1] != threading.get_ident():
                    raise self._busy("another thread of this process")
                entry[2] += 1
                self._held = True
                return self
            self._fd = self._lock()
            _HELD[self._key] = [os.getpid(), threading.get_ident(), 1]
            self._held = True
        return self

    def _lock(self):
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as err:
                if err.errno not in (errno.EACCES, errno.EPERM) or not self.path.exists():
                    raise self._unwritable(err) from None
                # the lock file of another user's run (a shared folder): flock needs no write
                # permission, so a run of theirs that has ended does not block this one
                try:
                    fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
                except OSError:
                    raise self._unwritable(err) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise self._busy(_holder(self.path)) from None
            except OSError as err:
                os.close(fd)
                # EBADF: an exclusive lock through a read-only descriptor (NFS's emulation)
                if err.errno != errno.EBADF:
                    raise
                raise self._unwritable(PermissionError(errno.EACCES, str(err))) from None
            except BaseException:
                os.close(fd)
                raise
            try:
                now = os.stat(self.path)
            except FileNotFoundError:
                now = None
            mine = os.fstat(fd)
            if now is not None and (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
                break
            # the previous holder removed the file between our open and our flock: take the new one
            os.close(fd)
        # who holds it, for the message of the next writer that is refused; best effort: on a
        # full disk the claim must not fail before the writer can say that the disk is full
        record = {"pid": os.getpid(), "host": socket.gethostname()}
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(record).encode())
        return fd

    def _unwritable(self, err):
        """The error of a lock file that cannot be opened, naming the cause rather than the
        bare ``[Errno 13] Permission denied: '.md.h5md.lock'`` of a file the user never made."""
        if err.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            return err
        cause = os.strerror(err.errno)
        if self.path.exists():
            # a claim file of another user's run that this user can neither open nor lock
            text = (f"{self.what} {self.target} cannot be claimed for writing: its lock file "
                    f"{self.path} cannot be locked by this user ({cause}; another user's "
                    "run?); nothing was written: if no run of it is going on, remove the lock "
                    "file, else write elsewhere")
        else:
            text = (f"{self.what} {self.target} cannot be written: its folder "
                    f"{self.path.parent} is not writable ({cause}; the writer's lock file "
                    f"{self.path.name} cannot be created there); nothing was written: choose "
                    "a writable folder")
        return PermissionError(err.errno, text)

    def _busy(self, holder):
        return ConcurrentWriterError(
            errno.EWOULDBLOCK,
            f"{self.what} {self.target} is being written by {holder} (lock {self.path}); it is "
            "left untouched: wait for that run to finish (the same call then resumes or reuses "
            "it) or write elsewhere",
            str(self.target),
        )

    def release(self):
        """Give the claim back (the lock file goes with the outermost claim); idempotent."""
        if not self._held:
            return
        self._held = False
        with _HELD_GUARD:
            entry = _HELD.get(self._key)
            if self._fd is None:  # a nested claim
                if entry is not None:
                    entry[2] -= 1
                return
            _HELD.pop(self._key, None)
            fd, self._fd = self._fd, None
            try:
                # removed while still locked: see the module notes
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path)
            finally:
                os.close(fd)

    @property
    def held(self):
        """Whether this object holds the claim."""
        return self._held

    def __enter__(self):
        return self.acquire()

    def __exit__(self, exc_type, exc, tb):
        self.release()


def writer_of(target):
    """Who holds the writer claim on ``target`` now, or ``None`` when no one does.

    For readers that must not take a run still being written for a finished one (an analysis of
    a running trajectory is one of the frames written so far). The probe is a shared ``flock``
    on the lock file, given back at once: it never waits, takes no claim, creates no lock file
    and does not stop a writer from starting the moment after.

    Parameters
    ----------
    target : str or os.PathLike
        The trajectory file or run folder (as given to :class:`WriterLock`).

    Returns
    -------
    str or None
        ``"another process (pid N on HOST)"`` (as far as the claim's record can be read),
        ``"this process"`` for a claim held here (any thread), ``None`` without a claim or on
        a file system without ``flock``.

    Examples
    --------
    >>> import os, tempfile
    >>> from ase_electrolyte.writer_lock import WriterLock, writer_of
    >>> path = os.path.join(tempfile.mkdtemp(), "md.h5md")
    >>> writer_of(path) is None
    True
    >>> with WriterLock(path, "trajectory"):
    ...     writer_of(path)
    'this process'
    """
    lock = lock_file(target)
    with _HELD_GUARD:
        entry = _HELD.get(str(lock))
        if entry is not None and entry[0] == os.getpid():
            return "this process"
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # no claim (no lock file), or none that can be read
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _holder(lock)
    except OSError:  # a file system without flock: nothing to tell
        return None
    finally:
        os.close(fd)  # gives the shared lock back
    return None


def _holder(path):
    """``"another process (pid N on HOST)"`` from the lock file, as far as it can be read."""
    try:
        record = json.loads(Path(path).read_text())
        return f"another process (pid {int(record['pid'])} on {record['host']})"
    except (OSError, ValueError, KeyError, TypeError):
        # written a moment after the lock is taken: a claim this new has no record yet
        return "another process"
