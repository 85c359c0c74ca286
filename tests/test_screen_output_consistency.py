"""The files of one aggregation are made from one table, or the earlier call's are kept whole.

A write that failed midway (a full disk at ``summary.parquet``), a figure that could not be
drawn, or an experimental table refused against the summary (a unit of another dimension,
found only there) left the earlier call's outputs beside the new ones: a new ``summary.csv``
with an old ``summary.parquet``, old figures, an old ``comparison.csv``. And a ``plan.json``
edited or damaged by hand was a ``KeyError`` traceback, an empty table without a word, or a
table that never came back (``replicas = 1e9``)."""

import errno
import json
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")
pytest.importorskip("matplotlib")

from test_screen_failures import _folder, _plan, _property  # noqa: E402

from ase_electrolyte.screen import PlanError, aggregate, run_screen  # noqa: E402
from ase_electrolyte.screen.task import write_json  # noqa: E402

module = __import__("ase_electrolyte.screen.aggregate", fromlist=["plot_summary"])


def _transference(value):
    return {"value": value, "stderr": 0.01, "unit": "1", "converged": True, "verdict": "valid"}


def _screened(tmp_path, shift=0.0):
    plan = _folder(tmp_path, lambda c, r: {"density": _property(1.2 + 0.01 * r + shift),
                                           "x.t": _transference(0.3 + 0.01 * r)}, replicas=5)
    exp = tmp_path / "exp.csv"
    exp.write_text("solvent,salt,concentration,property,value,unit\n"
                   "EC,LiPF6,3.0,density,1.24,\nEC,LiPF6,4.0,density,1.26,\n"
                   "EC,LiPF6,4.0,x.t,0.3,\n")
    aggregate(tmp_path, experimental=exp, plots=True)
    for name in ("comparison.csv", "errors.csv", "plots/density.png",
                 "plots/parity_density.png"):
        assert (tmp_path / name).exists(), name
    return plan, exp


def _rerun_replica(tmp_path, plan, value):
    task = plan.tasks()[0]
    write_json(tmp_path / "tasks" / task.id / "result.json",
               {"task": task.id, "status": "done", "seed": task.seed,
                "properties": {"density": _property(value), "x.t": _transference(0.3)}})


def _tables(tmp_path):
    return {name: (tmp_path / name).read_bytes()
            for name in ("tasks.csv", "failures.csv", "summary.csv", "summary.parquet")}


def _no_temporary_files(folder):
    return not [p for p in Path(folder).rglob(".*") if p.is_file()]


def test_a_full_disk_at_the_parquet_table_keeps_every_earlier_table(tmp_path, monkeypatch):
    plan, _ = _screened(tmp_path)
    before = _tables(tmp_path)
    _rerun_replica(tmp_path, plan, 1.5)  # the new table would differ

    def full(self, path, **options):
        Path(path).write_bytes(b"PAR1")  # a part of it written, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    with pytest.raises(OSError, match="No space left on device"):
        aggregate(tmp_path, plots=False)
    assert _tables(tmp_path) == before
    assert _no_temporary_files(tmp_path)


def test_a_figure_that_cannot_be_drawn_leaves_no_earlier_figure_or_comparison(tmp_path,
                                                                           monkeypatch):
    plan, exp = _screened(tmp_path)
    _rerun_replica(tmp_path, plan, 1.5)

    def broken(summary, folder):
        raise RuntimeError("no font")

    monkeypatch.setattr(module, "plot_summary", broken)
    with pytest.raises(RuntimeError, match="no font"):
        aggregate(tmp_path, experimental=exp, plots=True)
    # the tables are the new ones; nothing drawn or compared from the earlier table is left
    summary = pd.read_csv(tmp_path / "summary.csv").set_index(["concentration", "property"])
    assert summary.loc[(3.0, "density"), "mean"] > 1.25
    assert not list((tmp_path / "plots").glob("*.png"))
    assert not (tmp_path / "comparison.csv").exists() and not (tmp_path / "errors.csv").exists()


def test_an_experimental_table_refused_against_the_summary_leaves_no_earlier_comparison(
        tmp_path):
    plan, exp = _screened(tmp_path)
    # x.t is no property the table knows: its unit is checked against the summary's only
    exp.write_text("solvent,salt,concentration,property,value,unit\n"
                   "EC,LiPF6,3.0,density,1.24,\nEC,LiPF6,4.0,x.t,0.3,mS/cm\n")
    with pytest.raises(PlanError, match=r"row 2 .*cannot convert 'mS/cm' \(conductivity\) to "
                                        r"'1' \(dimensionless\)"):
        aggregate(tmp_path, experimental=exp, plots=True)
    assert not (tmp_path / "comparison.csv").exists() and not (tmp_path / "errors.csv").exists()
    assert not list((tmp_path / "plots").glob("parity_*.png"))
    # the table and its own figure are this call's
    assert (tmp_path / "summary.csv").exists() and (tmp_path / "plots" / "density.png").exists()


DAMAGED = [
    ({"compositions": [{"label": "EC_LiPF6-3molal"}]},
     "composition 1 has no concentration, ratio, salt, solvent, units"),
    ({"compositions": "EC_LiPF6-3molal"}, "compositions 'EC_LiPF6-3molal' is not a list"),
    ({"temperatures": "300"}, r"temperatures '300' is not a list of temperatures > 0 \(K\)"),
    ({"temperatures": []}, r"temperatures \[\] is not a list of temperatures"),
    ({"replicas": "5"}, "replicas '5' is not a whole number from 1 to 100000"),
    ({"replicas": -1}, "replicas -1 is not a whole number from 1 to 100000"),
    ({"replicas": 10**9}, "replicas 1000000000 is not a whole number from 1 to 100000"),
    ({"replicas": 2.0}, "replicas 2.0 is not a whole number"),
    ({"replicas": 60000}, "120000 tasks recorded, more than a plan may hold"),
    ({"planned": {"compositions": "all", "temperatures": [300], "replicas": 2}},
     "planned .* is not a table of composition labels"),
    ({"planned": {"compositions": [], "temperatures": [300], "replicas": 0}},
     "planned replicas 0 is not a whole number"),
]


@pytest.mark.parametrize("change, message", DAMAGED)
def test_a_damaged_plan_record_is_named_by_the_table(tmp_path, change, message):
    _folder(tmp_path, lambda c, r: {"density": _property(1.2 + 0.01 * r)})
    record = json.loads((tmp_path / "plan.json").read_text())
    record.update(change)
    write_json(tmp_path / "plan.json", record)
    with pytest.raises(PlanError, match=rf"plan.json: {message}.*not a usable screening plan "
                                        "record"):
        aggregate(tmp_path, plots=False)
    assert not (tmp_path / "summary.csv").exists()


@pytest.mark.parametrize("change, message", DAMAGED[:3] + DAMAGED[4:5])
def test_a_damaged_plan_record_is_refused_by_a_rerun_before_submitting(tmp_path, change,
                                                                      message):
    _folder(tmp_path, lambda c, r: {"density": _property(1.2 + 0.01 * r)})
    record = json.loads((tmp_path / "plan.json").read_text())
    record.update(change)
    write_json(tmp_path / "plan.json", record)
    written = (tmp_path / "plan.json").read_bytes()
    # client=object(): anything submitted would fail on it; the refusal comes first
    with pytest.raises(PlanError, match=message):
        run_screen(_plan(), tmp_path, client=object(), progress=False, plots=False)
    assert (tmp_path / "plan.json").read_bytes() == written
