"""A result.json whose in-run error is negative is refused when read, naming the property.

Measured before: a replica's ``result.json`` edited or written by other code with ``stderr``
-0.01 (or ``error`` -0.01, the earlier versions' key) was read as a valid replica: tasks.csv
showed the negative error as its in-run error, and the summary averaged it. A task's own
properties make such an entry not valid (test_screen50_estimate_entries); what is read back
now holds to the same rule.
"""

import pytest
from test_screen50_summary_rows_as_text import PLAN

from ase_electrolyte.screen import aggregate, load_plan, task_table
from ase_electrolyte.screen.engine import _prepare_outdir
from ase_electrolyte.screen.task import read_result, write_json


def _entry(key, error):
    entry = {"value": 1.21, "unit": "g/cm^3", key: error}
    if key == "stderr":
        entry.update(converged=True, verdict="valid")
    else:
        entry["verdict"] = "ok"  # the earlier versions' keys
    return entry


@pytest.mark.parametrize("key", ["stderr", "error"])
@pytest.mark.parametrize("error", [-0.01, -1e-300, -5])
def test_read_result_refuses_a_negative_error(tmp_path, key, error):
    path = tmp_path / "result.json"
    write_json(path, {"task": "t", "status": "done", "properties": {"density": _entry(key, error)}})
    result, problem = read_result(path, "t")
    assert result is None
    assert f"property 'density': {key} {error!r} is negative" in problem


@pytest.mark.parametrize("key", ["stderr", "error"])
@pytest.mark.parametrize("error", [0.0, 0.01, None])
def test_an_error_of_zero_or_none_is_read(tmp_path, key, error):
    path = tmp_path / "result.json"
    write_json(path, {"task": "t", "status": "done", "properties": {"density": _entry(key, error)}})
    result, problem = read_result(path, "t")
    assert problem is None and result["properties"]["density"][key] == error


@pytest.mark.parametrize("key", ["stderr", "error"])
def test_the_table_counts_that_replica_failed(tmp_path, key):
    plan = load_plan({**PLAN, "replicas": 3})
    out = tmp_path / "out"
    _prepare_outdir(plan, out)
    for r, t in enumerate(plan.tasks()):
        folder = out / "tasks" / t.id
        folder.mkdir(parents=True)
        entry = _entry(key, -0.01 if r == 1 else 0.01)
        entry["value"] += 0.01 * r
        write_json(folder / "result.json", {"task": t.id, "status": "done", "seed": t.seed,
                                            "properties": {"density": entry}})
    rows, failures = task_table(out)
    assert sorted(rows["replica"]) == [0, 2] and (rows["error"] >= 0).all()
    assert list(failures["replica"]) == [1]
    assert f"{key} -0.01 is negative" in failures["error"].iloc[0]
    row = aggregate(out, plots=False).iloc[0]
    assert (row["n_replicas"], row["n_failed"], row["valid"]) == (2, 1, False)
    assert "1 replica(s) failed" in row["verdict"] and "is negative" in row["verdict"]
