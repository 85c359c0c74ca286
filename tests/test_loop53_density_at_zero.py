"""compressibility_from_shifts gives the fitted density at zero pressure with its error.

``density_at_zero`` was a bare number beside κ_T's Estimate: the intercept of the same fit, no
error and no verdict. ``density_estimate`` is now that density as an Estimate (g/cm³), its
error from the fit's covariance at P = 0 (propagated from the density errors, or t-scaled from
the scatter as κ_T's is), its verdict the fit's. Checked on the analytic case of ρ = ρ₀ e^{κP}
and over replicas of noisy densities (z-score spread and 95 % coverage), for pressures around
zero and for a fit extrapolated to it.
"""

import numpy as np
import pytest

from ase_electrolyte.density_alignment import compressibility_from_shifts

RHO0, KAPPA = 1.2, 5e-5  # g/cm³, 1/bar


@pytest.mark.parametrize("pressures", [[-1000.0, 0.0, 1000.0], [100.0, 600.0, 1100.0, 1600.0],
                                       list(np.linspace(-300.0, 900.0, 7))])
def test_the_analytic_density_at_zero(pressures):
    p = np.array(pressures)
    fit = compressibility_from_shifts(p, RHO0 * np.exp(KAPPA * p),
                                      density_errors=np.full(p.size, 1e-4))
    est = fit.density_estimate
    assert est.unit == "g/cm^3" and est.value == fit.density_at_zero
    assert est.value == pytest.approx(RHO0, rel=1e-12)
    # the error of the weighted line at P = 0: ρ₀ σ(ln ρ) √(1/n + x̄²/Σ(x - x̄)²)
    s = 1e-4 / (RHO0 * np.exp(KAPPA * p))  # σ(ln ρ)
    w = 1.0 / s**2
    xbar = np.sum(w * p) / np.sum(w)
    expected = RHO0 * np.sqrt(1.0 / np.sum(w) + xbar**2 / np.sum(w * (p - xbar) ** 2))
    assert est.stderr == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("given_errors", [True, False])
@pytest.mark.parametrize("pressures", [np.linspace(-500.0, 500.0, 8),
                                       np.linspace(200.0, 1500.0, 8)])
def test_the_error_is_calibrated_over_replicas(given_errors, pressures):
    rng = np.random.default_rng(11)
    sigma = np.full(pressures.size, 3e-4)
    z, covered = [], []
    for _ in range(400):
        rho = RHO0 * np.exp(KAPPA * pressures) + sigma * rng.standard_normal(pressures.size)
        est = compressibility_from_shifts(pressures, rho,
                                          sigma if given_errors else None).density_estimate
        if not est.valid:
            continue
        z.append((est.value - RHO0) / est.stderr)
        lo, hi = est.interval(0.95)
        covered.append(lo <= RHO0 <= hi)
    assert len(z) > 380
    z = np.array(z)
    assert abs(np.mean(z)) < 0.15
    if given_errors:  # a normal error
        assert 0.9 < np.std(z) < 1.1
    # a t-scaled error (6 dof from the scatter) covers 68 % at one sigma, its tails are t's
    assert 0.62 < np.mean(np.abs(z) <= 1.0) < 0.74
    # 95 % of 400 replicas within three binomial standard deviations (0.011)
    assert 0.915 < np.mean(covered) < 0.985


def test_its_verdict_is_the_fits():
    # two points: a line with no scatter to give an error, not valid as κ_T is not
    fit = compressibility_from_shifts([0.0, 1000.0], [1.2, 1.206])
    assert not fit.density_estimate.valid and np.isnan(fit.density_estimate.stderr)
    assert fit.density_estimate.notes == fit.estimate.notes
    # densities that scatter beyond their errors: both not valid, for the same reason
    p = np.linspace(-500.0, 500.0, 8)
    rho = RHO0 * np.exp(KAPPA * p) + 0.01 * np.random.default_rng(0).standard_normal(8)
    fit = compressibility_from_shifts(p, rho, np.full(8, 1e-4))
    assert not fit.density_estimate.valid and fit.density_estimate.notes == fit.estimate.notes


def test_an_extrapolated_density_has_the_larger_error():
    near = np.linspace(-500.0, 500.0, 6)
    far = near + 3000.0
    errors = np.full(6, 2e-4)
    at = [compressibility_from_shifts(p, RHO0 * np.exp(KAPPA * p), errors).density_estimate
          for p in (near, far)]
    assert at[1].stderr > 2 * at[0].stderr
