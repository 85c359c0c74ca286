"""OnsagerCoefficients' max_lag is the Green–Kubo correlation time: given with the Einstein
method (the default), which has none, it was ignored without a word (even 1e300)."""

import numpy as np
import pytest
from transport_data import IONS, integrate, salt_universe

from mda_electrolyte import OnsagerCoefficients


def _universe():
    # velocities correlated over ~10 frames (AR(1)), which a Green–Kubo integral resolves
    noise = np.random.default_rng(3).normal(size=(400, 4, 3))
    velocities = np.empty_like(noise)
    velocities[0] = noise[0]
    for t in range(1, len(noise)):
        velocities[t] = 0.9 * velocities[t - 1] + np.sqrt(1 - 0.9**2) * noise[t]
    return salt_universe(velocities, integrate(velocities, 0.01) + 20.0, n_cations=2, dt=0.01)


@pytest.mark.parametrize("max_lag", [0.05, 1e300, np.float32(0.1)])
@pytest.mark.parametrize("method", [None, "einstein", "Einstein"])
def test_max_lag_with_the_einstein_method_is_refused(method, max_lag):
    kwargs = {} if method is None else {"method": method}
    with pytest.raises(ValueError, match=r"max_lag = .* ps sets the Green–Kubo correlation "
                                         r"time, and method='einstein' .*no effect"):
        OnsagerCoefficients(_universe(), IONS, 300.0, max_lag=max_lag, **kwargs)


def test_the_einstein_method_runs_without_it():
    # (max_lag with method='green-kubo' is exercised by test_onsager's Green–Kubo cases)
    einstein = OnsagerCoefficients(_universe(), IONS, 300.0, n_blocks=2).run()
    assert np.all(np.isfinite(einstein.results.L))
