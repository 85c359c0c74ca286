"""Error bars calibrated over replicas, for the estimators no other test replicates.

Every case draws independent synthetic replicas with a known truth and checks the z-scores
``(estimate - truth) / error`` of the estimates called valid: standard deviation near 1 and a
one-sigma coverage near 68 %, and where a regime is too short for a calibrated error, that it is
not called valid. Fixed seeds: each assertion is deterministic.
"""

import warnings

import numpy as np
import pytest
from scipy import constants
from scipy.signal import lfilter
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.density_alignment import compressibility_from_fluctuations
from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    EquationOfState,
    NernstEinstein,
    OnsagerCoefficients,
    TaitCompressibility,
    ThermalExpansion,
)
from mda_electrolyte.error_metrics import error_estimates, fit_estimates
from mda_electrolyte.ion_collection import IonCollector
from mda_electrolyte.volume_scan import scan_estimates


def ar1(rng, n, phi, sd):
    """Stationary AR(1): standard deviation ``sd``, lag-1 correlation ``phi``."""
    noise = rng.normal(scale=sd * np.sqrt(1 - phi**2), size=n + 200)
    return lfilter([1.0], [1.0, -phi], noise)[200:]


def assert_calibrated(z, sd=(0.75, 1.35), coverage=(0.55, 0.82), what=""):
    z = np.asarray(z, dtype=float)
    assert z.size >= 20, (what, z.size)
    assert sd[0] <= np.std(z, ddof=1) <= sd[1], (what, np.std(z, ddof=1))
    assert coverage[0] <= np.mean(np.abs(z) < 1) <= coverage[1], (what, np.mean(np.abs(z) < 1))


# --- κ_T from volume fluctuations ---------------------------------------------------------------

V0, KAPPA, T = 20000.0, 5e-5, 300.0  # Å³, 1/bar, K


def _volumes(seed, n, phi):
    from ase.units import bar, kB

    sd = np.sqrt(KAPPA / bar * kB * T * V0)
    return V0 + ar1(np.random.default_rng(seed), n, phi, sd)


@pytest.mark.parametrize("phi,n", [(0.5, 1000), (0.9, 4000)])
def test_fluctuation_compressibility_is_calibrated(phi, n):
    z = []
    for seed in range(60):
        est = compressibility_from_fluctuations(_volumes(seed, n, phi), T, dt=0.01)
        assert est.valid, est.verdict
        z.append((est.value - KAPPA) / est.stderr)
    assert_calibrated(z)
    assert abs(np.mean(z)) < 0.5


def test_fluctuation_compressibility_of_few_independent_volumes_is_not_valid():
    # φ = 0.98 over 1000 samples: 10 independent volumes. Counted from the δV² series alone
    # (it decorrelates twice as fast) 17 % passed as valid, with z-scores of -6 on average
    for seed in range(40):
        est = compressibility_from_fluctuations(_volumes(seed, 1000, 0.98), T, dt=0.01)
        assert not est.valid and est.verdict.startswith("too short"), est
        assert "volume and its variance" in est.verdict


def test_fluctuation_compressibility_of_a_long_correlated_run_is_calibrated():
    # φ = 0.98 over 20000 samples (200 independent volumes); the variance about the sample mean,
    # low by g_V / N, is corrected
    z = [(e.value - KAPPA) / e.stderr for e in (
        compressibility_from_fluctuations(_volumes(seed, 20000, 0.98), T, dt=0.01)
        for seed in range(40))]
    assert_calibrated(z)
    assert abs(np.mean(z)) < 0.45



@pytest.mark.parametrize("phi,n", [(0.98, 5000), (0.95, 2000)])
def test_fluctuation_compressibility_near_the_threshold_is_calibrated_where_valid(phi, n):
    # about 50 independent volumes: the replicas that pass the count are those whose g came out
    # low. Before the larger g and the widening of every count-selected mean, 69 % of 200
    # replicas (phi 0.98, 5000 samples) were valid at z sd 1.51; after, measured over 150:
    # 50-60 % valid, coverage 0.65-0.70, z sd 0.96-1.16
    z = []
    for seed in range(60):
        est = compressibility_from_fluctuations(_volumes(1000 + seed, n, phi), T, dt=0.01)
        if est.valid:
            z.append((est.value - KAPPA) / est.stderr)
    assert 10 <= len(z) <= 50, len(z)
    assert np.std(z) < 1.3, np.std(z)
    assert np.mean(np.abs(z) < 1) > 0.55, np.mean(np.abs(z) < 1)

