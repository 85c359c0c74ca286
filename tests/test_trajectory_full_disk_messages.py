"""A trajectory write that meets a full disk after the writer's check says what to free.

Where the file system cannot allocate ahead (``fallocate`` unsupported: some network and FUSE
file systems) a disk filled by another process after the free-space check fails inside HDF5's
write. The error was ``[Errno 28] ... ; the file holds N complete frames``: it named the file
and the step but not how much room the frame needed nor what was free. Now it names the file,
the step, the frame, the bytes needed and those free (and the file-size limit, where one is
set), in the Python API and on the command line (one line, exit status 2); the same call
resumes to the uninterrupted run's frames.
"""

import errno
import re
import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte import trajectory
from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import h5md_info, read_h5md


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.02, seed=1)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    return atoms


def _run(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_md(_argon(), ensemble="nve", steps=8, timestep_fs=2.0, temperature_K=60,
                      write_interval=1, trajectory=path, progress=False)


@pytest.fixture
def full_disk_at(monkeypatch):
    """No fallocate; the position rows of step ``at[0]`` meet a full disk (``at[1]``)."""
    monkeypatch.setattr(trajectory, "_FALLOCATE", [None, None])
    real = trajectory._append_rows
    at = []

    def append_rows(handles, k, values, steps, times):
        if at and handles[0].name.endswith("position/value") and at[0] in list(steps):
            raise OSError(at[1], f"Can't write data ({errno.errorcode[at[1]]})")
        return real(handles, k, values, steps, times)

    monkeypatch.setattr(trajectory, "_append_rows", append_rows)
    return at


def _message_parts(text, path, step, kept, last):
    assert f"writing step {step} to {path} failed" in text, text
    needed = re.search(r"frame (\d+) needed ~(\d+) bytes, (\d+) bytes are free on its disk",
                       text)
    assert needed, text
    frame, need, free = map(int, needed.groups())
    assert frame == kept + 1
    assert 64 * 1024 <= need < 10**7 and free > 0
    assert f"the file holds {kept} complete frames up to step {last}" in text


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
@pytest.mark.parametrize("step", [1, 5, 8])
def test_python_api_names_file_frame_and_room(full_disk_at, tmp_path, code, step):
    whole = _run(tmp_path / "whole.h5md")
    path = tmp_path / "md.h5md"
    full_disk_at[:] = [step, code]
    with pytest.raises(OSError) as err:
        _run(path)
    assert err.value.errno == code
    _message_parts(str(err.value), path, step, step, step - 1)
    assert "the same call resumes from its last frame" in " ".join(err.value.__notes__)
    assert h5md_info(path)["n_frames"] == step and not h5md_info(path)["complete"]
    full_disk_at.clear()
    end = _run(path)
    assert h5md_info(path)["complete"]
    np.testing.assert_allclose(end.positions, whole.positions, rtol=0, atol=1e-9)
    np.testing.assert_allclose(read_h5md(path, -1).positions, whole.positions, rtol=0,
                               atol=1e-9)


def test_an_io_error_is_not_reported_as_a_full_disk(full_disk_at, tmp_path):
    path = tmp_path / "md.h5md"
    full_disk_at[:] = [3, errno.EIO]
    with pytest.raises(OSError) as err:
        _run(path)
    assert err.value.errno == errno.EIO
    assert "needed ~" not in str(err.value) and "free" not in str(err.value)
    assert "the file holds 3 complete frames up to step 2" in str(err.value)


_ARGV = ["simulate", "--counts", "EC=2", "--model", "sevennet-0", "-q", "--temperature", "60",
         "--preequilibration-ps", "0", "--equilibration-ps", "0.03", "--production-ps", "0.02",
         "--write-interval-fs", "2"]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_command_line_says_it_in_one_line_with_status_2(full_disk_at, tmp_path, capsys,
                                                        monkeypatch):
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box",
                        lambda **kwargs: bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2))
    monkeypatch.setattr(cli_arguments, "make_calculator", lambda *a: LennardJones(
        sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True))
    out = tmp_path / "run"
    full_disk_at[:] = [4, errno.ENOSPC]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(_ARGV + ["-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("electrolyte simulate: error: "), err
    assert "Traceback" not in err
    failed = re.search(r"writing step 4 to (\S+) failed", err)
    assert failed, err
    # the equilibration at 1 fs, a frame every 2 fs: steps 0 and 2 kept
    assert failed.group(1).endswith("equilibration.h5md")
    _message_parts(err, failed.group(1), 4, 2, 2)
    full_disk_at.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(_ARGV + ["-o", str(out)]) == 0
    assert all(h5md_info(f)["complete"] for f in out.glob("*.h5md"))


class _AlmostFull:
    """statvfs of a disk with 10 blocks of 4 kB free."""

    f_bavail, f_frsize = 10, 4096


@pytest.mark.parametrize("frames_before", [0, 1, 3])
def test_the_free_space_check_names_the_frame_it_refuses(tmp_path, monkeypatch, frames_before):
    """Refused before the write (the disk is full when the frame comes): the message names
    the file, the frame and step refused, the room needed and the room free."""
    from ase_electrolyte.trajectory import H5MDWriter, TrajectoryFullError

    path = tmp_path / "t.h5md"
    atoms = _argon()
    with H5MDWriter(path, atoms) as writer:
        for step in range(frames_before):
            writer.write(atoms, step=step, time=step / 1000)
        monkeypatch.setattr(trajectory.os, "statvfs", lambda folder: _AlmostFull())
        with pytest.raises(TrajectoryFullError) as err:
            writer.write(atoms, step=7, time=0.007)
        monkeypatch.undo()
    message = str(err.value)
    assert err.value.errno == errno.ENOSPC
    assert f"no space left for {path} (40960 bytes free, ~" in message
    assert f"frame {frames_before + 1} (step 7) was not written" in message
    needed = int(re.search(r"~(\d+) needed", message).group(1))
    assert needed > 40960
    if frames_before:
        assert f"the file holds {frames_before} complete frames" in message
        assert h5md_info(path)["n_frames"] == frames_before
    else:
        assert "no frame was written" in message
