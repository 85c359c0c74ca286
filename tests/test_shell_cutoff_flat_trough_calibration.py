"""A first-minimum cutoff's error must cover the true minimum of g(r) as often as it claims,
flat troughs included.

The Poisson bootstrap measures how far the minimum of resampled histograms moves around this
histogram's; in a flat trough the minimum may lie anywhere the curve is within its counting
noise of the lowest point, and noise moves it mostly outwards (more room on the flat side).
Over replicas the 95 % intervals of valid cutoffs in flat troughs covered the true minimum in
0.81 of them (0.76-0.90 per case); the error now also reaches the low points of g(r) smoothed
with σ/2 (their root-mean-square distance, weighted by exp(−z²/2) with z their height above its
lowest point in noise sigmas). Steep troughs keep
errors of their size (neither refused nor widened many times).
"""

import warnings

import numpy as np
import pytest
from scipy.stats import binom
from shell_shapes import poisson_replicas, true_first_minimum

from mda_electrolyte import shell_cutoffs
from mda_electrolyte.shell_cutoffs import first_minimum

#: (amp, width, trough, rise, steep): a low first peak before troughs at g = 0.3 and 0.8 that
#: stay flat for 1-2 Å, and three steep ones (sharp, wide, Li–O-like)
FLAT = [(3.0, 0.2, 0.3, 5.5, 0.6), (2.0, 0.3, 0.8, 5.5, 0.6)]
STEEP = [(3.0, 0.1, 0.0, 2.6, 0.08), (3.0, 0.4, 0.0, 3.6, 0.25), (15.0, 0.1, 0.0, 2.9, 0.2)]


def _z_of_valid(shape, scale, seeds, nbins=80):
    """|cutoff − true minimum| / error of the valid cutoffs, and how many were found."""
    truth = true_first_minimum(*shape)
    z, found = [], 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for edges, counts, g in poisson_replicas(*shape, scale, seeds, nbins=nbins):
            cutoff = first_minimum(edges, g, counts=counts)
            if cutoff.cutoff is None:
                continue
            found += 1
            estimate = cutoff.estimate()
            if estimate.valid:
                z.append(abs(estimate.value - truth) / estimate.stderr)
    return np.array(z), found


def test_valid_flat_trough_cutoffs_cover_the_true_minimum():
    # 100 replicas of each flat trough at 3 and 30 pairs per unit g and Å³: 278 valid cutoffs,
    # 95.7 % covered (0.935-0.972 per case; before, 81.4 % of 334, 62 misses); a calibrated 95 %
    # interval misses at most this many (binomial, p = 0.9999: 28)
    z = np.concatenate([_z_of_valid(shape, scale, range(100))[0]
                        for shape in FLAT for scale in (3.0, 30.0)])
    assert z.size >= 150
    misses = int(np.sum(z > 1.96))
    assert misses <= binom.ppf(0.9999, z.size, 0.05), (misses, z.size)


@pytest.mark.parametrize("shape", STEEP)
def test_steep_troughs_keep_valid_cutoffs_and_their_errors(shape, monkeypatch):
    # 40 replicas at 30 pairs per unit g and Å³: every cutoff found, valid and covered; the
    # run of low points adds little to a steep trough's error: at most 1.81 times the
    # bootstrap's alone (the wide shell's nearly empty trough: median 1.52; 1.84-1.89 and
    # 1.54-1.55 over seeds 100-139 and 200-239; the points' summed variances instead of their
    # difference's gave a median of 2.2), the sharp and Li–O-like shells' unchanged
    z, found = _z_of_valid(shape, 30.0, range(40))
    assert found == 40 and z.size == 40
    assert np.sum(z > 1.96) <= binom.ppf(0.9999, z.size, 0.05)
    replicas = list(poisson_replicas(*shape, 30.0, range(40), nbins=80))
    errors = np.array([first_minimum(e, g, counts=c).cutoff_err for e, c, g in replicas])
    monkeypatch.setattr(shell_cutoffs, "_trough_reach", lambda *args: 0.0)
    bootstrap = np.array([first_minimum(e, g, counts=c).cutoff_err for e, c, g in replicas])
    ratio = errors / bootstrap
    assert np.all(ratio >= 1.0 - 1e-12) and ratio.max() <= 2.5 and np.median(ratio) <= 1.8
