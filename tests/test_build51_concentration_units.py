"""Salt concentrations carry their unit: units.py knew no mol/kg nor mol/L, so the composition a
box records (info["counted_composition"], simulation.json) held bare floats whose unit was
only a key's suffix ("ion_molality_mol_kg"), said "exact" beside them, and no Estimate could
hold a molality or be converted to mmol/g. Each number is now an Estimate's dict form with its
unit, error 0 and a method saying it is exact; the units convert by their definitions."""
import math

import ase.io
import pytest
from scipy import constants as c

from ase_electrolyte.build import _counted_composition, electrolyte_box
from ase_electrolyte.estimate import Estimate
from ase_electrolyte.species import get_species
from ase_electrolyte.units import convert, dimension

# (unit, its value in SI: mol/kg for a molality, mol/m³ for a molarity), from the definitions
_MOLALITY = [("mol/kg", 1.0), ("mmol/g", c.milli / c.gram), ("mmol/kg", c.milli),
             ("mol kg-1", 1.0)]
_MOLARITY = [("mol/L", 1.0 / c.liter), ("mol/dm^3", 1.0 / (c.deci**3)), ("mol/l", 1.0 / c.liter),
             ("mmol/L", c.milli / c.liter), ("mol/m^3", 1.0), ("mol/m³", 1.0)]


@pytest.mark.parametrize("table", [_MOLALITY, _MOLARITY], ids=["molality", "molarity"])
def test_concentration_units_convert_by_their_definitions(table):
    value = 1.37
    for unit_a, si_a in table:
        for unit_b, si_b in table:
            assert convert(value, unit_a, unit_b) == pytest.approx(value * si_a / si_b,
                                                                   rel=1e-14)
            # there and back is the identity
            assert convert(convert(value, unit_a, unit_b), unit_b, unit_a) == pytest.approx(
                value, rel=1e-14)
    assert len({dimension(u) for u, _ in table}) == 1


@pytest.mark.parametrize("a,b", [("mol/kg", "mol/L"), ("mmol/g", "mol/m^3"), ("mol/kg", "1"),
                                 ("mol/L", "g/cm^3")])
def test_a_molality_is_no_molarity(a, b):
    # mol per kg of solvent becomes mol per litre of solution only with the solution's density
    with pytest.raises(ValueError, match="cannot convert"):
        convert(1.0, a, b)


@pytest.mark.parametrize("unit", ["M", "mM", "mol"])
def test_a_concentration_written_by_its_case_alone_is_unknown(unit):
    # "M" and "m" differ by case only (mol/L against mol/kg; "m" is the metre), as
    # composition_word refuses them
    with pytest.raises(ValueError, match="unknown unit"):
        convert(1.0, unit, "mol/kg")


_BOXES = [
    {"EC": 30, "Li": 2, "Na": 1, "PF6": 3},
    {"EC": 3, "DMC": 2, "Li": 2, "PF6": 1, "FSI": 1},
    {"H2O": 55, "Li": 1, "TFSI": 1},
    {"EMC": 5},
]


@pytest.mark.parametrize("counts", _BOXES, ids=lambda d: "-".join(d))
def test_each_counted_number_is_an_exact_estimate_that_converts(counts):
    plan = {get_species(k): n for k, n in counts.items()}
    record = _counted_composition(plan)
    solvent_kg = sum(sp.mass * n for sp, n in plan.items() if sp.charge == 0) * c.gram
    total = sum(sp.mass * n for sp, n in plan.items())
    ions = {sp.name: n for sp, n in plan.items() if sp.charge}
    assert set(record["ion_molality"]) == set(ions)
    for name, n in ions.items():
        molality = Estimate.from_dict(record["ion_molality"][name])
        assert molality.unit == "mol/kg" and molality.stderr == 0.0 and molality.valid
        assert "exact" in molality.method
        # n mol per (mass in g/mol · n) g: the definition in SI, then in mmol/g and mmol/kg
        assert molality.value == pytest.approx(n / solvent_kg, rel=1e-12)
        # 1000 n mmol per 1000 · solvent_kg g
        assert molality.to("mmol/g").value == pytest.approx((1000 * n) / (1000 * solvent_kg),
                                                            rel=1e-12)
        assert molality.to("mmol/kg").value == pytest.approx(1000 * n / solvent_kg, rel=1e-12)
    fractions = {k: Estimate.from_dict(v) for k, v in record["mass_fractions"].items()}
    assert math.fsum(f.value for f in fractions.values()) == pytest.approx(1.0, rel=1e-12)
    for sp, n in plan.items():
        assert fractions[sp.name].to("%").value == pytest.approx(100 * sp.mass * n / total,
                                                                 rel=1e-12)


def test_the_counted_composition_survives_the_extxyz_file(tmp_path):
    """The record is in the form a file keeps: ASE's extxyz writer dropped an Estimate object
    from info with a warning only (the CLI's initial.extxyz, read back on a resumed run)."""
    box = electrolyte_box(counts={"EC": 4, "Li": 1, "PF6": 1}, density=1.0, seed=0)
    path = tmp_path / "box.extxyz"
    ase.io.write(path, box, format="extxyz")
    back = ase.io.read(path, format="extxyz").info["counted_composition"]
    assert back == box.info["counted_composition"]
    li = Estimate.from_dict(back["ion_molality"]["Li"])
    ec_kg = 4 * get_species("EC").mass * c.gram
    assert li.to("mmol/g").value == pytest.approx(1.0 / ec_kg, rel=1e-12)
