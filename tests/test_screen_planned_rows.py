"""Every (composition, temperature) the latest plan asks for has its rows in the screening table,
and only the replicas that plan asks for are counted as not finished.

A composition none of whose replicas had ended (all queued, running, or lost with a killed
screen) was missing from the table, the files and the figures, as if never planned. And
``plan.json`` keeps the union of every plan run into its folder (the most replicas among
them): a rerun with 5 replicas after a plan of 8 reported "3/8 planned replicas not finished"
for replicas no plan asks for any more, and a composition dropped from the plan stayed "not
run" for ever. The latest plan's own grid is recorded as ``planned``."""

import json
import math

import pytest

pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
pytest.importorskip("matplotlib")

from test_screen_failures import _folder, _plan, _property  # noqa: E402

from ase_electrolyte.screen import aggregate, run_screen  # noqa: E402
from ase_electrolyte.screen.aggregate import NO_NUMBER_LABEL  # noqa: E402
from ase_electrolyte.screen.engine import _prepare_outdir  # noqa: E402
from ase_electrolyte.screen.plan import box_of, packed_concentration  # noqa: E402
from ase_electrolyte.screen.task import write_json  # noqa: E402
from mda_electrolyte.uncertainty import mean_error  # noqa: E402

NOT_FINISHED = ("planned replicas not finished (not run yet, still running, or stopped without "
                "a record): run the screen again to complete them")


def _density(r):
    return {"density": _property(1.2 + 0.01 * r + 0.001 * r * r)}


def _by_concentration(table):
    return table.set_index("concentration")


def test_a_composition_not_run_has_its_rows_in_the_table_files_and_figure(tmp_path, monkeypatch):
    _folder(tmp_path, lambda c, r: _density(r) if c == 4.0 else None, replicas=5)
    drawn = {}
    module = __import__("ase_electrolyte.screen.aggregate", fromlist=["save_figure"])
    save = module.save_figure

    def keep(fig, path, **options):
        drawn[path.stem] = fig.axes
        return save(fig, path, **options)

    monkeypatch.setattr(module, "save_figure", keep)
    table = _by_concentration(aggregate(tmp_path))
    row = table.loc[3.0]
    assert (row["n_replicas"], row["n_invalid"], row["n_failed"], row["n_planned"]) == (
        0, 0, 0, 5)
    assert math.isnan(row["mean"]) and not row["valid"]
    assert row["verdict"] == f"no valid replica; 5/5 {NOT_FINISHED}"
    # the box the plan packs (_folder's 600 atoms of EC with 3 molal LiPF6 hold 2.95 molal)
    box = box_of(_plan().compositions[0], 600, None)
    assert row["packed_concentration"] == pytest.approx(
        packed_concentration(box, "LiPF6", "molal")[0], rel=1e-12)
    assert row["packed_concentration"] != 3.0
    for name in ("summary.csv", "summary.parquet"):
        read = pd.read_csv if name.endswith(".csv") else pd.read_parquet
        written = _by_concentration(read(tmp_path / name))
        assert written.loc[3.0, "verdict"] == row["verdict"]
        assert not bool(written.loc[3.0, "valid"]) and written.loc[3.0, "n_planned"] == 5
    # in the figure: a cross on the bottom edge at its packed concentration, named in the legend
    [ax] = drawn["density"]
    crosses = [line for line in ax.get_lines() if line.get_marker() == "x"]
    assert [list(line.get_xdata()) for line in crosses] == [[row["packed_concentration"]]]
    assert NO_NUMBER_LABEL in [t.get_text() for t in ax.get_legend().get_texts()]


def test_a_composition_whose_replicas_all_timed_out_says_so(tmp_path):
    timeout = ("TaskTimeout: stopped at the plan's task_timeout_s = 60 s; its partial run stays "
               "in its folder and the next run of the screen resumes it (raise task_timeout_s "
               "to let it finish)")
    _folder(tmp_path, lambda c, r: _density(r) if c == 4.0 else timeout, replicas=5)
    row = _by_concentration(aggregate(tmp_path, plots=False)).loc[3.0]
    assert (row["n_failed"], row["n_planned"]) == (5, 5) and not row["valid"]
    assert row["verdict"] == f"no valid replica; 5 replica(s) failed: {timeout} (5/5 replicas)"


