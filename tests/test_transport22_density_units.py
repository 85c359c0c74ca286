"""A density series in another unit is doubted, as EquationOfState and ThermalExpansion do.

An AR(1) series of known mean 1.2 g/cm³ given in kg/m³ (× 1000) or in g/L came out
"1199.7 ± 0.2 g/cm³ (valid)" from :class:`~mda_electrolyte.Density` without a word; the same
numbers given to :class:`~mda_electrolyte.EquationOfState` were doubted. The mean itself is
right in the series' own unit (it is the mean of what was given), so nothing is refused.
"""

import warnings

import numpy as np
import pytest
from scipy.signal import lfilter

from mda_electrolyte import Density, EquationOfState

MEAN, PHI = 1.2, 0.9


def _ar1(seed, n=3000, scale=0.01):
    rng = np.random.default_rng(seed)
    noise = rng.normal(scale=scale * np.sqrt(1 - PHI**2), size=n)
    return MEAN + lfilter([1.0], [1.0, -PHI], noise)


@pytest.mark.parametrize("factor, hint", [(1000.0, "kg/m³"), (1e-3, "kg/m³")])
def test_a_series_in_another_unit_is_doubted_like_the_equation_of_state_doubts_it(factor, hint):
    rho = _ar1(1) * factor
    with pytest.warns(UserWarning, match="far from a liquid electrolyte") as caught:
        d = Density(rho, dt=0.01).run().results
    assert any(hint in str(w.message) for w in caught)
    # the mean is still the series' own (a doubt, not a changed number)
    assert d.density == pytest.approx(np.mean(rho[int(d.t0 / 0.01):]), rel=1e-12)
    with pytest.warns(UserWarning, match="far from a liquid electrolyte"):
        EquationOfState(np.linspace(1.0, 1.3, 5) * factor, np.linspace(-500.0, 500.0, 5))


def test_a_liquid_density_series_is_not_doubted_and_its_interval_covers_the_mean():
    covered = valid = 0
    n = 40
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        for seed in range(n):
            est = Density(_ar1(100 + seed), dt=0.01).run().results.equilibrium_density
            if est.valid:
                valid += 1
                lo, hi = est.interval(0.95)
                covered += lo <= MEAN <= hi
    # 3000 samples of g = 19: ~160 independent, valid nearly always; 95 % intervals
    assert valid >= 0.8 * n
    assert covered >= valid - 6, (covered, valid)
