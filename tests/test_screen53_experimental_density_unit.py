"""A measured density in the wrong unit is doubted, not compared as a valid row.

Measured before: an experimental table giving a density of 1200 in g/cm³ (kg/m³ under the
wrong unit), or 0.0012 (kg/L read as g/mL twice over), was read without a word and compared:
the comparison row was valid and its 99.9 % deviation entered the MAE and MAPE of valid rows.
The plan's and the table's temperatures were already doubted in this way (25 K: °C?).
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


def _table(path, value, unit):
    path.write_text(HEADER + f'"EC:3,EMC:7",LiPF6,1.0,density,{value},0.01,{unit or ""}\n')
    return path


@pytest.mark.parametrize("value, unit, doubted", [
    (1200.0, "g/cm^3", "kg/m³"), (1200.0, None, "kg/m³"), (0.0012, "g/cm^3", "another unit"),
    (1.2e-3, "kg/m^3", "another unit"), (9.0, "g/cm^3", "kg/m³"),
    (1.2, "g/cm^3", None), (1200.0, "kg/m^3", None), (0.8, "g/cm^3", None)])
def test_a_density_far_from_a_liquids_is_doubted_with_its_row(tmp_path, value, unit, doubted):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        row, = read_experimental(_table(tmp_path / "exp.csv", value, unit))
    said = [str(w.message) for w in caught if "density of" in str(w.message)]
    if doubted is None:
        assert row["doubt"] is None and not said
    else:
        assert row["doubt"].startswith("experimental table exp.csv, row 1: a density of ")
        assert doubted in row["doubt"]
        assert said == [row["doubt"]]
    assert row["value"] == value  # read as given; the doubt is said, not corrected


def _summary(tmp_path):
    plan = load_plan({**PLAN, "replicas": 5})
    out = tmp_path / "out"
    _prepare_outdir(plan, out)
    for r, t in enumerate(plan.tasks()):
        folder = out / "tasks" / t.id
        folder.mkdir(parents=True)
        write_json(folder / "result.json", {"task": t.id, "status": "done", "seed": t.seed,
                   "properties": {"density": {
                       "value": 1.20 + 0.004 * (r - 2), "stderr": 0.004, "unit": "g/cm^3",
                       "converged": True, "verdict": "valid", "dof": 20}}})
    return out, aggregate(out, plots=False)


@pytest.mark.parametrize("value, unit, valid", [
    (1200.0, "g/cm^3", False), (0.0012, "g/cm^3", False), (1210.0, "kg/m^3", True),
    (1.21, "g/cm^3", True)])
def test_a_doubted_density_is_shown_but_not_counted(tmp_path, value, unit, valid):
    out, summary = _summary(tmp_path)
    assert summary.iloc[0]["valid"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = compare_experimental(summary, _table(tmp_path / "exp.csv", value, unit), out,
                                      plots=False)
    row = pd.read_csv(out / "comparison.csv").iloc[0]
    assert bool(row["valid"]) == valid
    assert ("measured value in doubt" in row["verdict"]) == (not valid)
    density = errors[errors["property"] == "density"].iloc[0]
    assert density["n"] == (1 if valid else 0)
    assert density["n_excluded"] == (0 if valid else 1)
    if valid:
        # 1.21 g/cm^3 either way: the deviation of the replicas' mean 1.20
        assert density["MAE"] == pytest.approx(0.01, rel=1e-9)
    else:
        assert math.isnan(density["MAE"])
