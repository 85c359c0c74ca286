"""replicate_box drops a frame's place in its run (step, time) from a box of several copies.

A frame read from a trajectory carries ``info["step"]`` and ``info["time_ps"]``
(:func:`ase_electrolyte.trajectory.read_h5md`, ``run_md``'s final frame) or a LAMMPS dump's
``info["timestep"]``; its copies, with molecules numbered anew and velocities drawn anew, are a
new system at no step of that run. Kept, the replicated frame written to extxyz and read back
by :func:`mda_electrolyte.from_ase` was a frame 5 ps into a run.
"""

import numpy as np
import pytest
from ase import units

from ase_electrolyte import electrolyte_box
from ase_electrolyte.build import RUN_RECORDS, replicate_box


@pytest.fixture(scope="module")
def box():
    return electrolyte_box(counts={"EC": 4}, seed=0)


def _frame(box, moving):
    frame = box.copy()
    frame.info.update(step=5000, time_ps=5.0, timestep=5000)
    if moving:
        rng = np.random.default_rng(0)
        frame.set_velocities(rng.normal(0.0, 0.01, (len(frame), 3)) * units.Ang / units.fs)
    return frame


@pytest.mark.parametrize("moving", [False, True], ids=["at_rest", "moving"])
@pytest.mark.parametrize("repeats", [2, (1, 1, 2), (3, 1, 1)])
def test_copies_hold_no_step_or_time(box, moving, repeats):
    frame = _frame(box, moving)
    before = dict(frame.info)
    big = replicate_box(frame, repeats)
    assert not set(RUN_RECORDS) & set(big.info), big.info.keys()
    # the caller's frame keeps its own
    assert {k: frame.info[k] for k in RUN_RECORDS} == {k: before[k] for k in RUN_RECORDS}
    # the box's records are kept, multiplied
    assert big.info["composition"] == {"EC": 4 * (len(big) // len(box))}


@pytest.mark.parametrize("moving", [False, True], ids=["at_rest", "moving"])
def test_one_copy_is_the_same_frame(box, moving):
    frame = _frame(box, moving)
    same = replicate_box(frame, 1)
    assert {k: same.info[k] for k in RUN_RECORDS} == {"step": 5000, "time_ps": 5.0,
                                                      "timestep": 5000}


def test_read_back_has_no_time(box, tmp_path):
    from ase.io import write

    from mda_electrolyte import from_ase

    big = replicate_box(_frame(box, True), 2)
    path = tmp_path / "big.extxyz"
    write(path, big)
    universe = from_ase(str(path), dt=1.0)
    # without a stored time the frame is at the start of its own (new) series
    assert universe.trajectory[0].time == pytest.approx(0.0)
