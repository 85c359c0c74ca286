"""A screen where some compositions fail: the others finish, every failed composition keeps its
rows in the table (no number, the reason as verdict), and a rerun retries only what failed."""

import json
import math
import shutil
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from ase_electrolyte.screen import PlanError, aggregate, load_plan, run_screen  # noqa: E402
from ase_electrolyte.screen.engine import _prepare_outdir  # noqa: E402
from ase_electrolyte.screen.task import write_json  # noqa: E402

MODELS = str(Path(__file__).with_name("screen_models.py"))


def _plan(replicas=2, concentrations=(3.0, 4.0), model="lj", options=None, n_atoms=70,
          **extra):
    return load_plan({
        "name": "failures", "seed": 7, "replicas": replicas, "temperatures": [300],
        "n_atoms": n_atoms, "analyses": [],
        "model": {"calculator": f"{MODELS}:{model}", "device": "cpu", "options": options or {}},
        "protocol": {"relax_fmax": 20.0, "preequilibration_ps": 0.0, "equilibration_ps": 0.0,
                     "production_ps": 0.004, "write_interval_fs": 1.0,
                     "observe_interval_fs": 1.0},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": list(concentrations)}],
        **extra,
    })


def _property(value, unit="g/cm^3"):
    return {"value": value, "stderr": 0.01, "unit": unit, "method": "blocks", "n_samples": 5,
            "converged": True, "verdict": "valid", "notes": []}


def _folder(tmp_path, outcome, replicas=2, simulation=None):
    """A screening folder whose task ``(concentration, replica)`` ends as ``outcome`` says:
    a dict of properties (finished), a text (failed with that error) or None (not run).
    ``simulation(concentration, replica)``: the ``simulation`` record of a finished task.
    Stored numbers, no simulation: the plan's box is 600 atoms, which packs 3 and 4 mol/kg
    within 5 % (70 atoms pack 3.79 and 4.54, rows marked for it)."""
    plan = _plan(replicas, n_atoms=600)
    _prepare_outdir(plan, tmp_path)
    for t in plan.tasks():
        folder = tmp_path / "tasks" / t.id
        folder.mkdir(parents=True, exist_ok=True)
        what = outcome(t.composition.concentration, t.replica)
        if isinstance(what, dict):
            extra = {} if simulation is None else {
                "simulation": simulation(t.composition.concentration, t.replica)}
            write_json(folder / "result.json", {"task": t.id, "status": "done", "seed": t.seed,
                                                "properties": what, **extra})
        elif isinstance(what, str):
            write_json(folder / "error.json", {"task": t.id, "status": "failed", "error": what})
    return plan


def test_a_composition_whose_tasks_all_failed_keeps_its_rows_with_the_reason(tmp_path):
    def outcome(c, r):
        if c == 3.0:
            return {"density": _property(1.2 + 0.01 * r), "D_Li": _property(0.1 + r, "Å^2/ps")}
        return "RuntimeError: PACKMOL found no packing\n  (traceback lines)"

    _folder(tmp_path, outcome)
    table = aggregate(tmp_path, plots=False).set_index(["concentration", "property"])
    assert len(table) == 4  # both compositions, both properties
    for prop in ("density", "D_Li"):
        row = table.loc[(4.0, prop)]
        assert math.isnan(row["mean"]) and math.isnan(row["sem"]) and not row["valid"]
        assert (row["n_replicas"], row["n_failed"]) == (0, 2)
        assert row["verdict"] == ("no valid replica; 2 replica(s) failed: RuntimeError: PACKMOL "
                                  "found no packing (2/2 replicas)")
    # the table's unit of D (the finished replicas stored Å^2/ps; aggregate converts them)
    assert table.loc[(4.0, "D_Li"), "unit"] == table.loc[(3.0, "D_Li"), "unit"] == "m^2/s"
    assert table.loc[(3.0, "D_Li"), "mean"] == pytest.approx(0.6e-8)
    assert table.loc[(3.0, "density"), "mean"] == pytest.approx(1.205)
    # the CSV: the missing number is an empty field, never a "nan" read as a number
    text = (tmp_path / "summary.csv").read_text()
    line = next(x for x in text.splitlines() if x.startswith("EC_LiPF6-4molal") and "density" in x)
    # mean, sem and dof empty
    assert ",density,g/cm^3,,,,0,0,2,2,False,no valid replica; 2 replica(s) failed" in line
    assert "nan" not in text.lower()
    back = pd.read_parquet(tmp_path / "summary.parquet")
    assert len(back) == 4 and back["mean"].isna().sum() == 2


def test_each_distinct_failure_is_named_with_its_count(tmp_path):
    errors = {0: "RuntimeError: MD blew up: non-finite forces at step 12",
              1: "RuntimeError: MD blew up: non-finite forces at step 12",
              2: "ValueError: the model has no parameters for element P"}

    def outcome(c, r):
        if c == 3.0 and r < 3:
            return errors[r]
        return {"density": _property(1.2 + 0.01 * r)} if r < 4 or c == 4.0 else None

    _folder(tmp_path, outcome, replicas=5)
    table = aggregate(tmp_path, plots=False).set_index("concentration")
    verdict = table.loc[3.0, "verdict"]
    # replica 3 finished, 4 has not run; 0-2 failed for two different reasons
    assert (table.loc[3.0, "n_replicas"], table.loc[3.0, "n_failed"]) == (1, 3)
    assert ("3 replica(s) failed: RuntimeError: MD blew up: non-finite forces at step 12 "
            "(2/4 replicas); ValueError: the model has no parameters for element P (1/4 "
            "replicas)") in verdict
    assert table.loc[4.0, "valid"] and table.loc[4.0, "verdict"] == "valid"


