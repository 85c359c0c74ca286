"""The screening table's errors carry their degrees of freedom, so that an interval from them
covers what it says.

A mean over n replicas has a t-scaled error of n − 1 degrees of freedom; it was written without
them, and an interval from it took the normal quantiles: ±2.59 of its errors at 95 % over 3
replicas instead of ±3.26, an 88 % interval called 95 %. A replica's own in-run error (blocks −
1) lost its dof on the way into ``result.json``; and the errors a comparison combines (D's with
its Yeh–Hummer term's, the simulation's with the measurement's) had none either. Now the table
has ``dof`` (replicas − 1), the comparison ``dof`` and ``deviation_dof`` (Welch–Satterthwaite),
``errors.csv`` ``dof`` (rows − 1), ``tasks.csv`` ``error_dof``, and
:func:`~ase_electrolyte.screen.summary_estimate` turns a row into an Estimate that uses them.
Calibrated over synthetic replicas (fixed seeds; binomial margins of 4σ)."""

import math

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from test_screen_failures import _folder  # noqa: E402

from ase_electrolyte.estimate import Estimate  # noqa: E402
from ase_electrolyte.screen import aggregate, summary_estimate, task_table  # noqa: E402
from ase_electrolyte.screen.aggregate import _combined_dof, _combined_error, _row  # noqa: E402
from ase_electrolyte.screen.task import task_properties  # noqa: E402

TRIALS = 1500
# 4 binomial standard deviations of a 95 % coverage over TRIALS intervals
MARGIN = 4 * math.sqrt(0.95 * 0.05 / TRIALS)


def _est(dof, unit="S/m", value=0.5):
    return {**Estimate(value, 0.05, unit, "t-scaled standard error over 5 blocks", 5,
                       dof=dof).to_dict()}


def test_a_replicas_in_run_dof_reaches_result_json_and_tasks_csv(tmp_path):
    props = task_properties({"density": _est(9.0, "g/cm^3", 1.2)},
                            {"einstein_helfand_conductivity": {"sigma": _est(4.0)},
                             "diffusion": {"D": {"Li": _est(None, "m^2/s", 1e-10)}}})
    assert props["density"]["dof"] == 9.0
    assert props["conductivity_eh"]["dof"] == 4.0  # converted to mS/cm, dof kept
    assert props["conductivity_eh"]["stderr"] == pytest.approx(0.5)
    assert "dof" not in props["D_Li"]  # a normal error stays without one
    # and the task table reads it back (NaN for a normal error)
    _folder(tmp_path, lambda c, r: {"density": props["density"], "D_Li": props["D_Li"]})
    rows, _ = task_table(tmp_path)
    assert set(rows.loc[rows["property"] == "density", "error_dof"]) == {9.0}
    assert rows.loc[rows["property"] == "D_Li", "error_dof"].isna().all()


@pytest.mark.parametrize("dof", [0, 0.5, -3, math.inf, math.nan, True, "4", [4], None])
def test_a_dof_that_is_no_count_of_freedom_is_dropped_not_raised_after_the_simulation(dof):
    est = {"value": 1.2, "stderr": 0.01, "unit": "g/cm^3", "method": "blocks",
           "n_samples": 5, "converged": True, "dof": dof}
    prop = task_properties({"density": est}, {})["density"]
    assert "dof" not in prop and prop["converged"] and prop["value"] == 1.2


def test_the_table_has_replicas_minus_one_dof_where_it_has_an_error(tmp_path):
    def outcome(c, r):
        if c == 3.0:
            return {"density": {"value": 1.2 + 0.01 * r, "stderr": 0.01, "unit": "g/cm^3",
                                "converged": True}}
        return {"density": {"value": 1.3, "stderr": 0.01, "unit": "g/cm^3",
                            "converged": r != 1, "verdict": "too short"}}

    _folder(tmp_path, outcome, replicas=6)
    table = aggregate(tmp_path, plots=False).set_index("concentration")
    assert table.loc[3.0, "dof"] == 5.0 and table.loc[3.0, "n_replicas"] == 6
    # identical replicas: no error, and no dof
    assert math.isnan(table.loc[4.0, "sem"]) and math.isnan(table.loc[4.0, "dof"])
    est = summary_estimate(table.loc[3.0])
    assert (est.dof, est.n_samples, est.unit, est.valid) == (5.0, 6, "g/cm^3", True)
    assert est.stderr == table.loc[3.0, "sem"]
    bad = summary_estimate(table.loc[4.0])
    assert not bad.valid and bad.dof is None and "no spread" in bad.verdict
    with pytest.raises(ValueError, match="a summary row needs mean, sem"):
        summary_estimate({"unit": "1", "valid": True, "verdict": "valid"})


