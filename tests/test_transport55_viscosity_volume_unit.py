"""A viscosity's volume in another unit is doubted through the instantaneous shear modulus.

η = V/(k_B T) ∫<P_xy P_xy> dt goes with the volume. Given with a pressure-tensor array (or a
collection made of one) there is no box to compare it with, and ``volume=20`` meant as 20 nm³
for a 20 000 Å³ box gave η = 9.8e-4 mPa·s, "valid", 1000 times too small. The tensor's
shear-stress fluctuations, the volume and the temperature of one liquid belong together:
G_∞ = V <δP_xy²>/(k_B T) lies within 0.05-200 GPa for any liquid (Zwanzig & Mountain 1965);
here it is V S²/(k_B T) = 4.3 GPa for the right volume, 4.3 MPa for the slip.
"""

import warnings

import numpy as np
import pytest
from scipy import constants
from transport_data import ornstein_uhlenbeck

from mda_electrolyte import EinsteinHelfandViscosity, GreenKuboViscosity
from mda_electrolyte.ion_collection import IonCollection

DT, TAU, S, V, T = 0.01, 0.2, 300.0, 2.0e4, 300.0  # ps, ps, bar, Å³, K


def _tensor(seed=55, n=3000):
    """A symmetric pressure tensor whose shear components are OU processes of variance S²."""
    rng = np.random.default_rng(seed)
    off = ornstein_uhlenbeck(rng, n, (3,), TAU, DT, S)
    diag = ornstein_uhlenbeck(rng, n, (3,), TAU, DT, S) + 300.0
    p = np.zeros((n, 3, 3))
    p[:, [0, 1, 2], [0, 1, 2]] = diag
    for k, (a, b) in enumerate(((0, 1), (0, 2), (1, 2))):
        p[:, a, b] = p[:, b, a] = off[:, k]
    return p


def _shear_modulus(volume):
    return volume * 1e-30 * (S * 1e5) ** 2 / (constants.k * T)


def _run(cls, tensor, volume, as_collection):
    kw = dict(temperature=T, dt=DT)
    if as_collection:
        # the volume rides on the collection, as IonCollection.from_pressure_tensor records it
        source = IonCollection.from_pressure_tensor(tensor, dt=DT, volume=volume)
    else:
        source, kw["volume"] = tensor, volume
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(source, **kw).run().results.shear_viscosity


@pytest.fixture(scope="module")
def tensor():
    return _tensor()


@pytest.mark.parametrize("as_collection", [False, True], ids=["array", "collection"])
@pytest.mark.parametrize("cls", [GreenKuboViscosity, EinsteinHelfandViscosity])
@pytest.mark.parametrize("factor", [1e-3, 1e3], ids=["nm3 read as Å3", "1000 times larger"])
def test_a_volume_off_by_a_unit_is_not_a_result(tensor, cls, as_collection, factor):
    right = _run(cls, tensor, V, as_collection)
    assert not any("shear modulus" in n for n in right.notes), right
    slipped = _run(cls, tensor, V * factor, as_collection)
    assert not slipped.valid
    assert "unit doubted" in slipped.verdict and "shear modulus" in slipped.verdict
    # the modulus named is the input's: V S²/(k_B T), up to the scatter of 3000 OU samples
    named = float(slipped.verdict.split("shear modulus V<δP_xy²>/(k_B T) of ")[1].split()[0])
    assert named * 1e9 == pytest.approx(_shear_modulus(V * factor), rel=0.3)
    # the number itself is the same multiple of the volume, only marked
    assert slipped.value == pytest.approx(right.value * factor, rel=1e-9)


@pytest.mark.parametrize("modulus_gpa", [0.1, 1.0, 10.0, 100.0])
def test_every_liquid_modulus_passes(tensor, modulus_gpa):
    # the volume that makes G_∞ of this tensor the liquid's modulus: no doubt raised
    shear = 0.5 * (tensor[:, [0, 0, 1], [1, 2, 2]] + tensor[:, [1, 2, 2], [0, 0, 1]])
    variance = float(np.mean(np.var(shear, axis=0))) * 1e10
    volume = modulus_gpa * 1e9 * constants.k * T / variance * 1e30
    est = _run(GreenKuboViscosity, tensor, volume, False)
    assert not any("shear modulus" in n for n in est.notes), est
