"""Transport numbers a user can trust: sampling guard, plateau verdict, calibrated errors,
drift removal, the diffusive check, Yeh–Hummer, and where ion charges come from."""

import warnings

import numpy as np
import pytest
from scipy import constants
from transport_data import (
    IONS,
    caged_velocities,
    integrate,
    ornstein_uhlenbeck,
    salt_universe,
)

from mda_electrolyte import Diffusion, EinsteinHelfandConductivity, GreenKuboConductivity
from mda_electrolyte.carriers import few_ions_notes
from mda_electrolyte.conductivity import _conductivity_prefactor
from mda_electrolyte.correlation import check_sampling, plateau_verdict

TAU, DT, S, BOX, T = 0.5, 0.05, 2.0, 40.0, 300.0


def exact_sigma(n_ions, s, tau):
    return _conductivity_prefactor(BOX**3, T, 3) * n_ions * 3 * s**2 * tau


@pytest.fixture(scope="module")
def caged():
    rng = np.random.default_rng(7)
    # Li⁺-like: a 400 cm⁻¹ cage mode (period 83 fs) carries the velocity variance, a slow
    # carrier the conductivity
    v = caged_velocities(
        rng, 16000, (4, 3), 0.002, period=0.083, damping=10.0, s_cage=3.0, tau_slow=0.5,
        s_slow=0.6,
    )
    return v, exact_sigma(4, 0.6, 0.5)


def test_fine_frames_resolve_the_cage_and_give_the_exact_sigma(caged):
    v, exact = caged
    u = salt_universe(v, n_cations=2, dt=0.002, box=BOX)
    r = GreenKuboConductivity(u, IONS, temperature=T, max_lag=2.5).run().results
    assert r.sampling["resolved"] and r.sampling["first_lag_correlation"] > 0.9
    assert abs(r.sigma - exact) < 3 * r.sigma_err
    # resolved and converged: the one reason left is the box's two ion pairs
    assert not r.valid and r.conductivity.notes == tuple(few_ions_notes({"Li": 2, "AN": 2}))


@pytest.mark.parametrize("stride", [25, 50])  # 50 fs and 100 fs frames
def test_coarse_frames_are_refused_with_spacing_decay_and_remedy(caged, stride):
    v, _ = caged
    u = salt_universe(v[::stride], n_cations=2, dt=0.002 * stride, box=BOX)
    with pytest.raises(ValueError, match=rf"every {2 * stride:g} fs.*C\(dt\)/C\(0\)|"
                       rf"every {2 * stride:g} fs.*half-decay") as err:
        GreenKuboConductivity(u, IONS, temperature=T, max_lag=2.5).run()
    assert "charge_current" in str(err.value) and "EinsteinHelfand" in str(err.value)
    # the overridden, unresolved integral is the aliasing artefact the guard exists for
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = GreenKuboConductivity(
            u, IONS, temperature=T, max_lag=2.5, check_sampling=False
        ).run().results
    assert not r.sampling["resolved"]


def test_check_sampling_on_exponentials():
    t = np.arange(50) * 0.1
    ok = check_sampling(np.exp(-t / 0.5), 0.1)
    assert ok["resolved"] and ok["half_decay_time"] == pytest.approx(0.5 * np.log(2), rel=0.02)
    with pytest.raises(ValueError, match="100 fs"):
        check_sampling(np.exp(-t / 0.05), 0.1, what="test")
    bad = check_sampling(np.exp(-t / 0.05), 0.1, raise_error=False)
    assert not bad["resolved"] and bad["half_decay_time"] == pytest.approx(0.05 * np.log(2))


def test_plateau_verdict_flat_versus_rising():
    rng = np.random.default_rng(3)
    t = np.linspace(0, 5, 101)
    flat = 1.0 + 0.02 * rng.normal(size=(10, t.size))
    rising = flat + 0.1 * t
    window = slice(50, 101)
    assert plateau_verdict(t, flat, window)["converged"]
    v = plateau_verdict(t, rising, window)
    assert not v["converged"] and v["drift"] == pytest.approx(0.25, rel=0.1)


def test_unconverged_green_kubo_says_why():
    rng = np.random.default_rng(11)
    v = ornstein_uhlenbeck(rng, 4000, (4, 3), TAU, DT, S)
    u = salt_universe(v, n_cations=2, dt=DT, box=BOX)
    with pytest.warns(RuntimeWarning, match="not converged"):
        r = GreenKuboConductivity(u, IONS, temperature=T, max_lag=0.3 * TAU).run().results
    assert not r.valid and r.verdict.startswith("not converged")


def test_error_bars_are_calibrated_over_replicas():
    """z-scores over 24 independent analytic replicas have a standard deviation near 1."""
    z = {"GK": [], "EH": [], "D": []}
    exact = exact_sigma(8, S, TAU)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for seed in range(24):
            rng = np.random.default_rng(1000 + seed)
            v = ornstein_uhlenbeck(rng, 2000, (8, 3), TAU, DT, S)
            u = salt_universe(v, integrate(v, DT), n_cations=4, dt=DT, box=BOX)
            gk = GreenKuboConductivity(u, IONS, temperature=T, max_lag=5 * TAU).run().results
            z["GK"].append((gk.sigma - exact) / gk.sigma_err)
            eh = EinsteinHelfandConductivity(u, IONS, temperature=T).run().results
            z["EH"].append((eh.sigma - exact) / eh.sigma_err)
            d = Diffusion(u, IONS, n_blocks=10).run().results
            z["D"].append((d.D["AN"] - S**2 * TAU) / d.D_err["AN"])
    for name, values in z.items():
        assert 0.7 <= np.std(values, ddof=1) <= 1.35, (name, np.std(values, ddof=1))
        assert abs(np.mean(values)) < 1.0, (name, np.mean(values))


