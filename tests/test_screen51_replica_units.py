"""A replica whose number is in a unit that does not convert joins its property's one row.

Measured before: a folder of five replicas of which one gave ``density`` in ``"g per cc"`` (not
a unit of :mod:`ase_electrolyte.units`) or in ``"S/m"`` (another dimension) made a second
``density`` row in that unit, its one replica's number standing in the table as a density
measured in it, while the row of the other four said nothing of the fifth. Now the replica
is in the row of its property, excluded with no number, and the row's verdict names its unit.
"""

import math

import numpy as np
import pandas as pd
import pytest

from ase_electrolyte.screen import aggregate, load_plan
from ase_electrolyte.screen.engine import _prepare_outdir
from ase_electrolyte.screen.task import write_json
from mda_electrolyte.uncertainty import mean_error

PLAN = {
    "name": "odd-units", "seed": 7, "n_atoms": 3000, "temperatures": [298.0], "replicas": 5,
    "model": {"calculator": "ase.calculators.emt:EMT"},
    "protocol": {"production_ps": 50, "production_ensemble": "nvt"},
    "composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": [1.0]}],
}
VALUES = np.array([1.21, 1.24, 1.19, 1.23, 1.22])

CASES = [
    # property, the row's unit, each replica's unit, the factor from the row's unit to it
    # a known property: its table unit is the row's whatever the replicas say
    ("density", "g/cm^3", ["g/cm^3", "g per cc", "g/cc", "kg/m^3", "g/cm^3"],
     [1, 1, 1, 1000, 1]),
    ("density", "g/cm^3", ["g/cm^3", "g/cm^3", "S/m", "g/cm^3", "g/cm^3"], [1] * 5),
    ("viscosity", "mPa·s", ["Pa·s", "mPa s", "mPa·s", "mPa·s", "mPas"], [1e-3, 1, 1, 1, 1]),
    # a property the table does not know: the first unit ase_electrolyte.units knows, even
    # when an earlier replica's is not one
    ("x.sigma", "S/m", ["unknown", "S/m", "mS/cm", "S/m", "S/m"], [1, 1, 10, 1, 1]),
    ("x.sigma", "mS/cm", ["mS/cm", "S/m", "S/m", "siemens", "mS/cm"], [1, 0.1, 0.1, 1, 1]),
    ("x.sigma", "S/m", ["S/m", "S/m", "S/m", "S/m", "K"], [1] * 5),
]


def _write(tmp_path, name, units, factors):
    plan = load_plan(PLAN)
    out = tmp_path / "out"
    _prepare_outdir(plan, out)
    for r, t in enumerate(plan.tasks()):
        folder = out / "tasks" / t.id
        folder.mkdir(parents=True)
        value = VALUES[r] * factors[r]
        write_json(folder / "result.json", {
            "task": t.id, "status": "done", "seed": t.seed, "properties": {
                name: {"value": value, "stderr": 0.01 * value, "unit": units[r],
                       "converged": True, "verdict": "valid"}}})
    return out


def _odd(units, unit):
    """Indices of the replicas whose unit does not convert to ``unit``."""
    from ase_electrolyte.units import convert

    odd = []
    for i, u in enumerate(units):
        try:
            convert(1.0, u, unit)
        except (ValueError, TypeError):
            odd.append(i)
    return odd


@pytest.mark.parametrize("name, unit, units, factors", CASES,
                         ids=[f"{c[0]}-{'-'.join(c[2])}" for c in CASES])
def test_a_replica_in_a_unit_that_does_not_convert_is_excluded_from_its_one_row(
        tmp_path, name, unit, units, factors):
    out = _write(tmp_path, name, units, factors)
    summary = aggregate(out, plots=False)
    rows = summary[summary["property"] == name]
    assert len(rows) == 1, rows[["unit", "n_replicas", "verdict"]]
    row = rows.iloc[0]
    assert row["unit"] == unit
    odd = _odd(units, unit)
    assert len(odd) == 1
    kept = np.delete(VALUES, odd)
    mean, sem, _ = mean_error(kept)
    np.testing.assert_allclose([row["mean"], row["sem"]], [mean, sem], rtol=1e-9)
    assert row["n_replicas"] == 4 and row["n_invalid"] == 1
    assert not row["valid"]
    assert repr(units[odd[0]]) in row["verdict"], row["verdict"]
    # every replica of tasks.csv is in the row's unit; the odd one has no number there
    tasks = pd.read_csv(out / "tasks.csv")
    tasks = tasks[tasks["property"] == name].sort_values("replica")
    assert set(tasks["unit"]) == {unit}
    assert math.isnan(tasks["value"].iloc[odd[0]])
    assert not tasks["valid"].iloc[odd[0]]
    assert repr(units[odd[0]]) in tasks["verdict"].iloc[odd[0]]
    others = np.delete(tasks["value"].to_numpy(), odd)
    np.testing.assert_allclose(others, kept, rtol=1e-12)


def test_replicas_all_in_one_unit_no_table_knows_stay_one_valid_row(tmp_path):
    """Consistency is what a row needs: five replicas in one unit the units module does not
    know are averaged in it, unconverted (the converse of the cases above)."""
    out = _write(tmp_path, "x.count", ["molecules"] * 5, [1] * 5)
    row = aggregate(out, plots=False).query("property == 'x.count'")
    assert len(row) == 1
    row = row.iloc[0]
    assert row["unit"] == "molecules" and row["n_replicas"] == 5 and row["n_invalid"] == 0
    np.testing.assert_allclose(row["mean"], mean_error(VALUES)[0], rtol=1e-12)
