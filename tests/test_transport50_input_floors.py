"""Temperatures and volumes too small for any run are refused by name before any work, and
``NernstEinstein.from_estimates`` checks its inputs as the constructor does.

Found by probing: ``GreenKuboViscosity(..., temperature=1e-300)`` failed after the pass with
"1010 of the estimates to average are NaN" (V/(k_B T) overflowed), at 1e-200 K with "fit_line:
the points overflow"; ``NernstEinstein`` at 1e-300 K raised a bare ``OverflowError (34,
'Numerical result out of range')``; ``volume=1e-300`` gave a conductivity of 2e304 S/m.
``NernstEinstein.from_estimates`` with D's or σ given as numbers raised ``AttributeError:
'float' object has no attribute 'to'`` (the constructor takes them).
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import (
    EinsteinHelfandConductivity,
    GreenKuboViscosity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte.diffusion import yeh_hummer_correction

DT = 0.01
_rng = np.random.default_rng(3)
_V = ornstein_uhlenbeck(_rng, 400, (8, 3), 0.05, DT, 1.0)
_P = _rng.normal(scale=100.0, size=(400, 3, 3))
_NE = dict(diffusivities={"Li": Estimate(0.1, 0.01, "Å^2/ps", "x"),
                          "AN": Estimate(0.2, 0.02, "Å^2/ps", "x")},
           n_ions={"Li": 4, "AN": 4}, charges={"Li": 1, "AN": -1})


def _salt():
    return salt_universe(_V, integrate(_V, DT), n_cations=4, dt=DT)


def _analyses(temperature, volume):
    yield lambda: EinsteinHelfandConductivity(_salt(), IONS, temperature, volume=volume)
    yield lambda: OnsagerCoefficients(_salt(), IONS, temperature, volume=volume)
    yield lambda: GreenKuboViscosity(_P, temperature=temperature, volume=volume or 1e4,
                                     dt=0.001, check_sampling=False)
    yield lambda: NernstEinstein(temperature=temperature, volume=volume or 1e4, **_NE)
    yield lambda: NernstEinstein.from_estimates(temperature=temperature, volume=volume or 1e4,
                                                **_NE)


@pytest.mark.parametrize("temperature", [1e-300, 1e-200, 1e-30, 1e-4])
@pytest.mark.parametrize("k", range(5))
def test_a_temperature_below_a_millikelvin_is_refused_before_work(temperature, k):
    build = list(_analyses(temperature, None))[k]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"temperature \(K\) must be a finite number "
                                             r">= 0\.001 and <= 100000, got "):
            build()


@pytest.mark.parametrize("volume", [1e-300, 1e-100, 0.5])
@pytest.mark.parametrize("k", range(5))
def test_a_volume_below_one_cubic_angstrom_is_refused_before_work(volume, k):
    build = list(_analyses(300.0, volume))[k]
    with pytest.raises(ValueError, match=r"volume \(Å³\) must be a finite number >= 1 and "):
        build()


def test_yeh_hummer_refuses_a_tiny_temperature():
    with pytest.raises(ValueError, match=r"temperature \(K\) must be .*>= 0\.001"):
        yeh_hummer_correction(1e-300, 1.0, 40.0)
    # the floor itself is taken (with the implausible-temperature warning)
    with pytest.warns(UserWarning):
        assert yeh_hummer_correction(0.001, 1.0, 40.0) > 0


@pytest.mark.parametrize("conductivity", [None, 5.0, (5.0, 0.5), Estimate(5.0, 0.5, "S/m", "x")])
@pytest.mark.parametrize("numbers", [False, True])
def test_from_estimates_is_the_constructor(conductivity, numbers):
    d = ({s: e.value for s, e in _NE["diffusivities"].items()} if numbers
         else _NE["diffusivities"])
    kw = dict(_NE, diffusivities=d, temperature=300.0, volume=1e4, conductivity=conductivity)
    a = NernstEinstein.from_estimates(**kw).results
    b = NernstEinstein(**kw).results
    assert a.conductivity == b.conductivity
    # σ_NE = e²/(V k_B T) Σ N z² D, D in Å²/ps = 1e-8 m²/s
    exact = (1.602176634e-19**2 / (1e4 * 1e-30 * 1.380649e-23 * 300.0)
             * (4 * 0.1 + 4 * 0.2) * 1e-8)
    assert a.conductivity.value == pytest.approx(exact, rel=1e-9)
    assert (a.dissociation is None) == (conductivity is None)
    if conductivity is not None:
        assert a.dissociation.value == pytest.approx(5.0 / exact, rel=1e-9)
        assert a.dissociation == b.dissociation


def test_from_estimates_refuses_text_by_name():
    with pytest.raises(ValueError, match="conductivity must be an Estimate"):
        NernstEinstein.from_estimates(temperature=300.0, volume=1e4, conductivity="5", **_NE)