# --- density fits ------------------------------------------------------------------------------

A, N_EXP, B = 2500.0, 6.0, -2000.0  # P(ρ) = a ρ^n + b, bar and g/cm³
RHO0 = (-B / A) ** (1 / N_EXP)


def test_equation_of_state_from_series_is_calibrated():
    rho = np.linspace(0.95, 1.1, 5) * RHO0
    z = []
    for seed in range(40):
        rng = np.random.default_rng(seed)
        series = [A * r**N_EXP + B + ar1(rng, 2000, 0.8, 200.0) for r in rho]
        r = EquationOfState(rho, sources=series, dt=0.001).run().results
        assert r.valid, r.verdict
        z.append((r.rho0 - RHO0) / r.rho0_err)
    assert_calibrated(z, coverage=(0.5, 0.85))


def test_equation_of_state_from_series_too_short_for_their_errors_is_not_valid():
    # pressure series of 30 independent samples each: their means are "too short", and their
    # error bars, used as the fit's weights, gave ρ0 marked valid with z-scores up to 17
    rho = np.linspace(0.95, 1.1, 5) * RHO0
    rng = np.random.default_rng(0)
    series = [A * r**N_EXP + B + ar1(rng, 3000, 0.98, 200.0) for r in rho]
    r = EquationOfState(rho, sources=series, dt=0.001).run().results
    assert not r.valid and not r.zero_pressure_density.valid
    assert "pressure series 0 (ρ = " in r.verdict and "too short" in r.verdict
    assert r.zero_pressure_density.verdict == r.verdict
    assert np.isfinite(r.rho0)  # the fit is still there to look at


def test_equation_of_state_keeps_every_reason_it_is_not_valid():
    # extrapolated and from too-short series: both said
    rho = np.linspace(1.05, 1.2, 5) * RHO0
    rng = np.random.default_rng(1)
    series = [A * r**N_EXP + B + ar1(rng, 3000, 0.98, 20.0) for r in rho]
    r = EquationOfState(rho, sources=series, dt=0.001).run().results
    assert r.verdict.startswith("extrapolated") and "too short" in r.verdict


@pytest.mark.parametrize("given", [True, False])
def test_tait_compressibility_is_calibrated(given):
    v0, b, c, p0 = 12000.0, 1500.0, 0.09, 1.01325
    p = np.array([1.0, 250, 500, 1000, 2000, 3000, 4000])
    z = []
    for seed in range(100):
        v = v0 * (1 - c * np.log1p((p - p0) / b)) + np.random.default_rng(seed).normal(
            scale=10.0, size=p.size)
        est = TaitCompressibility(p, v, volume_errors=np.full(p.size, 10.0) if given else None
                                  ).run().results.compressibility
        assert est.valid
        z.append((est.value - 1e4 * c / b) / est.stderr)
    assert_calibrated(z)


@pytest.mark.parametrize("given", [True, False])
def test_thermal_expansion_is_calibrated(given):
    t = np.linspace(280.0, 350.0, 8)
    alpha = 1e-3
    z = []
    for seed in range(100):
        rho = 1.2 * np.exp(-alpha * (t - 310)) + np.random.default_rng(seed).normal(
            scale=0.003, size=t.size)
        r = ThermalExpansion(t, rho, np.full(t.size, 0.003) if given else None,
                             reference_temperature=310).run().results
        z.append((r.alpha - alpha) / r.alpha_err)
    assert_calibrated(z)


# --- model errors against a reference ----------------------------------------------------------


@pytest.mark.parametrize("n_frames", [10, 30])
def test_rrmse_of_energies_counts_the_uncertain_spread_of_the_reference(n_frames):
    # one energy per frame: the spread in the RRMSE's denominator is as uncertain as the error
    # in its numerator. Taken as exact, the error bars covered the truth in 44 % of replicas of
    # 10 frames and 52 % of 30 (z-score standard deviations 1.9 and 1.6)
    z = []
    for seed in range(300):
        rng = np.random.default_rng(seed)
        x = rng.normal(scale=2.0, size=n_frames)
        _, rr = error_estimates(x, x + rng.normal(scale=0.5, size=n_frames), "meV/atom")
        # one energy per frame shows whether frames are correlated only from 54 frames on
        # (error_metrics._unresolved_note): the error bar is calibrated, the verdict says so
        assert "jackknife" in rr.method
        assert rr.valid or rr.verdict.startswith("too few frames to measure correlation")
        z.append((rr.value - 0.25) / rr.stderr)
    assert_calibrated(z, coverage=(0.6, 0.82))


