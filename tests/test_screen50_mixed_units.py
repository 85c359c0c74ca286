"""The replicas of one property given in different units make one row, in one unit.

Measured before: a folder whose replicas give ``nernst_einstein.conductivity`` in S/m (3) and
in mS/cm (2), as two versions of an analysis write it, made two rows of 3 and 2 replicas, each
not valid for "no value from 2/5 (3/5) replicas (analysis skipped, refused or failed there)";
likewise ``conductivity_gk`` stored in S/m beside mS/cm, ``D_Li`` in Å²/ps beside m²/s.
"""

import numpy as np
import pytest

from ase_electrolyte.screen import aggregate, load_plan
from ase_electrolyte.screen.engine import _prepare_outdir
from ase_electrolyte.screen.task import write_json
from mda_electrolyte.uncertainty import mean_error

PLAN = {
    "name": "units", "seed": 4, "n_atoms": 3000, "temperatures": [298.0], "replicas": 5,
    "model": {"calculator": "ase.calculators.emt:EMT"},
    "protocol": {"production_ps": 50, "production_ensemble": "nvt"},
    "composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": [1.0]}],
}
VALUES = [1.0, 1.2, 0.9, 1.1, 1.05]  # in the row's unit

CASES = [
    # name, the row's unit, each replica's unit, factor from the row's unit to that unit
    ("nernst_einstein.conductivity", "S/m", ["S/m", "mS/cm", "S/m", "mS/cm", "S/m"],
     [1, 10, 1, 10, 1]),
    ("nernst_einstein.conductivity", "mS/cm", ["mS/cm", "S/m", "S/m", "S/m", "mS/cm"],
     [1, 0.1, 0.1, 0.1, 1]),
    ("conductivity_gk", "mS/cm", ["S/m", "mS/cm", "S/m", "S/cm", "mS/cm"],
     [0.1, 1, 0.1, 1e-3, 1]),
    ("D_Li", "m^2/s", ["Å^2/ps", "m^2/s", "Å^2/ps", "m^2/s", "cm^2/s"], [1e8, 1, 1e8, 1, 1e4]),
    ("viscosity", "mPa·s", ["Pa·s", "mPa·s", "cP", "mPa·s", "Pa·s"], [1e-3, 1, 1, 1, 1e-3]),
]


@pytest.mark.parametrize("name, unit, units, factors", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_replicas_in_other_units_make_one_row(tmp_path, name, unit, units, factors):
    plan = load_plan(PLAN)
    out = tmp_path / "out"
    _prepare_outdir(plan, out)
    scale = 1e-9 if unit == "m^2/s" else 1.0
    for r, t in enumerate(plan.tasks()):
        folder = out / "tasks" / t.id
        folder.mkdir(parents=True)
        value = VALUES[r] * scale * factors[r]
        write_json(folder / "result.json", {
            "task": t.id, "status": "done", "seed": t.seed, "properties": {
                "density": {"value": 1.2 + 0.01 * r, "stderr": 0.01, "unit": "g/cm^3",
                            "converged": True, "verdict": "valid"},
                name: {"value": value, "stderr": 0.05 * value, "unit": units[r],
                       "converged": True, "verdict": "valid"}}})
    summary = aggregate(out, plots=False)
    rows = summary[summary["property"] == name]
    assert len(rows) == 1, rows[["unit", "n_replicas"]]
    row = rows.iloc[0]
    assert row["unit"] == unit
    mean, sem, _ = mean_error(np.array(VALUES) * scale)
    assert row["n_replicas"] == 5 and row["n_invalid"] == 0
    np.testing.assert_allclose([row["mean"], row["sem"]], [mean, sem], rtol=1e-9)
    assert row["valid"], row["verdict"]


def test_a_replica_in_no_known_unit_sets_no_unit_for_the_others(tmp_path):
    """The first replica's unit is "unknown" (its summary had none): the other four, in S/m
    and mS/cm, still make one row in S/m."""
    plan = load_plan(PLAN)
    out = tmp_path / "out"
    _prepare_outdir(plan, out)
    units = ["unknown", "S/m", "mS/cm", "S/m", "mS/cm"]
    factors = [1, 1, 10, 1, 10]
    for r, t in enumerate(plan.tasks()):
        folder = out / "tasks" / t.id
        folder.mkdir(parents=True)
        value = VALUES[r] * factors[r]
        write_json(folder / "result.json", {
            "task": t.id, "status": "done", "seed": t.seed, "properties": {
                "x.sigma": {"value": value, "stderr": 0.05 * value, "unit": units[r],
                            "converged": r > 0, "verdict": "valid" if r else "no unit"}}})
    summary = aggregate(out, plots=False)
    row = summary[(summary["property"] == "x.sigma") & (summary["unit"] == "S/m")].iloc[0]
    assert row["n_replicas"] == 4
    np.testing.assert_allclose(row["mean"], np.mean(VALUES[1:]), rtol=1e-12)
