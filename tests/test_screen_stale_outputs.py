"""What an earlier aggregation drew or compared does not outlive it: a rerun of the screen
(more replicas, a replica run again: new means) without plots or without the experimental table
left the earlier figures, ``comparison.csv`` and ``errors.csv`` beside the new table, as if
made from it."""

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")

from test_screen_failures import _folder, _property  # noqa: E402

from ase_electrolyte.screen import aggregate  # noqa: E402
from ase_electrolyte.screen.task import write_json  # noqa: E402


def _screened(tmp_path):
    plan = _folder(tmp_path, lambda c, r: {"density": _property(1.2 + 0.01 * r + c / 100)},
                   replicas=5)
    exp = tmp_path / "exp.csv"
    exp.write_text("solvent,salt,concentration,property,value\nEC,LiPF6,3.0,density,1.24\n"
                   "EC,LiPF6,4.0,density,1.26\n")
    aggregate(tmp_path, experimental=exp, plots=True)
    plots = tmp_path / "plots"
    assert (plots / "density.png").exists() and (plots / "parity_density.png").exists()
    assert (tmp_path / "comparison.csv").exists() and (tmp_path / "errors.csv").exists()
    (plots / "notes.png").write_bytes(b"mine")  # a file of the user's in the same folder
    return plan, exp


def test_an_aggregation_without_plots_or_experiment_removes_the_earlier_ones(tmp_path):
    _screened(tmp_path)
    assert len(aggregate(tmp_path, plots=False)) == 2
    assert not (tmp_path / "plots" / "density.png").exists()
    assert not (tmp_path / "plots" / "parity_density.png").exists()
    assert not (tmp_path / "comparison.csv").exists() and not (tmp_path / "errors.csv").exists()
    assert (tmp_path / "plots" / "notes.png").read_bytes() == b"mine"


def test_each_output_of_a_new_aggregation_is_made_from_its_table(tmp_path):
    plan, exp = _screened(tmp_path)
    old = pd.read_csv(tmp_path / "comparison.csv").set_index("concentration")
    # replica 0 of 3 molal run again: the table's mean moves
    task = plan.tasks()[0]
    write_json(tmp_path / "tasks" / task.id / "result.json",
               {"task": task.id, "status": "done", "seed": task.seed,
                "properties": {"density": _property(1.5)}})
    summary = aggregate(tmp_path, experimental=exp, plots=False).set_index("concentration")
    comparison = pd.read_csv(tmp_path / "comparison.csv").set_index("concentration")
    assert comparison.loc[3.0, "mean"] == pytest.approx(summary.loc[3.0, "mean"], rel=1e-12)
    assert comparison.loc[3.0, "mean"] != pytest.approx(old.loc[3.0, "mean"], rel=1e-6)
    # no figure of the earlier table is left
    assert not (tmp_path / "plots" / "density.png").exists()
    assert not list((tmp_path / "plots").glob("parity_*.png"))
