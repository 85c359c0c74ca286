"""committee_spread gives the members' mean energy and spread as Estimates, not bare floats.

It returned the mean and the population spread as floats: no error, no verdict, a spread of
two members read like one of twenty. Now each is an Estimate whose error is checked here
against the sampling laws of K normal members (Student t for the mean, the chi law for the
standard deviation, scipy's distributions as the reference), whose verdict follows the number of
members (not valid below 5: fewer than 4 degrees of freedom) and members that agree exactly,
and whose value is the number the Committee calculator gives (population mean and spread).
"""

import numpy as np
import pytest
from scipy import stats

from ase_electrolyte.committee import committee_spread
from ase_electrolyte.estimate import Estimate

REPLICAS = 3000


def _members(k, seed, sigma=0.2, truth=-12.5, n_atoms=3):
    rng = np.random.default_rng(seed)
    energies = truth + sigma * rng.normal(size=k)
    forces = rng.normal(size=(k, n_atoms, 3))
    return energies, forces


@pytest.mark.parametrize("k", [2, 3, 4, 5, 8, 17])
def test_values_are_the_population_mean_and_spread_with_a_verdict_from_k(k):
    energies, forces = _members(k, seed=k)
    out = committee_spread(energies, forces)
    for key in ("energy", "energy_std"):
        assert isinstance(out[key], Estimate) and out[key].unit == "eV"
        assert out[key].n_samples == k
        assert out[key].valid == (k >= 5)
        if k < 5:
            assert "too few committee members" in out[key].verdict
        # what the spread is not, said even where valid
        assert any("uncalibrated" in note for note in out[key].notes)
    assert out["energy"].value == pytest.approx(np.mean(energies), rel=1e-14)
    assert out["energy_std"].value == pytest.approx(np.std(energies), rel=1e-12)
    # the arrays stay arrays, unchanged
    np.testing.assert_allclose(out["forces"], forces.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(
        out["forces_std"], np.sqrt(((forces - forces.mean(axis=0)) ** 2).sum(-1).mean(0)))


@pytest.mark.parametrize("k", [2, 3, 5, 9, 30])
def test_errors_follow_the_t_and_chi_laws(k):
    energies, forces = _members(k, seed=100 + k)
    out = committee_spread(energies, forces)
    s = np.std(energies, ddof=1)
    # the mean: t-scaled standard error with K - 1 degrees of freedom
    t1 = stats.t.ppf(stats.norm.cdf(1.0), k - 1)
    assert out["energy"].stderr == pytest.approx(t1 * s / np.sqrt(k), rel=1e-10)
    assert out["energy"].dof == k - 1
    # the spread: the standard deviation of chi(K-1) over its mean
    chi = stats.chi(k - 1)
    assert out["energy_std"].stderr == pytest.approx(
        np.std(energies) * chi.std() / chi.mean(), rel=1e-10)


@pytest.mark.parametrize("k", [5, 8, 20])
def test_one_sigma_coverage_over_normal_replicas(k):
    """The mean's error covers the truth, and the spread's error the spread expected of K
    members (E[population std] = sigma c4 sqrt((K-1)/K)), about 68 % of the time."""
    sigma, truth = 0.2, -12.5
    rng = np.random.default_rng(7 + k)
    hit_mean = hit_spread = 0
    expected_spread = sigma * stats.chi(k - 1).mean() / np.sqrt(k)
    for _ in range(REPLICAS):
        energies = truth + sigma * rng.normal(size=k)
        out = committee_spread(energies, np.zeros((k, 1, 3)))
        assert out["energy"].valid and out["energy_std"].valid
        hit_mean += abs(out["energy"].value - truth) < out["energy"].stderr
        hit_spread += abs(out["energy_std"].value - expected_spread) < out["energy_std"].stderr
    one_sigma = stats.norm.cdf(1) - stats.norm.cdf(-1)
    margin = 4 * np.sqrt(one_sigma * (1 - one_sigma) / REPLICAS)
    assert abs(hit_mean / REPLICAS - one_sigma) < margin
    # the chi law is skewed: 0.66-0.69 for K >= 5 (see committee_spread's notes)
    assert abs(hit_spread / REPLICAS - one_sigma) < margin + 0.02


@pytest.mark.parametrize("k", [2, 6])
def test_members_that_agree_exactly_give_no_valid_number(k):
    out = committee_spread(np.full(k, -3.25), np.ones((k, 2, 3)))
    for key in ("energy", "energy_std"):
        assert not out[key].valid and "agree exactly" in out[key].verdict
        assert out[key].stderr == 0.0
    assert out["energy"].value == -3.25 and out["energy_std"].value == 0.0


def test_invariant_under_a_common_shift_and_scaled_with_the_energies():
    """A constant added to every member moves the mean only; scaling the members scales the
    spread and both errors alike (the errors are the spread's, not the values')."""
    energies, forces = _members(6, seed=3)
    base = committee_spread(energies, forces)
    shifted = committee_spread(energies + 1e3, forces)
    scaled = committee_spread(3.0 * energies, forces)
    assert shifted["energy"].value == pytest.approx(base["energy"].value + 1e3, rel=1e-14)
    assert shifted["energy_std"].value == pytest.approx(base["energy_std"].value, rel=1e-9)
    assert shifted["energy"].stderr == pytest.approx(base["energy"].stderr, rel=1e-9)
    for key in ("energy", "energy_std"):
        assert scaled[key].value == pytest.approx(3.0 * base[key].value, rel=1e-12)
        assert scaled[key].stderr == pytest.approx(3.0 * base[key].stderr, rel=1e-12)
