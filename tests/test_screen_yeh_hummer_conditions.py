"""The Yeh–Hummer correction of a compared D uses the temperature the replicas measured and
holds only for the cube it was derived for.

It took the plan's set temperature (a short run's thermostat mean differs) and a cube of side
V^(1/3) whatever the box: a 20 × 20 × 30 Å box, or a triclinic one, was corrected with the
cubic ξ (Kikugawa et al. 2015: the correction differs by direction). Now every task records its
production's mean temperature and final box, the table carries ``measured_temperature_K`` and
``box_shape``, and a D whose box is not a cube, or whose box or temperature no replica recorded
(tasks of an earlier version), is compared only with the reason it is not valid."""

import math

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")

from test_screen_failures import _folder, _plan  # noqa: E402
from test_screen_finite_size_diffusion import _experiment, _measured, _replica, _run  # noqa: E402

from ase_electrolyte.screen import aggregate, run_screen, task_table  # noqa: E402


def _compared(tmp_path, simulation):
    _folder(tmp_path, lambda c, r: _replica(r), replicas=5, simulation=simulation)
    exp = _experiment(tmp_path / "exp.csv", ["EC,LiPF6,3.0,D_Li,1.6e-10,,m^2/s",
                                             "EC,LiPF6,4.0,D_Li,1.4e-10,,m^2/s",
                                             "EC,LiPF6,5.0,D_Li,1.2e-10,,m^2/s"])
    table = aggregate(tmp_path, experimental=exp, plots=False)
    comparison = pd.read_csv(tmp_path / "comparison.csv", keep_default_na=False,
                             na_values=[""])
    return table, comparison


@pytest.mark.parametrize("cell, shape", [
    ((20.0, 20.0, 30.0, 90.0, 90.0, 90.0), "20 x 20 x 30 Å, angles 90, 90, 90°"),
    ((20.0, 20.0, 20.0, 90.0, 90.0, 60.0), "20 x 20 x 20 Å, angles 90, 90, 60°"),
])
def test_a_box_that_is_not_a_cube_gets_no_cubic_correction(tmp_path, cell, shape):
    table, comparison = _compared(tmp_path, lambda c, r: _run(c, r, cell))
    assert set(table["box_shape"]) == {shape}
    # the table's own numbers are those of the box as it is: still valid
    assert table.loc[table["property"] == "D_Li", "valid"].all()
    assert not comparison["valid"].any()
    assert comparison["finite_size_correction"].isna().all()
    assert (comparison["mean"] == comparison["mean_periodic_box"]).all()
    for verdict in comparison["verdict"]:
        assert f"the box is not cubic ({shape})" in verdict and "Kikugawa et al. 2015" in verdict
    errors = pd.read_csv(tmp_path / "errors.csv").iloc[0]
    assert (errors["n"], errors["n_excluded"]) == (0, 2)


def test_one_replica_in_a_box_that_is_not_a_cube_is_enough_to_refuse(tmp_path):
    def run(c, r):
        return _run(c, r, (20.0, 20.0, 23.0, 90.0, 90.0, 90.0) if r == 3 else
                    (20.0, 20.0, 20.0, 90.0, 90.0, 90.0))

    table, comparison = _compared(tmp_path, run)
    assert set(table["box_shape"]) == {"20 x 20 x 23 Å, angles 90, 90, 90°"}
    assert not comparison["valid"].any()


