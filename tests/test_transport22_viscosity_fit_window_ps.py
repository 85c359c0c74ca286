"""EinsteinHelfandViscosity takes its fit window in ps, as Einstein–Helfand conductivity and
Diffusion do (``fit_window_ps=`` was a TypeError there, "unexpected keyword argument")."""

import warnings

import numpy as np
import pytest
from test_viscosity import DT, EXACT, TAU, T, V, pressure_process

from mda_electrolyte import EinsteinHelfandViscosity
from mda_electrolyte.ion_collection import IonCollection

KW = dict(temperature=T, volume=V, dt=DT)


def test_a_window_in_ps_is_the_same_fit_as_the_fractions_that_pick_the_same_lags():
    p = pressure_process(11, n=10000)
    frac = EinsteinHelfandViscosity(p, fit_window=(0.1, 0.3), **KW).run().results
    lo, hi = frac.fit_window
    ps = EinsteinHelfandViscosity(p, fit_window_ps=(lo, hi), **KW).run().results
    assert ps.fit_window == frac.fit_window
    assert ps.viscosity == pytest.approx(frac.viscosity, rel=1e-12)
    assert ps.viscosity_err == pytest.approx(frac.viscosity_err, rel=1e-12)
    # the same through from_collections
    col = IonCollection.from_pressure_tensor(p, dt=DT, volume=V)
    again = EinsteinHelfandViscosity.from_collections(col, temperature=T,
                                                      fit_window_ps=(lo, hi)).run().results
    assert again.viscosity == pytest.approx(ps.viscosity, rel=1e-12)


def test_a_window_in_ps_past_the_correlation_recovers_the_integral():
    # 10 to 30 correlation times: the MSD of the integrated stress is straight there
    p = pressure_process(12, n=20000)
    r = EinsteinHelfandViscosity(p, fit_window_ps=(10 * TAU, 30 * TAU), **KW).run().results
    assert r.fit_window == pytest.approx((10 * TAU, 30 * TAU), abs=DT)
    assert abs(r.viscosity - EXACT) < 3.5 * r.viscosity_err


def test_a_window_past_the_segment_warns_and_one_of_too_few_lags_is_refused_before_work():
    p = pressure_process(13, n=4000)
    with pytest.warns(RuntimeWarning, match="ends beyond the last lag"):
        r = EinsteinHelfandViscosity(p, fit_window_ps=(0.5, 100.0), **KW).run().results
    assert r.fit_window[1] == pytest.approx(np.arange(400)[-1] * DT)
    with pytest.raises(ValueError, match="0 <= start < stop"):
        EinsteinHelfandViscosity(p, fit_window_ps=(2.0, 1.0), **KW)
    analysis = EinsteinHelfandViscosity(p, fit_window_ps=(0.0, 0.015), **KW)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="holds 2 lags"):
            analysis.run()
    assert "time" not in analysis.results
