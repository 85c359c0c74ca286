"""The errors a comparison combines cover what they say, for unequal replica counts too.

A Yeh–Hummer corrected D adds the correction's error (first order in the viscosity's) to D's,
and a deviation from experiment adds the measured error; each sum has Welch–Satterthwaite
degrees of freedom (:func:`~ase_electrolyte.estimate.propagated_dof`) computed from the
t-scaled errors the table stores. Last round one synthetic case covered 0.935 at 95 %; over
40000 sets per case the cases a valid row can have (at least 5 replicas each: 4 dof) cover
0.949–0.966, and the textbook form (Welch–Satterthwaite on the unscaled errors) 0.942–0.957:
weighting the few-dof term by its t-scaled error is the conservative side of the known liberal
bias of Welch–Satterthwaite with estimated weights. Below 4 dof (3 replicas: 0.941 with a small
measured error) the rows are not valid, and a comparison made from them is not valid either.
Here each case is calibrated through the table's own functions with a fixed seed and binomial
margins of 4σ."""

import math

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from ase_electrolyte.estimate import Estimate  # noqa: E402
from ase_electrolyte.screen.aggregate import (  # noqa: E402
    _combined_dof,
    _combined_error,
    _row,
    _yeh_hummer,
    summary_estimate,
)

TRIALS = 2000
SIGMA = math.sqrt(0.95 * 0.05 / TRIALS)
# not liberal beyond 4 binomial σ; not more than 2.5 % conservative beyond them
LOW, HIGH = 0.95 - 4 * SIGMA, 0.975 + 4 * SIGMA

K_B = 1.380649e-23  # J/K
XI = 2.837297
TEMPERATURE, LENGTH_A = 300.0, 20.0
D_TRUE, ETA_TRUE = 1.0e-10, 3.0  # m²/s, mPa·s


def _correction(eta_mpas):
    """ξ k_B T / (6 π η L) in m²/s, by hand."""
    return XI * K_B * TEMPERATURE / (6 * math.pi * eta_mpas * 1e-3 * LENGTH_A * 1e-10)


def _summary_row(values, unit):
    n = len(values)
    group = {"valid": [True] * n, "value": list(values), "verdict": ["valid"] * n}
    return {**_row(group, n, []), "unit": unit}


def _corrected(rng, n_d, n_eta, d_spread, eta_spread):
    d = _summary_row(rng.normal(D_TRUE, d_spread, n_d), "m^2/s")
    eta = _summary_row(rng.normal(ETA_TRUE, eta_spread, n_eta), "mPa·s")
    d.update(box_length_A=LENGTH_A, box_shape="cubic", measured_temperature_K=TEMPERATURE)
    return d, eta, _yeh_hummer(d, eta)


# D's spread over replicas and η's, chosen so that the correction's error is about D's
# (ratio 1), dominates (3) or is small (1/3): the dof range from n - 1 to the sum of both
CORRECTION_ERROR = _correction(ETA_TRUE) * 0.1  # of a 10 % spread of η over replicas


@pytest.mark.parametrize("n_d, n_eta, ratio, seed", [
    (5, 5, 1.0, 31), (5, 10, 3.0, 32), (10, 5, 1.0, 33), (5, 20, 0.33, 34), (20, 5, 3.0, 35),
])
def test_a_yeh_hummer_corrected_d_is_calibrated_for_unequal_replica_counts(n_d, n_eta, ratio,
                                                                            seed):
    rng = np.random.default_rng(seed)
    truth = D_TRUE + _correction(ETA_TRUE)
    d_spread = CORRECTION_ERROR * math.sqrt(n_d / n_eta) / ratio
    covered, dofs = 0, []
    for _ in range(TRIALS):
        d, eta, (mean, sem, dof, correction, note) = _corrected(
            rng, n_d, n_eta, d_spread, 0.1 * ETA_TRUE)
        assert note is None and math.isfinite(correction)
        # between the fewer replicas' dof and both together
        assert min(n_d, n_eta) - 1 - 1e-9 <= dof <= n_d + n_eta - 2 + 1e-9
        dofs.append(dof)
        low, high = Estimate(mean, sem, "m^2/s", "corrected", dof=dof).interval(0.95)
        covered += low <= truth <= high
    assert LOW < covered / TRIALS < HIGH, covered / TRIALS
    # the combination adds freedom where both errors count
    assert np.median(dofs) > min(n_d, n_eta) - 1


@pytest.mark.parametrize("n, measured_ratio, seed", [(5, 0.3, 41), (5, 1.0, 42), (10, 0.5, 43)])
def test_a_deviation_from_a_measurement_is_calibrated(n, measured_ratio, seed):
    rng = np.random.default_rng(seed)
    spread = 0.1
    measured_error = measured_ratio * spread / math.sqrt(n)
    covered = 0
    for _ in range(TRIALS):
        row = _summary_row(rng.normal(1.0, spread, n), "g/cm^3")
        measured = rng.normal(1.0, measured_error)
        error = _combined_error(row["sem"], measured_error)
        dof = _combined_dof(row["sem"], row["dof"], measured_error)
        low, high = Estimate(row["mean"] - measured, error, "g/cm^3", "deviation",
                             dof=dof).interval(0.95)
        covered += low <= 0.0 <= high
    assert LOW < covered / TRIALS < HIGH, covered / TRIALS


def test_a_corrected_d_compared_with_a_measurement_is_calibrated_through_both_steps():
    # two Welch–Satterthwaite steps in a row: D with η's term, then with the measured error
    rng = np.random.default_rng(51)
    truth = D_TRUE + _correction(ETA_TRUE)
    measured_error = CORRECTION_ERROR / math.sqrt(5)
    covered = 0
    for _ in range(TRIALS):
        _, _, (mean, sem, dof, _, _) = _corrected(rng, 5, 5, CORRECTION_ERROR, 0.1 * ETA_TRUE)
        measured = rng.normal(truth, measured_error)
        low, high = Estimate(mean - measured, _combined_error(sem, measured_error), "m^2/s",
                             "deviation", dof=_combined_dof(sem, dof, measured_error)
                             ).interval(0.95)
        covered += low <= 0.0 <= high
    assert LOW < covered / TRIALS < HIGH, covered / TRIALS


def test_below_four_dof_the_combination_is_not_offered_as_valid():
    # 3 replicas: Welch–Satterthwaite from 2 dof is liberal; such a row is not valid, and its
    # interval is refused unless asked for explicitly
    rng = np.random.default_rng(61)
    row = _summary_row(rng.normal(1.0, 0.1, 3), "g/cm^3")
    assert not row["valid"] and "degrees of freedom" in row["verdict"]
    with pytest.raises(ValueError, match="not valid"):
        summary_estimate(row).interval(0.95)
