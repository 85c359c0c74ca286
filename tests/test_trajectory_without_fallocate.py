"""A file system that cannot allocate ahead (``fallocate`` failing with ``EOPNOTSUPP`` or
``ENOSYS``: some network and FUSE file systems) and a disk that fills after the writer's
free-space check: the write fails inside HDF5.

The writer then has its free-space check alone; what it must still give is a named error
(an ``OSError`` with the errno of the full disk or file-size limit, naming the file and the
frames it keeps), a file readable to its last flushed frame by our reader and MDAnalysis',
and a resume that ends where an uninterrupted run ends. The disk filling is a file-size limit
(``RLIMIT_FSIZE``) set at the file's size when the writer asks for its room, after the check
passed; each case runs in a child process, whose limit it is.
"""

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from test_trajectory_write_failures import _PRELUDE, _readable_up_to, _same_positions

from ase_electrolyte.trajectory import h5md_info, h5md_series

_RUN = ('dict(ensemble="nve", steps=40, timestep_fs=2.0, temperature_K=60, write_interval=1, '
        'progress=False)')

# fallocate is not supported; once armed, the next request for room finds the disk full
_NO_FALLOCATE = """
import ctypes
from ase_electrolyte import trajectory
armed = []
def unsupported(fd, offset, length):
    if armed:
        armed.clear()
        limit(offset)  # the file may not grow past its present end
    ctypes.set_errno(errno.{error})
    return -1
trajectory._FALLOCATE[:] = [unsupported]
"""


def _child(body, path, error="EOPNOTSUPP"):
    """Run ``body`` in a child; ``(exit code, errno, message)``: 0 done, 4 an OSError."""
    code = (_PRELUDE + _NO_FALLOCATE.format(error=error) + "try:\n"
            + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
            + "\nexcept OSError as err:\n"
            + "    print('ERROR', type(err).__name__, err.errno, Counting.calls)\n"
            + "    print(err)\n    print(*getattr(err, '__notes__', []))\n    sys.exit(4)\n"
            + "print('DONE', Counting.calls)\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=600)
    # never a crash, a traceback or an error HDF5 printed while closing
    assert done.returncode in (0, 4), (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    return done.returncode, done.stdout


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("reference") / "reference.h5md"
    assert _child(f"run_md(argon(), trajectory=path, **{_RUN})", path)[0] == 0
    return path


@pytest.mark.parametrize("error", ["EOPNOTSUPP", "ENOSYS"])
@pytest.mark.parametrize("full_at", [1, 4, 39, 40])
def test_a_run_meeting_a_full_disk_in_a_frame_write_stops_named_and_resumes(
        error, full_at, reference, tmp_path):
    path = tmp_path / "md.h5md"
    code, out = _child(f"""
        write = trajectory.H5MDWriter.write
        def filling(self, atoms, step, *a, **k):
            if step == {full_at}:
                armed.append(1)
            return write(self, atoms, step, *a, **k)
        trajectory.H5MDWriter.write = filling
        run_md(argon(), trajectory=path, **{_RUN})
    """, path, error)
    assert code == 4, out
    head = out.split()
    assert head[:3] == ["ERROR", "OSError", "27"], out  # EFBIG, not EIO nor a bare HDF5 error
    assert f"writing step {full_at} to {path} failed" in out
    # what to free: the frame's room, the disk's and the limit's
    assert re.search(rf"frame {full_at + 1} needed ~\d+ bytes, \d+ bytes are free on its "
                     r"disk, the file-size limit is \d+ bytes, the file \d+", out), out
    assert f"holds {full_at} complete frames up to step {full_at - 1}" in out
    assert "the same call resumes from its last frame" in out  # run_md's note
    _readable_up_to(path, full_at, full_at - 1)
    code, _ = _child(f"run_md(argon(), trajectory=path, **{_RUN})", path, error)
    assert code == 0 and h5md_info(path)["complete"]
    _same_positions(path, reference)
    for name in ("temperature", "potential_energy"):
        np.testing.assert_allclose(h5md_series(path, name)[2], h5md_series(reference, name)[2],
                                   rtol=1e-12, atol=0)


@pytest.mark.parametrize("error", ["EOPNOTSUPP", "ENOSYS"])
def test_a_flush_of_samples_meeting_a_full_disk_keeps_the_frames_and_resumes(error, tmp_path):
    path = tmp_path / "w.h5md"
    code, out = _child("""
        atoms = argon()
        w = H5MDWriter(path, atoms, buffer_samples=4)
        w.write(atoms, step=0, time=0.0)
        w.write(atoms, step=1, time=0.001)
        armed.append(1)
        try:
            for step in range(2, 400):
                w.write_observables(atoms, step=step, time=step / 1000)
        finally:
            w.close(complete=False)
    """, path, error)
    # met in HDF5's write of the samples, or by the next flush's check once the limit is set
    assert code == 4 and out.split()[0] == "ERROR" and out.split()[2] == "27", out
    assert "holds 2 complete frames up to step 1" in out
    _readable_up_to(path, 2, 1)
    code, _ = _child("""
        atoms = argon()
        with H5MDWriter(path, atoms, mode="a") as w:
            for step in range(2, 40):
                w.write_observables(atoms, step=step, time=step / 1000)
            w.write(atoms, step=40, time=0.040)
    """, path, error)
    assert code == 0 and h5md_info(path)["complete"]
    np.testing.assert_array_equal(h5md_series(path, "temperature")[0], np.arange(41))


@pytest.mark.parametrize("error", ["EOPNOTSUPP", "ENOSYS"])
def test_a_close_meeting_a_full_disk_leaves_the_file_incomplete_and_resumable(error, tmp_path):
    path = tmp_path / "w.h5md"
    code, out = _child("""
        atoms = argon()
        w = H5MDWriter(path, atoms)
        for step in range(3):
            w.write(atoms, step=step, time=step / 1000)
        for step in range(3, 300):  # buffered after the last frame, written when closing
            w.write_observables(atoms, step=step, time=step / 1000)
        armed.append(1)
        w.close(complete=True)
    """, path, error)
    assert code == 4 and out.split()[:3] == ["ERROR", "OSError", "27"], out
    _readable_up_to(path, 3, 2)
    code, _ = _child("""
        atoms = argon()
        with H5MDWriter(path, atoms, mode="a") as w:
            w.write(atoms, step=3, time=0.003)
    """, path, error)
    assert code == 0 and h5md_info(path)["complete"] and h5md_info(path)["n_frames"] == 4
