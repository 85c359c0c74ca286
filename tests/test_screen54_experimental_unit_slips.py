"""A measured diffusion coefficient, viscosity or conductivity in the wrong unit is doubted,
not compared as a valid row, as a density in kg/m³ already was.

Measured before: an experimental table giving D_Li = 1e-5 in the table's m²/s (a number in
cm²/s), a viscosity of 0.003 in its mPa·s (a number in Pa·s), a conductivity of 1e5 mS/cm
or an analysis' other number such as a conductivity_self of 1e5 "S/m" was read without a
word (``doubt`` None) and compared: the comparison row was valid and its deviation of 10⁵ (D)
or 99.9 % (η) entered the MAE and MAPE of valid rows. The package's rule
for these units (:func:`ase_electrolyte.units.doubts_in_unit`) was not asked.
"""

import math
import warnings

import pandas as pd
import pytest
from test_screen50_summary_rows_as_text import PLAN

from ase_electrolyte.screen import aggregate, load_plan
from ase_electrolyte.screen.aggregate import compare_experimental, read_experimental
from ase_electrolyte.screen.engine import _prepare_outdir
from ase_electrolyte.screen.task import write_json

HEADER = "solvent,salt,concentration,property,value,error,unit\n"
# the summary's means (table units: m^2/s, mPa·s, mS/cm)
MEANS = {"viscosity": (3.0, "mPa·s"), "conductivity_gk": (10.0, "mS/cm"),
         "density": (1.2, "g/cm^3")}


def _table(path, prop, value, unit):
    path.write_text(HEADER + f'"EC:3,EMC:7",LiPF6,1.0,{prop},{value},,{unit or ""}\n')
    return path


@pytest.mark.parametrize("prop, value, unit, doubted", [
    ("D_Li", 1.0e-5, None, "a diffusion coefficient of 1e-05 m²/s"),     # cm²/s
    ("D_Li", 1.0e-5, "m^2/s", "a diffusion coefficient of 1e-05 m²/s"),
    ("D_Li", 2.3, None, "a diffusion coefficient of 2.3 m²/s"),           # 1e-9 m²/s
    ("D_Li", 1.0e-22, "m^2/s", "a diffusion coefficient of 1e-22 m²/s"),
    ("viscosity", 0.003, None, "a shear viscosity of 3e-06 Pa·s"),       # Pa·s as mPa·s
    ("viscosity", 3.0e6, None, "a shear viscosity of 3e+03 Pa·s"),
    ("viscosity", 3000.0, "Pa·s", "a shear viscosity of 3e+03 Pa·s"),
    ("conductivity_gk", 1.0e5, None, "an ionic conductivity of 1e+04 S/m"),
    ("conductivity_gk", 30.0, "S/cm", "an ionic conductivity of 3e+03 S/m"),
    ("D_Li", 1.0e-5, "cm^2/s", None), ("D_Li", 2.3, "1e-9 m^2/s", None),
    ("D_Li", 2.3e-10, None, None), ("viscosity", 3.0, None, None),
    ("viscosity", 0.003, "Pa·s", None), ("conductivity_gk", 10.0, None, None),
    ("conductivity_gk", 1.0, "S/m", None),
    # an analysis' other number, judged in the unit its row gives (none: the summary's)
    ("green_kubo_conductivity.conductivity_self", 1.0e5, "S/m",
     "an ionic conductivity of 1e+05 S/m"),
    ("diffusion.D_PF6", 1.0e-5, "m^2/s", "a diffusion coefficient of 1e-05 m²/s"),
    ("green_kubo_conductivity.conductivity_distinct", -0.3, "S/m", None),
    ("green_kubo_conductivity.conductivity_self", 1.0e5, None, None)])
def test_a_transport_value_far_from_a_liquids_is_doubted_with_its_row(tmp_path, prop, value,
                                                                      unit, doubted):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        row, = read_experimental(_table(tmp_path / "exp.csv", prop, value, unit))
    said = [str(w.message) for w in caught if "row 1: a" in str(w.message)
            or "row 1: an" in str(w.message)]
    if doubted is None:
        assert row["doubt"] is None and not said
    else:
        assert row["doubt"].startswith(f"experimental table exp.csv, row 1: {doubted}")
        assert said == [row["doubt"]]
    assert row["value"] == value  # read as given; the doubt is said, not corrected


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    plan = load_plan({**PLAN, "replicas": 5, "n_atoms": 300})
    out = tmp_path_factory.mktemp("slips") / "out"
    _prepare_outdir(plan, out)
    for r, t in enumerate(plan.tasks()):
        folder = out / "tasks" / t.id
        folder.mkdir(parents=True)
        props = {name: {"value": mean * (1 + 0.004 * (r - 2)), "stderr": 0.004 * mean,
                        "unit": unit, "converged": True, "verdict": "valid", "dof": 20}
                 for name, (mean, unit) in MEANS.items()}
        write_json(folder / "result.json", {"task": t.id, "status": "done", "seed": t.seed,
                                            "properties": props})
    return out, aggregate(out, plots=False)


@pytest.mark.parametrize("prop, value, unit, mae", [
    ("viscosity", 0.0031, None, None), ("viscosity", 3.1, None, 0.1),
    ("viscosity", 0.0031, "Pa·s", 0.1),
    ("conductivity_gk", 1.1e5, None, None), ("conductivity_gk", 11.0, None, 1.0),
    ("conductivity_gk", 1.1, "S/m", 1.0)])
def test_a_doubted_transport_value_is_shown_but_not_counted(tmp_path, screened, prop, value,
                                                             unit, mae):
    valid = mae is not None
    out, summary = screened
    assert summary.set_index("property").loc[prop, "valid"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = compare_experimental(summary, _table(tmp_path / "exp.csv", prop, value, unit),
                                      out, plots=False)
    row = pd.read_csv(out / "comparison.csv").iloc[0]
    assert bool(row["valid"]) == valid
    assert ("measured value in doubt" in row["verdict"]) == (not valid)
    line = errors[errors["property"] == prop].iloc[0]
    assert line["n"] == (1 if valid else 0)
    assert line["n_excluded"] == (0 if valid else 1)
    if valid:  # |measured - the replicas' mean| in the table's unit
        assert line["MAE"] == pytest.approx(mae, rel=1e-9)
    else:
        assert math.isnan(line["MAE"])
