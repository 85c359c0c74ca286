"""The disk filling between the writer's room check and HDF5's own write (another process
writing to the same disk): a named error before anything is written, a file readable up to its
last complete frame, and a resume once there is room.

Before, the check of free space was all: HDF5's write then failed half-way (its raw data, or
the flush of its metadata, some written in place and some not), the close wrote the rest of
that metadata, and the trajectory was left "truncated" (``stored_eof`` beyond the end of the
file), unreadable with every frame in it; some such runs died at exit (SIGSEGV). The writer
now allocates each write's room on disk (``fallocate``, keeping the file's size) before HDF5
writes, and closes a file whose write failed without writing anything more into it.
"""

import os
import re
import shutil
import subprocess
import textwrap

import h5py
import numpy as np
import pytest
from test_trajectory_write_failures import _child, _readable_up_to, _same_positions

from ase_electrolyte.trajectory import H5MDWriter, h5md_info, h5md_series, read_h5md

_RUN = ('dict(ensemble="nve", steps=200, timestep_fs=2.0, temperature_K=60, write_interval=1, '
        'progress=False)')

# the disk fills once the room check has passed: the allocation of the write's room finds it
# full (ctypes' errno, as the C library's fallocate sets it)
_FILLS = """
import ctypes
from ase_electrolyte import trajectory
def disk_full():
    def full(fd, offset, length):
        ctypes.set_errno(errno.ENOSPC)
        return -1
    trajectory._FALLOCATE[:] = [full]
"""


def _filled(body):
    return _FILLS + textwrap.dedent(body)


def test_a_frame_write_finding_the_disk_full_is_refused_and_the_run_resumes(tmp_path):
    reference = tmp_path / "reference.h5md"
    assert _child(f"run_md(argon(), trajectory=path, **{_RUN})", reference)[0] == 0
    path = tmp_path / "md.h5md"
    code, out = _child(_filled(f"""
        write = trajectory.H5MDWriter.write
        def filling(self, atoms, step, *a, **k):
            if step == 4:
                disk_full()
            return write(self, atoms, step, *a, **k)
        trajectory.H5MDWriter.write = filling
        run_md(argon(), trajectory=path, **{_RUN})
    """), path)
    assert code == 3 and out[:3] == ["FULL", "28", "5"], out  # ENOSPC after 5 evaluations
    assert "reserving" in " ".join(out) and "holds 4 complete frames up to step 3" in " ".join(out)
    _readable_up_to(path, 4, 3)
    assert _child(f"run_md(argon(), trajectory=path, **{_RUN})", path)[0] == 0
    assert h5md_info(path)["complete"]
    _same_positions(path, reference)


def test_a_flush_of_samples_finding_the_disk_full_drops_them_and_keeps_the_frames(tmp_path):
    path = tmp_path / "w.h5md"
    code, out = _child(_filled("""
        atoms = argon()
        w = H5MDWriter(path, atoms, buffer_samples=4)
        w.write(atoms, step=0, time=0.0)
        w.write(atoms, step=1, time=0.001)
        disk_full()
        try:
            for step in range(2, 400):
                w.write_observables(atoms, step=step, time=step / 1000)
        finally:
            w.close(complete=False)
    """), path)
    assert code == 3 and out[:2] == ["FULL", "28"], out
    assert "buffered samples after the last frame were dropped" in " ".join(out)
    _readable_up_to(path, 2, 1)
    code, _ = _child("""
        atoms = argon()
        with H5MDWriter(path, atoms, mode="a") as w:
            for step in range(2, 40):
                w.write_observables(atoms, step=step, time=step / 1000)
            w.write(atoms, step=40, time=0.040)
    """, path)
    assert code == 0 and h5md_info(path)["complete"]
    np.testing.assert_array_equal(h5md_series(path, "temperature")[0], np.arange(41))


def test_a_close_finding_the_disk_full_leaves_the_file_incomplete_and_resumable(tmp_path):
    path = tmp_path / "w.h5md"
    code, out = _child(_filled("""
        atoms = argon()
        w = H5MDWriter(path, atoms)
        for step in range(3):
            w.write(atoms, step=step, time=step / 1000)
        for step in range(3, 300):  # buffered after the last frame, written when closing
            w.write_observables(atoms, step=step, time=step / 1000)
        disk_full()
        w.close(complete=True)
    """), path)
    assert code == 3 and out[:2] == ["FULL", "28"], out
    _readable_up_to(path, 3, 2)
    code, _ = _child("""
        atoms = argon()
        with H5MDWriter(path, atoms, mode="a") as w:
            w.write(atoms, step=3, time=0.003)
    """, path)
    assert code == 0 and h5md_info(path)["complete"] and h5md_info(path)["n_frames"] == 4


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None, reason="mounting a tmpfs needs root"
)
def test_a_disk_filled_by_another_writer_mid_run_stops_the_run_cleanly(tmp_path):
    """A real small disk: from step 4 another file takes every free byte. The run goes on
    in the room it had allocated, then stops with ENOSPC, readable and resumable."""
    reference = tmp_path / "reference.h5md"
    assert _child(f"run_md(argon(), trajectory=path, **{_RUN})", reference)[0] == 0
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        path = mnt / "md.h5md"
        code, out = _child(f"""
            from ase_electrolyte import trajectory
            write = trajectory.H5MDWriter.write
            def filling(self, atoms, step, *a, **k):
                if step == 4:  # after this step's room check, before its write
                    self._check_room = lambda *a, **k: None
                    fd = os.open(os.path.join(os.path.dirname(path), "filler"),
                                 os.O_WRONLY | os.O_CREAT)
                    try:
                        while os.write(fd, bytes(4096)):
                            pass
                    except OSError:  # ENOSPC: the disk is full
                        pass
                    finally:
                        os.close(fd)
                    del self._check_room
                return write(self, atoms, step, *a, **k)
            trajectory.H5MDWriter.write = filling
            run_md(argon(), trajectory=path, **{_RUN})
        """, path)
        assert code == 3 and out[:2] == ["FULL", "28"], out
        kept = re.search(r"holds (\d+) complete frames up to step (\d+)", " ".join(out))
        assert kept and int(kept[1]) >= 4, out
        _readable_up_to(path, int(kept[1]), int(kept[2]))
        (mnt / "filler").unlink()  # room again
        assert _child(f"run_md(argon(), trajectory=path, **{_RUN})", path)[0] == 0
        assert h5md_info(path)["complete"]
        _same_positions(path, reference)
    finally:
        subprocess.run(["umount", str(mnt)])


