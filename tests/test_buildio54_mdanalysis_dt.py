"""MDAnalysis' own H5MD reader gives the true frame spacing of our files.

``MDAnalysis.Universe("run.h5md").trajectory.dt`` was 1.0 ps for every file (its reader reads
no time step; ``Timestep.dt`` is ``ts.data["dt"]``, which it fills from
``/observables/dt/value``), so ``totaltime`` and every rate MDAnalysis' own analyses took from
``dt`` were off by 1 ps over the spacing.
"""

import warnings

import h5py
import MDAnalysis as mda
import numpy as np
import pytest
from ase.build import bulk

from ase_electrolyte.trajectory import H5MDWriter, h5md_info


def _write(path, times, mode="w", first_step=0):
    atoms = bulk("Cu", cubic=True)
    with H5MDWriter(path, atoms, mode=mode, forces=False) as w:
        for k, t in enumerate(times):
            w.write(atoms, step=first_step + 10 * k, time=t)


def _mdanalysis_dt(path):
    """(u.trajectory.dt at frame 0, dt at each frame, times, totaltime) by MDAnalysis alone."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its minimal topology guesses no types or masses
        u = mda.Universe(str(path))
        first = u.trajectory.dt
        per_frame = [ts.dt for ts in u.trajectory]
        times = [ts.time for ts in u.trajectory]
        total = u.trajectory.totaltime
        u.trajectory.close()
    return first, np.array(per_frame), np.array(times), total


@pytest.mark.parametrize("n_frames, spacing", [(2, 0.025), (4, 0.001), (3, 2.0)])
def test_mdanalysis_reader_gives_the_frame_spacing(tmp_path, spacing, n_frames):
    path = tmp_path / "run.h5md"
    times = 3.0 + spacing * np.arange(n_frames)  # a run resumed from 3 ps
    _write(path, times)
    first, per_frame, read_times, total = _mdanalysis_dt(path)
    assert first == pytest.approx(spacing, rel=1e-9)
    np.testing.assert_allclose(per_frame, spacing, rtol=1e-9)
    np.testing.assert_allclose(read_times, times, rtol=1e-12)
    assert total == pytest.approx(spacing * (n_frames - 1), rel=1e-9)


def test_uneven_frames_give_each_frame_the_spacing_before_it(tmp_path):
    path = tmp_path / "run.h5md"
    times = np.array([0.0, 0.1, 0.3, 0.35])
    _write(path, times)
    first, per_frame, _, _ = _mdanalysis_dt(path)
    np.testing.assert_allclose(per_frame, [0.1, 0.1, 0.2, 0.05], rtol=1e-9)
    assert first == pytest.approx(0.1)


@pytest.mark.parametrize("drop_spacing", [False, True])
def test_resumed_file_keeps_one_spacing_per_frame(tmp_path, drop_spacing):
    """A resume appends to the spacing; a file of an earlier version (no spacing) gets one
    row for every frame it already holds."""
    path = tmp_path / "run.h5md"
    _write(path, [0.0, 0.02, 0.04])
    if drop_spacing:
        with h5py.File(path, "a") as f:
            del f["observables/dt"]
    _write(path, [0.06, 0.08], mode="a", first_step=30)
    with h5py.File(path, "r") as f:
        g = f["observables/dt"]
        np.testing.assert_array_equal(g["step"][()], [0, 10, 20, 30, 40])
        np.testing.assert_allclose(g["time"][()], [0.0, 0.02, 0.04, 0.06, 0.08])
        np.testing.assert_allclose(g["value"][()], 0.02, rtol=1e-9)
        assert g["value"].attrs["unit"] == "ps"
    first, per_frame, _, total = _mdanalysis_dt(path)
    np.testing.assert_allclose(per_frame, 0.02, rtol=1e-9)
    assert total == pytest.approx(0.08)


def test_the_spacing_is_no_observable_of_the_run(tmp_path):
    """h5md_info lists what the run recorded; a one-frame file has no spacing to state."""
    path = tmp_path / "run.h5md"
    _write(path, [0.0])
    with h5py.File(path, "r") as f:
        assert "dt" not in f["observables"]
    _write(path, [0.0, 0.5])
    assert "dt" not in h5md_info(path)["observables"]
    assert "temperature" in h5md_info(path)["observables"]
