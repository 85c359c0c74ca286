"""run_md's frames at odd intervals, read through MDAnalysis' own H5MD reader.

A last step off the ``write_interval`` grid is written as a frame: 30 steps at 7 wrote frames at
0, 7, 14, 21, 28, 30, and the unevenly spaced frames were met only by the analyses that read the
finished run (hours later). run_md now says so before the first step, with the steps to give.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import h5md_series

_RUN = dict(ensemble="nvt", timestep_fs=5.0, temperature_K=84.0, write_interval=7,
            observe_interval=3, progress=False)


def _grid_doubts(caught):
    return [w for w in caught if "not a multiple of write_interval" in str(w.message)]


def test_an_off_grid_last_frame_is_said_before_the_first_model_evaluation(tmp_path):
    calc = StoppingArgon(stop_at=1)  # a Ctrl-C at the first evaluation
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(KeyboardInterrupt):
            run_md(argon(calc, rattle=0.05), steps=30, trajectory=tmp_path / "a.h5md", **_RUN)
    doubts = _grid_doubts(caught)
    assert len(doubts) == 1 and doubts[0].filename == __file__
    message = str(doubts[0].message)
    assert "steps = 30" in message and "write_interval = 7" in message
    assert "give steps = 28 or 35" in message


@pytest.mark.parametrize("steps", [30, 28])
def test_mdanalysis_reads_the_frames_at_their_steps_and_times(tmp_path, steps):
    path = tmp_path / "a.h5md"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_md(argon(StoppingArgon(), rattle=0.05), steps=steps, trajectory=path, **_RUN)
    on_grid = steps % 7 == 0
    assert len(_grid_doubts(caught)) == (0 if on_grid else 1)
    frame_steps = sorted(set(range(0, steps + 1, 7)) | {steps})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MDAnalysis guesses no types for a bare topology
        u = mda.Universe(str(path), format="H5MD", topology_format="H5MD")
    assert [int(ts.data["step"]) for ts in u.trajectory] == frame_steps
    times = np.array([ts.time for ts in u.trajectory])
    np.testing.assert_allclose(times, np.array(frame_steps) * 5.0 / 1000.0, rtol=1e-12)
    # evenly spaced frames exactly when the run ends on the grid
    assert np.allclose(np.diff(times), times[1] - times[0]) == on_grid
    # the sampled series: every 3rd step, evenly, whatever the frames
    step, time_ps, temperature = h5md_series(path, "temperature")
    assert step.tolist() == list(range(0, steps + 1, 3))
    np.testing.assert_allclose(time_ps, step * 5.0 / 1000.0, rtol=1e-12)
    assert np.all(np.isfinite(temperature)) and np.all(temperature > 0)