def test_an_rrmse_of_five_energies_cannot_show_its_frames_independent():
    # one energy per frame over 5 frames cannot tell correlated frames from independent ones
    # (below 10 frames the lag-1 correlation's expectation is judged exactly): never valid
    for seed in range(50):
        rng = np.random.default_rng(seed)
        x = rng.normal(scale=2.0, size=5)
        _, rr = error_estimates(x, x + rng.normal(scale=0.5, size=5), "meV/atom")
        assert not rr.valid
        assert rr.verdict.startswith("too few frames to measure correlation"), rr.verdict
        assert np.isfinite(rr.value) and rr.stderr > 0


@pytest.mark.parametrize("n_frames", [5, 10])
def test_rrmse_and_softening_of_forces_are_calibrated(n_frames):
    # forces 0.9 × reference + noise of 0.2: RRMSE sqrt(0.1² + 0.2²), slopes 0.9
    z = {"rrmse": [], "slope_origin": [], "slope": []}
    for seed in range(300):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(n_frames, 20, 3))
        y = 0.9 * x + rng.normal(scale=0.2, size=x.shape)
        _, rr = error_estimates(x, y, "eV/Å", component_axes=1)
        z["rrmse"].append((rr.value - np.sqrt(0.05)) / rr.stderr)
        fits = fit_estimates(x, y, "eV/Å")
        for name in ("slope_origin", "slope"):
            z[name].append((fits[name].value - 0.9) / fits[name].stderr)
    assert_calibrated(z["rrmse"])
    # a jackknife over n frames has n - 1 degrees of freedom: without the t factor the
    # slopes' z-scores over 5 frames had a standard deviation of 1.37
    for name in ("slope_origin", "slope"):
        assert_calibrated(z[name], what=name)


@pytest.mark.parametrize("n_frames", [2, 3, 4])
def test_errors_over_fewer_than_five_frames_are_not_valid(n_frames):
    # over 2, 3, 4 frames the z-scores of force RMSEs had standard deviations 3.75, 1.74, 1.45
    # and of the softening slopes 8.7, 1.64, 1.38, all marked valid
    rng = np.random.default_rng(n_frames)
    x = rng.normal(size=(n_frames, 20, 3))
    y = 0.9 * x + rng.normal(scale=0.2, size=x.shape)
    note = (f"too few frames: {n_frames - 1} degree{'s' if n_frames > 2 else ''} of freedom for "
            "the error over frames (a calibrated error needs at least 4)")
    for est in (*error_estimates(x, y, "eV/Å", component_axes=1),
                *(v for k, v in fit_estimates(x, y, "eV/Å").items() if k != "n")):
        assert not est.valid and note in est.notes, est
        assert np.isfinite(est.value) and est.stderr > 0


@pytest.mark.parametrize("values_per_frame, n_frames", [(1, 20), (2, 10), (3, 10), (6, 10)])
def test_rmse_needs_twenty_squared_errors(values_per_frame, n_frames):
    # a mean of few squared errors is small together with its error: one energy per frame over
    # 10 frames gave z-scores with standard deviation 1.51 and mean -0.47, marked valid
    z = []
    for seed in range(300):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(n_frames, values_per_frame))
        rmse, _ = error_estimates(x, x + rng.normal(scale=0.5, size=x.shape), "eV/Å",
                                  component_axes=1)
        # fewer than 54 frames of one value (30 of 2, 22 of 3, 14 of 6) cannot show their
        # correlation (error_metrics._unresolved_note), the one note these may carry
        assert rmse.valid or rmse.verdict.startswith("too few frames to measure correlation"), \
            rmse.verdict
        z.append((rmse.value - 0.5) / rmse.stderr)
        fewer, _ = error_estimates(x[:-1], x[:-1] + 0.1, "eV/Å", component_axes=1)
        if (n_frames - 1) * values_per_frame < 20:
            assert not fewer.valid and fewer.verdict.startswith("too few values: "), fewer
    assert_calibrated(z, coverage=(0.6, 0.75))
    assert np.mean(z) > -0.4


