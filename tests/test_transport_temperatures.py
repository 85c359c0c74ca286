"""Nernst–Einstein and the temperatures its inputs were computed at; MSDs without a slope.

σ_NE, σ (Green–Kubo, Einstein–Helfand) and the Yeh–Hummer term are all divided by k_B T: an
α_d = σ/σ_NE whose σ was computed at another temperature is off by their ratio, and velocities
whose kinetic temperature is ten times the one given mean a temperature (or unit) mistake. An MSD
that does not grow (frozen ions) has no log-log slope: its D of 0 is not a diffusive result.
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
    NernstEinstein,
)
from mda_electrolyte.correlation import loglog_slope, not_diffusive_note
from mda_electrolyte.ion_collection import IonCollector

TAU, DT, S, BOX, T = 0.5, 0.05, 2.0, 40.0, 300.0
#: S (Å/ps) is the velocity spread per component of these ions: their kinetic temperature
#: m S² / k_B is far from 300 K, so the tests scale it to the temperature they need.
_NE = dict(diffusivities={"Li": 0.5, "AN": 0.5}, n_ions={"Li": 4, "AN": 4},
           charges={"Li": 1.0, "AN": -1.0}, volume=BOX**3)


@pytest.fixture(scope="module")
def salt():
    rng = np.random.default_rng(7)
    v = ornstein_uhlenbeck(rng, 1500, (8, 3), TAU, DT, S)
    x = integrate(v, DT, rng.uniform(0, BOX, (8, 3)))
    return salt_universe(v, x, n_cations=4, dt=DT, box=BOX)


def _kinetic(u):
    col = IonCollector(u, IONS, velocities=True).run().collection
    return col, col.kinetic_temperature


@pytest.mark.parametrize("estimator", [GreenKuboConductivity, EinsteinHelfandConductivity])
def test_alpha_d_refuses_a_conductivity_at_another_temperature(salt, estimator):
    kw = {"max_lag": 2.0} if estimator is GreenKuboConductivity else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sigma = estimator(salt, IONS, temperature=T, **kw).run()
    with pytest.raises(ValueError, match=r"temperature=350 K, but the conductivity analysis "
                                         r"used 300 K"):
        NernstEinstein(temperature=350.0, conductivity=sigma, **_NE)
    # the same temperature: α_d = σ/σ_NE, σ the analysis' own number
    ne = NernstEinstein(temperature=T, conductivity=sigma, **_NE).results
    assert ne.dissociation.value == pytest.approx(sigma.results.conductivity.value
                                                  / ne.conductivity.value, rel=1e-12)
    # an Estimate or a plain number carries no temperature: not judged (a σ of 300 S/m is no
    # temperature)
    for given in (sigma.results.conductivity, 300.0, (300.0, 1.0)):
        assert NernstEinstein(temperature=350.0, conductivity=given, **_NE).results.dissociation


def test_diffusion_with_a_yeh_hummer_temperature_must_match(salt):
    d = Diffusion(salt, IONS, viscosity=(1.0, 0.1), temperature=T, unwrap=True).run()
    with pytest.raises(ValueError, match=r"temperature=320 K, but the Diffusion analysis "
                                         r"\(Yeh–Hummer\) used 300 K"):
        NernstEinstein(d, temperature=320.0)
    # a viscosity analysis' temperature, taken by Diffusion, is the one judged
    # a symmetric tensor: one with independent P_xy and P_yx is refused (MAX_ANTISYMMETRY)
    p = np.random.default_rng(0).normal(size=(400, 3, 3)) * 50
    eta = EinsteinHelfandViscosity(p + p.transpose(0, 2, 1), temperature=T, volume=BOX**3,
                                   dt=0.001).run()
    d2 = Diffusion(salt, IONS, viscosity=eta, unwrap=True).run()
    with pytest.raises(ValueError, match="used 300 K"):
        NernstEinstein(d2, temperature=310.0)
    ne = NernstEinstein(d, temperature=T).results
    # σ_NE = e²/(V k_B T) Σ N z² D, from the D it was given
    assert ne.conductivity.value == pytest.approx(
        NernstEinstein(temperature=T, diffusivities=d.results.diffusion_coefficient,
                       n_ions=d.results.n_ions, charges=d.results.charges,
                       volume=d.results.volume).results.conductivity.value, rel=1e-12)


def test_from_collections_judges_the_kinetic_temperature(salt):
    col, kinetic = _kinetic(salt)
    assert kinetic > 0
    ok = NernstEinstein.from_collections(col, temperature=kinetic).results
    assert not any("kinetic temperature" in n for n in ok.conductivity.notes)
    # the velocities say twenty times the temperature given: K vs a unit slip, not a result
    bad = NernstEinstein.from_collections(col, temperature=kinetic / 20).results
    assert not bad.conductivity.valid
    assert any("kinetic temperature" in n for n in bad.conductivity.notes)
    assert all(not t.valid for t in bad.transference_numbers.values())
    # σ_NE ∝ 1/T exactly
    assert bad.conductivity.value == pytest.approx(20 * ok.conductivity.value, rel=1e-12)
    # a run Diffusion that read velocities passes its collections' kinetic temperature on
    d = Diffusion.from_collections(col)
    assert not NernstEinstein(d, temperature=kinetic / 20).results.conductivity.valid
    assert NernstEinstein(d, temperature=kinetic).results.conductivity.value == pytest.approx(
        ok.conductivity.value, rel=1e-12)
    # a viscosity for the Yeh–Hummer term uses Nernst–Einstein's temperature (it refused,
    # "needs temperature=", the one given)
    yh = NernstEinstein.from_collections(col, temperature=kinetic, viscosity=(1.0, 0.1)).results
    assert yh.conductivity.value == pytest.approx(ok.conductivity.value, rel=1e-12)


@pytest.mark.parametrize("remove_drift", [False, True])
def test_frozen_ions_have_no_diffusive_d(remove_drift):
    """Ions that never move: MSD 0 at every lag, log-log slope NaN (was a valid D = 0 ± 0)."""
    rng = np.random.default_rng(3)
    n, n_frames = 12, 200
    v = np.zeros((n_frames, n, 3))
    v[:, 6:] = ornstein_uhlenbeck(rng, n_frames, (6, 3), TAU, DT, S)
    x = integrate(v, DT, rng.uniform(0, BOX, (n, 3)))
    u = salt_universe(v, x, n_cations=6, dt=DT, box=BOX)
    r = Diffusion(u, IONS, remove_drift=remove_drift, n_blocks=10).run().results
    li = r.diffusion_coefficient["Li"]
    assert abs(li.value) < 3 * li.stderr + 1e-12
    assert not li.valid and li.verdict.startswith("not diffusive")
    if not remove_drift:
        # exactly zero MSD: no slope, said so
        assert np.isnan(r.loglog_slope["Li"])
        assert "is not positive at 3 lags" in li.verdict


@pytest.mark.parametrize("msd", [np.zeros(50), -np.ones(50), np.r_[np.zeros(48), 1.0, 2.0]])
def test_loglog_slope_of_an_msd_that_does_not_grow_is_nan_and_not_diffusive(msd):
    t = np.arange(50) * 0.1
    beta = loglog_slope(t, msd, slice(5, 50))
    assert np.isnan(beta)
    assert "no log-log slope" in not_diffusive_note("the MSD", beta)
    # a growing MSD: the slope, and the note names it
    assert loglog_slope(t, 4 * t**1.5, slice(5, 50)) == pytest.approx(1.5)
    assert "is 1.50, not 1" in not_diffusive_note("the MSD", 1.5)



def _shear_series(seed, n=2000):
    p = np.random.default_rng(seed).normal(scale=50.0, size=(n, 3, 3))
    return (p + np.swapaxes(p, 1, 2)) / 2


def test_viscosity_runs_at_two_temperatures_are_not_one_state_point():
    from mda_electrolyte import GreenKuboViscosity
    from mda_electrolyte.ion_collection import IonCollection

    cols = [IonCollection.from_pressure_tensor(_shear_series(k), dt=0.001, volume=BOX**3,
                                               temperature=t, label=f"run {k}")
            for k, t in enumerate((300.0, 350.0))]
    with pytest.raises(ValueError, match=r"record different temperatures \(300, 350 K, more "
                                         r"than 5% apart\)"):
        EinsteinHelfandViscosity.from_collections(cols)
    # given, it is the user's statement that they are one state point; η ∝ 1/T exactly
    a = EinsteinHelfandViscosity.from_collections(cols, temperature=300.0).results
    b = EinsteinHelfandViscosity.from_collections(cols, temperature=330.0).results
    assert a.shear_viscosity.value == pytest.approx(1.1 * b.shear_viscosity.value, rel=1e-12)
    # a temperature 20 times the recorded one (°C for K, a unit slip) is not a result
    same = [IonCollection.from_pressure_tensor(_shear_series(k), dt=0.001, volume=BOX**3,
                                               temperature=300.0) for k in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for est in (EinsteinHelfandViscosity, GreenKuboViscosity):
            kw = {"max_lag": 0.01, "check_sampling": False} if est is GreenKuboViscosity else {}
            bad = est.from_collections(same, temperature=15.0, **kw).results.shear_viscosity
            assert not bad.valid and any("kinetic temperature" in n for n in bad.notes)
            ok = est.from_collections(same, **kw).results.shear_viscosity
            assert not any("kinetic temperature" in n for n in ok.notes)
