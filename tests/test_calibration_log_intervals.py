"""Intervals of coefficients positive by nature are symmetric on the log scale.

A transport coefficient's segment values are quadratic forms of a current (chi-square-like,
skewness 0.5-1): a segment set that came out low also scatters little, and a symmetric t
interval missed the truth mostly on the low side (Einstein–Helfand σ over 3000 replicas:
4.6 % above the interval, 0.8 % below). ``Estimate(interval_scale="log")`` takes the same
half-width on ``log value``; ``transport_estimate(positive=True)`` puts σ, D, η and diagonal
Onsager coefficients on it, and marks such a coefficient whose mean is not positive not valid.

Also here: the viscosity's mean shear stress is not subtracted when the blocks show none (the
mean subtracted lowered η by ~2 t/T: -7.5 % at 200 correlation times of input), a static shear
stress is named, and an Einstein–Helfand viscosity fit in the bend of ⟨ΔG²⟩ is not valid.
"""

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from test_viscosity import DT as DT_P
from test_viscosity import EXACT as ETA
from test_viscosity import TAU as TAU_P
from test_viscosity import T as T_P
from test_viscosity import V as V_P
from test_viscosity import pressure_process
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.estimate import Estimate, estimates_to_dict, mark_not_valid
from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    EinsteinHelfandViscosity,
    GreenKuboConductivity,
    GreenKuboViscosity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte.correlation import transport_estimate
from mda_electrolyte.ion_collection import IonCollection
from mda_electrolyte.uncertainty import t_factor


def _margin(p, n, k=4.0):
    return k * math.sqrt(p * (1 - p) / n)


# --------------------------------------------------------------- calibration of the interval
@pytest.mark.parametrize("n_segments", [5, 10])
def test_intervals_of_skewed_positive_segments_cover_and_miss_on_both_sides(n_segments):
    # Gamma(8) segment values: skewness 0.71, that of Green–Kubo and Einstein–Helfand segments
    # (symmetric t intervals: 0.941-0.945 coverage, 4.2-4.7 % of misses above, 1.3 % below)
    n_rep, shape = 2000, 8.0
    rng = np.random.default_rng(8000 + n_segments)
    samples = rng.gamma(shape, 1.0 / shape, size=(n_rep, n_segments))  # true mean 1
    covered = above = below = 0
    for row in samples:
        est = transport_estimate(row, "S/m", n_runs=1, n_blocks=n_segments, positive=True)
        assert est.interval_scale == "log" and est.dof == n_segments - 1
        low, high = est.interval(0.95, allow_invalid=True)
        covered += low < 1.0 < high
        above += high < 1.0
        below += low > 1.0
    assert abs(covered / n_rep - 0.95) <= _margin(0.95, n_rep), covered / n_rep
    for side in (above, below):
        assert abs(side / n_rep - 0.025) <= _margin(0.025, n_rep), (above, below)


# ------------------------------------------------------------------- the Estimate's log scale
def test_a_log_scale_interval_is_symmetric_in_log_value_at_every_level_and_unit():
    est = Estimate(2.0, 0.5, "S/m", "t-scaled standard error over 5 blocks", n_samples=5,
                   dof=4, interval_scale="log")
    for level in (0.5, 0.6827, 0.95, 0.99):
        half = 0.5 * stats.t.ppf(0.5 + level / 2, 4) / t_factor(4)
        low, high = est.interval(level)
        assert low == pytest.approx(2.0 * math.exp(-half / 2.0), rel=1e-12)
        assert high == pytest.approx(2.0 * math.exp(half / 2.0), rel=1e-12)
        assert math.sqrt(low * high) == pytest.approx(2.0, rel=1e-12)  # geometric centre
        assert 2.0 - half < low < 2.0 < 2.0 + half < high
        # a unit is a factor: the bounds convert with the value
        assert est.to("mS/cm").interval(level) == pytest.approx((10 * low, 10 * high),
                                                                rel=1e-12)
    # the normal case without dof: 1.96 error bars of log value
    normal = Estimate(2.0, 0.5, "S/m", "given", interval_scale="log")
    assert normal.interval(0.95)[1] == pytest.approx(
        2.0 * math.exp(0.5 * stats.norm.ppf(0.975) / 2.0), rel=1e-12)
    # the one-sigma error, its text and the verdicts are those of the linear estimate
    assert str(est) == "2.00 ± 0.50 S/m (valid)" and est.stderr == 0.5
    marked = mark_not_valid({"sigma": est}, "cutoff doubtful")["sigma"]
    assert marked.interval_scale == "log" and not marked.valid


