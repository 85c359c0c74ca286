"""Green–Kubo, Einstein–Helfand and Nernst–Einstein conductivities with known answers.

Tolerances: statistical estimates must lie within 3 of their own standard errors of the analytic
value (and within a stated relative bound); deterministic quantities to round-off.
"""

import json
import warnings

import ase.units
import matplotlib
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from scipy import stats
from scipy.integrate import cumulative_trapezoid
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte.conductivity import _conductivity_prefactor, auto_plateau
from mda_electrolyte.uncertainty import t_factor

matplotlib.use("Agg")

TAU, DT, S = 0.5, 0.05, 2.0  # ps, ps, Å/ps
TEMPERATURE = 300.0
BOX = 40.0
VOLUME = BOX**3


def ou_salt(seed, n_pairs=4, n_frames=20000, coupling=0.0, noise=S):
    """Salt whose anion velocities are ``coupling * v_cation + independent OU of std noise``."""
    rng = np.random.default_rng(seed)
    v_cat = ornstein_uhlenbeck(rng, n_frames, (n_pairs, 3), TAU, DT, S)
    v_an = coupling * v_cat + ornstein_uhlenbeck(rng, n_frames, (n_pairs, 3), TAU, DT, noise)
    v = np.concatenate([v_cat, v_an], axis=1)
    start = rng.uniform(0, BOX, size=(2 * n_pairs, 3))
    return v, integrate(v, DT, start)


def si_prefactor(volume, temperature, dims):
    """1 / (d V k_B T) in S/m per (e² Å²/ps), from ASE's SI constants (an independent source)."""
    e, k = ase.units._e, ase.units._k
    # (e² Å² ps⁻²)·ps / (Å³ J): e² · 1e-20 m² / 1e-12 s / (1e-30 m³ · J)
    return e**2 * 1e-20 / 1e-12 / (dims * volume * 1e-30 * k * temperature)


def test_prefactor_matches_independent_si_conversion():
    assert _conductivity_prefactor(VOLUME, TEMPERATURE, 3) == pytest.approx(
        si_prefactor(VOLUME, TEMPERATURE, 3), rel=1e-6
    )  # ASE has CODATA 2014, scipy 2018


@pytest.fixture(scope="module")
def independent():
    v, pos = ou_salt(1)
    u = salt_universe(v, pos, n_cations=4, dt=DT, box=BOX)
    gk = GreenKuboConductivity(u, IONS, temperature=TEMPERATURE, max_lag=10 * TAU).run()
    return u, gk


def test_ou_ions_give_analytic_sigma(independent):
    _, gk = independent
    r = gk.results
    # 8 independent ions, each ∫<v·v> = 3 s² tau, q² = 1; distinct parts vanish
    exact = si_prefactor(VOLUME, TEMPERATURE, 3) * 8 * 3 * S**2 * TAU
    assert abs(r.sigma - exact) < 3 * r.sigma_err
    assert r.sigma == pytest.approx(exact, rel=0.15)
    assert r.sigma_self == pytest.approx(exact, rel=0.05)
    assert abs(r.sigma_distinct) < 3 * r.sigma_distinct_err
    assert r.acf[0] == pytest.approx(8 * 3 * S**2, rel=0.05)
    # ACF decays as exp(-t/tau): at t = tau the self part is e^-1 of its start
    k = int(round(TAU / DT))
    self_acf = r.parts["self:Li"]["acf"] + r.parts["self:AN"]["acf"]
    assert self_acf[k] / self_acf[0] == pytest.approx(np.exp(-1), abs=0.03)
    assert r.sigma_mS_cm == pytest.approx(10 * r.sigma)
    assert r.time[-1] == pytest.approx(10 * TAU)
    assert r.n_segments == 10  # DEFAULT_BLOCKS for one trajectory


