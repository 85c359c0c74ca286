"""d_optimal_selection checks its ridge as a number in (0, MAX_RIDGE] and follows the
log-determinant greedy at every ridge it takes.

Before: ``ridge=True`` ran as 1.0 and ``"0.1"`` as 0.1, ``None`` or a list failed with
float()'s own TypeError, and ``ridge=1e300`` drowned the frames' information in rounding: the
picks fell to index order, [0, 1, 2], with a log-determinant of 0.0, as a selection.
"""

import numpy as np
import pytest

from ase_electrolyte.active_learning import MAX_RIDGE, d_optimal_selection


def _descriptors(seed, n_frames=14, n_features=4):
    return np.random.default_rng(seed).normal(size=(n_frames, n_features)) * [3.0, 1.0, 0.5,
                                                                               0.2]


def _greedy_logdet(descriptors, n, ridge):
    """The greedy of the docstring by brute force: each pick maximises
    log det(λI + Σ z zᵀ) in feature space, z centred and scaled to mean column variance 1."""
    d = np.asarray(descriptors, float)
    z = d - d.mean(axis=0)
    z = z / np.sqrt(np.mean(z.var(axis=0)))
    picked = []
    for _ in range(n):
        gains = []
        for j in range(len(z)):
            if j in picked:
                gains.append(-np.inf)
                continue
            rows = z[picked + [j]]
            gains.append(np.linalg.slogdet(ridge * np.eye(z.shape[1]) + rows.T @ rows)[1])
        picked.append(int(np.argmax(gains)))
    logdet = (np.linalg.slogdet(ridge * np.eye(z.shape[1]) + z[picked].T @ z[picked])[1]
              - z.shape[1] * np.log(ridge))
    return picked, logdet


@pytest.mark.parametrize("ridge", [1e-3, 0.1, 1.0, 100.0, 1e4, MAX_RIDGE])
@pytest.mark.parametrize("seed", range(3))
def test_the_picks_are_the_log_determinant_greedy_at_every_ridge(ridge, seed):
    d = _descriptors(seed)
    picks, logdet = d_optimal_selection(d, 4, ridge=ridge)
    expected, expected_logdet = _greedy_logdet(d, 4, ridge)
    assert picks == expected
    assert logdet == pytest.approx(expected_logdet, rel=1e-6, abs=1e-12)
    assert logdet > 0


@pytest.mark.parametrize("ridge", [True, False, np.bool_(True), "0.1", None, [0.1], np.nan,
                                   np.inf, -1.0, 0.0, MAX_RIDGE * 1.01, 1e300])
def test_a_ridge_that_is_no_prior_is_refused_by_name(ridge):
    with pytest.raises(ValueError, match=r"ridge \(in units of the mean column variance\)"):
        d_optimal_selection(_descriptors(0), 3, ridge=ridge)
