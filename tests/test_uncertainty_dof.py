"""The degrees of freedom of the mean of one time series (SeriesMean.dof).

:func:`~mda_electrolyte.uncertainty.timeseries_mean` scales its error by the t factor of the
independent samples - 1, but :class:`~mda_electrolyte.uncertainty.SeriesMean` said nothing of
it: an Estimate built from it took the normal quantile for its 95 % interval. ``dof`` gives
the one the error was scaled with.
"""

import numpy as np
import pytest

from ase_electrolyte.estimate import Estimate
from mda_electrolyte.uncertainty import equilibrated_series_mean, t_factor, timeseries_mean


def _ar1(rng, n, phi):
    x = np.empty(n)
    x[0] = rng.normal() / np.sqrt(1 - phi * phi)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + rng.normal()
    return x


def test_the_dof_is_the_one_the_error_was_scaled_with():
    x = _ar1(np.random.default_rng(3), 200, 0.6)
    r = equilibrated_series_mean(x, detect=False)
    _, err, g = timeseries_mean(x)
    assert r.dof == pytest.approx(max(x.size / g - 1.0, 1.0))
    # the error over sqrt(g / N) std is that t factor
    assert err / (x.std(ddof=1) * np.sqrt(g / x.size)) == pytest.approx(t_factor(r.dof))
    assert len(r) == 6  # a property, not a field: unpacking SeriesMean is unchanged


def test_intervals_with_the_dof_cover_short_series_at_their_level():
    rng = np.random.default_rng(11)
    covered, covered_normal = [], []
    for _ in range(600):
        r = equilibrated_series_mean(_ar1(rng, 40, 0.3), detect=False)
        est = Estimate(r.mean, r.error, "1", "statistical inefficiency", int(r.n_independent),
                       dof=r.dof)
        low, high = est.interval(0.95)
        covered.append(low <= 0.0 <= high)
        low, high = Estimate(r.mean, r.error, "1", "normal").interval(0.95)
        covered_normal.append(low <= 0.0 <= high)
    # measured 0.917 (normal quantiles 0.912; the series' own g comes out low at 40 samples);
    # 600 replicas: binomial sd 0.011, 4 sd below
    assert np.mean(covered) > 0.87, np.mean(covered)
    # t quantiles are never narrower than the normal ones: every normal interval's hit stays
    assert np.all(np.array(covered) >= np.array(covered_normal))