def test_a_screen_where_every_task_failed_has_a_row_per_composition(tmp_path):
    _folder(tmp_path, lambda c, r: f"RuntimeError: no box for {c:g} molal")
    table = aggregate(tmp_path, plots=True)
    assert list(table["composition"]) == ["EC_LiPF6-3molal", "EC_LiPF6-4molal"]
    assert list(table["property"]) == ["", ""] and not table["valid"].any()
    assert table["verdict"].iloc[1].endswith("failed: RuntimeError: no box for 4 molal "
                                             "(2/2 replicas)")
    assert not (tmp_path / "plots").exists() or not list((tmp_path / "plots").glob("*.png"))


def test_a_rerun_retries_only_the_failed_composition(tmp_path):
    block = tmp_path / "block"
    block.write_text("the 76-atom box fails while this file exists")
    plan = _plan(1, model="blocked_lj", options={"block": str(block), "max_atoms": 70})
    out = tmp_path / "screen"
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=":0", silence_logs=50)
    with cluster, distributed.Client(cluster) as client:
        first = run_screen(plan, out, client=client, progress=False, plots=False)
        assert (first.n_done, first.n_failed) == (1, 1)
        failed = "EC_LiPF6-3molal/T300K/r0"
        assert list(first.failures) == [failed] and "blocked" in first.failures[failed]
        row = first.summary.set_index("concentration").loc[3.0]
        assert (row["n_failed"], row["n_replicas"] + row["n_invalid"]) == (1, 0)
        assert "1 replica(s) failed: RuntimeError: blocked" in row["verdict"]
        kept = out / "tasks" / "EC_LiPF6-4molal/T300K/r0" / "result.json"
        before = kept.read_bytes()

        block.unlink()
        second = run_screen(plan, out, client=client, progress=False, plots=False)
    assert (second.n_done, second.n_skipped, second.n_failed) == (1, 1, 0)
    assert list(second.task_s) == [failed]  # only the failed task ran again
    assert kept.read_bytes() == before
    assert not (out / "tasks" / failed / "error.json").exists()
    assert pd.read_csv(out / "failures.csv").empty
    tasks = pd.read_csv(out / "tasks.csv")
    assert sorted(tasks["composition"]) == ["EC_LiPF6-3molal", "EC_LiPF6-4molal"]
    summary = second.summary
    # each composition's one replica finished (its 4 fs density is not yet valid: no number)
    assert (summary["n_failed"] == 0).all()
    assert list(summary["n_replicas"] + summary["n_invalid"]) == [1, 1]
    assert "failed" not in " ".join(summary["verdict"])
    shutil.rmtree(out)


def test_a_task_folder_left_by_a_killed_screen_is_no_failure_and_its_row_says_not_run(
        tmp_path):
    # a screen killed midway leaves task folders without result.json or error.json
    _folder(tmp_path, lambda c, r: {"density": _property(1.2 + 0.01 * r)} if c == 4.0 else None)
    (tmp_path / "tasks" / "EC_LiPF6-3molal" / "T300K" / "r0" / "initial.extxyz").write_text("")
    table = aggregate(tmp_path, plots=False).set_index("composition")
    assert list(table.index) == ["EC_LiPF6-3molal", "EC_LiPF6-4molal"]
    row = table.loc["EC_LiPF6-3molal"]
    assert (row["n_replicas"], row["n_failed"], row["n_planned"]) == (0, 0, 2)
    assert math.isnan(row["mean"]) and not row["valid"]
    assert "2/2 planned replicas not finished" in row["verdict"]
    assert pd.read_csv(tmp_path / "failures.csv").empty
    assert json.loads((tmp_path / "plan.json").read_text())["replicas"] == 2


@pytest.mark.parametrize("address, message", [
    ("tcp://127.0.0.1:99999", "port 99999 is no TCP port"),
    ("tcp://127.0.0.1:0", "port 0 is no TCP port"),
    ("no-such-host.invalid:8786", "host 'no-such-host.invalid' is not known"),
    ("tcp://256.1.1.1:8786", "host '256.1.1.1' is not known"),
    ("localhost", "missing port number"),
    ("http://127.0.0.1:8787", "unknown address scheme 'http'"),
])
def test_a_scheduler_address_that_cannot_exist_is_refused_at_once(tmp_path, address, message):
    import time

    outdir = tmp_path / "new" / "screen"
    start = time.perf_counter()
    with pytest.raises(PlanError, match=f"cannot reach the dask scheduler at '{address}'.*"
                                        f"{message}.*nothing was submitted"):
        run_screen(_plan(), outdir, scheduler=address, progress=False)
    assert time.perf_counter() - start < 20  # was distributed's 30 s connect timeout
    assert not (tmp_path / "new").exists()
