"""The equilibrium density's error is t-scaled over its independent samples
(``timeseries_mean``); the Estimate carries that ``dof`` (n_effective - 1), as
``ase_electrolyte.md.series_estimate`` does for the same mean, so that its 95 % interval uses
the t quantile. Calibrated over seeded AR(1) density series of known mean."""

import numpy as np
from scipy.signal import lfilter

from mda_electrolyte import Density

MEAN, SD = 1.25, 0.01  # g/cm³


def _series(rng, n, phi):
    noise = rng.normal(size=n + 200) * SD * np.sqrt(1 - phi**2)
    return MEAN + lfilter([1.0], [1.0, -phi], noise)[200:]


def test_the_density_carries_the_dof_of_its_independent_samples():
    d = Density(_series(np.random.default_rng(0), 2000, 0.5), dt=0.1).run().results
    est = d.equilibrium_density
    assert est.valid
    assert est.dof == max(d.n_effective - 1.0, 1.0)
    # the interval is t(dof)-wide: a hair wider than the normal one at these counts
    lo, hi = est.interval(0.95)
    assert 1.96 * est.stderr < (hi - lo) / 2 < 2.0 * est.stderr


def test_a_fixed_box_density_has_no_dof_claim_on_a_zero_error():
    est = Density(np.full(500, 1.2), dt=0.1).run().results.equilibrium_density
    assert not est.valid and "does not fluctuate" in est.verdict


def test_the_95_percent_interval_of_valid_densities_is_calibrated():
    n_rep, hits, valid = 300, 0, 0
    for seed in range(n_rep):
        rng = np.random.default_rng(4_000 + seed)
        # the default, equilibration detection (measured over 400 replicas: 0.96 of 307
        # valid; 0.95 of 207 at 2000 samples, phi = 0.95)
        est = Density(_series(rng, 600, 0.8), dt=0.1).run().results.equilibrium_density
        if not est.valid:
            continue
        valid += 1
        lo, hi = est.interval(0.95)
        hits += lo <= MEAN <= hi
    assert valid >= 0.6 * n_rep
    coverage = hits / valid
    margin = 3 * np.sqrt(0.05 * 0.95 / valid)
    assert abs(coverage - 0.95) <= margin + 0.02, coverage
