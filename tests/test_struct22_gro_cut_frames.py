"""A .gro file cut inside its last box line is refused, not read short; one frame or several
are read by one path (bridge._gromacs_frames).

Neither ase's nor MDAnalysis' GRO reader reads past the first frame, and no maintained reader
among the dependencies does, so the bridge splits the frames itself. Before: a file cut inside
the last frame's box line ("   1.20000   1.") was read whole, its last frame without a box
(refused later as "periodic along [False, False, False] ... a frame written without its
cell?"), a single frame so cut was read with no cell at all, and a cut that left three
numbers ("1.20000   1.20000   1.2" of "1.20000   1.20000   1.20000 ...") went unnoticed. Now
the box line of every frame must be 3 or 9 numbers and the last line must end.
"""

import pytest
from test_bridge_gromacs_frames import _gro

from mda_electrolyte.bridge import from_ase, read_ase_frames


def _lines(path):
    return path.read_text().splitlines(keepends=True)


@pytest.mark.parametrize("n_frames", [1, 3])
@pytest.mark.parametrize("keep", [4, 15, 26])
def test_a_cut_box_line_is_refused_naming_the_frame(tmp_path, n_frames, keep):
    path = _gro(tmp_path / "traj.gro", n_frames)
    lines = _lines(path)
    # every cut of the box line: 1 number, 2 numbers, 3 numbers with the third cut
    path.write_text("".join(lines[:-1]) + lines[-1][:keep])
    with pytest.raises(ValueError, match=rf"traj\.gro: .*frame {n_frames - 1}.*box line.*"
                                         r"(remove|write the file again)"):
        read_ase_frames(path)
    with pytest.raises(ValueError, match=r"traj\.gro"):
        from_ase(path)


def test_a_cut_that_keeps_the_lines_but_not_the_line_end_is_refused(tmp_path):
    path = _gro(tmp_path / "traj.gro", 2)
    text = path.read_text()
    assert text.endswith("\n")
    path.write_text(text[:-3])  # '0.00000' of the last tilt -> '0.000'
    with pytest.raises(ValueError, match=r"has no line end: the file is cut inside frame 1's "
                                         r"box line"):
        read_ase_frames(path)


@pytest.mark.parametrize("n_frames", [1, 2])
def test_complete_files_read_every_frame_with_its_box(tmp_path, n_frames):
    path = _gro(tmp_path / "traj.gro", n_frames)
    # trailing blank lines are no cut
    path.write_text(path.read_text() + "\n\n")
    frames = read_ase_frames(path)
    assert len(frames) == n_frames
    for atoms in frames:
        assert atoms.cell.lengths() == pytest.approx([12.0, 12.0, 12.0])
        assert atoms.pbc.all() and len(atoms) == 6
    # a box line of 9 numbers whose tilts are zero is the same box as one of 3
    lines = _lines(_gro(tmp_path / "three.gro", n_frames))
    lines = [line if k % 9 != 8 else "   1.20000   1.20000   1.20000\n"
             for k, line in enumerate(lines)]
    (tmp_path / "three.gro").write_text("".join(lines))
    for a, b in zip(read_ase_frames(tmp_path / "three.gro"), frames, strict=True):
        assert a.cell.array == pytest.approx(b.cell.array)
        assert a.positions == pytest.approx(b.positions)
