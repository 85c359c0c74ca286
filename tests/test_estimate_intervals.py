"""Confidence intervals of Estimates: the Student-t degrees of freedom travel with the number.

A transport error is a t-scaled one-sigma error over ``n`` segments (or ions); its 95 %
interval is ``stderr · t_0.975(n-1) / t_0.8413(n-1)``, 2.43 error bars for 5 blocks, not the
normal 1.96 (which covered D of Brownian ions in 91 % of 400 replicas, the t interval
in 94 %). The degrees of freedom are
on the Estimate (``dof``), through its unit conversions and JSON form, and errors propagated
from such Estimates (Nernst–Einstein, Yeh–Hummer) carry the Welch–Satterthwaite value.
"""

import json
import math
import warnings

import numpy as np
import pytest
from scipy import stats
from transport_data import integrate, ornstein_uhlenbeck

from ase_electrolyte.estimate import Estimate, propagated_dof
from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte.ion_collection import IonCollection
from mda_electrolyte.uncertainty import t_factor

T = 300.0


@pytest.mark.parametrize("dof", [1, 4, 9, 30.5])
@pytest.mark.parametrize("level", [0.5, 0.6827, 0.9, 0.95, 0.99])
def test_interval_uses_the_t_quantile_of_its_dof(dof, level):
    est = Estimate(2.0, 0.3, "S/m", "t-scaled standard error", n_samples=int(dof) + 1, dof=dof)
    low, high = est.interval(level)
    # stderr is t_0.8413(dof) standard errors; the interval t_q(dof) of them
    se = 0.3 / t_factor(dof)
    half = se * stats.t.ppf(0.5 + level / 2, dof)
    assert low == pytest.approx(2.0 - half, rel=1e-12)
    assert high == pytest.approx(2.0 + half, rel=1e-12)


def test_interval_without_dof_is_normal_and_one_sigma_is_the_error():
    est = Estimate(2.0, 0.3, "S/m", "propagated")
    assert est.interval(0.95) == pytest.approx((2.0 - 1.959964 * 0.3, 2.0 + 1.959964 * 0.3))
    # at 68.27 % the interval is the error bar itself, with or without dof
    one = stats.norm.cdf(1) - stats.norm.cdf(-1)
    for e in (est, Estimate(2.0, 0.3, "S/m", "blocks", 5, dof=4)):
        assert e.interval(one) == pytest.approx((1.7, 2.3), rel=1e-9)


def test_few_dof_widen_the_95_percent_interval():
    widths = [Estimate(0.0, 1.0, "1", "blocks", dof=d).interval(0.95)[1] for d in (4, 9, 99)]
    assert widths[0] == pytest.approx(2.776 / 1.142, rel=2e-3)
    assert widths[1] == pytest.approx(2.262 / 1.059, rel=2e-3)
    assert widths[0] > widths[1] > widths[2] > 1.96


def test_dof_survives_units_notes_and_json():
    est = Estimate(1.02, 0.08, "S/m", "t-scaled standard error over 10 blocks", 10, dof=9)
    assert est.to("mS/cm").dof == 9
    assert est.to("mS/cm").interval(0.95)[0] == pytest.approx(10 * est.interval(0.95)[0])
    assert est.with_notes("x", converged=False).dof == 9
    back = Estimate.from_dict(json.loads(json.dumps(est.to_dict())))
    assert back == est and back.dof == 9
    # the dict of a normal error is the one written before dof existed
    plain = Estimate(1.0, 0.1, "S/m", "propagated")
    assert "dof" not in plain.to_dict()
    assert Estimate.from_dict(plain.to_dict()) == plain
    # dof is part of the identity: the same numbers with other dof have other intervals
    assert est != Estimate(1.02, 0.08, "S/m", est.method, 10, dof=4)


@pytest.mark.parametrize("dof", [0, 0.5, -3, math.inf, math.nan, True, "9", [9]])
def test_a_dof_that_is_no_count_of_degrees_is_refused(dof):
    with pytest.raises(ValueError, match="dof"):
        Estimate(1.0, 0.1, "S/m", "blocks", dof=dof)


@pytest.mark.parametrize("level", [0, 1, 95, -0.5, math.nan, True, "0.95", None])
def test_a_level_that_is_no_coverage_is_refused(level):
    with pytest.raises(ValueError, match="level"):
        Estimate(1.0, 0.1, "S/m", "blocks", dof=4).interval(level)


def test_interval_of_an_unknown_or_invalid_number_is_refused_by_name():
    bad = Estimate.invalid(1.0, 0.1, "S/m", "blocks", "too short: 3 blocks")
    with pytest.raises(ValueError, match="too short"):
        bad.interval()
    assert bad.interval(0.95, allow_invalid=True) == pytest.approx((1 - 0.196, 1 + 0.196),
                                                                    abs=1e-3)
    unknown = Estimate.invalid(1.0, math.nan, "S/m", "none", "no error")
    with pytest.raises(ValueError, match="unknown"):
        unknown.interval(allow_invalid=True)


