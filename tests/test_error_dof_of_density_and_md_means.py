"""Errors estimated from the scatter of few samples carry their degrees of freedom, so that a
95 % interval uses Student-t quantiles: density-alignment compressibilities, mean pressures and
pressure shifts, and the MD series means of run_protocol.

Before, none of these Estimates carried ``dof``: the 95 % interval of a compressibility fitted
to 4 points (2 degrees of freedom) was the normal 1.96 standard errors and covered the true
slope in 88 % of replicas, not 95 %.
"""

import warnings

import numpy as np
import pytest
from scipy import stats

from ase_electrolyte.density_alignment import (
    MeanPressure,
    compressibility_from_fluctuations,
    compressibility_from_shifts,
    pressure_shift_for_density,
)
from ase_electrolyte.estimate import propagated_dof
from ase_electrolyte.md import series_estimate

_KAPPA = 5e-5  # 1/bar
_REPLICAS = 1000
# binomial margin of a 95 % coverage over _REPLICAS replicas, 4 sigma
_MARGIN = 4 * np.sqrt(0.95 * 0.05 / _REPLICAS)


def test_a_shift_fit_without_density_errors_has_the_dof_of_its_points():
    p = np.array([-1000.0, 0.0, 500.0, 1000.0, 1500.0])
    rho = 1.2 * np.exp(_KAPPA * p) * (1 + np.array([1, -2, 1.5, 0.5, -1]) * 1e-4)
    fit = compressibility_from_shifts(p, rho).estimate
    assert fit.dof == 3.0
    # given errors: the covariance is propagated from them, a normal error
    weighted = compressibility_from_shifts(p, rho, np.full(p.size, 1e-3)).estimate
    assert weighted.dof is None
    # two points: no error, no dof
    assert compressibility_from_shifts(p[:2], rho[:2]).estimate.dof is None


def test_the_95_percent_interval_of_a_four_point_fit_covers_the_true_compressibility():
    rng = np.random.default_rng(11)
    p = np.array([-1000.0, 0.0, 1000.0, 2000.0])
    covered = 0
    for _ in range(_REPLICAS):
        rho = 1.2 * np.exp(_KAPPA * p + rng.normal(scale=5e-3, size=p.size))
        est = compressibility_from_shifts(p, rho).estimate
        if not est.value > 0:  # pragma: no cover - the noise never flips the slope here
            continue
        lo, hi = est.interval(0.95, allow_invalid=True)  # 4 points: "too few", not valid
        covered += lo <= _KAPPA <= hi
    # with the normal quantile (no dof) the coverage was 0.88, which this bound excludes
    assert abs(covered / _REPLICAS - 0.95) < _MARGIN


def test_a_mean_pressure_over_few_frames_covers_the_true_mean():
    rng = np.random.default_rng(5)
    covered = 0
    for _ in range(_REPLICAS):
        values = 100.0 + 50.0 * rng.standard_normal(5)
        est = MeanPressure(float(values.mean()), 0.0, values).estimate
        assert est.dof is not None and est.dof >= 1
        lo, hi = est.interval(0.95, allow_invalid=True)
        covered += lo <= 100.0 <= hi
    assert abs(covered / _REPLICAS - 0.95) < _MARGIN
    # independent frames: the t-scaled error over them, n - 1 degrees of freedom
    values = np.array([10.0, -20.0, 30.0])
    assert MeanPressure(0, 0, values).estimate.dof == 2.0


