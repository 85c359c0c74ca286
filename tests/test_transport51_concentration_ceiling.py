"""A conductivity of ions packed denser than any liquid is not valid.

``EinsteinHelfandConductivity(u, ions, temperature=300, volume=64.0)`` of 16 ions in a
trajectory without a box (a 64 nm³ box given in nm³: nothing to compare it with) gave
σ = 7900 S/m "valid", and ``volume=2.0`` 250 000 S/m "valid"; Nernst–Einstein from numbers
the same. Only the dilute side had a bound (carriers.MIN_ION_CONCENTRATION). Now charged ions
above carriers.MAX_ION_CONCENTRATION (300 mol/L, 0.18 ions per Å³: the atom density of
diamond; molten LiF holds 140 mol/L of ions) make every conductivity (Green–Kubo,
Einstein–Helfand, Onsager, Nernst–Einstein) not valid, "concentrated beyond any liquid: ...";
at the ceiling and below the verdict is unchanged, and the number is the same either way
(σ ∝ 1/V exactly).
"""

import warnings

import numpy as np
import pytest
from scipy import constants
from test_transport50_dilution_verdict import _sigma, velocities  # noqa: F401
from transport_data import integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte.carriers import MAX_ION_CONCENTRATION, dilution_notes

N_CHARGED = 8
# the volume (Å³) holding 8 charged ions at exactly the ceiling concentration (~44 Å³)
CEILING_VOLUME = N_CHARGED / (MAX_ION_CONCENTRATION * 1e-27 * constants.N_A)


def test_the_ceiling_is_denser_than_any_ionic_matter():
    # molten LiF (1.81 g/cm³, 25.94 g/mol): two ions per formula unit
    molten_lif = 2 * 1.81 / 25.94 * 1000.0
    # solid LiH (0.82 g/cm³, 7.95 g/mol), among the densest ionic solids in ions per volume
    solid_lih = 2 * 0.82 / 7.95 * 1000.0
    assert max(molten_lif, solid_lih) < MAX_ION_CONCENTRATION
    # and below the atom density of diamond (3.51 g/cm³ of carbon), in atoms per Å³
    ions_per_a3 = MAX_ION_CONCENTRATION * constants.N_A * 1e-27
    assert ions_per_a3 < 1.05 * 3.51 / 12.011 * constants.N_A * 1e-24




@pytest.mark.parametrize("cls", [GreenKuboConductivity, EinsteinHelfandConductivity,
                                 OnsagerCoefficients])
@pytest.mark.parametrize("volume, dense", [(8000.0, False), (CEILING_VOLUME * 1.001, False),
                                           (CEILING_VOLUME * 0.999, True), (8.0, True),
                                           (1.0, True)])
def test_conductivity_of_ions_denser_than_a_liquid_is_not_valid(velocities, cls, volume,  # noqa: F811
                                                                dense):
    base = _sigma(cls, velocities, 8000.0)
    assert base.valid, base.verdict
    sigma = _sigma(cls, velocities, volume)
    assert sigma.value == pytest.approx(base.value * 8000.0 / volume, rel=1e-10)
    assert sigma.valid is not dense
    if dense:
        concentration = N_CHARGED / (volume * 1e-27 * constants.N_A)
        assert "concentrated beyond any liquid: 8 charged ions" in sigma.verdict
        assert f"are {concentration:.3g} mol/L, above 300 mol/L" in sigma.verdict


@pytest.mark.parametrize("volume, dense", [(1e4, False), (CEILING_VOLUME * 1.001, False),
                                           (CEILING_VOLUME * 0.999, True), (2.0, True)])
def test_nernst_einstein_of_ions_denser_than_a_liquid_is_not_valid(volume, dense):
    ne = NernstEinstein.from_estimates(temperature=300.0, diffusivities={"Li": 0.01, "A": 0.02},
                                       n_ions={"Li": 4, "A": 4}, charges={"Li": 1, "A": -1},
                                       volume=volume)
    sigma = ne.results.conductivity
    assert sigma.valid is not dense
    assert ("concentrated beyond any liquid" in sigma.verdict) is dense
    # σ_NE = e² / (V k_B T) Σ N z² D
    exact = (constants.e ** 2 / (volume * 1e-30 * constants.k * 300.0)
             * 4 * (0.01 + 0.02) * 1e-8)
    assert sigma.value == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("volume, dense", [(64000.0, False), (64.0, True)])
def test_a_volume_given_in_nm3_without_a_box_is_named(volume, dense):
    """The case found: 16 ions, no box, ``volume=`` given in nm³."""
    rng = np.random.default_rng(2)
    dt = 0.01
    v = ornstein_uhlenbeck(rng, 1000, (16, 3), 0.05, dt, 3.0)
    u = salt_universe(v, integrate(v, dt) + rng.uniform(0, 40, size=(1, 16, 3)),
                      n_cations=8, dt=dt, box=None)
    ions = {"LI": "resname LI", "AN": "resname AN"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eh = EinsteinHelfandConductivity(u, ions, temperature=300.0, volume=volume).run()
        ne = NernstEinstein(Diffusion(u, ions, volume=volume).run(), temperature=300.0)
    for sigma in (eh.results.conductivity, ne.results.conductivity):
        assert ("concentrated beyond any liquid: 16 charged ions" in sigma.verdict) is dense


@pytest.mark.parametrize("n, volume", [(8, 1e21), (8, 10.0), (1, 1e4), (100, 1e4)])
def test_one_rule_for_both_bounds(n, volume):
    concentration = n / (volume * 1e-27 * constants.N_A)
    notes = dilution_notes(n, volume)
    assert len(notes) == int(not 1e-6 <= concentration <= MAX_ION_CONCENTRATION)
