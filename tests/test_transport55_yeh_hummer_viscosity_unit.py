"""A viscosity below any liquid's is refused for the Yeh–Hummer correction whatever its form.

A number in Pa·s given as mPa·s (0.0005 for 0.5 mPa·s) was already refused; the same number as
an Estimate (``Estimate.given_value(0.0005, "mPa·s")``, or a measured one) gave the correction
ξ k_B T / (6 π η L) = 31 Å²/ps, 'valid', for a 40 Å box: D_∞ 60 times the measured D.
"""

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import Diffusion
from mda_electrolyte.diffusion import MIN_GIVEN_VISCOSITY_MPAS, yeh_hummer_correction


@pytest.fixture(scope="module")
def universe():
    rng = np.random.default_rng(1)
    v = ornstein_uhlenbeck(rng, 60, (8, 3), 0.1, 0.02, 3.0)
    return salt_universe(v, integrate(v, 0.02), n_cations=4, dt=0.02)


@pytest.mark.parametrize("viscosity", [
    0.0005,                                                   # a bare number in Pa·s
    (0.0005, 0.0001),                                         # with its error
    Estimate.given_value(0.0005, "mPa·s"),                    # labelled mPa·s, a Pa·s number
    Estimate.given_value(5e-7, "Pa·s"),                       # 5e-4 mPa·s in its own unit
], ids=["number", "pair", "given-mPas", "given-Pas"])
def test_given_viscosity_below_any_liquid_refused(universe, viscosity):
    with pytest.raises(ValueError, match=r"below any liquid's.*1000 times smaller"):
        Diffusion(universe, IONS, viscosity=viscosity, temperature=300, n_blocks=4)


@pytest.mark.parametrize("eta", [0.0005, MIN_GIVEN_VISCOSITY_MPAS * 0.99])
def test_measured_viscosity_below_any_liquid_marks_the_correction(universe, eta):
    # a run's own (measured) viscosity is its result: the correction and D_inf are marked
    measured = Estimate(eta, 0.1 * eta, "mPa·s", "Green–Kubo", 100)
    r = Diffusion(universe, IONS, viscosity=measured, temperature=300, n_blocks=4).run().results
    assert not r.finite_size_correction.valid
    assert "below any liquid's viscosity" in r.finite_size_correction.verdict
    for e in r.diffusion_coefficient_yeh_hummer.values():
        assert not e.valid
        assert "below any liquid's viscosity" in e.verdict


@pytest.mark.parametrize("viscosity", [
    Estimate.given_value(0.89, "mPa·s"),
    Estimate.given_value(0.89e-3, "Pa·s"),
    Estimate(MIN_GIVEN_VISCOSITY_MPAS * 1.01, 0.001, "mPa·s", "Green–Kubo", 100),
])
def test_liquid_viscosity_estimates_give_the_analytic_term(universe, viscosity):
    d = Diffusion(universe, IONS, viscosity=viscosity, temperature=300, n_blocks=4).run()
    eta = viscosity.to("mPa·s").value
    # ξ k_B T / (6 π η L), L = V^(1/3) of the 40 Å cube
    expected = 2.837297 * 1.380649e-23 * 300 / (6 * np.pi * eta * 1e-3 * 40e-10) * 1e8
    assert d.results.finite_size_correction.value == pytest.approx(expected, rel=1e-6)
    assert yeh_hummer_correction(300, eta, 40.0) == pytest.approx(expected, rel=1e-12)


# η whose 95 % interval reaches zero: 1/η, and so ξ k_B T / (6 π η L), has no bounded interval
# (Fieller 1954); 0.9 ± 5 mPa·s gave the term 0.017 ± 0.096 Å²/ps 'valid'
@pytest.mark.parametrize("viscosity, bounded", [
    ((0.9, 5.0), False),
    (Estimate.given_value(0.9, "mPa·s", 0.5), False),            # 0.9 - 1.96 x 0.5 < 0
    # stderr is the t-scaled one-sigma error: Estimate.interval's half-width 3.18 / 1.20 x 0.4
    (Estimate(0.9, 0.4, "mPa·s", "Green–Kubo", 4, dof=3), False),  # > 0.9 (normal: < 0.9)
    (Estimate.given_value(0.9, "mPa·s", 0.4), True),             # 0.9 - 1.96 x 0.4 > 0
    (Estimate(0.9, 0.3, "mPa·s", "Green–Kubo", 100, dof=99), True),
], ids=["pair", "given-normal", "measured-t3", "given-bounded", "measured-bounded"])
def test_viscosity_interval_through_zero_marks_the_correction(universe, viscosity, bounded):
    r = Diffusion(universe, IONS, viscosity=viscosity, temperature=300, n_blocks=4).run().results
    term = r.finite_size_correction
    assert ("unbounded (Fieller 1954)" in term.verdict) is not bounded
    assert term.valid is bounded
    for e in r.diffusion_coefficient_yeh_hummer.values():
        assert ("unbounded (Fieller 1954)" in e.verdict) is not bounded