def test_the_scale_survives_the_json_form_and_a_linear_one_is_written_as_before():
    est = Estimate(2.0, 0.5, "S/m", "blocks", n_samples=5, dof=4, interval_scale="log")
    d = estimates_to_dict({"s": est})["s"]
    assert d["interval_scale"] == "log"
    back = Estimate.from_dict(d)
    assert back == est and back.interval(0.9) == est.interval(0.9)
    assert back != Estimate(2.0, 0.5, "S/m", "blocks", n_samples=5, dof=4)
    linear = Estimate(2.0, 0.5, "S/m", "blocks", n_samples=5, dof=4)
    assert "interval_scale" not in linear.to_dict()
    assert Estimate.from_dict(linear.to_dict()).interval_scale == "linear"
    # a missing value (JSON null) of a log-scale estimate that is not valid reads back
    gone = Estimate(float("nan"), 0.5, "S/m", "blocks", converged=False, notes=("lost",),
                    interval_scale="log")
    assert Estimate.from_dict(gone.to_dict()) == gone


@pytest.mark.parametrize("scale", ["logarithmic", "LOG", "", None, 1, ["log"]])
def test_an_unknown_interval_scale_is_refused_by_name(scale):
    with pytest.raises(ValueError, match="interval_scale"):
        Estimate(1.0, 0.1, "S/m", "blocks", interval_scale=scale)
    d = Estimate(1.0, 0.1, "S/m", "blocks").to_dict()
    d["interval_scale"] = scale
    with pytest.raises(ValueError, match="interval_scale"):
        Estimate.from_dict(d)


@pytest.mark.parametrize("value", [0.0, -0.0, -1.0, -math.inf])
def test_a_log_scale_needs_a_positive_value(value):
    with pytest.raises(ValueError, match="log scale needs a positive value"):
        Estimate(value, 0.1, "S/m", "blocks", converged=False, notes=("x",),
                 interval_scale="log")
    d = Estimate(1.0, 0.1, "S/m", "blocks", interval_scale="log").to_dict()
    d["value"] = value
    with pytest.raises(ValueError, match="positive value"):
        Estimate.from_dict(d)


def test_a_log_interval_beyond_the_float_range_is_refused_not_infinite():
    est = Estimate(1e-300, 1.0, "S/m", "blocks", interval_scale="log")
    with pytest.raises(ValueError, match="overflows the float range"):
        est.interval(0.95)
    tiny = Estimate(1e-300, 1e-301, "S/m", "blocks", interval_scale="log")
    low, high = tiny.interval(0.95)
    assert 0 < low < 1e-300 < high and np.isfinite(high)


# ------------------------------------------------ transport_estimate: positive coefficients
@pytest.mark.parametrize("samples", [[-1.0, 0.5, -0.3, 0.2, -0.4], [0.0] * 5,
                                     [1.0, -1.0, 2.0, -2.0, 0.0]])
def test_a_positive_coefficient_whose_mean_is_not_positive_is_not_valid(samples):
    est = transport_estimate(samples, "S/m", n_runs=1, n_blocks=5, positive=True)
    assert not est.valid and est.interval_scale == "linear"
    assert any(n.startswith("not positive: the mean over 5 segments") for n in est.notes)
    assert est.value == pytest.approx(np.mean(samples), abs=1e-15)
    # a signed quantity (a distinct part, a cross coefficient) keeps its verdict
    signed = transport_estimate(samples, "S/m", n_runs=1, n_blocks=5)
    assert signed.valid and signed.interval_scale == "linear"
    with pytest.raises(ValueError, match="positive"):
        transport_estimate(samples, "S/m", n_runs=1, n_blocks=5, positive="yes")


# ---------------------------------------------------- which analyses report which scale
@pytest.fixture(scope="module")
def salt():
    rng = np.random.default_rng(4242)
    v = ornstein_uhlenbeck(rng, 4000, (8, 3), 0.5, 0.05, 2.0)
    return IonCollection.from_arrays({"Li": 4, "AN": 4}, dt=0.05, velocities=v,
                                     positions=integrate(v, 0.05),
                                     charges={"Li": 1.0, "AN": -1.0}, volume=30.0**3)


