"""A time series given frames out of order names them as the user wrote them."""

import numpy as np
import pytest

from mda_electrolyte.analysis_base import _first_frames


@pytest.mark.parametrize("frames, text", [
    (np.arange(1499, -1, -1), "[1499, 1498, 1497, 1496, 1495, ... (1500 frames)]"),
    (np.array([3, 1], dtype=np.int32), "[3, 1]"),
    ([5, 4, 3, 2, 1], "[5, 4, 3, 2, 1]"),
    (np.array([2, 2, 1, 0, 7, 9]), "[2, 2, 1, 0, 7, ... (6 frames)]"),
])
def test_frames_shown_as_plain_numbers(frames, text):
    assert _first_frames(frames) == text
    assert "np." not in _first_frames(frames)


def test_out_of_order_frames_refused_naming_them():
    from transport_data import IONS, salt_universe

    from mda_electrolyte import EinsteinHelfandConductivity

    velocities = np.random.default_rng(0).normal(size=(400, 4, 3))
    u = salt_universe(velocities, n_cations=2, dt=0.01)
    with pytest.raises(ValueError) as err:
        EinsteinHelfandConductivity(u, IONS, temperature=300.0).run(
            frames=np.arange(399, -1, -1))
    assert "frames=[399, 398, 397, 396, 395, ... (400 frames)]" in str(err.value)
    assert "np.int64" not in str(err.value)
