"""The Einstein–Helfand viscosity's verdict does not select the low estimates as valid.

Judged by its log-log slope (1.22 for a straight ⟨ΔG²⟩ with its offset, fitted at 3-9 τ) and by
a fit start of 3 correlation times estimated from the same data (τ grows with the estimate,
η ∝ s² τ), the viscosities left valid of 400 Ornstein–Uhlenbeck replicas of 6000 samples had a
mean z-score of -1.14; the verdict now reads the slope's growth across the window and the bias
the bend leaves, against the error.
"""

import math
import warnings

import numpy as np
import pytest
from scipy import constants
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import (
    EinsteinHelfandConductivity,
    EinsteinHelfandViscosity,
    OnsagerCoefficients,
)
from mda_electrolyte.correlation import (
    bend_bias,
    fit_line,
    is_diffusive,
    slope_exponent,
)
from mda_electrolyte.ion_collection import IonCollection

DT, TAU, S, V, T = 0.01, 0.2, 300.0, 2.0e4, 300.0  # ps, ps, bar, Å³, K
# η = V/(k_B T) S² τ, Å³ bar² ps / J -> mPa·s
ETA = V * 1e-30 * (S * 1e5) ** 2 * TAU * 1e-12 / (constants.k * T) * 1e3


def _shear(seed, n):
    """Off-diagonal shear stress: three OU components of variance S² and time τ."""
    rng = np.random.default_rng(seed)
    off = ornstein_uhlenbeck(rng, n, (3,), TAU, DT, S)
    p = np.zeros((n, 3, 3))
    p[:, [0, 1, 2], [0, 1, 2]] = 1000.0
    for k, (a, b) in enumerate(((0, 1), (0, 2), (1, 2))):
        p[:, a, b] = p[:, b, a] = off[:, k]
    return p


