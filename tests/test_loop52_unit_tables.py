"""One table of label-unit factors (units.py), read by fine-tuning and the error analysis alike.

Before: finetuning.py derived its factors from ase.units ("Hartree/bohr" 1/51.422067) while
mda_electrolyte/intra_inter_errors.py typed its own in ("Hartree/Bohr" 1/51.4221, kcal/mol
23.0605): two tables of the same units under two spellings, so one slip of labels was named
"Hartree/bohr" by ``finetune`` and "Hartree/Bohr" by ``IntraInterErrors``, and a factor fixed
in one stayed stale in the other. units.py had no such table.
"""

import numpy as np
import pytest
from scipy import constants as c

import ase_electrolyte.finetuning as ft
import ase_electrolyte.units as units
import mda_electrolyte.intra_inter_errors as iie

_EV_IN_J = c.e
_BOHR_IN_A = c.physical_constants["Bohr radius"][0] / c.angstrom
# each factor from CODATA (scipy) apart from ASE: a label in that unit on the same eV quantity
ENERGY = {
    "kcal/mol": _EV_IN_J * c.N_A / (c.kilo * c.calorie),
    "kJ/mol": _EV_IN_J * c.N_A / c.kilo,
    "meV": 1.0 / c.milli,
    "Hartree": 1.0 / c.physical_constants["Hartree energy in eV"][0],
    "Rydberg": 1.0 / c.physical_constants["Rydberg constant times hc in eV"][0],
}
STRESS = {"GPa": _EV_IN_J / c.angstrom**3 / c.giga,
          "kbar": _EV_IN_J / c.angstrom**3 / (c.kilo * c.bar),
          "bar": _EV_IN_J / c.angstrom**3 / c.bar}
# CODATA 2014 (ASE) against scipy's release: the constants moved by < 1e-7
REL = 1e-6


@pytest.mark.parametrize("unit", sorted(ENERGY))
def test_energy_factors_are_codatas(unit):
    assert units.LABEL_ENERGY_UNITS[unit] == pytest.approx(ENERGY[unit], rel=REL)


@pytest.mark.parametrize("unit", sorted(units.LABEL_FORCE_UNITS))
def test_force_factors_are_codatas(unit):
    energy, length = unit.rsplit("/", 1)
    per_length = {"Å": 1.0, "bohr": _BOHR_IN_A, "nm": 10.0}[length]
    expected = (1.0 if energy == "eV" else ENERGY[energy]) * per_length
    assert units.LABEL_FORCE_UNITS[unit] == pytest.approx(expected, rel=REL)


@pytest.mark.parametrize("unit", sorted(STRESS))
def test_stress_factors_are_codatas(unit):
    assert units.LABEL_STRESS_UNITS[unit] == pytest.approx(STRESS[unit], rel=REL)


TABLES = [
    (ft.ENERGY_UNIT_FACTORS, units.LABEL_ENERGY_UNITS),
    (ft._FORCE_READINGS, units.LABEL_FORCE_UNITS),
    ({k: v for k, v in ft._STRESS_READINGS.items() if v > 0}, units.LABEL_STRESS_UNITS),
    (iie.UNIT_FACTORS, units.LABEL_ENERGY_UNITS),
    (iie.FORCE_UNIT_FACTORS, units.LABEL_FORCE_UNITS),
    (iie.STRESS_UNIT_FACTORS, units.LABEL_STRESS_UNITS),
]


@pytest.mark.parametrize(("table", "source"), TABLES)
def test_every_module_table_is_a_selection_of_the_one_table(table, source):
    # same names, same numbers: no unit a module names outside units.py
    assert table and all(name in source and table[name] == source[name] for name in table)


def test_the_work_readings_are_the_tables_factors():
    for name, factor in ft._WORK_READINGS.items():
        unit, quantity = name.rsplit(" ", 1)
        if quantity == "energies":
            assert factor == units.LABEL_ENERGY_UNITS[unit]
        else:  # forces in a unit scale the work by its factor
            assert factor == pytest.approx(1.0 / units.LABEL_FORCE_UNITS[unit], rel=1e-15)


SHARED_FORCES = sorted(set(ft._FORCE_READINGS) & set(iie.FORCE_UNIT_FACTORS))
SHARED_ENERGIES = sorted(set(ft.ENERGY_UNIT_FACTORS) & set(iie.UNIT_FACTORS))


def test_both_paths_know_the_same_force_and_energy_units():
    # the force units of quantum-chemistry codes (per bohr) and the molar ones under one name
    assert {"eV/bohr", "Hartree/bohr", "Rydberg/bohr", "kcal/mol/Å", "kJ/mol/Å"} <= set(
        SHARED_FORCES)
    assert {"Hartree", "Rydberg", "kcal/mol", "kJ/mol"} <= set(SHARED_ENERGIES)


@pytest.mark.parametrize("unit", SHARED_FORCES)
@pytest.mark.parametrize("seed", range(2))
def test_both_paths_name_a_force_slip_alike(unit, seed):
    x = np.random.default_rng(seed).normal(size=(6, 20, 3))
    factor = units.LABEL_FORCE_UNITS[unit]
    doubt = iie.unit_doubt(factor * x, x, "forces")
    assert doubt is not None and unit in doubt
    reading = ft._unit_reading(factor, 1.0, ft._FORCE_READINGS)
    lo, hi = ft._FORCE_SCALE_RANGE
    if lo < factor < hi:
        # eV/bohr (0.53) is within a base model's own force scale: not read from one set
        assert reading is None
    else:
        assert reading == (unit, factor)


@pytest.mark.parametrize("unit", SHARED_ENERGIES)
def test_both_paths_name_an_energy_slip_alike(unit):
    energies = -4.0 * 50 + np.random.default_rng(1).normal(size=12)
    factor = units.LABEL_ENERGY_UNITS[unit]
    doubt = iie.unit_doubt(factor * energies, energies, "energy", n_atoms=50)
    assert doubt is not None and unit in doubt
    assert ft._unit_reading(factor, 1.0, ft.ENERGY_UNIT_FACTORS) == (unit, factor)
