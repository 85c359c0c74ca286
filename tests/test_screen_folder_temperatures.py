"""A rerun's temperature that shares task folders with a recorded one is refused.

Task folders are told apart by ``T{t:g}K`` (6 significant digits), and a task's seed follows
its folder. A plan at 300.0000001 K run into a folder of 300 K reused the 300 K tasks as its
own, and ``plan.json`` then recorded both temperatures: the table counted every replica twice,
in two rows at "300 K", both valid (16 rows for 8). Now the rerun is refused before anything is
recorded or submitted, naming the recorded temperature, and a record that already holds two
such temperatures is refused by the table instead of being read twice."""

import json

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")

from test_screen_failures import _folder, _plan  # noqa: E402
from test_screen_finite_size_diffusion import _replica, _run  # noqa: E402

from ase_electrolyte.screen import PlanError, aggregate  # noqa: E402
from ase_electrolyte.screen.engine import _prepare_outdir  # noqa: E402


def _finished(tmp_path):
    _folder(tmp_path, lambda c, r: _replica(r), replicas=5, simulation=_run)
    return (tmp_path / "plan.json").read_bytes()


@pytest.mark.parametrize("temperature", [300.0000001, 299.9999999, 300.0004])
def test_a_temperature_in_the_same_task_folders_is_refused_before_recording(tmp_path,
                                                                            temperature):
    before = _finished(tmp_path)
    with pytest.raises(PlanError, match=r"holds temperature 300 K \(task folders T300K\); "
                                        r"this plan's 300\.0+\d* K|this plan's 299\.9+ K"):
        _prepare_outdir(_plan(5, temperatures=[temperature], n_atoms=600), tmp_path)
    assert (tmp_path / "plan.json").read_bytes() == before
    table = aggregate(tmp_path, plots=False)
    # each replica in one row: 2 concentrations x 4 properties
    assert len(table) == 8 and set(table["n_replicas"]) == {5}


def test_the_same_temperature_or_another_folder_is_accepted(tmp_path):
    _finished(tmp_path)
    # the same, as written
    _prepare_outdir(_plan(5, temperatures=[300.0], n_atoms=600), tmp_path)
    # T300.001K: its own
    _prepare_outdir(_plan(5, temperatures=[300.001, 300.0], n_atoms=600), tmp_path)
    record = json.loads((tmp_path / "plan.json").read_text())
    assert record["temperatures"] == [300.0, 300.001]
    table = aggregate(tmp_path, plots=False)
    at_300 = table[table["temperature_K"] == 300.0]
    assert len(at_300) == 8 and at_300["valid"].all()
    # the new temperature is planned, not run: its rows say so, with no number
    new = table[table["temperature_K"] == 300.001]
    assert len(new) == 8 and not new["valid"].any() and new["mean"].isna().all()


def test_a_record_holding_two_temperatures_of_one_folder_is_refused_by_the_table(tmp_path):
    _finished(tmp_path)
    record = json.loads((tmp_path / "plan.json").read_text())
    record["temperatures"] = [300.0, 300.0000001]
    (tmp_path / "plan.json").write_text(json.dumps(record))
    with pytest.raises(PlanError, match=r"temperatures 300\.0 and 300\.0000001 K share the "
                                        r"task folders T300K"):
        aggregate(tmp_path, plots=False)
    assert not (tmp_path / "summary.csv").exists()
