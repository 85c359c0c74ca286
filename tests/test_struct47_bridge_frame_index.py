"""``from_ase(path, index=...)`` past the frames of a sound file.

Before: ``index=100`` (or 6) of a 6-frame extxyz or .traj file was reported as "frame 6 is
cut or malformed (StopIteration) ... write the file again" (the file is whole); ``index=-7``
or ``-100`` gave frame 0 without a word (ase clamps a negative index at the first frame);
``index="10:"`` said the file "holds no frames".
"""

import warnings

import pytest
from ase.build import molecule
from ase.io import write

from mda_electrolyte import from_ase

N = 6


@pytest.fixture(scope="module", params=["extxyz", "traj"])
def path(request, tmp_path_factory):
    atoms = molecule("H2O") + molecule("H2O")
    atoms.positions[3:] += 3.0
    atoms.center(vacuum=4.0)
    atoms.pbc = True
    frames = []
    for k in range(N):
        frame = atoms.copy()
        frame.positions += 0.01 * k
        frame.info["time_ps"] = 0.5 * k
        frames.append(frame)
    out = tmp_path_factory.mktemp("frames") / f"run.{request.param}"
    write(out, frames)
    return out


@pytest.mark.parametrize("index", [N, N + 1, 100, str(N), "100"])
def test_an_index_past_the_last_frame_names_the_frames(path, index):
    with pytest.raises(ValueError, match=rf"holds {N} frames \(0 .. {N - 1}\); index .* none"):
        from_ase(path, index=index)


@pytest.mark.parametrize("index", [-N - 1, -100, str(-N - 1), "-100"])
def test_a_negative_index_before_the_first_frame_is_refused(path, index):
    with pytest.raises(ValueError, match=rf"holds {N} frames; index .* selects none"):
        from_ase(path, index=index)


@pytest.mark.parametrize("index,time", [(-N, 0.0), (-1, 2.5), ("-2", 2.0), (0, 0.0), (N - 1, 2.5)])
def test_an_index_inside_reads_that_frame(path, index, time):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = from_ase(path, index=index)
    assert u.trajectory.n_frames == 1
    assert u.trajectory.time == pytest.approx(time)


@pytest.mark.parametrize("index", ["10:", f"{N}:", "-100:-99"])
def test_a_slice_that_selects_nothing_says_so(path, index):
    with pytest.raises(ValueError, match=rf"index '{index}' selects no frames of the file"):
        from_ase(path, index=index)
