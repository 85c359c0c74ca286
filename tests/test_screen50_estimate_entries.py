"""A task's properties never take an Estimate entry that is none for one, and never fail on it.

Measured before (an analysis' summary written by other code, or edited by hand): ``converged =
"no"`` made a valid conductivity (``bool("no")``), a ``value`` of ``True`` a valid 10 mS/cm,
``"1.2"`` a valid 12 mS/cm, a negative ``stderr`` stayed the error of a valid number;
``unit = None`` raised "a unit is a string such as 'S/m', not None" and ``n_samples = -1``
"an estimate's n_samples must be a finite number >= 0", failing the task after its simulation.
"""

import re

import numpy as np
import pytest

from ase_electrolyte.screen.properties import task_properties
from ase_electrolyte.screen.task import read_result, write_json

GOOD = {"value": 1.2, "stderr": 0.1, "unit": "S/m", "converged": True, "n_samples": 40}


@pytest.mark.parametrize("edit, reason", [
    ({"converged": "no"}, "converged 'no' is not True or False"),
    ({"converged": 1}, "converged 1 is not True or False"),
    ({"converged": None}, "converged None is not True or False"),
    ({"value": True}, "value True is not a number"),
    ({"value": "1.2"}, "value '1.2' is not a number"),
    ({"value": [1.2]}, r"value \[1.2\] is not a number"),
    ({"stderr": -0.1}, "negative stderr -0.1"),
    ({"stderr": "0.1"}, "stderr '0.1' is not a number"),
    ({"unit": None}, "unit None is not a unit"),
    ({"unit": ""}, "unit '' is not a unit"),
    ({"n_samples": -1}, "n_samples -1 is not a count"),
    ({"n_samples": float("nan")}, "n_samples nan is not a count"),
    ({"n_samples": "40"}, "n_samples '40' is not a count"),
])
@pytest.mark.parametrize("analysis, key, name", [
    ("green_kubo_conductivity", "conductivity", "conductivity_gk"),
    ("nernst_einstein", "conductivity", "nernst_einstein.conductivity"),
])
def test_an_entry_that_is_none_is_a_reason_not_a_number_or_a_failure(
        tmp_path, edit, reason, analysis, key, name):
    props = task_properties({}, {analysis: {key: {**GOOD, **edit}}})
    prop = props[name]
    assert prop["converged"] is False
    assert re.search(reason, prop["verdict"]), prop["verdict"]
    assert prop["notes"][0] == prop["verdict"].split("; ")[0]
    # and the task's result.json holding it is one the table reads
    write_json(tmp_path / "result.json", {"task": "t", "status": "done", "properties": props})
    result, problem = read_result(tmp_path / "result.json", "t")
    assert problem is None and result["properties"][name]["converged"] is False


@pytest.mark.parametrize("entry", [
    GOOD,
    {**GOOD, "converged": np.True_, "n_samples": np.int64(40), "value": np.float64(1.2),
     "stderr": np.float32(0.1)},
    {**GOOD, "stderr": None},
])
def test_a_well_formed_entry_stays_valid(entry):
    prop = task_properties({}, {"green_kubo_conductivity": {"conductivity": entry}})[
        "conductivity_gk"]
    assert prop["converged"] is True and prop["verdict"] == "valid"
    assert prop["unit"] == "mS/cm" and prop["value"] == pytest.approx(12.0)


def test_the_analysis_reasons_follow_the_entry_problems():
    entry = {**GOOD, "stderr": -0.1, "converged": False, "verdict": "no plateau",
             "notes": ["no plateau"]}
    prop = task_properties({}, {"green_kubo_conductivity": {"conductivity": entry}})[
        "conductivity_gk"]
    assert prop["verdict"] == "negative stderr -0.1; no plateau"
    assert prop["notes"] == ["negative stderr -0.1", "no plateau"]
