"""Refusals of the transport windows count their lags, runs and frames in words.

The Einstein–Helfand demo printed "the fit window (0.1, 0.3) of a segment holds 1 lags": a
plural for one lag, and two numbers whose meaning (fractions of the segment's length, not
ps) the reader had to guess. Every count of these messages now agrees with its number and a
fractional window says what it is a fraction of.
"""

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import GreenKuboConductivity
from mda_electrolyte.correlation import (
    SegmentValues,
    check_segment_lags,
    fit_window_slice,
    independence_notes,
    plateau_verdict,
)
from mda_electrolyte.ion_collection import IonCollection
from mda_electrolyte.viscosity import _plateau_window


def _words(n, noun):
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# segments of n_rows frames 0.1 ps apart; (0.1, 0.3) of a segment of n rows holds the lags
# from 0.1 (n - 1) to 0.3 (n - 1)
@pytest.mark.parametrize("n_rows, n_in", [(2, 0), (6, 1), (8, 2)])
def test_fraction_window_refusal_counts_and_names_fractions(n_rows, n_in):
    with pytest.raises(ValueError) as info:
        check_segment_lags(n_rows, 0.1, where=f"X: segments of {n_rows} frames",
                           fit_window=(0.1, 0.3), n_blocks=10, n_total=10 * n_rows)
    text = str(info.value)
    assert f"holds {_words(n_in, 'lag')};" in text
    assert "(0.1, 0.3) (fractions of a segment's length)" in text


@pytest.mark.parametrize("window, n_in", [((0.1, 0.12), 1), ((0.1, 0.2), 2), ((0.52, 0.58), 0)])
def test_ps_window_refusal_counts(window, n_in):
    with pytest.raises(ValueError, match=f"holds {_words(n_in, 'lag')};"):
        check_segment_lags(8, 0.1, where="X: segments of 8 frames", fit_window_ps=window,
                           n_blocks=10, n_total=80)


@pytest.mark.parametrize("n, n_in", [(6, 1), (8, 2)])
def test_fit_window_slice_counts_and_names_fractions(n, n_in):
    time = np.arange(n) * 0.1
    with pytest.raises(ValueError) as info:
        fit_window_slice(time, (0.1, 0.3), None)
    text = str(info.value)
    assert f"holds {_words(n_in, 'lag')};" in text
    assert f"fractions of a {time[-1]:.4g} ps segment" in text


@pytest.mark.parametrize("plateau, n_in", [((0.1, 0.105), 1), ((0.101, 0.105), 0)])
def test_viscosity_plateau_refusal_counts(plateau, n_in):
    with pytest.raises(ValueError) as info:
        _plateau_window(plateau, 100, 0.01)
    assert f"holds {_words(n_in, 'lag')} at" in str(info.value)
    assert "(s)" not in str(info.value)


@pytest.fixture(scope="module")
def universe():
    rng = np.random.default_rng(4)
    v = ornstein_uhlenbeck(rng, 400, (6, 3), 0.1, 0.01, 3.0)
    return salt_universe(v, integrate(v, 0.01), n_cations=3, dt=0.01)


def test_conductivity_plateau_refusal_counts(universe):
    with pytest.raises(ValueError) as info:
        GreenKuboConductivity(universe, IONS, 300, max_lag=0.15, plateau=(0.1, 0.105)).run()
    assert "holds 1 lag of the charge-current" in str(info.value)


def test_plateau_drift_refusal_counts():
    time = np.arange(5) * 0.1
    with pytest.raises(ValueError, match=r"holds 1 lag; a drift needs at least 2"):
        plateau_verdict(time, np.ones((3, 5)), slice(2, 3))


@pytest.mark.parametrize("n_runs, n_blocks", [(1, 1), (1, 3), (2, 1)])
def test_segment_values_refusal_counts(n_runs, n_blocks):
    runs = [object() for _ in range(n_runs)]
    with pytest.raises(ValueError) as info:
        SegmentValues(runs, n_blocks, np.ones(n_runs * n_blocks + 1))
    text = str(info.value)
    assert text.startswith(f"{_words(n_runs, 'run')} of {_words(n_blocks, 'block')} each give "
                           f"{_words(n_runs * n_blocks, 'segment')}")


def test_inefficiency_count_refusal_counts():
    rng = np.random.default_rng(0)
    runs = [rng.normal(size=(50, 2)), rng.normal(size=(50, 2))]
    with pytest.raises(ValueError, match="holds 1 run, the series 2 runs"):
        independence_notes(runs, 2, "the current", column_inefficiencies=[[1.0, 1.0]])


def test_one_frame_collection_refusal_counts():
    with pytest.raises(ValueError, match=r": 1 frame \(or samples\)"):
        IonCollection(["Li"], [1], 0.01, velocity_sum=np.zeros((1, 1, 3)))


@pytest.mark.parametrize("n_ions, n_charges", [(1, 2), (2, 1), (3, 2)])
def test_charge_count_refusal_counts(n_ions, n_charges):
    with pytest.raises(ValueError) as info:
        IonCollection(["Li"], [n_ions], 0.01, velocity_sum=np.zeros((4, 1, 3)),
                      charges=[np.ones(n_charges)])
    assert f"{_words(n_charges, 'charge')} for {_words(n_ions, 'ion')}" in str(info.value)
