"""Every time window of the transport analyses either fits the run or says what was done.

Before, ``fit_window_ps`` ending beyond a segment (Einstein–Helfand, Diffusion) was cut to the
segment without a word, and a Green–Kubo ``plateau`` beyond the lags of a run without
``max_lag`` was refused only after the whole pass. Now a ps fit window ending beyond the last lag
warns, naming the window used and the longest one a segment allows, and the fit is the one of
that window; the plateau, ``max_lag`` and every window a run cannot hold are refused before the
first frame (a damaged last frame shows it: the pass would stop on it with its own message).
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    EinsteinHelfandViscosity,
    GreenKuboConductivity,
    GreenKuboViscosity,
    OnsagerCoefficients,
)
from mda_electrolyte.correlation import fit_window_slice

T, DT, TAU, N = 300.0, 0.01, 0.05, 6
N_FRAMES = 400  # 3.99 ps; 10 blocks of 40 frames: the last lag of a segment is 0.39 ps


def _universe(nan_last=False, seed=3):
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, N_FRAMES, (2 * N, 3), TAU, DT, 2.0)
    grid = 5.0 * np.array(np.unravel_index(np.arange(2 * N), (4, 4, 4))).T + 2.0
    x = integrate(v, DT, grid)
    if nan_last:
        x[-1, 0] = v[-1, 0] = np.nan
    return salt_universe(v, x, n_cations=N, dt=DT)


def _clip_warnings(record):
    return [str(w.message) for w in record if "ends beyond the last lag" in str(w.message)]


CLIPPED = {
    "EinsteinHelfandConductivity": lambda w: EinsteinHelfandConductivity(
        _universe(), IONS, T, fit_window_ps=w),
    "Diffusion": lambda w: Diffusion(_universe(), IONS, fit_window_ps=w, n_blocks=10),
}


@pytest.mark.parametrize("name", CLIPPED)
def test_a_ps_fit_window_beyond_the_segment_warns_and_records_the_window_used(name):
    last = 39 * DT  # a segment of 40 frames (10 blocks)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        clipped = CLIPPED[name]((0.1, 50.0)).run().results
    messages = _clip_warnings(record)
    assert len(messages) == 1, messages
    assert "(0.1, 50.0) ps" in messages[0] and "allows ends at 0.39 ps" in messages[0]
    assert clipped.fit_window == pytest.approx((0.1, last))
    # the same fit as the window a segment holds, asked for explicitly: no warning then
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        inside = CLIPPED[name]((0.1, last)).run().results
    assert not _clip_warnings(record)
    assert inside.fit_window == clipped.fit_window
    value = "sigma" if name.startswith("Einstein") else "D"
    assert clipped[value] == inside[value]


def test_fit_window_slice_warns_only_beyond_the_last_lag_by_more_than_round_off():
    time = np.arange(41) * 0.01
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        # 0.4 as written, with the round-off of 40 * 0.01
        assert fit_window_slice(time, (0.1, 0.3), (0.1, 0.4)) == slice(10, 41)
        assert fit_window_slice(time, (0.1, 0.3), (0.1, 0.4 + 1e-6)) == slice(10, 41)
    with pytest.warns(RuntimeWarning, match=r"uses 0.1-0.4 ps .*allows ends at 0.4 ps"):
        assert fit_window_slice(time, (0.1, 0.3), (0.1, 0.41)) == slice(10, 41)
    # a window starting beyond the last lag holds none: refused, as before
    with pytest.raises(ValueError, match="holds 0 lags"):
        fit_window_slice(time, (0.1, 0.3), (0.5, 0.9))


REFUSED_BEFORE_THE_PASS = [
    # a plateau beyond the lags of a run without max_lag (half a segment: 0.19 ps)
    ("GreenKuboConductivity(plateau)",
     lambda u: GreenKuboConductivity(u, IONS, T, plateau=(0.1, 0.3)),
     r"plateau window ends at 0.3 ps, beyond the longest lag without max_lag, 0.2 ps"),
    ("GreenKuboConductivity(max_lag)",
     lambda u: GreenKuboConductivity(u, IONS, T, max_lag=0.5),
     "max_lag = 0.5 ps needs segments of more than"),
    ("OnsagerCoefficients(max_lag)",
     lambda u: OnsagerCoefficients(u, IONS, T, method="green-kubo", max_lag=0.5),
     "max_lag = 0.5 ps needs segments of more than"),
    ("EinsteinHelfandConductivity(fit_window_ps)",
     lambda u: EinsteinHelfandConductivity(u, IONS, T, fit_window_ps=(0.5, 0.9)),
     r"fit window \(0.5, 0.9\) ps holds 0 lags"),
    ("Diffusion(fit_window_ps)",
     lambda u: Diffusion(u, IONS, fit_window_ps=(0.38, 0.9), n_blocks=10),
     r"fit window \(0.38, 0.9\) ps holds 2 lags"),
]


@pytest.mark.parametrize("case, make, match", REFUSED_BEFORE_THE_PASS,
                         ids=[c[0] for c in REFUSED_BEFORE_THE_PASS])
def test_windows_a_run_cannot_hold_are_refused_before_its_damaged_last_frame(case, make, match):
    u = _universe(nan_last=True)
    with pytest.raises(ValueError, match=match):
        make(u).run()
    assert u.trajectory.ts.frame == 0


def test_the_plateau_at_the_last_lag_is_accepted():
    u = _universe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = GreenKuboConductivity(u, IONS, T, plateau=(0.1, 0.2)).run().results
    assert res.plateau == pytest.approx((0.1, 0.2)) and np.isfinite(res.sigma)


def test_viscosity_windows_beyond_the_lags_are_refused_on_construction():
    rng = np.random.default_rng(5)
    p = np.zeros((2000, 3, 3))
    off = ornstein_uhlenbeck(rng, 2000, (3,), 0.02, 0.002, 300.0)
    for k, (a, b) in enumerate(((0, 1), (0, 2), (1, 2))):
        p[:, a, b] = p[:, b, a] = off[:, k]
    kw = dict(temperature=T, volume=2.0e4, dt=0.002, n_blocks=2)
    with pytest.raises(ValueError, match="max_lag = 5.0 ps needs segments of more than"):
        GreenKuboViscosity(p, max_lag=5.0, **kw)
    with pytest.raises(ValueError, match=r"plateau window .* ends beyond the longest lag"):
        GreenKuboViscosity(p, max_lag=0.2, plateau=(0.1, 0.3), **kw)
    with pytest.raises(ValueError, match="fit_window"):
        EinsteinHelfandViscosity(p, fit_window=(0.1, 1.5), **kw)
