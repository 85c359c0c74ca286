"""Numbers in the command's lines carry the digits they have, not a float's representation.

The demo printed its production trajectory's frame spacing as MDAnalysis computed it from the
frames' times: ``dt = 0.0020999999999999994 ps`` for frames 2.1 fs apart. It is now printed to
6 significant digits; frames of any spacing read back the number the times were written with.
"""

import MDAnalysis as mda
import numpy as np
import pytest

from electrolyte_cli.demo import trajectory_line


def _frames(dt_ps, n_frames=4):
    u = mda.Universe.empty(3, n_residues=2, atom_resindex=[0, 0, 1], trajectory=True)
    u.add_TopologyAttr("resnames", ["EC", "Li"])
    u.load_new(np.zeros((n_frames, 3, 3)), dt=dt_ps)
    return u


@pytest.mark.parametrize("fs", [0.7 * 3, 1.0, 2.0 * 50, 0.5 * 7, 4.0 * 25])
def test_the_frame_spacing_is_printed_as_the_number_it_is(fs):
    # the difference of two times k * fs / 1000 apart, as the reader computes it
    times = np.arange(4) * (fs / 1000.0)
    dt = float(times[2] - times[1])
    line = trajectory_line(_frames(dt))
    assert f"dt = {fs / 1000.0:.6g} ps" in line
    shown = float(line.split("dt = ")[1].split(" ps")[0])
    assert shown == pytest.approx(fs / 1000.0, rel=1e-6)
    assert len(line.split("dt = ")[1].split(" ps")[0]) <= 12


def test_the_line_names_frames_and_residues():
    assert trajectory_line(_frames(0.0021, n_frames=5)) == (
        "trajectory: 5 frames, dt = 0.0021 ps, residues {'EC': 1, 'Li': 1}")
