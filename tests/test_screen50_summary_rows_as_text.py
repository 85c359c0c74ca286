"""summary_estimate reads a row of summary.csv read with the csv module as the table's own.

Measured before, on rows of a ``summary.csv`` read with ``csv.DictReader``: a row the table
marks not valid (``valid`` ``"False"``, too few replicas) became a converged Estimate without
its verdict (``bool("False")`` is true); its ``dof`` ``"4.0"`` was dropped, so its interval
took normal quantiles (±1.96 instead of ±2.78 errors at 95 % for 5 replicas), and
``n_replicas`` ``"5"`` counted 0 samples; a row without an error (``sem`` an empty cell) was
"could not convert string to float: ''". ``valid`` NaN was taken for true as well.
"""

import csv

import numpy as np
import pandas as pd
import pytest

from ase_electrolyte.screen import aggregate, load_plan, summary_estimate
from ase_electrolyte.screen.engine import _prepare_outdir
from ase_electrolyte.screen.task import write_json

PLAN = {
    "name": "rows", "seed": 2, "n_atoms": 3000, "temperatures": [298.0],
    "model": {"calculator": "ase.calculators.emt:EMT"},
    "protocol": {"production_ps": 50, "production_ensemble": "nvt"},
    "composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": [1.0]}],
}


def _property(value, unit, valid=True):
    return {"value": value, "stderr": 0.01, "unit": unit, "converged": valid,
            "verdict": "valid" if valid else "no plateau"}


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """summary.csv of 5 replicas: a valid density, a conductivity of 3 valid replicas (not
    valid: too few), a viscosity of 1 (no error)."""
    plan = load_plan({**PLAN, "replicas": 5})
    out = tmp_path_factory.mktemp("rows") / "out"
    _prepare_outdir(plan, out)
    for r, t in enumerate(plan.tasks()):
        folder = out / "tasks" / t.id
        folder.mkdir(parents=True)
        write_json(folder / "result.json", {
            "task": t.id, "status": "done", "seed": t.seed, "properties": {
                "density": _property(1.2 + 0.01 * r, "g/cm^3"),
                "conductivity_gk": _property(8.0 + r, "mS/cm", valid=r < 3),
                "viscosity": _property(3.0, "mPa·s", valid=r == 0),
            }})
    frame = aggregate(out, plots=False)
    with open(out / "summary.csv", newline="") as f:
        text = {row["property"]: row for row in csv.DictReader(f)}
    return {row["property"]: row for _, row in frame.iterrows()}, text


@pytest.mark.parametrize("prop", ["density", "conductivity_gk", "viscosity"])
def test_a_text_row_is_the_estimate_of_the_tables_row(tables, prop):
    frame, text = tables
    want, got = summary_estimate(frame[prop]), summary_estimate(text[prop])
    assert got.converged == want.converged == bool(frame[prop]["valid"])
    assert got.notes == want.notes
    assert got.dof == want.dof and got.n_samples == want.n_samples
    np.testing.assert_allclose([got.value, got.stderr], [want.value, want.stderr], rtol=1e-12)
    if want.converged:
        np.testing.assert_allclose(got.interval(0.95), want.interval(0.95), rtol=1e-12)


def test_the_rows_are_what_the_case_makes(tables):
    frame, _ = tables
    assert [bool(frame[p]["valid"]) for p in ("density", "conductivity_gk", "viscosity")] \
        == [True, False, False]
    assert frame["conductivity_gk"]["n_replicas"] == 3
    assert np.isnan(frame["viscosity"]["sem"])


@pytest.mark.parametrize("valid", ["no", None, float("nan"), 2, "yes"])
def test_a_valid_that_is_no_flag_is_named(tables, valid):
    frame, _ = tables
    row = dict(frame["density"], valid=valid)
    with pytest.raises(ValueError, match="valid must be True or False"):
        summary_estimate(row)


@pytest.mark.parametrize("valid, converged", [("False", False), (" true ", True),
                                              (np.False_, False), (0, False), (1, True)])
def test_the_flags_a_table_may_hold(tables, valid, converged):
    frame, _ = tables
    assert summary_estimate(pd.Series(dict(frame["density"], valid=valid))).converged \
        is converged
