"""Every empty number of ``summary.csv`` is explained by its row's verdict.

``box_length_A`` of a composition whose replicas gave no density was an empty field (NaN to a
CSV reader) in a row marked valid, with nothing saying why. The rule now, for every numeric
column of the summary that describes the number or its box (``mean``, ``sem``, ``dof``,
``packed_concentration``, ``cation_molality``, ``box_length_A``): empty only in a row that is
not valid, whose verdict names the reason. (``measured_temperature_K`` and ``box_shape`` are
records of the run, empty for tasks of an earlier version; the comparison of a D says so.)"""

import csv
import math

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")

from test_screen_failures import _folder  # noqa: E402

from ase_electrolyte.screen import aggregate  # noqa: E402

NUMBERS = ("mean", "sem", "dof", "packed_concentration", "cation_molality", "box_length_A")


def _prop(value, unit="g/cm^3", valid=True, stderr=0.01):
    return {"value": value, "stderr": stderr, "unit": unit, "method": "blocks", "n_samples": 5,
            "converged": valid, "verdict": "valid" if valid else "not finite"}


def _rows(tmp_path):
    with open(tmp_path / "summary.csv", newline="") as f:
        return list(csv.DictReader(f))


def _check_the_rule(tmp_path):
    rows = _rows(tmp_path)
    for row in rows:
        empty = [c for c in NUMBERS if row[c] == ""]
        if empty:
            assert row["valid"] == "False" and row["verdict"] != "valid", (empty, row)
        assert "nan" not in {row[c].lower() for c in NUMBERS}
    return rows


def test_no_density_leaves_the_box_side_empty_and_says_why(tmp_path):
    def outcome(c, r):
        if c == 3.0:  # the runs gave a non-finite density (a blown-up box)
            return {"density": _prop(None, valid=False),
                    "D_Li": _prop(1.0e-10 * (1 + 0.1 * r), "m^2/s")}
        # D's in-run error of its scatter over replicas: 0.01 m^2/s, 10^8 times that, is
        # "error bars not consistent" and not valid
        return {"density": _prop(1.3 + 0.01 * r), "D_Li": _prop(1.1e-10 * (1 + 0.1 * r),
                                                                 "m^2/s", stderr=1e-11)}

    _folder(tmp_path, outcome, replicas=5)
    aggregate(tmp_path, plots=False)
    rows = _check_the_rule(tmp_path)
    at3 = [r for r in rows if r["concentration"] == "3.0"]
    assert len(at3) == 2
    for row in at3:
        assert row["box_length_A"] == "" and row["valid"] == "False"
        assert "box_length_A unknown: no finished replica gave a density" in row["verdict"]
    d = next(r for r in at3 if r["property"] == "D_Li")
    assert d["mean"] != "" and math.isfinite(float(d["mean"]))
    # the other composition: every number there, valid
    for row in (r for r in rows if r["concentration"] == "4.0"):
        assert row["valid"] == "True" and all(row[c] != "" for c in NUMBERS)


def test_rows_without_replicas_or_spread_have_empty_numbers_with_their_reason(tmp_path):
    def outcome(c, r):
        if c == 3.0:
            return {"density": _prop(1.3)} if r == 0 else "RuntimeError: packing failed"
        return None  # not run

    _folder(tmp_path, outcome, replicas=3)
    aggregate(tmp_path, plots=False)
    rows = {r["concentration"]: r for r in _check_the_rule(tmp_path)}
    single = rows["3.0"]
    assert single["mean"] == "1.3" and single["sem"] == "" and single["dof"] == ""
    assert single["verdict"].startswith("single valid replica: no standard error")
    missing = rows["4.0"]
    assert all(missing[c] == "" for c in ("mean", "sem", "dof", "box_length_A"))
    assert "no valid replica" in missing["verdict"] and "not finished" in missing["verdict"]
    # packed where the plan packs it: a number, although nothing ran
    assert float(missing["packed_concentration"]) > 0
