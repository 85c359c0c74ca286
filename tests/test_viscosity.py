"""Shear viscosity on pressure-tensor processes with known Green–Kubo integrals."""

import warnings

import matplotlib
import numpy as np
import pytest
from scipy import constants
from transport_data import ornstein_uhlenbeck

from mda_electrolyte import EinsteinHelfandViscosity, GreenKuboViscosity

matplotlib.use("Agg")

DT, TAU, S, V, T = 0.01, 0.2, 300.0, 2.0e4, 300.0  # ps, ps, bar, Å³, K


def pressure_process(seed, n=20000, isotropic=500.0):
    """Isotropic liquid's pressure tensor: every shear component ∫<P P> dt = S² TAU.

    Off-diagonal elements (symmetric) are OU processes of variance S²; the traceless diagonal
    is spanned by two orthonormal traceless directions with OU amplitudes of variance 2 S², so
    that Var(P°_xx) = 4/3 S², as isotropy demands; a fluctuating isotropic pressure is added.
    """
    rng = np.random.default_rng(seed)
    off = ornstein_uhlenbeck(rng, n, (3,), TAU, DT, S)
    amp = ornstein_uhlenbeck(rng, n, (2,), TAU, DT, np.sqrt(2) * S)
    e1 = np.array([1, -1, 0]) / np.sqrt(2)
    e2 = np.array([1, 1, -2]) / np.sqrt(6)
    p = np.zeros((n, 3, 3))
    p[:, [0, 1, 2], [0, 1, 2]] = amp[:, :1] * e1 + amp[:, 1:] * e2 + isotropic
    p[:, [0, 1, 2], [0, 1, 2]] += 50 * rng.normal(size=(n, 1))
    for k, (a, b) in enumerate(((0, 1), (0, 2), (1, 2))):
        p[:, a, b] = p[:, b, a] = off[:, k]
    return p


# η = V/(k_B T) S² TAU: Å³ bar² ps / J -> Pa·s -> mPa·s
EXACT = V * 1e-30 * (S * 1e5) ** 2 * TAU * 1e-12 / (constants.k * T) * 1e3


@pytest.mark.parametrize("components", ["traceless", "offdiagonal"])
def test_green_kubo_and_einstein_helfand_recover_the_integral(components):
    p = pressure_process(1)
    kw = dict(temperature=T, volume=V, dt=DT, components=components)
    gk = GreenKuboViscosity(p, max_lag=10 * TAU, **kw).run().results
    assert abs(gk.viscosity - EXACT) < 3 * gk.viscosity_err
    assert gk.viscosity == pytest.approx(EXACT, rel=0.15)
    assert gk.sampling["resolved"] and gk.n_segments == 10
    eh = EinsteinHelfandViscosity(p, **kw).run().results
    assert abs(eh.viscosity - EXACT) < 3 * eh.viscosity_err
    assert eh.valid


def test_traceless_average_is_less_noisy_than_off_diagonal():
    errs = {}
    for c in ("traceless", "offdiagonal"):
        errs[c] = [
            GreenKuboViscosity(pressure_process(s), temperature=T, volume=V, dt=DT,
                               max_lag=10 * TAU, components=c).run().results.viscosity_err
            for s in (2, 3, 4)
        ]
    # five shear components instead of three: errors shrink by about sqrt(3/5)
    assert np.mean(errs["traceless"]) < 0.9 * np.mean(errs["offdiagonal"])


def test_errors_are_calibrated_over_replicas():
    z_gk, z_eh = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for seed in range(24):
            p = pressure_process(100 + seed, n=10000)
            kw = dict(temperature=T, volume=V, dt=DT)
            gk = GreenKuboViscosity(p, max_lag=10 * TAU, **kw).run().results
            z_gk.append((gk.viscosity - EXACT) / gk.viscosity_err)
            eh = EinsteinHelfandViscosity(p, **kw).run().results
            z_eh.append((eh.viscosity - EXACT) / eh.viscosity_err)
    for z in (z_gk, z_eh):
        assert 0.7 <= np.std(z, ddof=1) <= 1.35, np.std(z, ddof=1)


def test_short_integral_is_not_converged_and_coarse_samples_are_refused():
    p = pressure_process(5)
    with pytest.warns(RuntimeWarning, match="not converged"):
        r = GreenKuboViscosity(p, temperature=T, volume=V, dt=DT, max_lag=TAU).run().results
    assert not r.valid
    with pytest.raises(ValueError, match="every 500 fs.*pressure-tensor"):
        GreenKuboViscosity(p[::50], temperature=T, volume=V, dt=50 * DT).run()


def test_bad_input_and_plot():
    with pytest.raises(ValueError, match=r"\(T, 3, 3\)"):
        GreenKuboViscosity(np.zeros((10, 3)), temperature=T, volume=V, dt=DT)
    with pytest.raises(ValueError, match="dt="):
        GreenKuboViscosity(np.zeros((10, 3, 3)), temperature=T)
    with pytest.raises(ValueError, match="components"):
        GreenKuboViscosity(pressure_process(6, n=100), temperature=T, volume=V, dt=DT,
                           components="xy")
    gk = GreenKuboViscosity(pressure_process(6), temperature=T, volume=V, dt=DT,
                            max_lag=10 * TAU).run()
    assert gk.plot().get_ylabel() == "η(τ) (mPa·s)"
    eh = EinsteinHelfandViscosity(pressure_process(6), temperature=T, volume=V, dt=DT).run()
    assert "η" in eh.plot().get_title()
    matplotlib.pyplot.close("all")
