"""A density still drifting through the kept part of an NPT run is not an equilibrium density.

Density's trend test (:func:`mda_electrolyte.uncertainty._trend_note`) is calibrated on
synthetic AR(1) series of known truth: its false-alarm rate on stationary series stays near
the nominal 1 %, and a slow linear drift that the start-up-transient test leaves valid (its
z-score of about 3.5, below that test's 4) is marked.
"""

import numpy as np
import pytest
from scipy.signal import lfilter

from mda_electrolyte import Density
from mda_electrolyte.uncertainty import equilibrated_series_mean


def _ar1(rng, n, phi):
    """Stationary AR(1) noise of unit variance."""
    e = rng.normal(size=n) * np.sqrt(1.0 - phi**2)
    return lfilter([1.0], [1.0, -phi], e, zi=[phi * rng.normal()])[0]


def _drifting(rng, n, phi, amplitude, sigma=0.005):
    """Densities around 1.2 g/cm³ with a linear drift of ``amplitude`` noise sigmas over the run."""
    return 1.2 + sigma * (_ar1(rng, n, phi) + amplitude * np.linspace(0.5, -0.5, n))


def test_stationary_densities_are_rarely_called_drifting():
    # nominal 1 %: of 120 stationary replicas (g ~ 3 and ~ 19) at most 3 may be marked
    rng = np.random.default_rng(11)
    marked = 0
    for phi, n in [(0.5, 1000), (0.9, 2000)] * 60:
        verdict = Density(_drifting(rng, n, phi, 0.0), dt=0.1).run().results.verdict
        marked += "drifting" in verdict
    assert marked <= 3


def test_a_slow_linear_drift_is_not_a_valid_density():
    # 0.4 noise sigmas over 5000 samples at g ~ 3 (1700 independent samples): the trend is
    # about 4.7 of its standard errors; the kept mean lies ~8 error bars from the last density.
    # Before the trend test 10 of 30 such runs were called valid (seed 5), now 1
    rng = np.random.default_rng(5)
    flagged = 0
    for _ in range(30):
        d = Density(_drifting(rng, 5000, 0.5, 0.4), dt=0.1).run().results
        flagged += not d.valid
    assert flagged >= 27


def test_the_verdict_names_the_drift_and_its_size():
    rng = np.random.default_rng(2)
    for _ in range(20):
        d = Density(_drifting(rng, 5000, 0.5, 0.4), dt=0.1).run().results
        if "drifting" in d.verdict:
            break
    assert not d.valid and not d.equilibrium_density.converged
    assert "not equilibrated: drifting" in d.verdict
    # a decreasing density: the trend printed is negative, in the series' units
    assert "linear trend of -0.00" in d.verdict


def test_a_noiseless_ramp_is_drifting():
    r = equilibrated_series_mean(np.linspace(1.0, 1.1, 400), trend=True, detect=False)
    assert r.notes


def test_trend_flag_is_checked_before_any_work():
    with pytest.raises(TypeError, match="trend"):
        equilibrated_series_mean(np.ones(10), trend="yes")