def test_a_failed_write_is_closed_without_writing_into_the_file(tmp_path):
    """What HDF5 holds in memory after a failed write never reaches the file: it keeps the
    state of its last flush (whole frames), which a resume continues."""
    from ase.build import bulk
    from ase.calculators.lj import LennardJones

    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    path = tmp_path / "w.h5md"
    w = H5MDWriter(path, atoms)
    for step in range(2):
        w.write(atoms, step=step, time=step / 1000)
    before = path.read_bytes()
    # a write that failed half-way: rows and a frame count that were never flushed
    positions = w._file["particles/trajectory/position/value"]
    positions.resize(5, axis=0)
    w._attrs["n_frames"] = 5
    w._broken = True
    w.close(complete=False)
    assert path.read_bytes() == before
    info = h5md_info(path)
    assert info["n_frames"] == 2 and not info["complete"]
    with h5py.File(path) as f:
        assert f["particles/trajectory/position/value"].shape[0] == 2
    with H5MDWriter(path, atoms, mode="a") as again:
        again.write(atoms, step=2, time=0.002)
    assert h5md_info(path)["n_frames"] == 3 and read_h5md(path, -1).info["step"] == 2


@pytest.mark.parametrize("error", ["ENOSPC", "EDQUOT"])
def test_no_room_to_allocate_is_a_trajectory_full_error_before_any_write(error, tmp_path,
                                                                        monkeypatch):
    import ctypes
    import errno

    from ase.build import bulk
    from ase.calculators.lj import LennardJones

    from ase_electrolyte import trajectory
    from ase_electrolyte.trajectory import TrajectoryFullError

    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    path = tmp_path / "w.h5md"
    w = H5MDWriter(path, atoms)
    w.write(atoms, step=0, time=0.0)
    before = path.read_bytes()

    def full(fd, offset, length):
        ctypes.set_errno(getattr(errno, error))
        return -1

    monkeypatch.setattr(trajectory, "_FALLOCATE", [full])
    with pytest.raises(TrajectoryFullError, match="reserving .* bytes on its disk") as err:
        w.write(atoms, step=1, time=0.001)
    assert err.value.errno == getattr(errno, error)
    assert "holds 1 complete frames up to step 0" in str(err.value)
    assert path.read_bytes() == before
    monkeypatch.undo()
    w.write(atoms, step=1, time=0.001)  # room again: the same writer goes on
    w.close()
    assert h5md_info(path)["n_frames"] == 2


def test_the_allocation_keeps_the_files_size_and_bytes(tmp_path):
    """The room is allocated past the end without changing the file: its size is HDF5's."""
    from ase.build import bulk
    from ase.calculators.lj import LennardJones

    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    path = tmp_path / "w.h5md"
    with H5MDWriter(path, atoms) as w:
        for step in range(3):
            w.write(atoms, step=step, time=step / 1000)
            assert os.path.getsize(path) == w._file.id.get_filesize()


def test_a_new_file_finding_the_disk_full_is_refused_and_the_old_one_kept(tmp_path,
                                                                           monkeypatch):
    import ctypes
    import errno

    from ase.build import bulk
    from ase.calculators.lj import LennardJones

    from ase_electrolyte import trajectory
    from ase_electrolyte.trajectory import TrajectoryFullError

    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    path = tmp_path / "w.h5md"
    with H5MDWriter(path, atoms) as w:
        w.write(atoms, step=0, time=0.0)
    before = path.read_bytes()

    def full(fd, offset, length):
        ctypes.set_errno(errno.ENOSPC)
        return -1

    monkeypatch.setattr(trajectory, "_FALLOCATE", [full])
    with pytest.raises(TrajectoryFullError, match="is unchanged") as err:
        H5MDWriter(path, atoms)  # the disk filled after the free-space check
    assert err.value.errno == errno.ENOSPC
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.h5md"]  # no skeleton left
