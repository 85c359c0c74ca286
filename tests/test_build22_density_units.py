"""Densities given in kg/m³ for g/cm³, water's measured density, and the refusal of solvents
that have no measured density in the species library."""

import math
import warnings

import numpy as np
import pytest

from ase_electrolyte.build import (
    MAX_DENSITY,
    composition_counts,
    electrolyte_box,
    estimate_density,
)
from ase_electrolyte.screen import PlanError, load_plan
from ase_electrolyte.species import LIQUID_DENSITIES, get_species
from ase_electrolyte.units import convert

PLAN = {"model": {"calculator": "ase.calculators.emt:EMT"}, "n_atoms": 200,
        "composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0,
                         "units": "molar"}]}


def _molar_counts(density):
    counts = composition_counts({"EC": 3, "EMC": 7}, "LiPF6", 1.0, units="molar",
                                n_atoms=300, density=density)
    return {sp.name: n for sp, n in counts.items()}


@pytest.mark.parametrize("kg_m3", [1200, 997.05, np.float64(1321.0), np.float32(1500.0)])
def test_a_density_in_kg_m3_is_refused_naming_the_unit_and_the_g_cm3_value(kg_m3):
    g_cm3 = float(kg_m3) / 1000.0
    said = rf"is it in kg/m³\? .* = {g_cm3:g} g/cm³; pass {g_cm3:g}"
    # every entry point of a density says the same: the counts, the box, the screening plan
    with pytest.raises(ValueError, match=said):
        _molar_counts(kg_m3)
    with pytest.raises(ValueError, match=said):
        electrolyte_box(counts={"EC": 2}, density=kg_m3)
    with pytest.raises(PlanError, match=said):
        load_plan(dict(PLAN, density=kg_m3))
    # the value it names is the one kg/m³ meant: the counts of a liquid of that density
    # (a molar concentration's solvent counts fall as the density rises: one litre weighs more)
    assert convert(float(kg_m3), "kg/m^3", "g/cm^3") == pytest.approx(g_cm3, rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a liquid's density draws no unit doubt
        counts = _molar_counts(g_cm3)
    assert counts["Li"] == counts["PF6"] >= 1
    plan = load_plan(dict(PLAN, density=g_cm3))
    assert plan.density == pytest.approx(g_cm3)


@pytest.mark.parametrize("value", [11, 1e308, 60000.0, float("inf"), float("nan"), -1.2, True,
                                   "1.2"])
def test_a_density_no_unit_slip_explains_keeps_the_plain_bound(value):
    # 11 g/cm³ is no liquid's density in kg/m³ (0.011 g/cm³): no such advice is given
    with pytest.raises(ValueError) as err:
        _molar_counts(value)
    assert "kg/m³" not in str(err.value)
    assert f"<= {MAX_DENSITY:g}" in str(err.value)


def test_water_has_the_iapws95_density_at_25_c():
    rho, _, temperature_K, source = LIQUID_DENSITIES["H2O"]
    assert temperature_K == 298.15
    assert "Wagner" in source and "1995" in source
    # IAPWS-95: 997.05 kg/m³ at 298.15 K and 0.101325 MPa
    assert convert(rho, "g/cm^3", "kg/m^3") == pytest.approx(997.05, abs=0.01)
    # the estimate of pure water is that density, and its molar volume M/rho is the measured
    # 18.07 cm³/mol (55.3 mol/L of water molecules)
    rho_estimate = estimate_density({"H2O": 50}).value
    assert rho_estimate == pytest.approx(rho, rel=1e-12)
    molar_volume = get_species("H2O").mass / rho_estimate
    assert molar_volume == pytest.approx(18.07, abs=0.01)
    # "water" and "h2o" are the same species, and the same density
    assert (estimate_density({"water": 7}).value == estimate_density({"h2o": 3}).value
            == rho_estimate)


def test_water_mixes_ideally_with_a_carbonate():
    # volumes add: 1/rho = w1/rho1 + w2/rho2, whatever the counts' scale
    counts = {"H2O": 30, "EC": 10}
    m_w, m_ec = 30 * get_species("H2O").mass, 10 * get_species("EC").mass
    expected = (m_w + m_ec) / (m_w / LIQUID_DENSITIES["H2O"][0]
                               + m_ec / LIQUID_DENSITIES["EC"][0])
    assert estimate_density(counts).value == pytest.approx(expected, rel=1e-12)
    assert estimate_density({"H2O": 300, "EC": 100}).value == pytest.approx(expected, rel=1e-12)
    assert LIQUID_DENSITIES["H2O"][0] < expected < LIQUID_DENSITIES["EC"][0]


@pytest.mark.parametrize("name", ["FEC", "DFEC", "fec"])
def test_a_solvent_without_a_measured_density_is_refused_naming_the_way_on(name):
    sp = get_species(name)
    assert sp.name not in LIQUID_DENSITIES
    with pytest.raises(ValueError) as err:
        estimate_density({sp.name: 4, "EC": 4})
    text = str(err.value)
    assert f"no measured liquid density of {sp.name}" in text
    # the way on is named by the function that takes it, and the known solvents are listed
    assert "electrolyte_box" in text and "density=" in text and "van der Waals" in text
    assert all(k in text for k in LIQUID_DENSITIES)


def test_a_solvent_without_a_measured_density_still_builds_by_the_van_der_waals_rule():
    box = electrolyte_box(counts={"VC": 3}, seed=0)
    vc = get_species("VC")
    # Ju et al. (2025): box edge 1.1 × (summed van der Waals volumes)^(1/3)
    edge = 1.1 * (3 * vc.vdw_volume) ** (1.0 / 3.0)
    assert box.cell.lengths() == pytest.approx([edge] * 3, rel=1e-6)
    assert math.isclose(box.get_masses().sum(), 3 * vc.mass, rel_tol=1e-9)
