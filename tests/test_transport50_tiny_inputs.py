"""Inputs of absurdly small size are named as such, before any pass.

* A box of 1e-7 Å (1e-21 Å³) was refused by the molecule check's pair search ("~1e16 GiB at
  the search's peak"), not as a box; any box under 1 Å³ (carriers.MIN_VOLUME) is now refused
  as one, naming its volume and sides.
* A pressure tensor scaled by 1e-200..1e-300 was refused as "nothing moves" (Green–Kubo) or
  gave a not-valid η = 0 ("⟨ΔG²⟩ is not positive", Einstein–Helfand), and by 1e-160 a valid
  6e-323 mPa·s; velocities, displacements or charge currents the same: their products
  underflow float64, which is now the refusal (correlation.refuse_underflow). Scaled by 1e-100
  the estimates still scale exactly as the square of the input.
"""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    EinsteinHelfandConductivity,
    EinsteinHelfandViscosity,
    GreenKuboConductivity,
    GreenKuboViscosity,
)
from mda_electrolyte.ion_collection import IonCollection

IONS = {"LI": "resname LI", "AN": "resname AN"}


@pytest.fixture(scope="module")
def velocities():
    return ornstein_uhlenbeck(np.random.default_rng(0), 400, (8, 3), 0.1, 0.01, 3.0)


@pytest.mark.parametrize("cls", [GreenKuboConductivity, EinsteinHelfandConductivity])
@pytest.mark.parametrize("dims, shown", [([1e-7] * 3, "1e-21 Å³ (1e-07 × 1e-07 × 1e-07 Å)"),
                                         ([0.9, 1.0, 1.0], "0.9 Å³ (0.9 × 1 × 1 Å)"),
                                         ([1e-3, 1e-3, 50.0], "5e-05 Å³")])
def test_a_box_under_one_cubic_angstrom_is_named(velocities, cls, dims, shown):
    v = velocities
    u = salt_universe(v, integrate(v, 0.01), n_cations=4, dt=0.01, box=10.0)
    u.trajectory.dimensions_array[:] = [*dims, 90.0, 90.0, 90.0]
    u.trajectory[0]
    with pytest.raises(ValueError, match="box") as err:
        cls(u, IONS, temperature=300.0)
    message = str(err.value)
    assert shown in message and "less than the 1 Å³" in message
    assert "pair" not in message


def _tensor(scale):
    x = ornstein_uhlenbeck(np.random.default_rng(1), 2000, (3, 3), 0.05, 0.002, 100.0)
    return 0.5 * (x + x.transpose(0, 2, 1)) * scale


@pytest.mark.parametrize("cls", [GreenKuboViscosity, EinsteinHelfandViscosity])
@pytest.mark.parametrize("scale", [1e-150, 1e-200, 1e-300])
def test_an_underflowing_pressure_tensor_is_named(cls, scale):
    col = IonCollection.from_pressure_tensor(_tensor(scale), dt=0.002, volume=1e4,
                                             temperature=300.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="underflow float64.*bar"):
            cls.from_collections(col, temperature=300.0)


@pytest.mark.parametrize("cls", [GreenKuboViscosity, EinsteinHelfandViscosity])
def test_a_small_but_representable_tensor_scales_exactly(cls):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eta = [cls.from_collections(IonCollection.from_pressure_tensor(
            _tensor(s), dt=0.002, volume=1e4, temperature=300.0), temperature=300.0)
            .results.shear_viscosity for s in (1.0, 1e-100)]
    assert eta[1].value == pytest.approx(eta[0].value * 1e-200, rel=1e-12)
    assert eta[1].valid == eta[0].valid


@pytest.mark.parametrize("key", ["velocities", "positions"])
@pytest.mark.parametrize("scale", [1e-160, 1e-300])
def test_underflowing_ion_arrays_are_named(velocities, key, scale):
    arrays = {"velocities": velocities * scale,
              "positions": integrate(velocities, 0.01) * scale}
    with pytest.raises(ValueError, match=f"ion {key}.*underflow float64"):
        IonCollection.from_arrays({"Li": 4, "A": 4}, dt=0.01, **{key: arrays[key]},
                                  charges={"Li": 1, "A": -1}, volume=8000.0)


def test_an_underflowing_charge_current_is_named(velocities):
    current = velocities[:, :2] * 1e-200
    with pytest.raises(ValueError, match="charge currents.*underflow float64.*e·Å/ps"):
        IonCollection.from_charge_current(current, ["Li", "A"], dt=0.01, volume=8000.0)
