"""A concentration given as an Estimate: a given value, or a box's own record read back.

``info["packed_composition"]["concentration_asked"]`` is an Estimate's dict (the given
concentration); fed back, ``Estimate.from_dict(...)`` was refused as "concentration must be a
finite number ..., got Estimate(value=1.0, stderr=0.0, unit='mol/kg', ...)", while a density
Estimate (estimate_density's) is taken. Now it is converted to the units asked, as a density
is; one not valid, or of the other kind of concentration, is refused naming why.
"""

import re

import numpy as np
import pytest

from ase_electrolyte.build import composition_counts, electrolyte_box
from ase_electrolyte.estimate import Estimate

SOLVENT = {"EC": 3, "EMC": 7}


def _names(counts):
    return {sp.name: n for sp, n in counts.items()}


@pytest.mark.parametrize(("value", "unit", "units", "number"), [
    (1.0, "mol/kg", "molal", 1.0),
    (1.5, "mmol/g", "mol/kg", 1.5),
    (2.0, "mol/kg", "molality", 2.0),
    (1.0, "mol/L", "molar", 1.0),
    (0.8, "mol/dm^3", "mol/L", 0.8),
])
@pytest.mark.parametrize("given", [True, False])
def test_estimate_packs_the_number_it_holds(value, unit, units, number, given):
    density = 1.2 if units in ("molar", "mol/L") else None
    estimate = (Estimate.given_value(value, unit) if given
                else Estimate(value, 0.05, unit, "measured"))
    got = composition_counts(SOLVENT, "LiPF6", estimate, units=units, n_atoms=2000,
                             density=density)
    want = composition_counts(SOLVENT, "LiPF6", number, units=units, n_atoms=2000,
                              density=density)
    assert _names(got) == _names(want)


@pytest.mark.parametrize(("unit", "units"), [("mol/L", "molal"), ("mol/kg", "molar"),
                                            ("g/cm^3", "molal"), ("K", "molar")])
def test_estimate_of_another_quantity_is_refused(unit, units):
    density = 1.2 if units == "molar" else None
    with pytest.raises(ValueError, match=f"concentration .*cannot convert '{re.escape(unit)}'"):
        composition_counts(SOLVENT, "LiPF6", Estimate(1.0, 0.0, unit, "x"), units=units,
                           density=density)


def test_estimate_not_valid_is_refused():
    doubtful = Estimate(1.0, 0.1, "mol/kg", "x", converged=False, notes=("too short",))
    with pytest.raises(ValueError, match="is not valid"):
        composition_counts(SOLVENT, "LiPF6", doubtful)
    with pytest.raises(ValueError, match="is not valid"):
        electrolyte_box(SOLVENT, "LiPF6", doubtful, n_atoms=150)


@pytest.mark.parametrize(("units", "density"), [("molal", None), ("molar", 1.2)])
def test_box_record_fed_back_packs_the_same_box(units, density):
    first = electrolyte_box(SOLVENT, "LiPF6", 1.0, units=units, n_atoms=150, density=density,
                            seed=1)
    asked = Estimate.from_dict(first.info["packed_composition"]["concentration_asked"])
    again = electrolyte_box(SOLVENT, "LiPF6", asked, units=units, n_atoms=150,
                            density=density, seed=1)
    assert again.info["composition"] == first.info["composition"]
    np.testing.assert_array_equal(again.positions, first.positions)
    assert again.info["packed_composition"] == first.info["packed_composition"]
