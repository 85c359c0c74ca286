"""A density that does not fluctuate beyond round-off is a fixed box, not a measured density.

Density() marked only an exactly constant series "not a result"; 1.2 g/cm³ with 1e-13 relative
noise (a fixed box rescaled or written in single precision) came out valid at ± 5e-15 g/cm³.
The smallest real NPT fluctuation, 1e-3 of the mean for 10^5 atoms, stays a result.
"""

import numpy as np
import pytest
from scipy.signal import lfilter

from mda_electrolyte import Density
from mda_electrolyte.density import FIXED_VOLUME_SPREAD


def _series(seed, relative, n=3000, phi=0.8):
    rng = np.random.default_rng(seed)
    x = lfilter([np.sqrt(1 - phi**2)], [1, -phi], rng.normal(size=n + 500))[500:]
    return 1.2 * (1 + relative * x)


@pytest.mark.parametrize("relative", [0.0, 1e-13, 1e-9, 0.05 * FIXED_VOLUME_SPREAD])
def test_a_density_fixed_up_to_round_off_is_not_a_result(relative):
    est = Density(_series(1, relative), dt=0.1).run().results.equilibrium_density
    assert not est.valid
    assert "does not fluctuate" in est.verdict and "fixed-volume" in est.verdict
    # the value is still the box's density
    assert est.value == pytest.approx(1.2, rel=1e-8)


def test_a_float32_box_of_an_nvt_run_is_a_fixed_box():
    rho = _series(2, 1e-12).astype(np.float32).astype(np.float64)
    res = Density(rho, dt=0.1).run().results
    assert not res.valid and "does not fluctuate" in res.verdict


@pytest.mark.parametrize("relative", [1e-4, 1e-3])
def test_small_npt_fluctuations_are_measured_and_cover_the_mean(relative):
    # 40 replicas of an AR(1) series (phi 0.8, g = 9): measured, not refused as a fixed box
    # (the drift test's 1 % false alarms aside), and the t interval at 95 % covers 1.2 in at
    # least 34 (binomial p = 0.95: P(< 34 of 40) = 0.3 %)
    covered = valid = 0
    for seed in range(40):
        est = Density(_series(100 + seed, relative), dt=0.1).run().results.equilibrium_density
        assert "does not fluctuate" not in est.verdict
        valid += est.valid
        lo, hi = est.interval(0.95, allow_invalid=True)
        covered += lo <= 1.2 <= hi
    assert valid >= 37
    assert covered >= 34