def _eh(p, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return EinsteinHelfandViscosity(p, temperature=T, volume=V, dt=DT,
                                        components="offdiagonal", **kw).run().results


def test_valid_viscosities_at_the_old_fit_start_threshold_are_not_selected_low():
    # 6000 samples, 10 segments of 600 = 30 τ, window 10-30 %: it starts at exactly 3 τ
    # (before: 40 % valid, their mean z -1.1, |z| median 0.95)
    z, log_z, valid, covered = [], [], [], []
    for seed in range(60):
        est = _eh(_shear(4100 + seed, 6000)).shear_viscosity
        z.append((est.value - ETA) / est.stderr)
        log_z.append(math.log(est.value / ETA) / (est.stderr / est.value))
        valid.append(est.valid)
        lo, hi = est.interval(0.95, allow_invalid=True)
        covered.append(lo <= ETA <= hi)
    z, log_z, valid = map(np.array, (z, log_z, valid))
    assert valid.mean() >= 0.85, valid.mean()
    # the valid ones are as calibrated as all of them: no selection on the estimate
    assert abs(z[valid].mean() - z.mean()) < 0.15, (z[valid].mean(), z.mean())
    assert abs(log_z[valid].mean()) < 0.45, log_z[valid].mean()
    assert 0.45 < np.median(np.abs(z[valid])) < 0.95
    assert np.mean(np.array(covered)[valid]) >= 0.85


def test_a_window_in_the_bend_stays_not_valid_and_a_later_one_is_valid():
    # blocks of 200 samples (10 τ): the default window starts at 1 τ, ~14 % low
    early = _eh(_shear(7, 2000)).shear_viscosity
    assert not early.valid
    note = next(n for n in early.notes if "still bends" in n)
    assert "% low" in note and "later fit window" in note
    late = _eh(_shear(7, 2000), fit_window=(0.4, 0.9)).shear_viscosity
    assert not any("still bends" in n for n in late.notes)


def test_a_stress_that_does_not_decorrelate_in_the_window_is_not_diffusive():
    # τ = 40 ps against 1 ps segments: G grows ballistically, slope exponent ~2
    rng = np.random.default_rng(11)
    off = ornstein_uhlenbeck(rng, 2000, (3,), 40.0, DT, S)
    p = np.zeros((2000, 3, 3))
    for k, (a, b) in enumerate(((0, 1), (0, 2), (1, 2))):
        p[:, a, b] = p[:, b, a] = off[:, k]
    r = _eh(p + 0.05 * S * rng.normal(size=p.shape))
    assert r.slope_exponent > 1.5
    assert not r.shear_viscosity.valid
    assert any(n.startswith("not diffusive") for n in r.shear_viscosity.notes)


@pytest.mark.parametrize("beta", [0.5, 1.0, 1.5, 2.0])
def test_slope_exponent_of_a_power_law_is_its_exponent(beta):
    t = np.linspace(0.0, 3.0, 301)
    window = slice(30, 90)
    # a quadratic's secant slopes equal its midpoint slopes: β = 2 exactly; others closely
    value, err = slope_exponent(t, 2.0 * t ** beta, window)
    assert value == pytest.approx(beta, abs=0.02 if beta != 2.0 else 1e-9)
    assert err == 0.0      # one segment: no jackknife


def test_slope_exponent_ignores_the_offset_the_log_log_slope_reads_as_growth():
    t = np.linspace(0.0, 3.0, 301)
    window = slice(30, 90)
    rng = np.random.default_rng(2)
    msds = 4.0 * (t - 0.2) + rng.normal(scale=0.01, size=(8, t.size))
    value, err = slope_exponent(t, msds, window)
    assert err > 0
    assert value == pytest.approx(1.0, abs=4 * err)
    assert is_diffusive(value, err)
    # an MSD that stops growing half way (caged) is not diffusive; one that shrinks there has
    # no exponent
    flat = np.where(t < 0.6, t, 0.6)
    assert not is_diffusive(*slope_exponent(t, flat, window))
    assert np.isnan(slope_exponent(t, np.where(t < 0.6, t, 1.2 - t), window)[0])


@pytest.mark.parametrize("start", [1.0, 2.0, 3.0])
def test_bend_bias_is_the_shortfall_of_a_line_fitted_to_the_exact_msd(start):
    # exact MSD of an exponentially correlated rate: 2 (t - τ (1 - e^(-t/τ)))
    tau = 1.0
    t = np.linspace(0.0, 12.0, 12001)
    msd = 2.0 * (t - tau * (1.0 - np.exp(-t / tau)))
    window = (t >= start) & (t <= 3 * start)
    slope = fit_line(t[window], msd[window])[0]
    assert 1.0 - slope / 2.0 == pytest.approx(bend_bias(start, 3 * start, tau), rel=0.01)
    assert bend_bias(start, 3 * start, 0.0) == 0.0



def test_einstein_conductivity_and_onsager_are_not_selected_low_either():
    # 4 + 4 Ornstein–Uhlenbeck ions, segments of 30 τ, window at 3-9 τ: before, EH σ was
    # valid in 34 of 80 replicas (mean z -1.10 against -0.25 for all), Onsager σ in 9 of 40
    tau, dt, s, n, volume, temperature = 0.1, 0.02, 5.0, 1500, 64000.0, 300.0
    # σ = e² / (V k_B T) Σ_i D_i with D = s² τ for each of 8 ions (Å²/ps -> m²/s)
    exact = constants.e**2 / (volume * 1e-30 * constants.k * temperature) * 8 * s * s * tau * 1e-8
    z = {"eh": [], "on": []}
    valid = {"eh": [], "on": []}
    for seed in range(30):
        rng = np.random.default_rng(6100 + seed)
        v = ornstein_uhlenbeck(rng, n, (8, 3), tau, dt, s)
        col = IonCollection.from_arrays({"Li": 4, "AN": 4}, dt=dt, velocities=v,
                                        positions=integrate(v, dt),
                                        charges={"Li": 1.0, "AN": -1.0}, volume=volume)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            eh = EinsteinHelfandConductivity.from_collections(col, temperature=temperature)
            on = OnsagerCoefficients.from_collections(col, temperature=temperature)
        for key, est in (("eh", eh.results.conductivity), ("on", on.results.conductivity)):
            z[key].append((est.value - exact) / est.stderr)
            valid[key].append(est.valid)
    for key in z:
        zz, ok = np.array(z[key]), np.array(valid[key])
        assert ok.mean() >= 0.8, (key, ok.mean())
        assert abs(zz[ok].mean() - zz.mean()) < 0.2, (key, zz[ok].mean(), zz.mean())
        assert zz[ok].mean() > -0.6, (key, zz[ok].mean())
