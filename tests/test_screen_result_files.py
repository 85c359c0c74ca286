"""Task result files edited or damaged after the task wrote them: each is a failed replica named
with its file and entry in the table, and refused before a rerun submits anything — never a
traceback of the table after every task ran, never a flag or a text averaged in as a number."""

import json
import re
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")

from ase_electrolyte.screen import PlanError, aggregate, load_plan, run_screen  # noqa: E402
from ase_electrolyte.screen.engine import _prepare_outdir  # noqa: E402
from ase_electrolyte.screen.task import read_result, write_json  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))
DAMAGED = "EC_LiPF6-3molal/T300K/r0"


def _plan():
    return load_plan({
        "name": "files", "seed": 7, "replicas": 3, "temperatures": [300], "n_atoms": 70,
        "analyses": [], "model": {"calculator": f"{MODELS}:lj", "device": "cpu"},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": [3.0, 4.0]}],
    })


def _density(replica):
    return {"value": 1.2 + 0.01 * replica, "stderr": 0.01, "unit": "g/cm^3",
            "method": "blocks", "n_samples": 50, "converged": True, "verdict": "valid",
            "notes": []}


def _folder(tmp_path, change):
    plan = _plan()
    _prepare_outdir(plan, tmp_path)
    for t in plan.tasks():
        folder = tmp_path / "tasks" / t.id
        folder.mkdir(parents=True)
        prop = _density(t.replica)
        if t.id == DAMAGED:
            prop.update(change)
        write_json(folder / "result.json", {"task": t.id, "status": "done", "seed": t.seed,
                                            "properties": {"density": prop}})
    return plan


BAD = [
    ({"value": "abc"}, "value 'abc' is not a number"),
    ({"value": "1.25"}, "value '1.25' is not a number"),
    ({"value": [1.2, 1.3]}, r"value \[1.2, 1.3\] is not a number"),
    ({"value": {"mean": 1.2}}, r"value \{'mean': 1.2\} is not a number"),
    ({"value": True}, "value True is not a number"),
    ({"stderr": "0.01"}, "stderr '0.01' is not a number"),
    ({"stderr": False}, "stderr False is not a number"),
    ({"converged": "no"}, "converged 'no' is not true or false"),
    ({"converged": 1}, "converged 1 is not true or false"),
    ({"verdict": ["valid"]}, r"verdict \['valid'\] is not a text"),
]


@pytest.mark.parametrize("change, message", BAD)
def test_a_damaged_entry_is_a_failed_replica_named_in_the_table(tmp_path, change, message):
    _folder(tmp_path, change)
    table = aggregate(tmp_path, plots=False).set_index("composition")
    row = table.loc["EC_LiPF6-3molal"]
    # the other two replicas only: (1.21 + 1.22) / 2, never the flag or text as a number
    assert row["mean"] == pytest.approx(1.215) and row["n_replicas"] == 2
    assert row["n_failed"] == 1 and not row["valid"]
    assert "1 replica(s) failed" in row["verdict"]
    assert re.search(rf"{DAMAGED}/result.json: property 'density': {message}", row["verdict"])
    failures = pd.read_csv(tmp_path / "failures.csv")
    assert list(failures["task"]) == [DAMAGED]
    assert re.search(message, failures["error"][0])
    # the untouched composition is whole
    assert table.loc["EC_LiPF6-4molal", "n_replicas"] == 3


@pytest.mark.parametrize("change, message", BAD[:3])
def test_a_rerun_refuses_a_damaged_result_before_submitting(tmp_path, change, message):
    _folder(tmp_path, change)
    # no client and no scheduler: a cluster would be started only after this check
    with pytest.raises(PlanError, match=rf"1 finished task\(s\) hold a result that cannot be "
                                        rf"used: .*{DAMAGED}/result.json: property 'density': "
                                        rf"{message}"):
        run_screen(_plan(), tmp_path, progress=False, plots=False)


@pytest.mark.parametrize("entry", [
    _density(0),
    {**_density(0), "value": None, "stderr": None, "converged": False,
     "verdict": "too short"},
    {"value": 3, "error": 0.5, "unit": "mS/cm", "verdict": "ok"},  # an earlier version's entry
    {"value": 0.4, "stderr": None, "unit": "1", "converged": True, "verdict": "valid"},
])
def test_entries_a_task_writes_are_read(tmp_path, entry):
    path = tmp_path / "result.json"
    write_json(path, {"task": "t", "properties": {"x": entry}})
    result, problem = read_result(path, "t")
    assert problem is None and result["properties"]["x"]["unit"] == entry["unit"]
    assert json.loads(path.read_text())["properties"]["x"]["value"] == entry["value"]