def test_rrmse_error_of_a_perfect_model_is_zero_and_of_two_energies_is_named():
    x = np.array([1.0, 2.0, 4.0, 7.0, 11.0])
    _, rr = error_estimates(x, x, "meV/atom")
    assert rr.valid and rr.value == 0.0 and rr.stderr == 0.0
    # two energies: without either, the reference does not vary: no error over frames
    _, rr = error_estimates(x[:2], x[:2] + [0.1, -0.2], "meV/atom")
    assert not rr.valid and "undefined without one of the frames" in rr.verdict


def test_volume_scan_estimates_cover_the_mean_energy():
    z = []
    for seed in range(300):
        values = np.random.default_rng(seed).normal(-3.0, 0.4, size=(8, 2)) + [0.0, 2.0]
        est = scan_estimates(values, [1.0, 1.5])
        z += [(est["1"].value + 3.0) / est["1"].stderr, (est["1.5"].value + 1.0) /
              est["1.5"].stderr]
    assert_calibrated(z, coverage=(0.63, 0.73))


# --- Onsager coefficients and Nernst–Einstein ------------------------------------------------

TAU, DT, S_V, BOX, N_ION = 0.05, 0.02, 6.0, 20.0, 4  # ps, ps, Å/ps, Å, ions per species


@pytest.mark.slow
def test_onsager_and_nernst_einstein_errors_are_calibrated():
    # independent ions: L_ii = N D / (V k_B T) per e², σ = σ_NE, t = 1/2, α_d = 1
    d = S_V**2 * TAU
    pref = constants.e**2 / (constants.angstrom * constants.pico) / (
        BOX**3 * constants.k * 300.0)
    sigma = 2 * N_ION * d * pref
    z = {k: [] for k in ("L", "sigma", "t", "sigma_ne", "alpha_d")}
    doubted = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for seed in range(60):
            rng = np.random.default_rng(2000 + seed)
            v = ornstein_uhlenbeck(rng, 2000, (2 * N_ION, 3), TAU, DT, S_V)
            u = salt_universe(v, integrate(v, DT), n_cations=N_ION, dt=DT, box=BOX)
            # the ions read once for the three analyses (what each run(u) collects alike:
            # every estimate equal to the last digit; 18.0 -> 10.8 s of CPU)
            col = IonCollector(u, IONS).run().collection
            r = OnsagerCoefficients.from_collections(col, temperature=300.0).results
            if not r.valid:
                # the diffusive-regime check (+-0.2 combined with twice each log-log slope's
                # jackknife error: both species' and the dipole MSD's, as Einstein-Helfand's and
                # Diffusion's) doubts 4 of these 60 runs (the fixed +-0.2 doubted 11; dipole
                # slopes 1.08 +- 0.08): on the safe side; nothing else may mark them
                assert "diffusive" in r.verdict, r.verdict
                doubted.append(seed)
            est = r.coefficients["Li-Li"]
            z["L"].append((est.value - N_ION * d * pref) / est.stderr)
            z["sigma"].append((r.conductivity.value - sigma) / r.conductivity.stderr)
            t = r.transference_numbers["Li"]
            z["t"].append((t.value - 0.5) / t.stderr)
            eh = EinsteinHelfandConductivity.from_collections(col, temperature=300.0).results
            ne = NernstEinstein(Diffusion.from_collections(col, n_blocks=10), temperature=300.0,
                                conductivity=eh.conductivity).results
            z["sigma_ne"].append((ne.sigma - sigma) / ne.sigma_err)
            z["alpha_d"].append((ne.alpha_d - 1.0) / ne.alpha_d_err)
    assert len(doubted) <= 0.25 * 60, doubted
    for name, values in z.items():
        # α_d adds the errors of σ and σ_NE as if independent; both grow with the ions'
        # mobility, so its error bar is on the safe side (coverage about 0.8)
        assert_calibrated(values, coverage=(0.55, 0.9), what=name)
        assert abs(np.mean(values)) < 0.5, (name, np.mean(values))


