"""Same data, same σ, same verdict: Onsager's σ is judged by the charge current, as
Einstein–Helfand's and Green–Kubo's are.

Found by probing: ions moving in cation-anion pairs (a slow velocity common to both, which
cancels in the charge current J = Σ z_i V_i) gave the very same σ from
``EinsteinHelfandConductivity`` and ``OnsagerCoefficients`` (equal to 1e-12), "valid" from the
first and "not diffusive"/"too short" from the second, whose sampling check pooled every
species' summed velocity, slow mode included, for every estimate. Each estimate is now judged by
the currents it integrates: σ and the transference numbers by J, L_ij by the summed velocities
of i and j.
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    OnsagerCoefficients,
)

DT, N = 0.01, 8


def _paired_salt(seed, common, n_frames=3000, tau_common=0.5, s_fast=1.0):
    # each cation shares a slow OU velocity with one anion: J sees only the fast parts
    rng = np.random.default_rng(seed)
    vc = ornstein_uhlenbeck(rng, n_frames, (N, 3), 0.05, DT, s_fast)
    va = ornstein_uhlenbeck(rng, n_frames, (N, 3), 0.05, DT, s_fast)
    w = ornstein_uhlenbeck(rng, n_frames, (N, 3), tau_common, DT, 1.0) * common
    v = np.concatenate([vc + w, va + w], axis=1)
    return salt_universe(v, integrate(v, DT), n_cations=N, dt=DT)


def _quiet(build):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build()


@pytest.mark.parametrize(("seed", "common"), [(0, 1.0), (2, 3.0), (3, 3.0)])
def test_einstein_routes_give_sigma_one_verdict(seed, common):
    u = _paired_salt(seed, common)
    eh = _quiet(lambda: EinsteinHelfandConductivity(u, IONS, 300).run()).results
    on = _quiet(lambda: OnsagerCoefficients(u, IONS, 300).run()).results
    assert on.conductivity.value == pytest.approx(eh.conductivity.value, rel=1e-9)
    assert on.conductivity.stderr == pytest.approx(eh.conductivity.stderr, rel=1e-6)
    assert eh.conductivity.valid, eh.conductivity.verdict
    assert on.conductivity.verdict == eh.conductivity.verdict
    for name, t in on.transference_numbers.items():
        assert t.verdict == eh.transference_numbers[name].verdict == "valid"
    # the slow common mode lives in each species' current: its own coefficient says so
    # (bending at the fit window, or for the slower mode also too few independent samples)
    ll = on.coefficients["Li-Li"]
    assert not ll.valid
    if common > 2:
        assert "too short: the summed velocity of Li (position increments)" in ll.verdict
        cross = on.coefficients["AN-Li"]
        assert "too short: the summed velocity of Li and AN" in cross.verdict
    # the run as a whole is judged by everything in it
    assert not on.valid and all(n in on.verdict for n in ll.notes)


def test_independent_ions_are_valid_by_every_route():
    u = _paired_salt(4, 0.0)
    eh = _quiet(lambda: EinsteinHelfandConductivity(u, IONS, 300).run()).results
    on = _quiet(lambda: OnsagerCoefficients(u, IONS, 300).run()).results
    assert eh.conductivity.valid and on.conductivity.valid and on.valid
    assert all(e.valid for e in on.coefficients.values())


def test_green_kubo_routes_give_sigma_one_verdict():
    # velocities near 300 K for the kinetic-temperature check
    u = _paired_salt(5, 2.5, n_frames=2000, s_fast=3.5, tau_common=1.0)
    gk = _quiet(lambda: GreenKuboConductivity(u, IONS, 300, max_lag=1.0).run()).results
    on = _quiet(lambda: OnsagerCoefficients(u, IONS, 300, method="green-kubo",
                                            max_lag=1.0).run()).results
    assert on.conductivity.value == pytest.approx(gk.conductivity.value, rel=1e-9)
    assert gk.conductivity.valid, gk.conductivity.verdict
    assert on.conductivity.verdict == gk.conductivity.verdict
    ll = on.coefficients["Li-Li"].verdict
    assert ll.startswith("too short: the summed velocity of Li holds "), ll