def test_parts_add_up_and_transference_sums_to_one(independent):
    _, gk = independent
    r = gk.results
    total = sum(p["running_integral"] for p in r.parts.values())
    np.testing.assert_allclose(total, r.running_integral, rtol=1e-10, atol=1e-12 * abs(r.sigma))
    assert sum(p["sigma"] for p in r.parts.values()) == pytest.approx(r.sigma, rel=1e-10)
    assert r.sigma_self + r.sigma_distinct == pytest.approx(r.sigma, rel=1e-10)
    assert sum(r.transference.values()) == pytest.approx(1.0, rel=1e-10)
    # identical independent species: each carries half the current
    assert r.transference["Li"] == pytest.approx(0.5, abs=0.1)


def test_correlated_cation_anion_motion_gives_known_cross_term():
    c = 0.8
    v, _ = ou_salt(2, coupling=c)
    u = salt_universe(v, n_cations=4, dt=DT, box=BOX)
    r = GreenKuboConductivity(u, IONS, temperature=TEMPERATURE, max_lag=10 * TAU).run().results
    pref = si_prefactor(VOLUME, TEMPERATURE, 3)
    # <J+(t)·J-(0)> + <J-(t)·J+(0)> = -2 c N 3 s² e^{-t/tau}, N = 4 pairs
    cross = r.parts["distinct:Li-AN"]
    assert cross["acf"][0] == pytest.approx(-2 * c * 4 * 3 * S**2, rel=0.05)
    exact_cross = -pref * 2 * c * 4 * 3 * S**2 * TAU
    assert abs(cross["sigma"] - exact_cross) < 3 * cross["sigma_err"]
    assert cross["sigma"] == pytest.approx(exact_cross, rel=0.1)
    exact_self_an = pref * 4 * 3 * (c**2 + 1) * S**2 * TAU
    assert r.parts["self:AN"]["sigma"] == pytest.approx(exact_self_an, rel=0.05)
    # total: N·3τ[s² + (c²+1)s² - 2c s²]
    exact_total = pref * 4 * 3 * S**2 * TAU * (1 + c**2 + 1 - 2 * c)
    assert abs(r.sigma - exact_total) < 3 * r.sigma_err


