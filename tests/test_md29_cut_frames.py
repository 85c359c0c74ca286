"""A foreign trajectory cut mid-frame (a run stopped while writing, a copy cut short) is refused
by from_ase with the file, the frame where it breaks and how to read the complete frames before
it; those frames read back as written."""

import re

import numpy as np
import pytest
from ase.build import bulk
from ase.io import write

from mda_electrolyte.bridge import from_ase

# copper of 8 atoms, one "molecule" by distance: named by formula, which is no matter here
pytestmark = pytest.mark.filterwarnings("ignore:molecules .* are not in the species library")


def _frames(n=4):
    frames = []
    for k in range(n):
        atoms = bulk("Cu", cubic=True).repeat((2, 1, 1))
        atoms.rattle(0.05, seed=k)
        frames.append(atoms)
    return frames


def _cut(path, keep_fraction_of_last):
    """Cut ``path`` inside its last frame (which holds 1/4 of the bytes)."""
    data = path.read_bytes()
    frame_bytes = len(data) // 4
    path.write_bytes(data[:len(data) - int(frame_bytes * (1 - keep_fraction_of_last))])


@pytest.mark.parametrize("suffix, kept", [(".extxyz", 0.3), (".extxyz", 0.7), (".xyz", 0.5),
                                           (".traj", 0.5)])
def test_a_cut_file_names_its_frame_and_the_complete_ones_read_back(tmp_path, suffix, kept):
    frames = _frames()
    path = tmp_path / f"run{suffix}"
    write(path, frames)
    _cut(path, kept)
    with pytest.raises(ValueError) as err:
        from_ase(path, dt=0.01)
    message = str(err.value)
    found = re.search(r"cannot be read as .*: frame (\d+) is cut or malformed .* "
                      r"index=':(\d+)'", message)
    assert str(path) in message and found, message
    k = int(found[1])
    # a text frame per quarter of the file; ASE's .traj keeps the first frame's cell and
    # numbers, so its later frames are smaller and the cut may reach frame 2
    assert found[2] == found[1] and (k == 3 if suffix != ".traj" else 1 <= k <= 3)
    u = from_ase(path, dt=0.01, index=f":{k}")
    assert u.trajectory.n_frames == k
    for ts, atoms in zip(u.trajectory, frames, strict=False):
        assert np.allclose(ts.positions, atoms.positions, atol=1e-5)
