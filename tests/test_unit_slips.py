"""Unit slips that give valid-looking numbers are taken with a warning naming the likely unit:
a temperature in °C in every transport analysis that divides by k_B T, densities in kg/m³ in
the density fits, a pressure tensor in Pa.

``GreenKuboConductivity.from_collections(cols, temperature=25)`` gave 393 S/m, 12 times the
value at 298 K, marked valid and without a word, where the velocities record no kinetic
temperature to contradict it (examples5, stop 29). The warning comes from the one temperature
check of the transport analyses (``carriers.check_temperature``).
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

import mda_electrolyte as mdae

DT = 0.01


@pytest.fixture(scope="module")
def universe():
    rng = np.random.default_rng(3)
    v = ornstein_uhlenbeck(rng, 200, (8, 3), tau=0.05, dt=DT, s=3.0)
    return salt_universe(v, integrate(v, DT), n_cations=4, dt=DT)


MAKERS = {
    "GreenKuboConductivity": lambda u, t: mdae.GreenKuboConductivity(u, IONS, t),
    "EinsteinHelfandConductivity": lambda u, t: mdae.EinsteinHelfandConductivity(u, IONS, t),
    "OnsagerCoefficients": lambda u, t: mdae.OnsagerCoefficients(u, IONS, t),
    # the temperature sets the Yeh–Hummer correction, with a viscosity (without, it is refused)
    "Diffusion": lambda u, t: mdae.Diffusion(u, IONS, temperature=t, viscosity=1.0),
}


@pytest.mark.parametrize("name", list(MAKERS))
@pytest.mark.parametrize("temperature, hint", [
    (25.0, "is it in °C"), (2000.0 / 1000.0, "is it in °C"),
    # above the range °C is not the slip (7000 °C is hotter still): 6000 K, no liquid boils
    # hotter (units.MAX_PLAUSIBLE_TEMPERATURE_K)
    (7000.0, "is it a typo or in another unit")])
def test_a_temperature_far_from_a_liquid_s_warns_naming_the_unit(universe, name, temperature,
                                                                   hint):
    with pytest.warns(UserWarning, match=rf"temperature_K = {float(temperature)} K .*{hint}"):
        MAKERS[name](universe, temperature)


@pytest.mark.parametrize("name", list(MAKERS))
def test_a_liquid_s_temperature_gives_no_warning(universe, name):
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*is it in °C")
        MAKERS[name](universe, 298.15)


def test_densities_in_kg_per_m3_warn_in_the_density_fits():
    # EquationOfState gave "1321.63 g/cm^3 (valid)" from densities in kg/m³
    rho = np.linspace(1200.0, 1400.0, 6)
    with pytest.warns(UserWarning, match=r"density of 1200–1400 g/cm³ .*kg/m³"):
        mdae.EquationOfState(rho, 2500.0 * (rho / 1300.0) ** 6 - 2500.0)
    with pytest.warns(UserWarning, match=r"density of .* g/cm³ .*kg/m³"):
        mdae.ThermalExpansion([280.0, 300.0, 320.0], [1320.0, 1300.0, 1280.0])


def test_a_pressure_tensor_in_pascal_warns():
    # 8.5e9 mPa·s, valid, from a tensor in Pa
    from mda_electrolyte.ion_collection import IonCollection

    tensor = np.random.default_rng(0).normal(0.0, 3e7, (400, 3, 3))
    with pytest.warns(UserWarning, match=r"pressure_bar = up to .* bar is beyond 50 kbar"):
        IonCollection.from_pressure_tensor(tensor, dt=0.001, volume=27000.0, temperature=298.0)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*is beyond 50 kbar")
        IonCollection.from_pressure_tensor(tensor * 1e-5, dt=0.001, volume=27000.0,
                                           temperature=298.0)


@pytest.mark.parametrize("method", ["einstein", "green-kubo"])
def test_frozen_ions_say_nothing_moves_in_the_onsager_coefficients(method):
    # Einstein: "2 of the estimates to average are NaN or infinite" (the transference numbers
    # divided by sigma = 0), a message about an internal step rather than the cause
    x = np.random.default_rng(0).uniform(0, 40, (1, 8, 3)).repeat(200, axis=0)
    u = salt_universe(np.zeros((200, 8, 3)), x, n_cations=4, dt=DT)
    with pytest.raises(ValueError, match="nothing moves"):
        mdae.OnsagerCoefficients(u, IONS, 300.0, n_blocks=2, method=method).run()


@pytest.mark.parametrize("temperature, hint", [
    (0.0259, r"k_B·T in eV"),  # 300 K written as k_B·T in eV
    (0.5, r"k_B·T in eV"),
    (25.0, r"in °C"),
])
def test_a_temperature_below_one_kelvin_is_asked_about_as_an_energy(temperature, hint):
    """Below 1 K the slip is k_B·T in eV; "is it in °C?" was the wrong question for 0.0259 K."""
    from ase_electrolyte.units import warn_implausible

    with pytest.warns(UserWarning, match=rf"temperature_K = {temperature} K .*{hint}"):
        warn_implausible(temperature_K=temperature)
