"""A transport coefficient divided by a temperature in a doubted unit is not valid.

``EinsteinHelfandConductivity(u, ions, temperature=25)`` (25 °C meant) of a trajectory of
positions gave σ = 95 S/m "valid", 12 times the 7.9 S/m at 298 K; Onsager, Nernst–Einstein (of
a Diffusion and of numbers), Green–Kubo of a few ions' velocities (5.5 times their kinetic
temperature, inside the 10-fold rule) and the Yeh–Hummer corrected D the same, and 30000 K
likewise: the temperature check warned ("is it in °C?") and nothing more. Now
``carriers.temperature_notes`` carries that doubt (``ase_electrolyte.units.warn_implausible``,
50–6000 K) as the verdict note "unit doubted: the temperature ...", for every analysis that
divides by k_B T; the numbers are unchanged (σ ∝ 1/T exactly), and 50–6000 K keeps its verdict.
"""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.units import MAX_PLAUSIBLE_TEMPERATURE_K, MIN_PLAUSIBLE_TEMPERATURE_K
from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    GreenKuboViscosity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte.carriers import temperature_notes

IONS = {"LI": "resname LI", "AN": "resname AN"}
REFERENCE = 300.0


@pytest.fixture(scope="module")
def runs():
    rng = np.random.default_rng(2)
    dt = 0.01
    v = ornstein_uhlenbeck(rng, 2000, (16, 3), 0.05, dt, 3.0)
    x = integrate(v, dt) + rng.uniform(0, 40, size=(1, 16, 3))
    return (salt_universe(None, x, n_cations=8, dt=dt),
            salt_universe(v, x, n_cations=8, dt=dt))


def _sigma(kind, runs, temperature):
    positions, velocities = runs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "einstein-helfand":
            return EinsteinHelfandConductivity(positions, IONS, temperature=temperature).run(
                ).results.conductivity
        if kind == "onsager":
            return OnsagerCoefficients(positions, IONS, temperature=temperature).run(
                ).results.conductivity
        if kind == "green-kubo":
            return GreenKuboConductivity(velocities, IONS, temperature=temperature).run(
                ).results.conductivity
        if kind == "nernst-einstein":
            return NernstEinstein(Diffusion(positions, IONS).run(),
                                  temperature=temperature).results.conductivity
        if kind == "nernst-einstein numbers":
            return NernstEinstein(temperature=temperature, diffusivities={"a": 0.01, "b": 0.02},
                                  n_ions={"a": 8, "b": 8}, charges={"a": 1, "b": -1},
                                  volume=64000.0).results.conductivity
        if kind == "yeh-hummer":
            d = Diffusion(positions, IONS, viscosity=1.0, temperature=temperature).run()
            return d.results.finite_size_correction
        raise AssertionError(kind)


KINDS = ["einstein-helfand", "onsager", "green-kubo", "nernst-einstein",
         "nernst-einstein numbers", "yeh-hummer"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("temperature, hint", [(25.0, "is it in °C?"), (0.9, "k_B·T in eV"),
                                               (30000.0, "another unit")])
def test_a_temperature_in_another_unit_gives_no_valid_coefficient(runs, kind, temperature,
                                                                  hint):
    base = _sigma(kind, runs, REFERENCE)
    assert base.valid, base.verdict
    est = _sigma(kind, runs, temperature)
    # the number: ∝ 1/T (σ), ∝ T (the Yeh–Hummer term k_B T / (6 π η L))
    power = 1 if kind == "yeh-hummer" else -1
    assert est.value == pytest.approx(base.value * (temperature / REFERENCE) ** power,
                                      rel=1e-9)
    assert not est.valid
    assert "unit doubted: the temperature" in est.verdict and hint in est.verdict, est.verdict


@pytest.mark.parametrize("kind", ["einstein-helfand", "nernst-einstein numbers"])
@pytest.mark.parametrize("temperature", [MIN_PLAUSIBLE_TEMPERATURE_K,
                                         MAX_PLAUSIBLE_TEMPERATURE_K])
def test_the_plausible_range_keeps_its_verdict(runs, kind, temperature):
    est = _sigma(kind, runs, temperature)
    assert "unit doubted" not in est.verdict


def test_the_viscosity_is_judged_by_its_temperature_too():
    rng = np.random.default_rng(0)
    from scipy.signal import lfilter

    p = lfilter([30.0], [1, -0.95], rng.normal(size=(4000, 3, 3)), axis=0)
    p = 0.5 * (p + p.transpose(0, 2, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eta = {t: GreenKuboViscosity(p, temperature=t, volume=1e4, dt=0.01, max_lag=0.5).run()
               .results.shear_viscosity for t in (REFERENCE, 25.0)}
    assert eta[25.0].value == pytest.approx(eta[REFERENCE].value * REFERENCE / 25.0, rel=1e-9)
    assert "unit doubted" not in eta[REFERENCE].verdict
    assert "unit doubted: the temperature" in eta[25.0].verdict


@pytest.mark.parametrize("temperature, doubted", [(49.0, True), (50.0, False), (300.0, False),
                                                  (6000.0, False), (6001.0, True)])
def test_one_rule_with_or_without_runs(temperature, doubted):
    assert bool(temperature_notes([], temperature)) is doubted
