"""Transport settings that would have no effect are refused by name before any frame is read.

- ``Diffusion(temperature=...)`` without ``viscosity=``: D divides by no temperature (only the
  Yeh–Hummer term does). It was taken without a word and then made Nernst–Einstein at any other
  temperature a refusal, "the Diffusion analysis (Yeh–Hummer) used 300 K", for a D that used
  none.
- ``OnsagerCoefficients(method="green-kubo", unwrap=True)``: the velocities need no unwrapping;
  the flag was dropped silently (the Einstein windows were already refused with this method).
- ``OnsagerCoefficients(method="einstein", check_sampling=False)``: the guard is of the
  Green–Kubo correlations; turning it off with the Einstein fit did nothing.

The settings that do have an effect keep working (temperature with viscosity, unwrap with the
Einstein method, check_sampling=False with Green–Kubo).
"""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import Diffusion, NernstEinstein, OnsagerCoefficients

IONS = {"LI": "resname LI", "AN": "resname AN"}
T = 300.0


@pytest.fixture(scope="module")
def universe():
    v = ornstein_uhlenbeck(np.random.default_rng(54), 400, (8, 3), 0.05, 0.01, 3.0)
    return salt_universe(v, integrate(v, 0.01, np.random.default_rng(1).uniform(0, 30, (8, 3))),
                         n_cations=4, dt=0.01, box=30.0)


class _Reads:
    """Counts the frames read after it is armed."""

    def __init__(self, universe, monkeypatch):
        self.n = 0
        reader = type(universe.trajectory)
        original = reader._read_frame

        def counted(this, i):
            self.n += 1
            return original(this, i)

        monkeypatch.setattr(reader, "_read_frame", counted)


@pytest.mark.parametrize("temperature", [300.0, 298.15, 350])
def test_diffusion_refuses_a_temperature_without_viscosity(universe, temperature, monkeypatch):
    reads = _Reads(universe, monkeypatch)
    with pytest.raises(ValueError, match=r"temperature = .* K sets the Yeh–Hummer correction, "
                                         r"which needs viscosity=.*no effect"):
        Diffusion(universe, IONS, temperature=temperature)
    assert reads.n == 0


def test_diffusion_without_a_temperature_leaves_nernst_einstein_its_own(universe):
    # the D of a Diffusion given no temperature goes into Nernst–Einstein at any temperature,
    # σ_NE scaling as 1/T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Diffusion(universe, IONS, n_blocks=4).run()
        s300 = NernstEinstein(d, temperature=300.0).results.conductivity.value
        s330 = NernstEinstein(d, temperature=330.0).results.conductivity.value
    assert s330 == pytest.approx(s300 * 300.0 / 330.0, rel=1e-12)


def test_diffusion_keeps_the_temperature_of_its_yeh_hummer_term(universe):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = {t: Diffusion(universe, IONS, n_blocks=4, viscosity=(1.0, 0.1),
                          temperature=t).run().results for t in (300.0, 330.0)}
    # ξ k_B T / (6 π η L) grows with T
    assert r[330.0].yeh_hummer_correction == pytest.approx(
        r[300.0].yeh_hummer_correction * 330.0 / 300.0, rel=1e-12)


@pytest.mark.parametrize("kwargs, words", [
    ({"method": "green-kubo", "unwrap": True}, r"unwrap=True .* method='green-kubo'"),
    ({"method": "GREEN-KUBO", "unwrap": True}, r"unwrap=True .* method='green-kubo'"),
    ({"method": "einstein", "check_sampling": False},
     r"check_sampling=False .* method='einstein'"),
    ({"check_sampling": False}, r"check_sampling=False .* method='einstein'"),
])
def test_onsager_refuses_a_setting_of_the_other_method(universe, kwargs, words, monkeypatch):
    reads = _Reads(universe, monkeypatch)
    with pytest.raises(ValueError, match=words + ".*no effect"):
        OnsagerCoefficients(universe, IONS, T, **kwargs)
    assert reads.n == 0


@pytest.mark.parametrize("kwargs", [
    {"method": "einstein", "unwrap": True},
    {"method": "green-kubo", "check_sampling": False},
    {"method": "green-kubo", "unwrap": False},
    {"method": "einstein", "check_sampling": True},
])
def test_onsager_takes_the_settings_of_its_method(universe, kwargs):
    OnsagerCoefficients(universe, IONS, T, **kwargs)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_flag_that_is_not_a_bool_is_still_named_as_such(universe, value):
    with pytest.raises(TypeError, match="unwrap must be True or False"):
        OnsagerCoefficients(universe, IONS, T, method="green-kubo", unwrap=value)