def test_a_rerun_with_fewer_replicas_plans_only_those(tmp_path):
    # a plan of 8 replicas, killed after 5 had finished at each composition
    _folder(tmp_path, lambda c, r: _density(r) if r < 5 else None, replicas=8)
    before = aggregate(tmp_path, plots=False)
    assert before["verdict"].str.endswith(f"3/8 {NOT_FINISHED}").all()
    # the same plan with 5 replicas: nothing to run, and the rows are its results
    result = run_screen(_plan(5, n_atoms=600), tmp_path, progress=False, plots=False)
    assert (result.n_tasks, result.n_skipped, result.n_done) == (10, 10, 0)
    table = result.summary
    assert table["valid"].all() and (table["verdict"] == "valid").all()
    assert (table["n_planned"] == 5).all() and (table["n_replicas"] == 5).all()
    mean, sem, _ = mean_error([1.2 + 0.01 * r + 0.001 * r * r for r in range(5)])
    assert table["mean"].to_numpy() == pytest.approx([mean, mean], rel=1e-12)
    assert table["sem"].to_numpy() == pytest.approx([sem, sem], rel=1e-9)
    record = json.loads((tmp_path / "plan.json").read_text())
    # the union stays recorded (the tasks of r5-r7 may be resumed by a later plan of 8)
    assert record["replicas"] == 8 and record["planned"]["replicas"] == 5


def test_replicas_a_larger_plan_finished_are_kept_after_a_rerun_with_fewer(tmp_path):
    # 8 finished at 4 molal, 6 at 3 molal; the plan now asks for 5: no finished number is
    # dropped from the table, and none of the 8 counts as missing
    _folder(tmp_path, lambda c, r: _density(r) if c == 4.0 or r < 6 else None, replicas=8)
    _prepare_outdir(_plan(5, n_atoms=600), tmp_path)
    table = _by_concentration(aggregate(tmp_path, plots=False))
    assert (table.loc[4.0, "n_replicas"], table.loc[4.0, "n_planned"]) == (8, 8)
    assert (table.loc[3.0, "n_replicas"], table.loc[3.0, "n_planned"]) == (6, 6)
    assert table["valid"].all()
    mean, _, _ = mean_error([1.2 + 0.01 * r + 0.001 * r * r for r in range(8)])
    assert table.loc[4.0, "mean"] == pytest.approx(mean, rel=1e-12)


def test_a_replica_a_larger_plan_saw_fail_still_counts_after_a_rerun_with_fewer(tmp_path):
    # a failure is kept whatever the plan asks now: leaving it out would let an edit of the
    # plan hide an MD that blew up in one of eight replicas
    _folder(tmp_path, lambda c, r: "RuntimeError: MD blew up" if r == 6 else
            (_density(r) if r < 6 else None), replicas=8)
    _prepare_outdir(_plan(5, n_atoms=600), tmp_path)
    table = aggregate(tmp_path, plots=False)
    assert (table["n_failed"] == 1).all() and (table["n_planned"] == 7).all()
    assert not table["valid"].any()
    assert table["verdict"].str.contains("1 replica[(]s[)] failed: RuntimeError: MD blew up").all()
    assert not table["verdict"].str.contains("not finished").any()


def test_more_replicas_than_before_count_the_new_ones_as_not_finished(tmp_path):
    _folder(tmp_path, lambda c, r: _density(r), replicas=5)
    _prepare_outdir(_plan(8, n_atoms=600), tmp_path)
    table = aggregate(tmp_path, plots=False)
    assert (table["n_planned"] == 8).all() and not table["valid"].any()
    assert table["verdict"].str.endswith(f"3/8 {NOT_FINISHED}").all()
    # and back to 5: valid again
    _prepare_outdir(_plan(5, n_atoms=600), tmp_path)
    assert aggregate(tmp_path, plots=False)["valid"].all()


def test_a_composition_dropped_from_the_plan_keeps_its_results_but_is_not_planned(tmp_path):
    # 3 and 4 molal planned; 4 molal finished; 3 molal never ran. The plan now holds 4 and
    # 1 molal: 3 molal is no longer asked for (no row), 1 molal is (rows, not run yet)
    _folder(tmp_path, lambda c, r: _density(r) if c == 4.0 else None, replicas=5)
    _prepare_outdir(_plan(5, concentrations=(4.0, 1.0), n_atoms=600), tmp_path)
    table = _by_concentration(aggregate(tmp_path, plots=False))
    assert list(table.index) == [1.0, 4.0]
    assert table.loc[4.0, "valid"] and not table.loc[1.0, "valid"]
    assert table.loc[1.0, "verdict"] == f"no valid replica; 5/5 {NOT_FINISHED}"
    # dropped after it finished: its results stay in the table, complete as they are
    _prepare_outdir(_plan(5, concentrations=(1.0,), n_atoms=600), tmp_path)
    table = _by_concentration(aggregate(tmp_path, plots=False))
    assert list(table.index) == [1.0, 4.0]
    assert table.loc[4.0, "valid"] and table.loc[4.0, "n_planned"] == 5


def test_a_record_of_an_earlier_version_plans_its_union(tmp_path):
    _folder(tmp_path, lambda c, r: _density(r) if c == 4.0 else None, replicas=5)
    record = json.loads((tmp_path / "plan.json").read_text())
    del record["planned"]
    write_json(tmp_path / "plan.json", record)
    table = _by_concentration(aggregate(tmp_path, plots=False))
    assert list(table.index) == [3.0, 4.0] and table.loc[4.0, "valid"]
    assert table.loc[3.0, "n_planned"] == 5 and not table.loc[3.0, "valid"]
