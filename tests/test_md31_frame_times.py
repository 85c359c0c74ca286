"""Frames read as Atoms keep their stored times (``info['time_ps']``), as MDAnalysis' own
readers keep a file's: frames from 5 ps on were shown from 0 ps, and the same frames read
from their H5MD file and as Atoms had different times."""

import warnings

import numpy as np
import pytest
from ase.build import bulk

from ase_electrolyte.trajectory import H5MDWriter, read_h5md
from mda_electrolyte.bridge import from_ase


def _frames(t0, n=4, spacing=0.01):
    frames = []
    for k in range(n):
        atoms = bulk("Ar", "fcc", a=5.26, cubic=True)
        atoms.rattle(0.02, seed=k)
        atoms.info["time_ps"] = t0 + spacing * k
        frames.append(atoms)
    return frames


def _times(u):
    return np.array([ts.time for ts in u.trajectory])


@pytest.mark.parametrize("t0", [0.0, 5.0, 123.4])
def test_frames_keep_their_times_as_their_h5md_file_gives_them(t0, tmp_path):
    frames = _frames(t0)
    stored = np.array([a.info["time_ps"] for a in frames])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # argon is no library species
        u = from_ase(frames)
        path = tmp_path / "argon.h5md"
        with H5MDWriter(path, frames[0], forces=False) as writer:
            for k, atoms in enumerate(frames):
                writer.write(atoms, step=k, time=atoms.info["time_ps"])
        # MDAnalysis' H5MD reader gives the file's times: the reference
        from_file = from_ase(path)
        # the frames read back from the file, as Atoms again
        again = from_ase([read_h5md(path, k) for k in range(len(frames))])
    np.testing.assert_allclose(_times(from_file), stored, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_times(u), stored, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_times(again), stored, rtol=1e-9, atol=1e-12)
    assert u.trajectory.dt == pytest.approx(0.01, rel=1e-9)


def test_a_slice_of_frames_keeps_its_times_and_a_given_dt_its_start():
    frames = _frames(5.0, n=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(_times(from_ase(frames[3:])), [5.03, 5.04, 5.05], rtol=1e-9)
        # dt equal to the stored spacing: the stored start too
        np.testing.assert_allclose(_times(from_ase(frames, dt=0.01)),
                                   5.0 + 0.01 * np.arange(6), rtol=1e-9)
        # one frame: its own time
        assert _times(from_ase(frames[4])) == pytest.approx([5.04])
        # no stored times: dt from 0
        for atoms in frames:
            del atoms.info["time_ps"]
        np.testing.assert_allclose(_times(from_ase(frames, dt=0.02)), 0.02 * np.arange(6),
                                   rtol=1e-9, atol=1e-12)