def test_propagated_dof_is_welch_satterthwaite():
    # two equal errors of 4 dof: the sum's variance has 8 dof
    assert propagated_dof([(1.0, 4), (1.0, 4)]) == pytest.approx(8.0)
    # a dominant term's dof wins; normal terms count as infinitely many
    assert propagated_dof([(1.0, 4), (0.01, None)]) == pytest.approx(4.0 * (1 + 1e-4) ** 2)
    assert propagated_dof([(0.5, None), (0.5, None)]) is None
    a, b, na, nb = 0.3, 0.7, 3, 12
    assert propagated_dof([(a, na), (-b, nb)]) == pytest.approx(
        (a**2 + b**2) ** 2 / (a**4 / na + b**4 / nb))
    # zero errors give no weights: the fewest dof stand
    assert propagated_dof([(0.0, 4), (0.0, 9)]) == 4.0


def _salt(seed, n_frames=2000):
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, n_frames, (8, 3), 0.05, 0.02, 6.0)
    return IonCollection.from_arrays({"Li": 4, "AN": 4}, dt=0.02, velocities=v,
                                     positions=integrate(v, 0.02),
                                     charges={"Li": 1.0, "AN": -1.0}, volume=20.0**3)


def test_every_transport_estimate_carries_the_dof_of_its_segments():
    col = _salt(11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gk = GreenKuboConductivity.from_collections(col, temperature=T, max_lag=0.5)
        eh = EinsteinHelfandConductivity.from_collections(col, temperature=T)
        d = Diffusion.from_collections(col, n_blocks=5)
        ons = OnsagerCoefficients.from_collections(col, temperature=T)
    found = [gk.results.conductivity, eh.results.conductivity, ons.results.conductivity,
             *gk.results.transference_numbers.values(),
             *d.results.diffusion_coefficient.values(), *ons.results.coefficients.values(),
             *ons.results.transference_numbers.values()]
    for est in found:
        assert est.dof == est.n_samples - 1, est
    assert {e.dof for e in d.results.diffusion_coefficient.values()} == {4.0}
    # Nernst–Einstein of one run's D's: σ_NE is a mean over the same 5 segments as its D's
    # (their covariance in its scatter), so 4 dof, as each term alone; α_d with a σ of other
    # blocks (GK's 10) is propagated as independent, with Welch–Satterthwaite's dof
    ne = NernstEinstein(d, temperature=T, conductivity=gk).results
    assert ne.conductivity.dof == 4
    assert all(e.dof == 4 for e in ne.contributions.values())
    assert all(e.dof == 4 for e in ne.transference_numbers.values())
    terms = [(ne.collective_conductivity.stderr / ne.sigma, 9),
             (ne.dissociation.value * ne.conductivity.stderr / ne.sigma, 4)]
    assert ne.dissociation.dof == pytest.approx(propagated_dof(terms))
    # the same D's given as Estimates (independent inputs): a sum of two D terms of 4 dof each
    # has more
    apart = NernstEinstein(temperature=T, diffusivities=dict(d.results.diffusion_coefficient),
                           n_ions=d.results.n_ions, charges=d.results.charges,
                           volume=d.results.volume).results
    terms = [apart.contributions[s].stderr for s in ("Li", "AN")]
    assert apart.conductivity.dof == pytest.approx(propagated_dof((t, 4) for t in terms))
    assert 4 < apart.conductivity.dof <= 8


def test_95_percent_intervals_of_d_over_five_blocks_cover_the_truth():
    """400 replicas of Brownian ions of known D, 5 blocks each (t with 4 dof)."""
    dt, diff, n_ions, n_frames, n_rep = 0.1, 0.5, 20, 1000, 400
    covered = normal = 0
    for seed in range(n_rep):
        rng = np.random.default_rng(7_700 + seed)
        steps = rng.normal(0.0, np.sqrt(2 * diff * dt), (n_frames, n_ions, 3))
        col = IonCollection.from_arrays({"Li": n_ions}, dt=dt, velocities=steps / dt,
                                        positions=np.cumsum(steps, axis=0),
                                        charges={"Li": 1.0}, volume=30.0**3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            est = Diffusion.from_collections(col, n_blocks=5).results.diffusion_coefficient["Li"]
        assert est.valid and est.dof == 4
        low, high = est.interval(0.95)
        covered += low < diff < high
        normal += abs(est.value - diff) < 1.96 * est.stderr
    margin = 3.5 * math.sqrt(0.95 * 0.05 / n_rep)
    assert abs(covered / n_rep - 0.95) <= margin, covered / n_rep
    # the normal quantile on the same error bars covers less (expected 0.91 for t(4))
    assert normal < covered


def test_an_interval_beyond_the_float_range_is_refused():
    with pytest.raises(ValueError, match="overflows"):
        Estimate(1e308, 1e308, "S/m", "blocks", dof=4).interval(0.99)
    # a tiny level is a tiny interval, not zero width by accident
    low, high = Estimate(1.0, 0.1, "S/m", "blocks", dof=4).interval(1e-6)
    assert low < 1.0 < high and high - low < 1e-6
