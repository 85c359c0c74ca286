"""The MSD fit window of every Einstein-type transport analysis, OnsagerCoefficients included.

OnsagerCoefficients took ``fit_window`` (fractions) but not ``fit_window_ps``, which
EinsteinHelfandConductivity, Diffusion and EinsteinHelfandViscosity take
(``TypeError: unexpected keyword argument 'fit_window_ps'``). Its σ is the charge-dipole MSD's
slope, as Einstein–Helfand's: with the same window in ps both give the same number.

A window with no effect is refused: with ``method="green-kubo"`` Onsager ignored ``fit_window``
without a word, and every analysis given both windows fitted ``fit_window_ps`` and dropped
``fit_window`` silently.
"""

import warnings

import numpy as np
import pytest
from test_viscosity import DT as DT_P
from test_viscosity import pressure_process
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    EinsteinHelfandViscosity,
    OnsagerCoefficients,
)
from mda_electrolyte.conductivity import _conductivity_prefactor

TAU, DT, S, BOX, T = 0.5, 0.05, 2.0, 40.0, 300.0
N_FRAMES = 4000


@pytest.fixture(scope="module")
def salt():
    rng = np.random.default_rng(52)
    n = 4
    v = ornstein_uhlenbeck(rng, N_FRAMES, (2 * n, 3), TAU, DT, S)
    return salt_universe(v, integrate(v, DT, rng.uniform(0, BOX, (2 * n, 3))), n_cations=n,
                         dt=DT, box=BOX)


# segments of 400 frames (20 ps): windows from 1.5 to 12 ps
@pytest.mark.parametrize("window_ps", [(2.0, 6.0), (1.5, 4.0), (4.0, 12.0)])
def test_onsager_takes_a_window_in_ps_as_einstein_helfand_does(salt, window_ps):
    on = OnsagerCoefficients(salt, IONS, T, fit_window_ps=window_ps).run().results
    eh = EinsteinHelfandConductivity(salt, IONS, temperature=T,
                                     fit_window_ps=window_ps).run().results
    assert on.fit_window == pytest.approx(window_ps, abs=1e-9)
    assert on.fit_window == pytest.approx(eh.fit_window)
    # Σ z_i z_j ⟨ΔR_i·ΔR_j⟩ is the dipole MSD: the same slope over the same lags
    assert on.sigma == pytest.approx(eh.sigma, rel=1e-6)
    assert on.sigma_err == pytest.approx(eh.sigma_err, rel=1e-6)
    # and the same as the fractions that pick those lags
    duration = on.time[-1]
    frac = OnsagerCoefficients(salt, IONS, T, fit_window=(window_ps[0] / duration,
                                                          window_ps[1] / duration)).run()
    np.testing.assert_allclose(frac.results.L, on.L, rtol=1e-9)


def test_onsager_window_in_ps_recovers_the_analytic_matrix(salt):
    on = OnsagerCoefficients(salt, IONS, T, fit_window_ps=(2.0, 6.0)).run().results
    # independent OU particles: L_ii = N s² τ / (V k_B T) (prefactor of the 3-D integral)
    exact = _conductivity_prefactor(BOX**3, T, 3) * 3 * S**2 * TAU * 4
    for name in ("Li", "AN"):
        e = on.coefficients[f"{name}-{name}"]
        assert abs(e.value - exact) < 4 * e.stderr
    cross = on.coefficients["AN-Li"]
    assert abs(cross.value) < 4 * cross.stderr


def test_onsager_window_in_ps_is_checked_before_the_pass(salt):
    with pytest.raises(ValueError, match="fit_window_ps"):
        OnsagerCoefficients(salt, IONS, T, fit_window_ps=(3.0, 1.0))
    # a window of fewer than 3 lags of 0.05 ps
    with pytest.raises(ValueError, match="holds 2 lags"):
        OnsagerCoefficients(salt, IONS, T, fit_window_ps=(1.0, 1.06)).run()


@pytest.mark.parametrize("window", [{"fit_window": (0.1, 0.3)}, {"fit_window_ps": (1.0, 2.0)},
                                    {"fit_window": (0.2, 0.5), "fit_window_ps": (1.0, 2.0)}])
def test_green_kubo_onsager_refuses_a_fit_window(salt, window):
    with pytest.raises(ValueError, match="no effect") as info:
        OnsagerCoefficients(salt, IONS, T, method="green-kubo", **window)
    for key in window:
        assert key in str(info.value)


def _make(kind, salt, **window):
    if kind == "onsager":
        return OnsagerCoefficients(salt, IONS, T, **window)
    if kind == "einstein-helfand":
        return EinsteinHelfandConductivity(salt, IONS, temperature=T, **window)
    if kind == "diffusion":
        return Diffusion(salt, IONS, **window)
    return EinsteinHelfandViscosity(pressure_process(0, n=2000), temperature=T, volume=BOX**3,
                                    dt=DT_P, **window)


KINDS = ["onsager", "einstein-helfand", "diffusion", "viscosity"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fractions", [(0.1, 0.3), (0.2, 0.6), [0.1, 0.6]])
def test_both_windows_are_refused(salt, kind, fractions):
    with pytest.raises(ValueError, match="both given") as info:
        _make(kind, salt, fit_window=fractions, fit_window_ps=(1.0, 3.0))
    assert "no effect" in str(info.value)


@pytest.mark.parametrize("kind", KINDS)
def test_the_default_window_is_unchanged(salt, kind):
    defaults = {"diffusion": (0.1, 0.6)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        plain = _make(kind, salt).run().results
        given = _make(kind, salt, fit_window=defaults.get(kind, (0.1, 0.3))).run().results
    assert plain.fit_window == pytest.approx(given.fit_window)