def test_positive_coefficients_are_on_the_log_scale_and_signed_ones_linear(salt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gk = GreenKuboConductivity.from_collections(salt, temperature=300.0, max_lag=5.0).results
        eh = EinsteinHelfandConductivity.from_collections(salt, temperature=300.0).results
        d = Diffusion.from_collections(salt, fit_window=(0.3, 0.6), remove_drift=False).results
        ne = NernstEinstein.from_collections(salt, temperature=300.0).results
    log = [gk.conductivity, gk.conductivity_self, eh.conductivity, ne.conductivity,
           *ne.contributions.values()]
    # D of one trajectory, its error over the ions, takes the interval of a gamma mean
    # (test_review52_gamma_interval): also wider above the value than below
    gamma = list(d.diffusion_coefficient.values())
    assert all(e.value > 0 and e.interval_scale == "gamma" for e in gamma)
    for e in gamma:
        low, high = e.interval(0.95, allow_invalid=True)
        assert high - e.value > e.value - low > 0
    log += [p["conductivity"] for k, p in gk.parts.items() if not k.startswith("distinct:")]
    linear = [gk.conductivity_distinct, *gk.transference_numbers.values(),
              *ne.transference_numbers.values()]
    linear += [p["conductivity"] for k, p in gk.parts.items() if k.startswith("distinct:")]
    assert all(e.value > 0 and e.interval_scale == "log" for e in log)
    assert all(e.interval_scale == "linear" for e in linear)
    for e in log:  # wider above the value than below, by the same factor
        low, high = e.interval(0.95, allow_invalid=True)
        assert high / e.value == pytest.approx(e.value / low, rel=1e-9) and high / e.value > 1


def test_onsager_diagonal_coefficients_and_sigma_are_log_the_cross_ones_linear():
    rng = np.random.default_rng(99)
    v = ornstein_uhlenbeck(rng, 800, (8, 3), 0.5, 0.05, 2.0)
    u = salt_universe(v, integrate(v, 0.05), n_cations=4, dt=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = OnsagerCoefficients(u, IONS, 300.0, remove_drift=False).run().results
    assert r.coefficients["Li-Li"].interval_scale == "log"
    assert r.coefficients["AN-AN"].interval_scale == "log"
    assert r.coefficients["AN-Li"].interval_scale == "linear"
    assert r.conductivity.interval_scale == "log"
    assert all(t.interval_scale == "linear" for t in r.transference_numbers.values())


# -------------------------------------------------------------------------- the viscosity
def test_the_viscosity_of_short_runs_is_not_biased_low_by_a_subtracted_mean():
    # 3000 samples, 150 correlation times: subtracting the mean over all input lowered η by
    # ~2 t / T = 10 % (before: mean over replicas 0.90 η, 6 standard errors low)
    values = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for seed in range(150):
            p = pressure_process(5000 + seed, n=3000)
            r = GreenKuboViscosity(p, temperature=T_P, volume=V_P, dt=DT_P,
                                   max_lag=10 * TAU_P).run().results
            assert not any("static shear stress" in n for n in r.shear_viscosity.notes)
            values.append(r.viscosity)
    values = np.array(values)
    se = values.std(ddof=1) / np.sqrt(values.size)
    assert abs(values.mean() - ETA) < 4 * se, (values.mean() / ETA, se / ETA)


@pytest.mark.parametrize("cls", [GreenKuboViscosity, EinsteinHelfandViscosity])
@pytest.mark.parametrize("where", ["offdiagonal", "traceless"])
def test_a_static_shear_stress_is_named_subtracted_and_not_valid(cls, where):
    p = pressure_process(77, n=20000)
    offset = p.copy()
    if where == "offdiagonal":
        offset[:, 0, 1] += 200.0
        offset[:, 1, 0] += 200.0
    else:  # a traceless diagonal stress: a stretched solid
        offset[:, 0, 0] += 200.0
        offset[:, 1, 1] -= 200.0
    kw = dict(temperature=T_P, volume=V_P, dt=DT_P)
    if cls is GreenKuboViscosity:
        kw["max_lag"] = 10 * TAU_P
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        plain = cls(p, **kw).run().results.shear_viscosity
        static = cls(offset, **kw).run().results.shear_viscosity
    assert not any("static shear stress" in n for n in plain.notes)
    assert not static.valid
    note = next(n for n in static.notes if n.startswith("static shear stress"))
    assert "bar" in note and "standard errors from zero" in note
    # subtracted: the same fluctuations give about the same η, not m² t more
    assert static.value == pytest.approx(plain.value, rel=0.05)
    assert abs(static.value - ETA) < 4 * static.stderr


def test_an_einstein_helfand_viscosity_fitted_in_the_bend_is_not_valid():
    # blocks of 200 samples of a 20-sample-correlated stress: the window starts at 1 τ, where
    # the fitted slope is ~14 % low. (A window at 2-6 τ, 3 % low, is judged by that bias
    # against its error since the fixed 3 τ rule picked the low replicas as valid; see
    # test_transport23_einstein_selection.py.)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = EinsteinHelfandViscosity(pressure_process(3, n=2000), temperature=T_P,
                                     volume=V_P, dt=DT_P).run().results
        later = EinsteinHelfandViscosity(pressure_process(3, n=2000), temperature=T_P,
                                         volume=V_P, dt=DT_P,
                                         fit_window=(0.4, 0.9)).run().results
    assert not r.shear_viscosity.valid
    assert any("fit window 0.2-" in n and "still bends" in n and "% low" in n
               for n in r.shear_viscosity.notes), r.shear_viscosity.notes
    assert not any("still bends" in n for n in later.shear_viscosity.notes)
