"""The 'too short' note of the transport analyses never shows the count it falls short of.

A series of 49.96 independent samples (50 needed) was written "holds 50.0 independent samples
... need 50" beside a not-valid verdict; the count is now rounded down, so the note reads as the
shortfall it is, and a series at or above the threshold has no note.
"""

import numpy as np
import pytest

from mda_electrolyte import correlation, uncertainty
from mda_electrolyte.uncertainty import MIN_INDEPENDENT_SAMPLES


@pytest.mark.parametrize("n_independent", [49.96, 49.999, 49.05, 12.34])
def test_a_count_just_below_the_threshold_is_shown_below_it(monkeypatch, n_independent):
    n = 400
    g = n / n_independent
    monkeypatch.setattr(uncertainty, "timeseries_mean", lambda x: (0.0, 1.0, g))
    series = np.random.default_rng(0).normal(size=(n, 3))
    notes = correlation.independence_notes([series], 1, "the charge current")
    text = [x for x in notes if "independent samples" in x]
    assert len(text) == 1
    shown = float(text[0].split("holds ")[1].split(" independent")[0])
    assert shown < MIN_INDEPENDENT_SAMPLES and shown <= n_independent
    assert shown == pytest.approx(np.floor(n_independent * 10) / 10)


def test_a_count_at_the_threshold_has_no_note(monkeypatch):
    n = 400
    monkeypatch.setattr(uncertainty, "timeseries_mean",
                        lambda x: (0.0, 1.0, n / MIN_INDEPENDENT_SAMPLES))
    series = np.random.default_rng(0).normal(size=(n, 3))
    notes = correlation.independence_notes([series], 1, "the charge current")
    assert not any("independent samples" in x for x in notes)


@pytest.mark.parametrize("n_independent", [49.96, 49.999, 12.34])
def test_the_series_mean_note_is_rounded_down_too(monkeypatch, n_independent):
    # equilibrated_series_mean (density, temperature and pressure means) wrote "50.0 ... need 50"
    n = 400
    g = n / n_independent
    # the stand-in takes what= (equilibrated_series_mean names its series to the helper)
    monkeypatch.setattr(uncertainty, "timeseries_mean", lambda x, **kw: (0.0, 1.0, g))
    series = np.random.default_rng(1).normal(size=n)
    result = uncertainty.equilibrated_series_mean(series, detect=False)
    text = [x for x in result.notes if x.startswith("too short")]
    assert len(text) == 1
    shown = float(text[0].split("too short: ")[1].split(" independent")[0])
    assert shown < MIN_INDEPENDENT_SAMPLES
    assert shown == pytest.approx(np.floor(n_independent * 10) / 10)