def test_diffusion_removes_common_drift_and_checks_the_regime():
    rng = np.random.default_rng(5)
    d_true = 0.11
    n, n_frames, dt = 40, 2000, 0.5
    steps = rng.normal(scale=np.sqrt(2 * d_true * dt), size=(n_frames, 2 * n, 3))
    # a common drift, as a thermostat or net momentum gives, of 0.1 Å/ps
    pos = np.cumsum(steps, axis=0) + 0.1 * dt * np.arange(n_frames)[:, None, None] * [1, 1, 0]
    u = salt_universe(np.zeros_like(pos), pos, n_cations=n, dt=dt, box=None)
    r = Diffusion(u, IONS).run().results
    assert abs(r.D["Li"] - d_true) < 3 * r.D_err["Li"]
    # one run: the slope over 10-60 % of it has the scatter of its ions (jackknife error)
    assert r.verdict["Li"] == "valid"
    assert abs(r.loglog_slope["Li"] - 1) < max(0.1, 3 * r.loglog_slope_err["Li"])
    assert r.drift_removed
    raw = Diffusion(u, IONS, remove_drift=False).run().results
    assert raw.D["Li"] > 1.3 * d_true  # the drift is ballistic: it dominates
    assert raw.loglog_slope["Li"] > r.loglog_slope["Li"]


def test_ballistic_motion_is_not_diffusive():
    n_frames, dt = 400, 0.01
    v = np.random.default_rng(2).normal(size=(1, 8, 3))
    pos = v * dt * np.arange(n_frames)[:, None, None]
    u = salt_universe(np.zeros_like(pos), pos, n_cations=4, dt=dt, box=None)
    r = Diffusion(u, IONS, remove_drift=False).run().results
    assert r.loglog_slope["Li"] == pytest.approx(2.0, abs=1e-6)
    assert r.verdict["Li"].startswith("not diffusive")


def test_yeh_hummer_correction():
    rng = np.random.default_rng(8)
    pos = np.cumsum(rng.normal(scale=0.3, size=(500, 20, 3)), axis=0)
    u = salt_universe(np.zeros_like(pos), pos, n_cations=10, dt=0.5, box=30.0)
    eta = (0.89, 0.05)  # mPa·s
    r = Diffusion(u, IONS, viscosity=eta, temperature=298.15).run().results
    # ξ k_B T / (6 π η L), SI then Å²/ps (1 m²/s = 1e8 Å²/ps)
    corr = 2.837297 * constants.k * 298.15 / (6 * np.pi * 0.89e-3 * 30e-10) * 1e8
    assert r.yeh_hummer_correction == pytest.approx(corr, rel=1e-9)
    assert r.D_yeh_hummer["Li"] == pytest.approx(r.D["Li"] + corr)
    assert r.D_yeh_hummer_err["Li"] == pytest.approx(np.hypot(r.D_err["Li"], corr * 0.05 / 0.89))
    with pytest.raises(ValueError, match="temperature"):
        Diffusion(u, IONS, viscosity=eta)


def test_partial_charges_scale_the_conductivity_and_are_recorded():
    rng = np.random.default_rng(9)
    v = ornstein_uhlenbeck(rng, 2000, (4, 3), TAU, DT, S)
    formal = salt_universe(v, n_cations=2, dt=DT, box=BOX)
    scaled = salt_universe(v, n_cations=2, dt=DT, box=BOX, formal=False)
    # a scaled-charge force field (0.8 e) as a GROMACS TPR or LAMMPS data file carries it
    scaled.add_TopologyAttr("charges", [0.8, 0.8, -0.8, -0.8])
    kw = dict(temperature=T, max_lag=5 * TAU)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r_f = GreenKuboConductivity(formal, IONS, **kw).run().results
        r_p = GreenKuboConductivity(scaled, IONS, **kw).run().results
        r_g = GreenKuboConductivity(scaled, IONS, charges={"Li": 1, "AN": -1}, **kw).run().results
    assert r_p.sigma == pytest.approx(0.64 * r_f.sigma, rel=1e-5)
    assert r_p.charges["Li"] == {"charge": pytest.approx(0.8), "source": "partial"}
    assert r_f.charges["AN"] == {"charge": -1.0, "source": "formal"}
    # an explicit mapping wins over the partial charges
    assert r_g.sigma == pytest.approx(r_f.sigma, rel=1e-5)
    assert r_g.charges["Li"]["source"] == "given"
    # formal charges win over partial ones
    formal.add_TopologyAttr("charges", [0.8, 0.8, -0.8, -0.8])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r_b = GreenKuboConductivity(formal, IONS, **kw).run().results
    assert r_b.sigma == pytest.approx(r_f.sigma, rel=1e-10)
