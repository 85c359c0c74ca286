"""A viscosity of a pressure tensor in a doubted unit is not valid.

``GreenKuboViscosity(p_in_pa, ...)`` gave 8.6e9 mPa·s "valid" and the same tensor in GPa
8.6e-9 mPa·s "valid": the collection warned (``ase_electrolyte.units.warn_implausible``:
"beyond 50 kbar: is it in Pa?", "the shear stresses ... scatter by 0.03 bar ... eV/Å³, GPa or
kbar?"), but η, which goes with the square of the unit, kept its verdict. Now those doubts
are η's verdict notes ("unit doubted: ..."), for both estimators and every way in (arrays,
collections); the number is the same (η ∝ scale² exactly), and a tensor in bar is unchanged.
"""

import warnings

import numpy as np
import pytest
from test_viscosity import DT, EXACT, TAU, T, V, pressure_process

from ase_electrolyte.units import IMPLAUSIBLE_PRESSURE_BAR, MIN_SHEAR_SCATTER_BAR
from mda_electrolyte import EinsteinHelfandViscosity, GreenKuboViscosity
from mda_electrolyte.ion_collection import IonCollection


@pytest.fixture(scope="module")
def tensor():
    return pressure_process(7, n=6000)


def _eta(cls, p, how, volume=V):
    kw = {"max_lag": 10 * TAU} if cls is GreenKuboViscosity else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if how == "array":
            return cls(p, temperature=T, volume=volume, dt=DT, **kw).run().results.shear_viscosity
        col = IonCollection.from_pressure_tensor(p, dt=DT, volume=V, temperature=T)
        return cls.from_collections(col, temperature=T, **kw).run().results.shear_viscosity


@pytest.mark.parametrize("cls", [GreenKuboViscosity, EinsteinHelfandViscosity])
@pytest.mark.parametrize("how", ["array", "collection"])
@pytest.mark.parametrize("scale, doubt", [
    (1e5, "is it in Pa"),          # bar -> Pa
    (1.0e-4, "GPa (10⁴ bar)"),     # bar -> GPa
    (1 / 1.602e6, "eV/Å³"),        # bar -> eV/Å³ (ASE's get_stress)
    (1e-3, "kbar"),                # bar -> kbar
])
def test_a_tensor_in_another_unit_gives_no_valid_viscosity(tensor, cls, how, scale, doubt):
    base = _eta(cls, tensor, how)
    assert base.valid, base.verdict
    assert abs(base.value - EXACT) < 4 * base.stderr
    eta = _eta(cls, tensor * scale, how)
    # the number itself goes with the square of the unit
    assert eta.value == pytest.approx(base.value * scale**2, rel=1e-6)
    assert not eta.valid
    assert "unit doubted:" in eta.verdict and doubt in eta.verdict, eta.verdict


@pytest.mark.parametrize("cls", [GreenKuboViscosity, EinsteinHelfandViscosity])
@pytest.mark.parametrize("scale", [0.01, 10.0])
def test_a_tensor_within_the_plausible_range_keeps_its_verdict(tensor, cls, scale):
    """Scatter 3 bar (a very large box) and peaks below 50 kbar are a liquid's."""
    p = tensor * scale
    assert np.abs(p).max() < IMPLAUSIBLE_PRESSURE_BAR
    assert p[:, 0, 1].std() > MIN_SHEAR_SCATTER_BAR
    # the box whose stress scatters so: <δP²> ∝ 1/V at one shear modulus (a 3 bar scatter in
    # the 20 000 Å³ box is no liquid's, test_transport55_viscosity_volume_unit)
    eta = _eta(cls, p, "array", volume=V / scale**2)
    assert "unit doubted" not in eta.verdict
    assert eta.value == pytest.approx(_eta(cls, tensor, "array").value, rel=1e-6)