def test_a_cube_within_the_analyses_tolerance_is_corrected_with_the_measured_temperature(
        tmp_path):
    # lengths 0.5 % apart: the 1 % tolerance of mda_electrolyte.diffusion.check_cubic_box
    table, comparison = _compared(
        tmp_path, lambda c, r: _run(c, r, (20.0, 20.1, 20.0, 90.0, 90.2, 90.0)))
    assert set(table["box_shape"]) == {"cubic"}
    measured = np.mean([_measured(r) for r in range(5)])
    assert table["measured_temperature_K"].to_numpy() == pytest.approx(measured, rel=1e-12)
    assert comparison["valid"].all()
    # T enters linearly: the same folder at the set temperature gives a correction smaller by
    # 300 K / measured
    again = tmp_path / "set"
    set_t = lambda c, r: {**_run(c, r), "temperature": {"value": 300.0}}  # noqa: E731
    _, at_set = _compared(again, set_t)
    ratio = comparison["finite_size_correction"] / at_set["finite_size_correction"]
    assert ratio.to_numpy() == pytest.approx(measured / 300.0, rel=1e-12)


@pytest.mark.parametrize("record, reason", [
    (None, "its replicas recorded no box (tasks of an earlier version)"),
    ({"cell": [20.0, 20.0, 20.0, 90.0, 90.0, 90.0]},
     "its replicas recorded no measured temperature (tasks of an earlier version)"),
    ({"temperature": {"value": 301.0}, "cell": [20.0, "20", 20.0, 90.0, 90.0, 90.0]},
     "its replicas recorded no box"),
    ({"temperature": {"value": True}, "cell": [20.0, 20.0, 20.0, 90.0, 90.0, 90.0]},
     "recorded no measured temperature"),
    ({"temperature": {"value": 10**400}, "cell": [20.0] * 3 + [90.0] * 3},
     "recorded no measured temperature"),
    ({"temperature": 300.0, "cell": {"a": 20}}, "recorded no box"),
    ("not a dict", "recorded no box"),
])
def test_conditions_not_recorded_are_named_and_not_compared(tmp_path, record, reason):
    simulation = None if record is None else (lambda c, r: record)
    table, comparison = _compared(tmp_path, simulation)
    # the table itself reads: the tasks' own numbers are kept, valid
    assert table.loc[table["property"] == "D_Li", "valid"].all()
    assert not comparison["valid"].any()
    assert comparison["verdict"].str.contains(reason, regex=False).all(), comparison["verdict"]
    rows, _ = task_table(tmp_path)
    assert len(rows) and rows["verdict"].eq("valid").all()


def test_a_screened_task_records_its_temperature_and_box(tmp_path):
    plan = _plan(replicas=1, concentrations=(3.0,))
    result = run_screen(plan, tmp_path, progress=False, plots=False, n_workers=1)
    assert result.n_done == 1, result.failures
    rows, _ = task_table(tmp_path)
    measured = rows["measured_temperature_K"].iloc[0]
    assert math.isfinite(measured) and measured > 0
    cell = [float(x) for x in rows["cell"].iloc[0].split()]
    assert len(cell) == 6 and cell[3:] == pytest.approx([90.0, 90.0, 90.0])
    table = result.summary
    assert set(table["box_shape"]) == {"cubic"}
    assert table["measured_temperature_K"].to_numpy() == pytest.approx(measured)


def test_the_corrected_d_has_the_welch_satterthwaite_dof_of_its_two_errors(tmp_path):
    table, comparison = _compared(tmp_path, _run)
    table = table.set_index(["concentration", "property"])
    comparison = comparison.set_index(["concentration", "property"])
    for c in (3.0, 4.0):
        d, eta = table.loc[(c, "D_Li")], table.loc[(c, "viscosity")]
        assert d["dof"] == eta["dof"] == 4.0  # 5 replicas each
        row = comparison.loc[(c, "D_Li")]
        a = d["sem"]
        b = row["finite_size_correction"] * eta["sem"] / eta["mean"]
        # ν = (a² + b²)² / (a⁴/4 + b⁴/4), by hand: between 4 and 8
        expected = (a * a + b * b) ** 2 / (a**4 / 4 + b**4 / 4)
        assert row["dof"] == pytest.approx(expected, rel=1e-9)
        assert 4.0 < row["dof"] <= 8.0
        # no measured error given: the deviation's dof is the corrected D's
        assert row["deviation_dof"] == pytest.approx(row["dof"], rel=1e-9)
