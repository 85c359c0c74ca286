"""Trajectories with names near the file-name limit (255 bytes) are written and claimed.

The writer's lock file, ``.<name>.lock``, is 6 bytes longer than the trajectory's name: a
trajectory named with 250 to 255 bytes (a valid name) was refused by
:class:`~ase_electrolyte.trajectory.H5MDWriter` with ``[Errno 36] File name too long`` about a
lock file the user never made. Long names now get a shortened lock name with a digest of the
whole name, so that two such names still have two claims and one name has one claim.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte.trajectory import H5MDWriter, read_h5md
from ase_electrolyte.writer_lock import ConcurrentWriterError, WriterLock, lock_file, writer_of

NAME_MAX = 255


def _name(n_bytes, char="x", suffix=".h5md"):
    """A file name of exactly ``n_bytes`` bytes made of ``char`` (one or two bytes)."""
    room = n_bytes - len(suffix)
    width = len(char.encode())
    text = char * (room // width) + "y" * (room % width)
    name = text + suffix
    assert len(name.encode()) == n_bytes
    return name


LENGTHS = [200, 249, 250, 251, 254, 255]


@pytest.mark.parametrize("char", ["x", "é"])
@pytest.mark.parametrize("n_bytes", LENGTHS)
def test_a_trajectory_of_any_valid_name_is_written_and_read(tmp_path, n_bytes, char):
    path = tmp_path / _name(n_bytes, char)
    atoms = Atoms("Ar2", positions=[[0, 0, 0], [1.5, 2.0, 2.5]], cell=[6, 7, 8], pbc=True)
    atoms.set_velocities([[0.01, 0, 0], [0, 0.02, 0]])
    with H5MDWriter(path, atoms, forces=False) as writer:
        for k in range(2):
            frame = atoms.copy()
            frame.positions += 0.25 * k
            writer.write(frame, step=k, time=0.5 * k)
            assert writer_of(path) == "this process"
    back = read_h5md(path, index=1)
    np.testing.assert_allclose(back.positions, atoms.positions + 0.25, atol=1e-12)
    np.testing.assert_allclose(back.get_velocities(), atoms.get_velocities(), atol=1e-14)
    # the claim's file is gone with the claim, and no temporary is left beside the trajectory
    assert sorted(os.listdir(tmp_path)) == [path.name]
    assert writer_of(path) is None


@pytest.mark.parametrize("n_bytes", LENGTHS)
def test_the_lock_name_fits_and_tells_long_names_apart(tmp_path, n_bytes):
    first = tmp_path / _name(n_bytes, suffix="-a.h5md")
    second = tmp_path / _name(n_bytes, suffix="-b.h5md")
    for path in (first, second):
        lock = lock_file(path)
        assert lock.parent == tmp_path
        assert len(os.fsencode(lock.name)) <= NAME_MAX
        assert lock.name.startswith(".") and lock.name.endswith(".lock")
        # short names keep the documented form
        if n_bytes + 6 <= NAME_MAX:
            assert lock.name == f".{path.name}.lock"
    assert lock_file(first) != lock_file(second)
    # one name: one lock, through a link too
    link = tmp_path / "link.h5md"
    link.symlink_to(first)
    assert lock_file(link) == lock_file(first)
    with WriterLock(first, "trajectory"), WriterLock(second, "trajectory"):
        assert writer_of(first) == writer_of(second) == "this process"


@pytest.mark.parametrize("n_bytes", [250, 255])
def test_another_process_is_refused_on_a_long_name(tmp_path, n_bytes):
    path = tmp_path / _name(n_bytes)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\nfrom ase_electrolyte.writer_lock import WriterLock\n"
         "lock = WriterLock(sys.argv[1], 'trajectory').acquire()\nprint('held', flush=True)\n"
         "sys.stdin.read()\n", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert writer_of(path).startswith("another process")
        with pytest.raises(ConcurrentWriterError, match="being written by another process"):
            H5MDWriter(path, Atoms("Ar", cell=[5, 5, 5], pbc=True), forces=False)
        assert not path.exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert writer_of(path) is None
