"""from_ase refuses frames whose masses differ from frame 0's, in memory and from files.

A Universe has one mass per atom: frame 0's. Frames of a heavy-hydrogen run (hydrogen 3 amu)
joined to those of a plain run were read with frame 0's masses for all of them, without a
word, whichever came first: centres of mass, densities and mass-weighted currents of the later
frames were those of other masses.
"""

import warnings

import ase.io
import numpy as np
import pytest
from ase.build import molecule

from mda_electrolyte.bridge import from_ase


def _frames(n=3):
    water = molecule("H2O")
    water.center(vacuum=4.0)
    water.pbc = True
    frames = []
    for k in range(n):
        frame = water.copy()
        frame.positions += 0.01 * k
        frame.info["time_ps"] = 0.5 * k
        frames.append(frame)
    return frames


def _heavy(atoms):
    masses = atoms.get_masses()
    masses[atoms.numbers == 1] = 3.0
    masses[atoms.numbers == 8] -= 2 * (3.0 - 1.008)  # repartitioned: the molecule's mass kept
    atoms.set_masses(masses)


def _universe(frames, source, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if source == "memory":
            return from_ase(frames)
        path = tmp_path / "frames.extxyz"
        ase.io.write(path, frames, format="extxyz")
        return from_ase(path)


@pytest.mark.parametrize("source", ["memory", "extxyz"])
@pytest.mark.parametrize("which", [0, 1, 2])
def test_one_frame_of_other_masses_is_refused(tmp_path, source, which):
    frames = _frames()
    _heavy(frames[which])
    with pytest.raises(ValueError, match=r"frame [12]: atom 0 \(O\) has mass .* in frame 0"):
        _universe(frames, source, tmp_path)


@pytest.mark.parametrize("source", ["memory", "extxyz"])
def test_masses_set_in_some_frames_to_their_standard_values_are_the_same(tmp_path, source):
    frames = _frames()
    frames[1].set_masses(frames[1].get_masses())  # explicit, equal to the defaults
    u = _universe(frames, source, tmp_path)
    np.testing.assert_allclose(u.atoms.masses, frames[0].get_masses())


@pytest.mark.parametrize("source", ["memory", "extxyz"])
def test_frames_of_one_heavy_hydrogen_run_keep_their_masses(tmp_path, source):
    frames = _frames()
    for frame in frames:
        _heavy(frame)
    u = _universe(frames, source, tmp_path)
    np.testing.assert_allclose(u.atoms.masses, frames[0].get_masses())
    assert u.trajectory.n_frames == 3
