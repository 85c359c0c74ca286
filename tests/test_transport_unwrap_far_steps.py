"""Unwrapping ions that cross the box many times, and frames too far apart to unwrap.

Minimum-image unwrapping is exact while no atom moves more than half a box between analysed
frames: random walkers wrapped into a 20 Å box, crossing it many times, give the same D as
their unwrapped coordinates. Frames so far apart that steps reach half a box cannot be unwrapped
(a step of +0.6 box reads as -0.4): before, such a run gave a D several times too small
without a word; now more than 0.5 % of steps beyond 0.45 of a box vector is refused, naming
the share (a Gaussian step of 0.15 box, whose wrong unwraps are 0.1 %, still passes; steps up
to 0.45 box, unwrapped exactly, pass: test_transport_invariances).
"""

import warnings

import numpy as np
import pytest
from MDAnalysis.lib.mdamath import triclinic_box
from transport_data import IONS, salt_universe

from mda_electrolyte import Diffusion, EinsteinHelfandConductivity
from mda_electrolyte.carriers import FAR_STEP, count_far_steps

BOX, DT, N_FRAMES = 20.0, 0.01, 2000


def _walkers(step, seed=1):
    rng = np.random.default_rng(seed)
    x = np.cumsum(step * rng.standard_normal((N_FRAMES, 16, 3)), axis=0) + 10.0
    return x


def _d(positions, unwrap):
    u = salt_universe(np.zeros_like(positions), positions, n_cations=8, dt=DT, box=BOX)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Diffusion(u, IONS, unwrap=unwrap, n_blocks=10).run().results.D


def test_ions_crossing_the_box_many_times_are_unwrapped_exactly():
    x = _walkers(1.0)
    # every walker crosses the box several times
    assert np.ptp(x, axis=0).max() > 3 * BOX
    wrapped = _d(x % BOX, unwrap=True)
    direct = _d(x, unwrap=False)
    for k in direct:
        assert wrapped[k] == pytest.approx(direct[k], rel=1e-4)


@pytest.mark.parametrize("step, refused", [(1.0, False), (3.0, False), (6.0, True),
                                           (20.0, True)])
def test_frames_too_far_apart_to_unwrap_are_refused(step, refused):
    x = _walkers(step) % BOX
    if refused:
        with pytest.raises(ValueError, match=r"% of the atoms' steps .* more than 0.45 of a box"):
            _d(x, unwrap=True)
        u = salt_universe(np.zeros_like(x), x, n_cations=8, dt=DT, box=BOX)
        with pytest.raises(ValueError, match="more than 0.45 of a box vector"):
            EinsteinHelfandConductivity(u, IONS, 300.0, unwrap=True).run()
    else:
        d = _d(x, unwrap=True)
        # D = step² / (2 dt) per component, within the noise of 8 walkers
        for value in d.values():
            assert value == pytest.approx(step**2 / (2 * DT), rel=0.3)


def test_far_steps_are_counted_in_fractions_of_the_box_vectors():
    boxes = np.tile([BOX, BOX, BOX, 90.0, 90.0, 90.0], (3, 1))
    pos = np.zeros((3, 2, 3))
    pos[1, 0, 0] = 0.47 * BOX     # beyond 0.45 of a box
    pos[2, 0, 0] = 0.47 * BOX + 0.7 * BOX  # +0.7 box reads as -0.3 after the minimum image
    assert count_far_steps(pos, boxes) == (1, 12)
    # a triclinic cell: a step along the tilted c vector is judged in its fraction of c
    tri = triclinic_box([BOX, 0, 0], [0, BOX, 0], [0.5 * BOX, 0, BOX])
    c = np.array([0.5 * BOX, 0, BOX])
    pos = np.zeros((2, 1, 3))
    pos[1, 0] = 0.47 * c
    assert count_far_steps(pos, np.tile(tri, (2, 1))) == (1, 3)
    pos[1, 0] = 0.43 * c
    assert count_far_steps(pos, np.tile(tri, (2, 1))) == (0, 3)
    assert FAR_STEP == 0.45