# --- first-minimum shell cutoffs ---------------------------------------------------------------


@pytest.mark.parametrize("width, rise, steep", [(0.2, 3.0, 0.15), (0.12, 2.6, 0.08),
                                                (0.3, 3.2, 0.2)])
def test_shell_cutoff_error_covers_the_smoothing_shift(width, rise, steep):
    # pairs drawn from a g(r) with a sharp first shell: the smoothed minimum lies 0.11-0.15 Å
    # beyond the true one, and its error (σ/2 = 0.1 Å) gave z = +1.1 to +1.5 in every replica
    # (coverage 0). The error now holds the smoothing's shift: |z| < 1 in most, never above 2
    from mda_electrolyte.shell_cutoffs import first_minimum

    edges = np.linspace(0, 8, 161)
    r = 0.5 * (edges[1:] + edges[:-1])
    shell = 4.0 / 3.0 * np.pi * np.diff(edges**3)

    def g(x):
        return 3 * np.exp(-((x - 2) / width) ** 2) + 1 / (1 + np.exp(-(x - rise) / steep))

    fine = np.linspace(2.0, rise, 20001)
    truth = fine[np.argmin(g(fine))]
    z = []
    for seed in range(25):
        counts = np.random.default_rng(seed).poisson(10 * g(r) * shell).astype(float)
        est = first_minimum(edges, counts / shell, counts=counts).estimate()
        assert est.valid and est.stderr < 0.35, est
        z.append((est.value - truth) / est.stderr)
    z = np.asarray(z)
    assert np.all(np.abs(z) < 2) and np.mean(np.abs(z) < 1) >= 0.68, z


SHELLS = {"0.1": (3.0, 0.1, 2.6, 0.08), "0.2": (3.0, 0.2, 3.0, 0.15),
          "0.4": (3.0, 0.4, 3.6, 0.25), "Li-O": (15.0, 0.1, 2.9, 0.2)}


@pytest.mark.parametrize("shape", sorted(SHELLS))
def test_shell_cutoff_and_peak_are_calibrated_against_the_unsmoothed_rdf(shape):
    # pairs drawn from a known g(r) (80 bins of 0.1 Å as IntraInterRDF's default, the shell
    # placed at random against the bins): the minimum smoothed with σ = 0.2 Å lay 0.1-0.35 Å
    # beyond the true one; with 2 × its move from σ/2 as the error a 0.1 Å shell still had
    # z = +1.1 (coverage 0.04); the peak's error σ/2 = 0.1 Å was 10-100 times its scatter
    # (z standard deviation 0.01-0.08). Now extrapolated to σ = 0 and bootstrapped
    from mda_electrolyte.shell_cutoffs import first_minimum

    amp, width, rise, steep = SHELLS[shape]
    edges = np.linspace(0, 8, 81)
    shell = 4.0 / 3.0 * np.pi * np.diff(edges**3)
    fine = np.linspace(0, 9, 18001)
    zc, zp = [], []
    for seed in range(25):
        rng = np.random.default_rng(seed)
        off = rng.uniform(0, 0.1)
        g = amp * np.exp(-((fine - 2 - off) / width) ** 2) + 1 / (
            1 + np.exp(-(fine - rise - off) / steep))
        between = (fine > 2 + off) & (fine < rise + off)
        truth_min = fine[between][np.argmin(g[between])]
        # expected pairs per bin: the integral of g 4π r² over the bin
        cum = np.concatenate([[0], np.cumsum(g[1:] * 4 * np.pi * fine[1:] ** 2 * np.diff(fine))])
        counts = rng.poisson(30 * np.diff(np.interp(edges, fine, cum))).astype(float)
        found = first_minimum(edges, counts / shell / 30, counts=counts)
        cut, peak = found.estimate("cutoff"), found.estimate("peak")
        assert cut.valid and peak.valid and peak.stderr < 0.05, (cut, peak)
        zc.append((cut.value - truth_min) / cut.stderr)
        zp.append((peak.value - 2 - off) / peak.stderr)
    zc, zp = np.abs(zc), np.abs(zp)
    assert np.mean(zc) < 0.85 and np.mean(zc < 1) >= 0.6 and zc.max() < 2, zc
    assert 0.6 <= np.mean(zp < 1) and np.mean(zp) > 0.25 and zp.max() < 3, zp
