"""The "too few changes" rule judges discrete series only.

A series that changed value a few times (a shell that exchanged once) carries at most that
many independent values whatever its autocorrelation says. A continuous series changes in every
sample, so its changes are its samples less one: a temperature kept at 19 frames was told
"too few changes: the value changed 18 times", a note about events that a continuous series
does not have (its length is judged by the count of independent samples).
"""

import numpy as np
import pytest

from mda_electrolyte.frame_estimates import frame_average
from mda_electrolyte.uncertainty import equilibrated_series_mean


def _continuous(kind, n, seed):
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return 300.0 + 5.0 * rng.normal(size=n)
    if kind == "ar1":
        x = np.empty(n)
        x[0] = rng.normal()
        for i in range(1, n):
            x[i] = 0.8 * x[i - 1] + 0.6 * rng.normal()
        return 1.2 + 0.01 * x
    # a thermostat's relaxation with noise, as a demo's temperature kept every observe interval
    return 300.0 + 60.0 * np.exp(-np.arange(n) / 4.0) + 3.0 * rng.normal(size=n)


def _changes_notes(notes):
    return [n for n in notes if n.startswith("too few changes")]


@pytest.mark.parametrize("n", [6, 10, 19])
@pytest.mark.parametrize("kind", ["normal", "ar1", "relaxing"])
def test_a_continuous_series_gets_no_few_changes_note(kind, n):
    x = _continuous(kind, n, seed=n)
    est = frame_average(x, n_ions=20, unit="K", what="temperature")
    assert _changes_notes(est.notes) == []
    # still refused, by the count of independent samples that judges a short series
    assert not est.valid
    assert any(note.startswith("too short") for note in est.notes)
    series = equilibrated_series_mean(x, detect=False)
    assert _changes_notes(series.notes) == []
    assert any(note.startswith("too short") for note in series.notes)


def _discrete(kind, n, seed):
    rng = np.random.default_rng(seed)
    if kind == "step":
        return np.r_[np.zeros(n // 2), np.ones(n - n // 2)]
    if kind == "blip":
        x = np.full(n, 0.25)
        x[n // 2] = 0.5
        return x
    if kind == "integers":
        # a coordination number among 3 values, held over stretches of frames
        return np.repeat(rng.integers(4, 7, size=10), -(-n // 10))[:n].astype(float)
    # a fraction of 4 ions that exchanged a few times
    x = np.full(n, 0.5)
    x[n // 3 : n // 3 + 2] = 0.75
    x[2 * n // 3] = 0.25
    return x


@pytest.mark.parametrize("n", [10, 19, 60, 200])
@pytest.mark.parametrize("kind", ["step", "blip", "integers", "fraction"])
def test_a_discrete_series_of_few_changes_stays_refused(kind, n):
    x = _discrete(kind, n, seed=n)
    changes = int(np.count_nonzero(np.diff(x)))
    assert 1 <= changes < 19
    est = frame_average(x, n_ions=4)
    assert not est.valid
    assert _changes_notes(est.notes) == [
        f"too few changes: the value changed {changes} time{'' if changes == 1 else 's'} "
        "(a calibrated error needs at least 19)"]
    series = equilibrated_series_mean(x, detect=False)
    assert len(_changes_notes(series.notes)) == 1


def test_a_long_continuous_series_keeps_its_verdict():
    # the rule never fired for 20 samples or more; a long i.i.d. series stays valid and near
    x = _continuous("normal", 400, seed=3)
    est = frame_average(x, n_ions=20)
    assert est.valid
    assert abs(est.value - 300.0) < 4 * est.stderr
