"""Frames and observables of an interrupted and resumed run, over a grid of frame intervals,
sampling intervals and stop points, equal those of the run that was not interrupted.

Each combination has its own buffered samples at the stop (none, some, a full grid of them
between two frames; a last step off the sampling grid; a frame interval longer than the run):
the resume must neither repeat nor lose a sample, nor a frame, nor change a value (NVE from the
stored positions and velocities ends within round-off of the whole run).
"""

import itertools
import warnings

import numpy as np
import pytest
from stopping_argon import StoppingArgon as _Stopping  # noqa: E402
from stopping_argon import argon

from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import h5md_info, h5md_series, read_h5md

_STEPS = 7




def _run(path, write, observe, stop_at=None):
    atoms = argon(_Stopping(stop_at), rattle=0.02, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_md(atoms, ensemble="nve", steps=_STEPS, timestep_fs=2.0, temperature_K=60,
                      write_interval=write, observe_interval=observe, trajectory=path,
                      progress=False)


def _frames(path):
    return [read_h5md(path, k) for k in range(h5md_info(path)["n_frames"])]


_GRID = list(itertools.product((1, 3, 20), (1, 2, 4, 7)))


@pytest.mark.parametrize("write, observe", _GRID, ids=[f"w{w}-o{o}" for w, o in _GRID])
def test_a_run_stopped_anywhere_resumes_to_the_uninterrupted_files(write, observe, tmp_path):
    reference = tmp_path / "reference.h5md"
    done = _run(reference, write, observe)
    names = h5md_info(reference)["series"]
    expected = {name: h5md_series(reference, name) for name in names}
    np.testing.assert_array_equal(expected["temperature"][0],
                                  np.arange(0, _STEPS + 1, observe))
    frames = _frames(reference)
    assert [f.info["step"] for f in frames] == sorted(
        set(range(0, _STEPS + 1, write)) | {_STEPS})
    # stopped in the first evaluation after the first frame, mid-run and in the last step
    for stop_at in (2, 5, _STEPS + 1):
        path = tmp_path / f"stopped{stop_at}.h5md"
        with pytest.raises(KeyboardInterrupt):
            _run(path, write, observe, stop_at)
        assert not h5md_info(path)["complete"]
        resumed = _run(path, write, observe)
        assert h5md_info(path)["complete"] and h5md_info(path)["series"] == names
        for name in names:
            step, time, value = h5md_series(path, name)
            np.testing.assert_array_equal(step, expected[name][0])
            np.testing.assert_allclose(time, expected[name][1], rtol=1e-12, atol=0)
            np.testing.assert_allclose(value, expected[name][2], rtol=1e-9,
                                       atol=1e-9 * np.abs(expected[name][2]).max())
        got = _frames(path)
        assert [f.info["step"] for f in got] == [f.info["step"] for f in frames]
        for a, b in zip(got, frames, strict=True):
            np.testing.assert_allclose(a.positions, b.positions, rtol=0, atol=1e-9)
            np.testing.assert_allclose(a.get_velocities(), b.get_velocities(), rtol=1e-9,
                                       atol=1e-12)
        np.testing.assert_allclose(resumed.positions, done.positions, rtol=0, atol=1e-9)
        assert resumed.info["step"] == done.info["step"] == _STEPS