def _replica_row(rng, n, truth=1.0, sigma=0.1):
    values = rng.normal(truth, sigma, n)
    group = pd.DataFrame({"value": values, "valid": [True] * n, "verdict": ["valid"] * n})
    return {**_row(group, n, []), "unit": "g/cm^3"}


@pytest.mark.parametrize("n, seed", [(3, 11), (5, 12)])
def test_the_95_percent_interval_of_a_row_covers_the_truth_95_percent_of_the_time(n, seed):
    rng = np.random.default_rng(seed)
    covered = normal = 0
    for _ in range(TRIALS):
        row = _replica_row(rng, n)
        est = summary_estimate(row)
        assert est.dof == n - 1
        low, high = est.interval(0.95, allow_invalid=True)  # 3 replicas: too few to be valid
        covered += low <= 1.0 <= high
        # the same error taken as normal, as the table's rows were read before
        half = 1.959964 * est.stderr
        normal += est.value - half <= 1.0 <= est.value + half
    assert abs(covered / TRIALS - 0.95) < MARGIN, covered / TRIALS
    if n == 3:
        # P(|t_2| < 1.96 · 1.32) = 0.88: the interval without dof is not what it says
        assert normal / TRIALS < 0.95 - MARGIN, normal / TRIALS


def test_a_deviation_from_a_measurement_has_welch_satterthwaite_dof_and_covers_95_percent():
    rng = np.random.default_rng(21)
    covered = 0
    measured_error = 0.05
    dofs = []
    for _ in range(TRIALS):
        row = _replica_row(rng, 3)
        measured = rng.normal(1.0, measured_error)
        error = _combined_error(row["sem"], measured_error)
        dof = _combined_dof(row["sem"], row["dof"], measured_error)
        dofs.append(dof)
        low, high = Estimate(row["mean"] - measured, error, "g/cm^3", "combined",
                             dof=dof).interval(0.95)
        covered += low <= 0.0 <= high
    # between the simulation's 2 and infinitely many: the measured error adds freedom
    assert 2.0 < min(dofs) and np.median(dofs) < 30
    assert abs(covered / TRIALS - 0.95) < MARGIN, covered / TRIALS
    # no measured error: the simulation's own dof; no simulation error: none
    assert _combined_dof(0.1, 2.0, math.nan) == pytest.approx(2.0)
    assert math.isnan(_combined_dof(math.nan, 2.0, 0.1))


def test_a_table_of_an_earlier_version_without_dof_has_replicas_minus_one(tmp_path):
    _folder(tmp_path, lambda c, r: {"density": {"value": 1.2 + 0.01 * r + 0.1 * c,
                                                "stderr": 0.01, "unit": "g/cm^3",
                                                "converged": True}}, replicas=5)
    old = aggregate(tmp_path, plots=False).drop(columns=["dof"])
    est = summary_estimate(old.iloc[0])
    assert est.dof == 4.0 and est.valid
    # and a comparison made from it carries them on
    exp = tmp_path / "exp.csv"
    exp.write_text("solvent,salt,concentration,property,value\nEC,LiPF6,3.0,density,1.5\n")
    from ase_electrolyte.screen import compare_experimental

    compare_experimental(old, exp, tmp_path, plots=False)
    row = pd.read_csv(tmp_path / "comparison.csv").iloc[0]
    assert row["dof"] == 4.0 and row["deviation_dof"] == 4.0
