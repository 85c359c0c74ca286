"""Replicas of different lengths analysed together.

Before, Green–Kubo without ``max_lag`` took half of the first replica's segment as its longest
lag and refused a shorter replica after the whole pass ("max_lag = None ps needs segments of
more than 1000 frames"); Onsager's Green–Kubo took half the shortest segment. Every estimator
now works on the lags and fit windows the shortest segment holds, whatever the order of the
replicas, and a shorter replica given first or last gives the same result.
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    OnsagerCoefficients,
)

DT, T = 0.01, 300.0


def _replica(n_frames, seed):
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, n_frames, (8, 3), 0.1, DT, 2.0)
    return salt_universe(v, integrate(v, DT), n_cations=4, dt=DT)


ANALYSES = {
    "GreenKuboConductivity": lambda us: GreenKuboConductivity(us, IONS, T),
    "OnsagerCoefficients(green-kubo)": lambda us: OnsagerCoefficients(
        us, IONS, T, method="green-kubo"),
    "EinsteinHelfandConductivity": lambda us: EinsteinHelfandConductivity(us, IONS, T),
    "OnsagerCoefficients": lambda us: OnsagerCoefficients(us, IONS, T),
    "Diffusion": lambda us: Diffusion(us, IONS),
}


@pytest.mark.parametrize("name", ANALYSES)
def test_the_shortest_replica_sets_the_lags_whatever_the_order(name):
    long_first = [_replica(2000, 1), _replica(800, 2)]
    short_first = long_first[::-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        a = ANALYSES[name](long_first).run().results
        b = ANALYSES[name](short_first).run().results
    # one segment per replica; the lags of the 800-frame one (7.99 ps)
    assert a.n_segments == 2
    assert a.time[-1] <= 799 * DT * (1 + 1e-9)
    np.testing.assert_array_equal(a.time, b.time)
    if name.startswith("Green") or "green" in name:
        # default max_lag: half the shortest segment
        assert a.time[-1] == pytest.approx(400 * DT)
    value = "D" if name == "Diffusion" else "sigma"
    if isinstance(a[value], dict):
        for k in a[value]:
            assert a[value][k] == pytest.approx(b[value][k], rel=1e-9)
            assert np.isfinite(a[value][k])
    else:
        assert a[value] == pytest.approx(b[value], rel=1e-9) and np.isfinite(a[value])
