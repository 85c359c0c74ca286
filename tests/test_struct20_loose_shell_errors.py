"""Loose Li⁺ shells' first-minimum cutoffs (and the coordination numbers counted with them)
carry errors of their scatter, not twice it; troughs whose smoothing shift hides behind two
noise dips stay covered.

Where the move of the minimum from σ/2 to σ is within its counting noise (no correction), the
smoothing's shift was taken as 1.8 × hypot(move, noise) in a trough of one dip and as at
least four noise sigmas in one of two: the noise that the bootstrap's spread already holds,
counted again. Loose shells (Gaussian shells at 2 and 4 Å over a uniform background, a flat
bottom between them) had cutoffs scattered by 0.16 Å about the true minimum with median errors
of 0.30-0.37 Å: median |z| 0.38-0.41 over 100 replicas, coverage 1.0. Now the shift is
1.8 times the larger of this histogram's move and the resamplings' mean move: median |z|
0.44-0.48 (the rest is the trough's reach, which flat troughs with a steep wall need; tests/
test_shell_cutoff_flat_trough_calibration.py).
"""

import warnings

import numpy as np
from scipy.stats import binom
from shell_shapes import poisson_replicas, true_first_minimum
from test_shell_cutoff_reach_calibration import RHO, _loose_replicas, _loose_truth

from mda_electrolyte.shell_cutoffs import first_minimum


def _z(replicas, truth):
    z = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for edges, counts, g in replicas:
            estimate = first_minimum(edges, g, counts=counts).estimate()
            if estimate.valid:
                z.append(abs(estimate.value - truth) / estimate.stderr)
    return np.array(z)


def test_loose_shell_cutoff_errors_follow_their_scatter():
    # 60 replicas each of loose shells with 2 and 4 first-shell atoms over 120 frames:
    # median |z| 0.375 before (0.67 for a calibrated normal error), now 0.46; every 95 %
    # interval still covers (at most the binomial bound of a calibrated one)
    z = np.concatenate([_z(_loose_replicas(first, 8 * 120 * RHO, range(60)), _loose_truth(first))
                        for first in (2.0, 4.0)])
    assert z.size >= 100
    assert np.median(z) >= 0.43, np.median(z)
    assert np.sum(z > 1.96) <= binom.ppf(0.999, z.size, 0.05)


def test_a_slow_shell_tail_before_a_steep_second_shell_stays_covered():
    # the σ-smoothed minimum lies 0.06 Å before the true one (3.69 Å) and the σ/2 curve of a
    # flat trough with two dips follows either: this histogram's move may be 0.01 Å. The
    # error must still cover the shift (a lopsided trough: the reach of its low points and
    # the resamplings' mean move). Dropping the reach where the walls' slopes are alike at
    # half height, tried for loose shells, left 16 of 60 uncovered here: the walls are alike
    # there, the bottom is not
    shape = (3.0, 0.8, 0.3, 4.0, 0.08)
    z = _z(poisson_replicas(*shape, 30.0, range(60), nbins=80), true_first_minimum(*shape))
    assert z.size >= 50
    assert np.sum(z > 1.96) <= binom.ppf(0.999, z.size, 0.05), (np.sum(z > 1.96), z.size)
