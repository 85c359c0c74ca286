"""The shared frame-spacing check reads a float32 spacing as the decimal it stands for, so every
estimator that takes ``dt`` (not only ``IonCollection``) keeps frames on the trajectory's grid."""

import numpy as np
import pytest

from mda_electrolyte.correlation import check_frame_spacing


@pytest.mark.parametrize("dt, expected", [
    (np.float32(0.01), 0.01), (np.float16(0.5), 0.5), (np.float32(0.002), 0.002),
    (np.array(np.float32(0.1)), 0.1),
    (np.float64(0.009999999776), 0.009999999776), (0.01, 0.01),
])
def test_a_single_precision_spacing_is_its_decimal(dt, expected):
    assert check_frame_spacing(dt) == expected


@pytest.mark.parametrize("dt", [np.float32(np.nan), np.float32(-0.01), np.float32(0.0)])
def test_bad_single_precision_spacings_are_still_refused(dt):
    with pytest.raises(ValueError, match="dt"):
        check_frame_spacing(dt)
