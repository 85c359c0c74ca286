"""pooled_ratio_estimate (the mean angles' and SSIP-network shares' Estimate) refuses series
that are not one sum and one event count per frame.

Before: a single sum beside 200 counts was broadcast into a valid 0.31 (for a mean angle of
107°), negative counts gave a valid -107°, fractional counts a valid 97.6°, one NaN sum named
every frame ("indices 0, 1, 2, 3, 4, ... (200 in all)") instead of the one that was NaN, series
of different lengths failed in numpy's broadcasting without a name, and no frames at all
answered None as if no event had occurred.
"""

import numpy as np
import pytest

from mda_electrolyte.shell_summary import angle_mean_estimate, pooled_ratio_estimate


def _angles(n_frames=200, seed=0):
    rng = np.random.default_rng(seed)
    counts = rng.poisson(5, n_frames).astype(float)
    sums = np.array([rng.normal(107.0, 5.0, int(k)).sum() for k in counts])
    return sums, counts


def test_the_ratio_is_the_pooled_mean_of_the_events():
    sums, counts = _angles()
    est = angle_mean_estimate(sums, counts, 8)
    assert est.value == pytest.approx(sums.sum() / counts.sum(), rel=1e-12)
    assert est.unit == "°"
    # independent frames: the error of a mean of ~1000 angles of sd 5°
    assert est.stderr == pytest.approx(5.0 / np.sqrt(counts.sum()), rel=0.3)


def _bad_cases():
    sums, counts = _angles()
    nan_sums = sums.copy()
    nan_sums[17] = np.nan
    inf_counts = counts.copy()
    inf_counts[5] = np.inf
    zero = counts.copy()
    zero[3] = 0.0
    return [
        ("one sum", sums[:1], counts, "holds 1 frames"),
        ("fewer counts", sums, counts[:100], "frame_counts 100"),
        ("negative counts", sums, -counts, "whole numbers >= 0"),
        ("fractional counts", sums, counts + 0.5, "whole numbers >= 0"),
        ("NaN sum", nan_sums, counts, "frame 17 is nan"),
        ("inf count", sums, inf_counts, "frame 5 is inf"),
        ("no frames", [], [], "at least one frame"),
        ("2-D", sums.reshape(20, 10), counts.reshape(20, 10), "shape \\(20, 10\\)"),
        ("text", "ab", "cd", "must be numbers"),
        ("a sum over no event", sums, zero, "frame 3 sums"),
    ]


@pytest.mark.parametrize("what, sums, counts, words", _bad_cases(),
                         ids=[c[0] for c in _bad_cases()])
@pytest.mark.parametrize("function", [pooled_ratio_estimate, angle_mean_estimate])
def test_series_that_are_not_one_sum_and_count_per_frame_are_refused(function, what, sums,
                                                                     counts, words):
    with pytest.raises(ValueError, match=words):
        function(sums, counts, 8)


def test_frames_without_events_are_none_and_count_in_the_error():
    sums, counts = _angles()
    assert pooled_ratio_estimate(np.zeros(10), np.zeros(10), 8) is None
    # frames without an event count with z_f = m: the same mean, a smaller error per frame
    padded = pooled_ratio_estimate(np.r_[sums, np.zeros(200)], np.r_[counts, np.zeros(200)], 8)
    assert padded.value == pytest.approx(sums.sum() / counts.sum(), rel=1e-12)