def test_a_pressure_shift_carries_the_dof_of_the_compressibility_it_comes_from():
    p = np.array([-1000.0, 0.0, 1000.0, 2000.0])
    rho = 1.2 * np.exp(_KAPPA * p) * (1 + np.array([1, -2, 1.5, -0.5]) * 1e-4)
    kappa = compressibility_from_shifts(p, rho)
    assert kappa.estimate.dof == 2.0
    alone = pressure_shift_for_density(1.18, 1.204, kappa).estimate
    assert alone.dof == pytest.approx(2.0)  # exact densities: all the error is the fit's
    both = pressure_shift_for_density(1.18, 1.204, kappa, rho_model_error=0.002).estimate
    # the Tait shift's derivative by the model's density: exp((1 - ρm/ρt)/C) / (κ ρt)
    growth = np.exp((1 - 1.18 / 1.204) / 0.0894)
    rel = growth * 0.002 / 1.204 / kappa.kappa_per_bar
    delta = both.value
    k_term = delta * kappa.kappa_error / kappa.kappa_per_bar
    assert both.dof == pytest.approx(propagated_dof([(rel, None), (k_term, 2.0)]))
    assert both.dof > alone.dof
    # a bare number has no known dof: the error is taken as normal
    assert pressure_shift_for_density(1.18, 1.204, _KAPPA, kappa_error=1e-6).estimate.dof is None


def test_a_fluctuation_compressibility_and_an_md_mean_carry_their_effective_dof():
    rng = np.random.default_rng(0)
    v = 20000.0 + 30.0 * rng.standard_normal(4000)
    kappa = compressibility_from_fluctuations(v, 300.0)
    # a variance's error rests on a fourth moment: n/5 degrees of freedom, not n - 1 (unc28:
    # with n - 1 its 95 % intervals covered 0.92-0.93 at 100 independent samples)
    assert kappa.dof is not None and abs(kappa.dof - (kappa.n_samples / 5 - 1)) < 1.0
    mean, _ = series_estimate(v, "1")
    assert mean.dof is not None and abs(mean.dof - (mean.n_samples - 1)) < 1.0
    # fewer than 4 samples: no error, so no dof, and not valid, saying why
    short, _ = series_estimate(v[:3], "1")
    assert short.dof is None and not short.valid and "too short: 3 samples" in short.verdict


def test_an_nvt_production_after_three_npt_samples_runs_at_their_mean_volume(tmp_path):
    """Below 4 samples no equilibration can be detected; the production ran at the NPT stage's
    last volume, another density than the one the result reports (the mean of the samples)."""
    from ase.build import bulk
    from ase.calculators.lj import LennardJones

    from ase_electrolyte.md import run_protocol
    from ase_electrolyte.trajectory import GCM3_TO_AMU_PER_A3, h5md_series

    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=1)
    calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_protocol(atoms, calc, tmp_path, temperature_K=60, relax_fmax=0.05,
                              preequilibration_ps=0.0, equilibration_ps=0.004,
                              production_ps=0.008, production_ensemble="nvt", timestep_fs=2.0,
                              write_interval_fs=4.0, observe_interval_fs=2.0, progress=False)
    volumes = h5md_series(result.files["equilibration"], "volume")[2]
    assert volumes.size == 3 and np.ptp(volumes) > 0
    production = h5md_series(result.files["production"], "volume")[2]
    np.testing.assert_allclose(production, volumes.mean(), rtol=1e-12)
    assert abs(production[0] - volumes[-1]) > 1e-6  # not the last volume
    rho = atoms.get_masses().sum() / volumes / GCM3_TO_AMU_PER_A3
    assert result.density.value == pytest.approx(rho.mean(), rel=1e-12)
    assert not result.density.valid and "too short: 3 samples" in result.density.verdict


def test_the_t_quantile_is_what_widens_the_interval():
    # the interval of a fit of 2 dof is t(2)'s, 4.30 / 1.32 standard errors, not 1.96
    p = np.array([-1000.0, 0.0, 1000.0, 2000.0])
    rho = 1.2 * np.exp(_KAPPA * p) * (1 + np.array([1, -2, 1.5, -0.5]) * 1e-4)
    est = compressibility_from_shifts(p, rho).estimate
    lo, hi = est.interval(0.95, allow_invalid=True)
    ratio = stats.t.ppf(0.975, 2) / stats.t.ppf(stats.norm.cdf(1), 2)
    assert (hi - lo) / 2 == pytest.approx(est.stderr * ratio, rel=1e-9)
