"""``frame_boxes(..., times=True)`` gives the frames' times as ``Timestep.time`` gives them, also
where the reader adds a time offset.

Before, the times read apart from the coordinates were the stored series alone: a Universe of
Atoms whose first frame is at 0.02 ps (``from_ase`` of frames from the middle of a run) showed
``ts.time`` 0.02, 0.024, ... and ``frame_boxes`` 0, 0.004, ...; an H5MD file loaded with
``time_offset=3`` showed 6.0 ps (MDAnalysis' H5MD reader adds the offset twice) and 0 ps.
"""

import sys
import warnings
from pathlib import Path

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import read_h5md
from mda_electrolyte import from_ase
from mda_electrolyte.analysis_base import frame_boxes

sys.path.insert(0, str(Path(__file__).parent))
from stopping_argon import StoppingArgon, argon  # noqa: E402


@pytest.fixture(scope="module")
def md_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("boxes") / "run.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_md(argon(StoppingArgon(), rattle=0.05), ensemble="nvt", steps=24, timestep_fs=5.0,
               temperature_K=84.0, write_interval=2, trajectory=path, progress=False)
    return path


def _universe(path, how):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if how == "frames later":
            return from_ase([read_h5md(path, k) for k in range(4, 13)])
        u = from_ase(path)
        if how == "h5md offset":
            u.load_new(str(path), time_offset=3.0)
        elif how == "h5md offset negative":
            u.load_new(str(path), time_offset=-0.5)
        elif how in ("memory", "memory offset"):
            u.transfer_to_memory()
            if how == "memory offset":
                u.load_new(u.trajectory.coordinate_array.copy(), format=MemoryReader, dt=0.5,
                           time_offset=7.25,
                           dimensions=u.trajectory.dimensions_array.copy())
        elif how == "chain":
            u = mda.Universe(u._topology, [str(path), str(path)], continuous=False)
        return u


@pytest.mark.parametrize("how", ["h5md", "h5md offset", "h5md offset negative", "frames later",
                                 "memory", "memory offset", "chain"])
@pytest.mark.parametrize("frames", [None, [1, 3, 8], [0]])
def test_frame_box_times_are_the_timesteps(md_file, how, frames):
    u = _universe(md_file, how)
    traj = u.trajectory
    traj[2 if traj.n_frames > 2 else 0]
    before = traj.ts.frame
    read, boxes, times = frame_boxes(traj, frames, times=True)
    assert traj.ts.frame == before
    want = np.array([traj[int(k)].time for k in read])
    want_boxes = np.array([traj[int(k)].dimensions for k in read])
    np.testing.assert_allclose(times, want, rtol=0, atol=1e-9)
    np.testing.assert_allclose(boxes, want_boxes, rtol=1e-6)