def test_running_integral_matches_direct_computation():
    """Mean and SEM over trajectories of a brute-force ACF integral, one universe per segment."""
    universes, curves, acfs = [], [], []
    n_frames, n_lags = 400, 41
    for seed in (3, 4, 5):
        v, _ = ou_salt(seed, n_pairs=2, n_frames=n_frames)
        universes.append(salt_universe(v, n_cations=2, dt=DT, box=BOX))
        v32 = v.astype(np.float32).astype(np.float64)
        q = np.array([1, 1, -1, -1.0])
        current = (q[None, :, None] * v32).sum(axis=1)
        acf = np.array(
            [np.mean(np.sum(current[: n_frames - k] * current[k:], axis=1)) for k in range(n_lags)]
        )
        acfs.append(acf)
        curves.append(
            si_prefactor(VOLUME, TEMPERATURE, 3) * cumulative_trapezoid(acf, dx=DT, initial=0)
        )
    gk = GreenKuboConductivity(
        universes, IONS, temperature=TEMPERATURE, max_lag=(n_lags - 1) * DT, plateau=(1.0, 2.0)
    ).run()
    r = gk.results
    curves = np.array(curves)
    np.testing.assert_allclose(r.acf, np.mean(acfs, axis=0), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(r.running_integral, curves.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(
        r.running_integral_err, curves.std(axis=0, ddof=1) / np.sqrt(3) * t_factor(2), rtol=1e-4
    )
    window = (r.time >= 1.0 - 1e-9) & (r.time <= 2.0 + 1e-9)
    assert r.sigma == pytest.approx(curves.mean(axis=0)[window].mean(), rel=1e-6)
    # error of the per-trajectory plateau means, Student-t scaled (2 degrees of freedom)
    per_traj = curves[:, window].mean(axis=1)
    assert r.sigma_err == pytest.approx(
        per_traj.std(ddof=1) / np.sqrt(3) * stats.t.ppf(0.84134, 2), rel=1e-4
    )
    assert r.plateau == pytest.approx((1.0, 2.0))
    assert r.n_segments == 3


def test_molecular_ion_uses_centre_of_mass_or_chosen_atom():
    rng = np.random.default_rng(6)
    n, n_frames = 3, 3000
    v_li = ornstein_uhlenbeck(rng, n_frames, (n, 3), TAU, DT, S)
    v_com = ornstein_uhlenbeck(rng, n_frames, (n, 3), TAU, DT, S)
    # two equal-mass atoms moving about their centre: v_A = v_com + w, v_B = v_com - w
    w = 5.0 * rng.normal(size=(n_frames, n, 3))
    v_mol = np.stack([v_com + w, v_com - w], axis=2).reshape(n_frames, 2 * n, 3)
    u_mol = salt_universe(
        np.concatenate([v_li, v_mol], axis=1),
        n_cations=n,
        dt=DT,
        anion_atoms=2,
        masses=(6.94, 10.0),
    )
    u_com = salt_universe(np.concatenate([v_li, v_com], axis=1), n_cations=n, dt=DT)
    u_a = salt_universe(np.concatenate([v_li, v_com + w], axis=1), n_cations=n, dt=DT)
    # the internal motion w is white noise, unresolved by any spacing: only centres are tested
    kw = dict(temperature=TEMPERATURE, max_lag=2.0, plateau=(1.0, 2.0), check_sampling=False)
    r_mol = GreenKuboConductivity(u_mol, IONS, **kw).run().results
    r_com = GreenKuboConductivity(u_com, IONS, **kw).run().results
    np.testing.assert_allclose(r_mol.running_integral, r_com.running_integral, rtol=1e-5, atol=1e-8)
    r_atom = GreenKuboConductivity(u_mol, IONS, ion_center={"AN": "name A"}, **kw).run().results
    r_a = GreenKuboConductivity(u_a, IONS, **kw).run().results
    np.testing.assert_allclose(r_atom.running_integral, r_a.running_integral, rtol=1e-5, atol=1e-8)
    # explicit charges reproduce the formal ones
    r_q = GreenKuboConductivity(u_mol, IONS, charges={"Li": 1, "AN": -1}, **kw).run().results
    np.testing.assert_allclose(r_q.running_integral, r_mol.running_integral, rtol=1e-12)


@pytest.mark.parametrize("backend", ["multiprocessing", "dask"])
def test_parallel_backends_match_serial(backend):
    if backend == "dask":
        pytest.importorskip("dask")
    v, pos = ou_salt(7, n_pairs=2, n_frames=600)
    u = salt_universe(v, pos, n_cations=2, dt=DT, box=BOX)
    serial = GreenKuboConductivity(u, IONS, temperature=TEMPERATURE, max_lag=2.0).run().results
    par = (
        GreenKuboConductivity(u, IONS, temperature=TEMPERATURE, max_lag=2.0)
        .run(backend=backend, n_workers=2)
        .results
    )
    np.testing.assert_allclose(par.running_integral, serial.running_integral, rtol=1e-12)
    assert par.sigma == serial.sigma
    eh_s = EinsteinHelfandConductivity(u, IONS, temperature=TEMPERATURE).run().results
    eh_p = (
        EinsteinHelfandConductivity(u, IONS, temperature=TEMPERATURE)
        .run(backend=backend, n_workers=2)
        .results
    )
    np.testing.assert_allclose(eh_p.msd, eh_s.msd, rtol=1e-12)


def test_green_kubo_and_einstein_helfand_agree():
    # EH errors come from 8 block slopes only; this seed is not a tail event of either estimate
    v, pos = ou_salt(9, n_frames=40000)
    u = salt_universe(v, pos, n_cations=4, dt=DT, box=BOX)
    gk = (
        GreenKuboConductivity(u, IONS, temperature=TEMPERATURE, max_lag=10 * TAU, n_blocks=8)
        .run()
        .results
    )
    eh = (
        EinsteinHelfandConductivity(
            u, IONS, temperature=TEMPERATURE, unwrap=True, n_blocks=8, fit_window_ps=(5.0, 50.0)
        )
        .run()
        .results
    )
    exact = si_prefactor(VOLUME, TEMPERATURE, 3) * 8 * 3 * S**2 * TAU
    assert abs(gk.sigma - eh.sigma) < 3 * np.hypot(gk.sigma_err, eh.sigma_err)
    assert abs(eh.sigma - exact) < 3 * eh.sigma_err
    assert eh.r2 > 0.95
    assert eh.fit_window == pytest.approx((5.0, 50.0))


def test_einstein_helfand_equals_direct_fit():
    v, pos = ou_salt(9, n_pairs=2, n_frames=500)
    u = salt_universe(v, pos, n_cations=2, dt=DT, box=BOX)
    eh = EinsteinHelfandConductivity(
        u, IONS, temperature=TEMPERATURE, n_blocks=2, fit_window=(0.1, 0.6)
    ).run().results
    q = np.array([1, 1, -1, -1.0])
    sig = []
    for half in (slice(0, 250), slice(250, 500)):
        m = (q[None, :, None] * pos[half].astype(np.float32)).sum(axis=1)
        msd = np.array([np.mean(np.sum((m[k:] - m[: 250 - k]) ** 2, axis=1)) for k in range(250)])
        t = np.arange(250) * DT
        sel = (t >= 0.1 * t[-1]) & (t <= 0.6 * t[-1])
        sig.append(np.polyfit(t[sel], msd[sel], 1)[0] * si_prefactor(VOLUME, TEMPERATURE, 6))
    assert eh.sigma == pytest.approx(np.mean(sig), rel=1e-4)
    # standard error of 2 segments times the 68 % Student-t factor for 1 degree of freedom
    assert eh.sigma_err == pytest.approx(
        np.std(sig, ddof=1) / np.sqrt(2) * stats.t.ppf(0.84134, 1), rel=1e-3
    )


def test_auto_plateau_criterion():
    rng = np.random.default_rng(10)
    t = np.linspace(0, 10, 501)
    err = np.full_like(t, 0.01)
    curve = 1 - np.exp(-t) + 0.005 * rng.normal(size=t.size)
    k0, ok = auto_plateau(curve, err)
    assert ok
    # the rise is excluded: 1 - e^-t is within 0.02 of 1 only after t ≈ 3.9
    assert 3.0 < t[k0] < 6.0
    k0, ok = auto_plateau(t.copy(), err)
    assert not ok and k0 == 400


def test_unconverged_running_integral_warns():
    v, _ = ou_salt(11, n_pairs=2, n_frames=2000)
    u = salt_universe(v, n_cations=2, dt=DT, box=BOX)
    with pytest.warns(RuntimeWarning, match="plateau"):
        r = GreenKuboConductivity(u, IONS, temperature=TEMPERATURE, max_lag=0.3 * TAU).run().results
    assert r.plateau_converged is False


def test_nernst_einstein_equals_green_kubo_for_independent_ions():
    n_pairs = 4
    d = S**2 * TAU
    ne = NernstEinstein(
        temperature=TEMPERATURE,
        diffusivities={"Li": d, "AN": d},
        n_ions={"Li": n_pairs, "AN": n_pairs},
        charges={"Li": 1, "AN": -1},
        volume=VOLUME,
        conductivity=(2.0, 0.1),
    )
    exact_gk = si_prefactor(VOLUME, TEMPERATURE, 3) * 2 * n_pairs * 3 * S**2 * TAU
    assert ne.results.sigma == pytest.approx(exact_gk, rel=1e-6)
    assert ne.results.transference["Li"] == pytest.approx(0.5)
    assert ne.results.alpha_d == pytest.approx(2.0 / exact_gk)
    assert ne.results.alpha_d_err == pytest.approx(0.1 / exact_gk)
    # a doubly charged species counts z² = 4 times
    ne2 = NernstEinstein(
        temperature=TEMPERATURE,
        diffusivities={"Mg": d, "AN": d},
        n_ions={"Mg": 1, "AN": 2},
        charges={"Mg": 2, "AN": -1},
        volume=VOLUME,
    )
    assert ne2.results.transference["Mg"] == pytest.approx(4 / 6)


def test_dissociation_from_simulated_trajectory(independent):
    u, gk = independent
    diff = Diffusion(u, IONS, unwrap=True, fit_window_ps=(5.0, 30.0)).run()
    ne = NernstEinstein(diff, temperature=TEMPERATURE, conductivity=gk)
    assert diff.results.D["Li"] == pytest.approx(S**2 * TAU, rel=0.15)
    assert abs(ne.results.alpha_d - 1.0) < 3 * ne.results.alpha_d_err
    assert ne.results.volume == pytest.approx(VOLUME)


def test_plots(independent):
    u, gk = independent
    ax = gk.plot()
    assert len(ax.lines) >= 3 and ax.get_ylabel() == "σ(τ) (S/m)"
    eh = EinsteinHelfandConductivity(u, IONS, temperature=TEMPERATURE, unwrap=True).run()
    assert len(eh.plot().lines) == 2
    ne = NernstEinstein(
        temperature=TEMPERATURE,
        diffusivities={"Li": 1.0},
        n_ions={"Li": 1},
        charges={"Li": 1},
        volume=VOLUME,
    )
    assert len(ne.plot().patches) == 2
    matplotlib.pyplot.close("all")


def test_report_registration(tmp_path, independent):
    from mda_electrolyte.report import registered_analyses, run_analyses

    assert registered_analyses()["green_kubo_conductivity"] == (
        "velocities", "box", "real masses", "charged species")
    u, _ = independent
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = run_analyses(
            u,
            tmp_path,
            only=["green_kubo_conductivity", "einstein_helfand_conductivity", "diffusion"],
        )
    gk = summary["green_kubo_conductivity"]
    sigma_gk = Estimate.from_dict(gk["conductivity"])
    sigma_eh = Estimate.from_dict(summary["einstein_helfand_conductivity"]["conductivity"])
    assert sigma_gk.value > 0 and sigma_gk.unit == "S/m" and (tmp_path / gk["plot"]).exists()
    assert (tmp_path / summary["diffusion"]["plot"]).exists()
    assert abs(sigma_eh.value - sigma_gk.value) < 3 * np.hypot(sigma_eh.stderr, sigma_gk.stderr)
    stored = json.loads((tmp_path / "summary.json").read_text())
    assert stored["diffusion"]["settings"]["n_ions"] == {"AN": 4, "LI": 4}
    # every number is an Estimate dict with its verdict and the way its error was obtained
    assert stored["green_kubo_conductivity"]["conductivity"] == sigma_gk.to_dict()
    assert "10 contiguous blocks" in stored["einstein_helfand_conductivity"]["conductivity"][
        "method"]
    assert set(stored["diffusion"]["D"]) == {"AN", "LI"}
    assert stored["diffusion"]["D"]["LI"]["unit"] == "m^2/s"


# --- bad input fails loudly, before the trajectory is read --------------------------------------


@pytest.fixture(scope="module")
def small():
    v, pos = ou_salt(12, n_pairs=2, n_frames=200)
    return v, pos


def test_missing_velocities(small):
    _, pos = small
    u = salt_universe(None, pos, n_cations=2, dt=DT)
    with pytest.raises(ValueError, match="no velocities"):
        GreenKuboConductivity(u, IONS, temperature=300)


def test_missing_charges_and_bad_selections(small):
    v, _ = small
    u = salt_universe(v, n_cations=2, dt=DT, formal=False)
    with pytest.raises(ValueError, match="formal charges"):
        GreenKuboConductivity(u, IONS, temperature=300)
    u = salt_universe(v, n_cations=2, dt=DT)
    with pytest.raises(ValueError, match="selects no atoms"):
        GreenKuboConductivity(u, {"Na": "name Na"}, temperature=300)
    with pytest.raises(ValueError, match="zero charge"):
        GreenKuboConductivity(
            u, {"Li": "name Li", "AN": "resname AN"}, charges={"AN": 0}, temperature=300
        )
    with pytest.raises(ValueError, match="shares atoms"):
        GreenKuboConductivity(u, {"Li": "name Li", "all": "all"}, temperature=300)
    with pytest.raises(ValueError, match="not in ions"):
        GreenKuboConductivity(u, IONS, charges={"Na": 1}, temperature=300)
    with pytest.raises(ValueError, match="temperature"):
        GreenKuboConductivity(u, IONS, temperature=-1)
    with pytest.raises(ValueError, match="2 segments"):
        GreenKuboConductivity(u, IONS, temperature=300, n_blocks=1)
    with pytest.raises(TypeError, match="selection strings"):
        GreenKuboConductivity([u, u.copy()], {"Li": u.select_atoms("name Li")}, temperature=300)


def test_partial_molecule_and_bad_center():
    rng = np.random.default_rng(13)
    v = rng.normal(size=(100, 6, 3))
    u = salt_universe(v, n_cations=2, dt=DT, anion_atoms=2)
    with pytest.raises(ValueError, match="part of its molecules"):
        GreenKuboConductivity(u, {"Li": "name Li", "AN": "name A"}, temperature=300)
    with pytest.raises(ValueError, match="one atom per ion"):
        GreenKuboConductivity(u, IONS, ion_center={"AN": "resname AN"}, temperature=300)


def test_max_lag_longer_than_segment(small):
    v, _ = small
    u = salt_universe(v, n_cations=2, dt=DT)
    with pytest.raises(ValueError, match="max_lag"):
        GreenKuboConductivity(u, IONS, temperature=300, max_lag=5.0).run()


def test_wrapped_positions_need_unwrap(small):
    v, pos = small
    u = salt_universe(v, pos % 5.0, n_cations=2, dt=DT, box=5.0)
    with pytest.raises(ValueError, match="look wrapped"):
        EinsteinHelfandConductivity(u, IONS, temperature=300, volume=VOLUME).run()
    u_nobox = salt_universe(v, pos, n_cations=2, dt=DT, box=None)
    with pytest.raises(ValueError, match="no box"):
        EinsteinHelfandConductivity(u_nobox, IONS, temperature=300)
    with pytest.raises(ValueError, match="cannot be unwrapped"):
        EinsteinHelfandConductivity(u_nobox, IONS, temperature=300, volume=VOLUME, unwrap=True)


def test_kinetic_temperature_matches_ase_units(independent):
    from mda_electrolyte.conductivity import kinetic_temperature

    u, _ = independent
    frames = np.unique(np.linspace(0, u.trajectory.n_frames - 1, 200).astype(int))
    masses = u.atoms.masses
    n = u.atoms.n_atoms
    temps = []
    for _ in u.trajectory[frames]:
        v = u.atoms.velocities / (1000 * ase.units.fs)  # Å/ps -> ASE velocity units
        p = masses @ v
        # run_md's, GROMACS' and LAMMPS' count: the centre of mass's 3 degrees of freedom out
        temps.append((np.sum(masses[:, None] * v * v) - p @ p / masses.sum())
                     / ((3 * n - 3) * ase.units.kB))
    est = kinetic_temperature(u)
    assert est.value == pytest.approx(np.mean(temps), rel=1e-6) and est.unit == "K"
    # analytic: independent components of variance S² hold 3 S² (Σm − Σm²/M) of 2K − P²/M
    kb = ase.units.kB * (1000 * ase.units.fs) ** 2  # amu Å²/ps² per K
    exact = 3 * S**2 * (masses.sum() - masses @ masses / masses.sum()) / ((3 * n - 3) * kb)
    assert abs(est.value - exact) < 3 * est.stderr
    # the error of the mean from the statistical inefficiency of the frames' temperatures, by
    # the one recipe of MD series (widened near the independent-sample threshold, 1e7b185)
    from mda_electrolyte.uncertainty import equilibrated_series_mean, timeseries_mean

    series = equilibrated_series_mean(np.array(temps), detect=False)
    assert est.stderr == pytest.approx(series.error, rel=1e-6)
    assert est.stderr >= timeseries_mean(np.array(temps))[1]
    assert est.n_samples <= len(temps)


@pytest.mark.parametrize("conductivity", [float("nan"), (1.0, float("nan")), (float("inf"), 0.1),
                                          (1.0, -0.1)])
def test_nernst_einstein_refuses_a_non_finite_conductivity(conductivity):
    with pytest.raises(ValueError, match="conductivity must be finite"):
        NernstEinstein(
            temperature=TEMPERATURE,
            diffusivities={"Li": 1.0},
            n_ions={"Li": 1},
            charges={"Li": 1},
            volume=VOLUME,
            conductivity=conductivity,
        )


@pytest.mark.parametrize("cls", [GreenKuboConductivity, EinsteinHelfandConductivity])
def test_a_box_still_changing_volume_is_refused_unless_the_volume_is_given(cls):
    # an NPT run still compressing 4x: one volume in the formula would describe neither state
    v, x = ou_salt(3, n_frames=2000)
    u = salt_universe(v, x, n_cations=4, dt=DT, box=BOX)
    edges = BOX * np.linspace(4 ** (1 / 3), 1.0, u.trajectory.n_frames)
    dims = np.column_stack([edges, edges, edges, np.full((edges.size, 3), 90.0)])
    u.load_new(x.astype(np.float32), format=MemoryReader, dt=DT, dimensions=dims,
               velocities=v.astype(np.float32))
    with pytest.raises(ValueError, match="box volume varies by .* give volume="):
        cls(u, IONS, temperature=TEMPERATURE).run()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        given = cls(u, IONS, temperature=TEMPERATURE, volume=VOLUME).run()
    assert np.isfinite(given.results.sigma)


def _ou_salt(n_frames, seed, tau=0.2, dt=0.01):
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, n_frames, (8, 3), tau, dt, 5.0)
    pos = integrate(v, dt, start=rng.uniform(0, 40, (8, 3)))
    return salt_universe(v, pos, n_cations=4, dt=dt, box=40.0)


@pytest.mark.parametrize("make", [
    lambda u, nb: GreenKuboConductivity(u, IONS, temperature=300, volume=64000.0, n_blocks=nb),
    lambda u, nb: OnsagerCoefficients(u, IONS, temperature=300, volume=64000.0,
                                      method="green-kubo", n_blocks=nb),
])
def test_green_kubo_of_a_current_shorter_than_its_correlation_is_too_short(make):
    # 80 frames of a current correlated over 20 frames, in two segments: the integral came out
    # at half the truth with an error that called it valid (the flatness test of two segments
    # has the t factor of one degree of freedom)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        short = make(_ou_salt(80, 3), 2).run().results
        long = make(_ou_salt(4000, 4), 10).run().results
    est = short.conductivity if isinstance(short.conductivity, Estimate) else None
    verdict = est.verdict if est else short.verdict
    assert "too short" in verdict and "independent samples" in verdict
    est = long.conductivity if isinstance(long.conductivity, Estimate) else None
    assert (est.valid if est else long.valid)
