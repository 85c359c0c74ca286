"""A row of the screening table averages the replicas that finished; where some of the replicas
the plan asks for have not (queued, still running, lost with a killed screen, or asked for by a
later plan with more replicas), the row says how many of the planned ones it holds and is not
valid: five of eight replicas made a row valid before, whichever five had ended first."""

import json
import math

import pytest

pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from test_screen_failures import _folder, _plan, _property  # noqa: E402

from ase_electrolyte.screen import aggregate  # noqa: E402
from ase_electrolyte.screen.engine import _prepare_outdir  # noqa: E402
from ase_electrolyte.screen.task import write_json  # noqa: E402
from mda_electrolyte.uncertainty import mean_error  # noqa: E402


def _density(c, r):
    return {"density": _property(1.2 + 0.01 * r + 0.001 * r * r)}


def test_a_row_with_planned_replicas_not_run_is_not_valid_and_counts_them(tmp_path):
    # 8 planned; at 3 molal replicas 5-7 not run (5 valid finished: enough for a valid row)
    _folder(tmp_path, lambda c, r: _density(c, r) if c == 4.0 or r < 5 else None, replicas=8)
    table = aggregate(tmp_path, plots=False).set_index("concentration")
    row = table.loc[3.0]
    values = [1.2 + 0.01 * r + 0.001 * r * r for r in range(5)]
    mean, sem, _ = mean_error(values)
    # the numbers of the finished replicas are kept, but the row is no result of the plan
    assert row["mean"] == pytest.approx(mean, rel=1e-12)
    assert row["sem"] == pytest.approx(sem, rel=1e-9)
    assert (row["n_replicas"], row["n_invalid"], row["n_failed"], row["n_planned"]) == (
        5, 0, 0, 8)
    assert not row["valid"]
    assert row["verdict"] == ("3/8 planned replicas not finished (not run yet, still running, "
                              "or stopped without a record): run the screen again to complete "
                              "them")
    # all eight finished at 4 molal: valid, and says it holds all of them
    assert table.loc[4.0, "valid"] and table.loc[4.0, "verdict"] == "valid"
    assert (table.loc[4.0, "n_replicas"], table.loc[4.0, "n_planned"]) == (8, 8)
    # the files say the same
    csv = pd.read_csv(tmp_path / "summary.csv").set_index("concentration")
    assert (csv.loc[3.0, "n_planned"], bool(csv.loc[3.0, "valid"])) == (8, False)
    assert pd.read_parquet(tmp_path / "summary.parquet")["n_planned"].tolist() == [8, 8]


def test_a_started_task_folder_without_a_record_is_a_replica_not_finished(tmp_path):
    # a screen killed mid-task leaves the folder with its box and a partial trajectory
    _folder(tmp_path, lambda c, r: _density(c, r) if r < 5 else None, replicas=6)
    for c in ("3", "4"):
        (tmp_path / "tasks" / f"EC_LiPF6-{c}molal" / "T300K" / "r5" / "initial.extxyz"
         ).write_text("")
    table = aggregate(tmp_path, plots=False)
    assert not table["valid"].any() and (table["n_planned"] == 6).all()
    assert table["verdict"].str.startswith("1/6 planned replicas not finished").all()


def test_failed_and_unfinished_replicas_are_each_counted_once(tmp_path):
    def outcome(c, r):
        if r == 0:
            return "RuntimeError: MD blew up"
        return _density(c, r) if r < 6 or c == 4.0 else None

    _folder(tmp_path, outcome, replicas=7)
    row = aggregate(tmp_path, plots=False).set_index("concentration").loc[3.0]
    # r0 failed, r1-r5 finished, r6 not run: 5 + 1 + 1 = 7 planned
    assert (row["n_replicas"], row["n_failed"], row["n_planned"]) == (5, 1, 7)
    assert "1/7 planned replicas not finished" in row["verdict"]
    assert "1 replica(s) failed: RuntimeError: MD blew up (1/6 replicas)" in row["verdict"]
    assert not row["valid"]


def test_a_replica_that_finished_without_numbers_is_no_replica_still_to_run(tmp_path):
    # its result.json holds no property (every analysis refused): it finished, gave nothing
    _folder(tmp_path, lambda c, r: {} if r == 5 else _density(c, r), replicas=6)
    row = aggregate(tmp_path, plots=False).set_index("concentration").loc[3.0]
    assert (row["n_replicas"], row["n_invalid"], row["n_planned"]) == (5, 1, 6)
    assert "not finished" not in row["verdict"]
    assert "no value from 1/6 replicas" in row["verdict"] and not row["valid"]


def test_more_replicas_recorded_by_a_later_plan_make_the_earlier_rows_incomplete(tmp_path):
    # five replicas finished and valid; a plan of seven replicas was recorded into the folder
    # (its screen stopped before its new tasks ran)
    _folder(tmp_path, _density, replicas=5)
    before = aggregate(tmp_path, plots=False)
    assert before["valid"].all() and (before["n_planned"] == 5).all()
    _prepare_outdir(_plan(7, n_atoms=600), tmp_path)
    assert json.loads((tmp_path / "plan.json").read_text())["replicas"] == 7
    after = aggregate(tmp_path, plots=False)
    assert not after["valid"].any() and (after["n_planned"] == 7).all()
    assert after["verdict"].str.contains("2/7 planned replicas not finished").all()
    # the numbers of the five are unchanged
    assert after["mean"].tolist() == before["mean"].tolist()


def test_a_composition_none_of_whose_replicas_finished_yet_has_its_rows_marked_not_run(
        tmp_path):
    # it was missing from the table, as if the plan had never asked for it
    _folder(tmp_path, lambda c, r: _density(c, r) if c == 4.0 else None, replicas=5)
    table = aggregate(tmp_path, plots=False).set_index("concentration")
    assert list(table.index) == [3.0, 4.0] and table.loc[4.0, "valid"]
    row = table.loc[3.0]
    assert (row["n_replicas"], row["n_failed"], row["n_planned"]) == (0, 0, 5)
    assert math.isnan(row["mean"]) and math.isnan(row["sem"]) and not row["valid"]
    assert row["verdict"] == ("no valid replica; 5/5 planned replicas not finished (not run "
                              "yet, still running, or stopped without a record): run the screen "
                              "again to complete them")
    # a replica that failed brings the composition in, with every replica it lacks counted
    folder = tmp_path / "tasks" / "EC_LiPF6-3molal" / "T300K" / "r2"
    write_json(folder / "error.json", {"task": "EC_LiPF6-3molal/T300K/r2", "status": "failed",
                                       "error": "RuntimeError: no box"})
    row = aggregate(tmp_path, plots=False).set_index("concentration").loc[3.0]
    assert (row["n_failed"], row["n_planned"]) == (1, 5) and math.isnan(row["mean"])
    assert "4/5 planned replicas not finished" in row["verdict"] and not row["valid"]
