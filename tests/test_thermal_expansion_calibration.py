"""α_P's error over replicas with a known α: the slope and ρ(T_ref) of one fit are correlated.

ThermalExpansion fits ρ(T) = ρ(T_ref) + s (T - T_ref) and reports α = -s / ρ(T_ref). Away from the
temperatures' (weighted) centre the two parameters share the fit's noise; propagating the slope's
error alone gave 1.18 times the replicas' scatter of α at T_ref = 250 K of 250-450 K (95 %
intervals covered 0.981). The densities here lie exactly on a line with α(T_ref) = α0, plus
normal noise of a known standard deviation.
"""

from __future__ import annotations

import numpy as np
import pytest

from mda_electrolyte import ThermalExpansion

ALPHA0, RHO0, SIGMA = 1.5e-3, 1.2, 2e-3
T = np.linspace(250.0, 450.0, 6)
N_REPLICAS = 1500


def _replicas(t_ref, given, seed):
    rng = np.random.default_rng(seed)
    true = RHO0 * (1 - ALPHA0 * (T - t_ref))
    alphas, errors, covered = [], [], 0
    for _ in range(N_REPLICAS):
        rho = true + SIGMA * rng.normal(size=T.size)
        est = ThermalExpansion(T, rho, np.full(T.size, SIGMA) if given else None,
                               reference_temperature=t_ref).run().results.expansivity
        # a χ² p < 1e-4 replica is marked not valid; its interval is still the fit's
        lo, hi = est.interval(0.95, allow_invalid=True)
        covered += lo <= ALPHA0 <= hi
        alphas.append(est.value)
        errors.append(est.stderr)
    return np.array(alphas), np.array(errors), covered / N_REPLICAS


@pytest.mark.parametrize("t_ref", [250.0, 350.0, 430.0])
def test_given_errors_match_the_scatter_of_alpha_over_replicas(t_ref):
    alphas, errors, coverage = _replicas(t_ref, True, seed=int(t_ref))
    # with given errors the propagated error is the same for every replica up to ρ(T_ref)'s
    # noise; the replicas' standard deviation has a relative error of 1/sqrt(2 N) = 1.8 %
    ratio = np.median(errors) / np.std(alphas, ddof=1)
    assert 0.93 < ratio < 1.07, ratio
    assert abs(alphas.mean() - ALPHA0) < 4 * np.std(alphas) / np.sqrt(N_REPLICAS)
    # binomial sd of 0.95 over 1500 replicas: 0.0056; 4 sigma
    assert 0.927 < coverage < 0.973, coverage


def test_residual_variance_intervals_cover_at_the_edge_of_the_temperatures():
    # t-scaled residual errors (4 dof): the one-sigma error is wider than the scatter by the t
    # factor, the 95 % interval (t quantiles) covers as it says
    alphas, errors, coverage = _replicas(250.0, False, seed=7)
    assert 0.927 < coverage < 0.973, coverage
    assert abs(alphas.mean() - ALPHA0) < 4 * np.std(alphas) / np.sqrt(N_REPLICAS)


def test_alpha_error_takes_the_covariance_of_slope_and_reference_density():
    # the delta method on the fit's parameters, checked against finite differences of α through
    # the linear map from densities to (slope, ρ(T_ref)): α's error is that of a linear
    # functional of the densities, sqrt(sum (dα/dρ_i σ_i)^2)
    rng = np.random.default_rng(3)
    errors = rng.uniform(1e-3, 4e-3, T.size)
    rho = RHO0 * (1 - ALPHA0 * (T - 260.0)) + errors * rng.normal(size=T.size)
    r = ThermalExpansion(T, rho, errors, reference_temperature=260.0).run().results
    h = 1e-7
    grad = np.empty(T.size)
    for i in range(T.size):
        up, down = rho.copy(), rho.copy()
        up[i] += h
        down[i] -= h
        a_up = ThermalExpansion(T, up, errors, reference_temperature=260.0).run().results.alpha
        a_dn = ThermalExpansion(T, down, errors,
                                reference_temperature=260.0).run().results.alpha
        grad[i] = (a_up - a_dn) / (2 * h)
    assert r.alpha_err == pytest.approx(float(np.sqrt(np.sum((grad * errors) ** 2))), rel=1e-5)
    # the slope's error alone (the old propagation) is visibly larger here
    rho_ref = -r.slope / r.alpha
    assert r.slope_err / rho_ref > 1.1 * r.alpha_err
