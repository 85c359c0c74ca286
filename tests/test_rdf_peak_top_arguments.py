"""peak_top names the arguments it would misread instead of answering with a reason.

A NaN ``min_pairs`` passed over every bin ("no bin holds nan pairs or more"), a negative one let
bins of no pairs be fitted, and negative counts read as sparse bins: each is a ValueError now.
"""

import numpy as np
import pytest

from mda_electrolyte.rdf import peak_top

CENTRES = np.arange(0.025, 8.0, 0.05)
G = 1.0 + 5.0 * np.exp(-((CENTRES - 2.0) ** 2) / 0.02)
COUNTS = np.round(G * CENTRES**2 * 50)


@pytest.mark.parametrize("min_pairs", [np.nan, np.inf, -1, True, "5", [5]])
def test_a_bad_min_pairs_is_refused(min_pairs):
    with pytest.raises(ValueError, match="min_pairs"):
        peak_top(CENTRES, G, COUNTS, min_pairs=min_pairs)


def test_negative_counts_are_refused():
    counts = COUNTS.copy()
    counts[40] = -3
    with pytest.raises(ValueError, match="counts must be pair counts >= 0"):
        peak_top(CENTRES, G, counts)


@pytest.mark.parametrize("min_pairs", [None, 0, 5, 5.0, np.int64(5)])
def test_valid_thresholds_give_the_same_peak(min_pairs):
    top = peak_top(CENTRES, G, COUNTS, min_pairs=min_pairs)
    assert top.reason == ""
    # a Gaussian of σ = 0.1 Å on the ideal-gas level: its top at 2 Å, 6 high
    assert top.position == pytest.approx(2.0, abs=1e-6)
    assert top.height == pytest.approx(6.0, rel=0.01)
