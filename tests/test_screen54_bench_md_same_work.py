"""benchmarks/bench_md.py times the driver against ASE's dynamics doing the same work.

Before: its ratio "run_md with observables / bare ASE" divided a run_md that wrote an H5MD file
(two frames, the settings) and observables at every step by ASE's NVT writing nothing at all:
20 steps of 32 atoms read 10.9, file creation counted as the driver's step cost; and "% of an
EMT step" divided by run_md's step time, its file spread over 30 steps. Now the reference
writes the same frames (ASE trajectory), the frames written are counted for every timed run,
and the ratios printed are those of the measured times.
"""

import re
import runpy
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    return runpy.run_path(str(BENCH / "bench_md.py"), run_name="bench")


@pytest.mark.parametrize("steps", [1, 3])
def test_every_timed_run_writes_the_same_frames(bench, capsys, steps):
    copper = bench["_copper"](4)
    best, written = bench["compare"]("springs", copper, bench["_Tether"](copper.positions),
                                     steps, 1, 300)
    # the first and the last step, by ASE's writer and by run_md's, with and without
    # observables
    assert written == {"bare": 0, "ase_frames": 2, "frames": 2, "observed": 2}
    out = capsys.readouterr().out
    ratio = float(re.search(r"run_md frames only / ASE with the same frames = ([0-9.]+)",
                            out).group(1))
    assert ratio == pytest.approx(best["frames"] / best["ase_frames"], abs=6e-4)
    assert f"{steps} steps, 2 frames" in out
    assert "/ bare ASE" not in out  # no ratio against a run that writes nothing


def test_the_ase_reference_writes_the_frames_run_md_writes(bench, tmp_path):
    """The reference's trajectory holds the frames of run_md's file: the same steps, and the
    start's positions and forces."""
    import h5py
    import numpy as np
    from ase.io.trajectory import Trajectory

    copper = bench["_copper"](4)
    start = bench["_thermalized"](copper, bench["_Tether"](copper.positions), 300)
    start.get_forces()
    _, n = bench["_bare"](bench["_fresh"](start), 4, 300, tmp_path)
    with Trajectory(tmp_path / "ase.traj") as traj:
        frames = list(traj)
    _, m = bench["_ours"](bench["_fresh"](start), 4, 300, 4, tmp_path)
    assert n == m == len(frames) == 2
    with h5py.File(tmp_path / "b4.h5md", "r") as f:
        steps = f["particles/trajectory/position/step"][()]
        first = f["particles/trajectory/position/value"][0]
    assert list(steps) == [0, 4]
    np.testing.assert_allclose(frames[0].positions, first, atol=1e-6)
    np.testing.assert_allclose(frames[0].get_forces(), start.get_forces(), atol=1e-12)
