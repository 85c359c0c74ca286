"""A Universe's density names what is wrong with each frame's box, before any averaging.

Density divided the mass by every frame's volume and called a negative length, a frame written
without a box and a NaN alike "no box (or a flat or non-finite one)". The cures differ (a
converter's sign, a writer that left the box out, a failed step), so each frame's fault is said
(analysis_base.box_fault, the one reading of a bad box).
"""

from __future__ import annotations

import numpy as np
import pytest
from MDAnalysis import Universe
from MDAnalysis.coordinates.memory import MemoryReader

from mda_electrolyte import Density
from mda_electrolyte.analysis_base import box_fault, half_box_width

BOX = 12.0
N_FRAMES, N = 20, 8


def _universe(damage):
    dims = np.tile([BOX, BOX, BOX, 90.0, 90.0, 90.0], (N_FRAMES, 1))
    for frame, box in damage.items():
        dims[frame] = box
    u = Universe.empty(N, n_residues=N, atom_resindex=np.arange(N), trajectory=True)
    u.add_TopologyAttr("masses", [6.941] * N)
    x = np.random.default_rng(0).uniform(0, BOX, (N_FRAMES, N, 3)).astype(np.float32)
    u.load_new(x, format=MemoryReader, dt=0.01, dimensions=dims)
    return u


CASES = [
    ([BOX, -BOX, BOX, 90, 90, 90], r"a negative length \(b = -12 Å\)"),
    ([0.0] * 6, r"no box \(lengths all zero\)"),
    ([0.0, 0.0, 0.0, 90, 90, 90], r"no box \(lengths all zero\)"),
    ([BOX, 0.0, BOX, 90, 90, 90], r"a zero length \(b\): a flat box"),
    ([BOX, BOX, np.nan, 90, 90, 90], r"a NaN length \(c\)"),
    ([np.inf, BOX, BOX, 90, 90, 90], r"an infinite length \(a\)"),
    ([BOX, BOX, BOX, 90, 90, np.nan], r"a NaN angle \(gamma\)"),
    ([BOX, BOX, BOX, 90, 90, 0.0], r"angles that span no cell"),
    ([BOX, BOX, BOX, 10, 10, 170], r"angles that span no cell"),
]


@pytest.mark.parametrize("box, fault", CASES)
def test_box_fault_names_what_is_wrong(box, fault):
    import re

    assert re.fullmatch(fault, box_fault(box))


@pytest.mark.parametrize("box", [[BOX] * 3 + [90.0] * 3, [BOX, 2 * BOX, BOX, 60, 70, 80]])
def test_a_box_that_spans_a_cell_has_no_fault(box):
    assert box_fault(box) is None
    assert half_box_width(box) > 0


@pytest.mark.parametrize("box, fault", CASES)
def test_density_names_the_fault_of_the_frame(box, fault):
    u = _universe({5: box})
    before = u.trajectory.dimensions_array.copy()
    with pytest.raises(ValueError, match=rf"frame 5 \(and 0 more\) has no box a density can "
                                         rf"divide by \(frame 5: {fault}\)"):
        Density(u)
    # the caller's trajectory is untouched by the refusal
    np.testing.assert_array_equal(u.trajectory.dimensions_array, before)


def test_density_names_each_faulty_frame_and_counts_the_rest():
    u = _universe({2: [BOX, -BOX, BOX, 90, 90, 90], 4: [0.0] * 6,
                   7: [BOX, BOX, np.nan, 90, 90, 90], 9: [0.0] * 6, 11: [0.0] * 6})
    with pytest.raises(ValueError) as err:
        Density(u)
    message = str(err.value)
    assert message.startswith("frame 2 (and 4 more) has no box")
    assert ("frame 2: a negative length (b = -12 Å); frame 4: no box (lengths all zero); "
            "frame 7: a NaN length (c); 2 more") in message


@pytest.mark.parametrize("box, fault", CASES[:2])
def test_half_box_width_says_what_is_wrong_too(box, fault):
    with pytest.raises(ValueError, match=rf"has the box .*\({fault}\)"):
        half_box_width(box, frame=3)


def test_a_negative_length_is_not_its_absolute_value():
    # the volume of [12, -12, 12] is not that of [12, 12, 12]: refused, not a density
    u = _universe({k: [BOX, -BOX, BOX, 90, 90, 90] for k in range(N_FRAMES)})
    with pytest.raises(ValueError, match="frame 0 .*a negative length"):
        Density(u)
    r = Density(_universe({})).run().results
    assert np.all(np.isfinite(r.series)) and np.ptp(r.series) == 0
