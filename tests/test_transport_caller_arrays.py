"""Collections made from a caller's arrays hold copies: later edits of the arrays change nothing.

``IonCollection.from_arrays`` kept the caller's velocity and position arrays as its per-ion data
while its species sums, charge currents and centre of mass were computed from them once: after
``x += 5; v *= 2`` on the caller's side, D of the same collection changed while σ did not
(the per-ion and summed data no longer agreed). ``from_charge_current`` and
``from_pressure_tensor`` held the caller's array the same way. Each now copies; the analyses
never write into a caller's array either.
"""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    GreenKuboViscosity,
    OnsagerCoefficients,
)
from mda_electrolyte.ion_collection import IonCollection

T, DT, V = 300.0, 0.05, 20.0**3


def _numbers(col):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {
            "D": Diffusion.from_collections(col).results.diffusion_coefficient,
            "GK": GreenKuboConductivity.from_collections(col, temperature=T).results.conductivity,
            "EH": EinsteinHelfandConductivity.from_collections(
                col, temperature=T).results.conductivity,
            "L": OnsagerCoefficients.from_collections(col, temperature=T).results.coefficients,
        }


def test_arrays_edited_after_the_collection_change_none_of_its_numbers():
    rng = np.random.default_rng(1)
    v = ornstein_uhlenbeck(rng, 800, (8, 3), 0.1, DT, 2.0)
    x = integrate(v, DT)
    charges = {"Li": np.ones(4), "AN": -1.0}
    kept = v.copy(), x.copy(), charges["Li"].copy()
    col = IonCollection.from_arrays({"Li": 4, "AN": 4}, dt=DT, velocities=v, positions=x,
                                    charges=charges, masses={"Li": np.full(4, 6.94), "AN": 19.0},
                                    volume=V)
    before = _numbers(col)
    # the analyses did not write into the caller's arrays
    for mine, copy in zip((v, x, charges["Li"]), kept, strict=True):
        np.testing.assert_array_equal(mine, copy)
    v *= 2.0
    x += rng.normal(size=x.shape)
    charges["Li"][:] = 3.0
    assert _numbers(col) == before


def test_a_charge_current_edited_after_the_collection_changes_nothing():
    rng = np.random.default_rng(2)
    current = ornstein_uhlenbeck(rng, 1000, (2, 3), 0.1, DT, 3.0)
    col = IonCollection.from_charge_current(
        current, ["LI", "AN"], dt=DT, volume=V,
        charges={"LI": {"charge": 1.0, "source": "formal"},
                 "AN": {"charge": -1.0, "source": "formal"}})

    def sigma():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return GreenKuboConductivity.from_collections(col, temperature=T,
                                                          max_lag=1.0).results.conductivity

    before = sigma()
    current[:] = 0.0
    assert sigma() == before


def test_a_pressure_tensor_edited_after_the_collection_changes_nothing():
    rng = np.random.default_rng(3)
    # an Ornstein–Uhlenbeck shear stress (bar) on a symmetric tensor
    off = ornstein_uhlenbeck(rng, 4000, (3,), 0.05, 0.005, 300.0)
    tensor = np.zeros((4000, 3, 3))
    for k, (i, j) in enumerate([(0, 1), (0, 2), (1, 2)]):
        tensor[:, i, j] = tensor[:, j, i] = off[:, k]
    temps = np.full(4000, T)
    col = IonCollection.from_pressure_tensor(tensor, dt=0.005, volume=V, temperature=T,
                                             temperature_series=temps)

    def eta():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return GreenKuboViscosity.from_collections(col, max_lag=0.5).results.shear_viscosity

    before = eta()
    assert np.isfinite(before.value)
    tensor *= 10.0
    temps[:] = 3 * T
    assert eta() == before


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_collections_of_either_precision_hold_their_own_float64_copy(dtype):
    x = np.cumsum(np.random.default_rng(4).normal(size=(100, 2, 3)), axis=0).astype(dtype)
    col = IonCollection.from_arrays({"A": 2}, dt=DT, positions=x)
    assert col.ion_positions.dtype == np.float64
    assert not np.shares_memory(col.ion_positions, x)


@pytest.mark.parametrize("species, match", [
    ({"Li": 2.5, "AN": 1.5}, r"species\['Li'\] \(number of ions\) must be a whole number"),
    ({"Li": True, "AN": 3}, r"species\['Li'\] \(number of ions\) must be a whole number"),
    ({"Li": 0, "AN": 4}, r"species\['Li'\] \(number of ions\) must be a whole number >= 1"),
    ({"Li": "2", "AN": 2}, r"species\['Li'\] \(number of ions\)"),
    ({}, "species must be a non-empty dict"),
    (["Li", "AN"], "species must be a non-empty dict"),
])
def test_ion_counts_of_arrays_are_whole_numbers(species, match):
    # int() read 2.5 ions as 2 and True as one ion: the arrays were split silently elsewhere
    with pytest.raises(ValueError, match=match):
        IonCollection.from_arrays(species, dt=DT, positions=np.zeros((10, 4, 3)))
