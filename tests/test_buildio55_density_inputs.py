"""Densities the builder takes: a not-valid Estimate, and the density of packed_composition.

- ``check_density`` took an :class:`Estimate` marked not valid as its value:
  ``estimate_density`` of 1 mol/kg LiTFSI in EC (no measured volume of the ions in solution:
  "likely low, by as much as 16 %") set the box of ``electrolyte_box(density=...)`` and the
  molecules of a mol/L composition without a word, where a not-valid concentration Estimate is
  refused.
- ``packed_composition`` did not check its density: -1 g/cm³ gave a packed concentration of
  -0.97 mol/L and 1200 (kg/m³) one of 1162 mol/L, each "exact" and valid; a density beside a
  molality changed nothing and was taken, where ``composition_counts`` refuses it.
"""

import pytest

from ase_electrolyte.build import (
    check_density,
    composition_counts,
    electrolyte_box,
    estimate_density,
    packed_composition,
)
from ase_electrolyte.estimate import Estimate

NOT_VALID = [
    Estimate.invalid(1.21, 0.2, "g/cm^3", "propagated", "likely low"),
    Estimate.invalid(1210.0, 200.0, "kg/m^3", "propagated", "likely low"),
    Estimate(1.3, 0.01, "g/cm^3", "t-scaled", converged=False, notes=("too short a run",)),
]


@pytest.mark.parametrize("density", NOT_VALID, ids=["g/cm3", "kg/m3", "unconverged"])
def test_check_density_refuses_a_not_valid_estimate_naming_its_verdict(density):
    with pytest.raises(ValueError, match="not valid") as err:
        check_density(density)
    assert density.verdict in str(err.value)


@pytest.mark.parametrize("density", NOT_VALID, ids=["g/cm3", "kg/m3", "unconverged"])
def test_molar_counts_refuse_a_not_valid_density(density):
    with pytest.raises(ValueError, match="not valid"):
        composition_counts({"EC": 1}, "LiTFSI", 1.0, units="molar", density=density)


def test_the_estimate_of_an_unmeasured_salt_is_no_box_density():
    counts = {"EC": 12, "Li": 1, "TFSI": 1}
    with pytest.warns(UserWarning, match="no measured volume"):
        rho = estimate_density(counts)
    assert not rho.valid
    # refused before any conformer or PACKMOL run
    with pytest.raises(ValueError, match="not valid"):
        electrolyte_box(counts=counts, density=rho, seed=0)
    # the value itself, chosen knowingly, is a number like any other
    assert check_density(rho.value) == rho.value


@pytest.mark.parametrize("density", [
    Estimate(1.292, 0.011, "g/cm^3", "propagated"),
    Estimate(1292.0, 11.0, "kg/m^3", "propagated"),
    Estimate.given_value(1.292, "g/cm^3"),
])
def test_a_valid_density_estimate_is_still_its_value_in_g_cm3(density):
    assert check_density(density) == pytest.approx(1.292, rel=1e-12)
    counts = composition_counts({"EC": 1}, "LiPF6", 1.0, units="molar", density=density)
    assert counts == composition_counts({"EC": 1}, "LiPF6", 1.0, units="molar", density=1.292)


COUNTS = {"EC": 10, "Li": 1, "PF6": 1}


@pytest.mark.parametrize("density, match", [
    (-1.0, "finite number > 0"),
    (0.0, "finite number > 0"),
    (float("nan"), "finite number > 0"),
    (float("inf"), "finite number > 0"),
    (1200.0, "kg/m³"),
    ("1.3", "not as text"),
    (True, "finite number"),
    (NOT_VALID[0], "not valid"),
])
def test_packed_composition_checks_its_molar_density(density, match):
    with pytest.raises(ValueError, match=match):
        packed_composition(COUNTS, {"EC": 1}, "LiPF6", 1.0, units="molar", density=density)


@pytest.mark.parametrize("units", ["molal", "mol/kg"])
def test_packed_composition_refuses_a_density_without_effect(units):
    with pytest.raises(ValueError, match="no effect"):
        packed_composition(COUNTS, {"EC": 1}, "LiPF6", 1.0, units=units, density=1.3)


@pytest.mark.parametrize("density", [1.3, Estimate(1.3, 0.01, "g/cm^3", "propagated"),
                                     Estimate(1300.0, 10.0, "kg/m^3", "propagated")])
def test_packed_molarity_is_the_counts_at_the_density(density):
    # 1 LiPF6 beside 10 EC: 1 mol per (10 * 88.062 + 151.904) g, at 1.3 g/cm³
    record = packed_composition(COUNTS, {"EC": 1}, "LiPF6", 1.0, units="molar",
                                density=density)
    expected = 1000.0 * 1.3 / (10 * 88.062 + 6.94 + 144.964)
    assert record["concentration_packed"]["value"] == pytest.approx(expected, rel=1e-4)
    assert record["concentration_packed"]["unit"] == "mol/L"
