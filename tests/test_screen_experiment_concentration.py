"""The comparison with experiment at the concentration the box holds: a measurement is matched
by its nominal concentration, but a small box packs another one (3.0 molal of LiPF6 in 70 atoms
of EC is 3.79 molal). The measured value is interpolated to the packed concentration where
measurements bracket it; a box far from the measurement with none bracketing it is marked not
valid and left out of the errors (it entered the MAE as if measured at its concentration)."""

import math

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from ase_electrolyte.screen.aggregate import (  # noqa: E402
    CONCENTRATION_TOLERANCE,
    compare_experimental,
)


def _summary(rows):
    """A summary of density rows ``(nominal, packed, mean)`` of LiPF6 in EC at 300 K, each
    valid, with six more rows far from any measurement so that the errors have rows."""
    return pd.DataFrame([
        {"composition": f"c{nominal:g}", "solvent": "EC:1", "ratio": "mass", "salt": "LiPF6",
         "concentration": nominal, "units": "molal", "packed_concentration": packed,
         "cation_molality": packed, "temperature_K": 300.0, "property": "density",
         "unit": "g/cm^3", "mean": mean, "sem": 0.003, "valid": True, "verdict": "valid"}
        for nominal, packed, mean in rows])


def _write(path, lines):
    path.write_text("solvent,salt,concentration,property,value,error,unit\n"
                    + "".join(f"{line}\n" for line in lines))
    return path


def test_a_box_far_from_the_measurement_with_none_bracketing_it_is_not_compared(tmp_path):
    # 3.0 molal packed as 3.79 (+26 %); 1.0 and 2.0 molal packed within 1 %
    summary = _summary([(1.0, 1.004, 1.26), (2.0, 1.99, 1.29), (3.0, 3.79, 1.33)])
    exp = _write(tmp_path / "exp.csv", ["EC,LiPF6,1.0,density,1.25,0.004,",
                                        "EC,LiPF6,2.0,density,1.28,0.004,",
                                        "EC,LiPF6,3.0,density,1.30,0.004,"])
    errors = compare_experimental(summary, exp, tmp_path, plots=True)
    comparison = pd.read_csv(tmp_path / "comparison.csv").set_index("concentration")
    row = comparison.loc[3.0]
    assert not row["valid"]
    assert row["verdict"] == (
        "the box holds 3.79 molal, +26 % from the measured 3 molal, and no measurements "
        "bracket it: not compared (give measurements on both sides of the packed "
        "concentration, or pack a larger box)")
    assert (row["packed_concentration"], row["experiment_concentration"]) == (3.79, 3.0)
    # the others are bracketed by the measurements at 1 and 2 molal: taken where packed, and
    # only they enter the errors
    assert comparison.loc[[1.0, 2.0], "valid"].all()
    assert list(comparison.loc[[1.0, 2.0], "experiment_concentration"]) == [1.004, 1.99]
    err = errors.iloc[0]
    assert (err["n"], err["n_excluded"]) == (2, 1)
    assert err["MAE"] == pytest.approx(
        (abs(1.26 - (1.25 + 0.004 * 0.03)) + abs(1.29 - (1.25 + 0.99 * 0.03))) / 2, rel=1e-9)
    assert (tmp_path / "plots" / "parity_density.png").stat().st_size > 1000


@pytest.mark.parametrize("packed", [3.79, 2.4])  # above and below the nominal 3.0
def test_the_measured_value_is_interpolated_to_the_packed_concentration(tmp_path, packed):
    summary = _summary([(3.0, packed, 1.33)])
    exp = _write(tmp_path / "exp.csv", ["EC,LiPF6,2.0,density,1280,5,kg/m^3",
                                        "EC,LiPF6,3.0,density,1.30,0.004,g/cm^3",
                                        "EC,LiPF6,4.0,density,1.34,0.006,",
                                        # a measurement of another property does not bracket it
                                        "EC,LiPF6,3.5,D_Li,1e-10,,m^2/s"])
    # D_Li is not in this summary; the measurements at 2 and 4 molal bracket (named as not
    # compared only where they served no interpolation)
    with pytest.warns(UserWarning, match=r"2 of 4 row\(s\) match no .*row 4 \(EC, LiPF6 "
                                         r"3.5 molal, 300 K, D_Li\)$") as caught:
        compare_experimental(summary, exp, tmp_path, plots=False)
    named = str(caught[0].message)
    assert ("2 molal" in named) == (packed > 3) and ("4 molal" in named) == (packed < 3)
    row = pd.read_csv(tmp_path / "comparison.csv").iloc[0]
    (c0, v0, e0), (c1, v1, e1) = ((3.0, 1.30, 0.004), (4.0, 1.34, 0.006)) if packed > 3 else \
        ((2.0, 1.28, 0.005), (3.0, 1.30, 0.004))
    w = (packed - c0) / (c1 - c0)
    expected = (1 - w) * v0 + w * v1
    assert row["experiment_concentration"] == pytest.approx(packed, rel=1e-12)
    assert row["experiment"] == pytest.approx(expected, rel=1e-12)
    assert row["experiment_error"] == pytest.approx(math.hypot((1 - w) * e0, w * e1), rel=1e-12)
    assert row["deviation"] == pytest.approx(1.33 - expected, rel=1e-9)
    assert row["deviation_error"] == pytest.approx(
        math.hypot(0.003, math.hypot((1 - w) * e0, w * e1)), rel=1e-12)
    assert row["valid"] and row["verdict"] == "valid"


def test_a_measurement_at_the_packed_concentration_is_used_as_it_is(tmp_path):
    summary = _summary([(3.0, 3.5, 1.33)])
    exp = _write(tmp_path / "exp.csv", ["EC,LiPF6,3.0,density,1.30,0.004,",
                                        "EC,LiPF6,3.5,density,1.32,0.002,"])
    compare_experimental(summary, exp, tmp_path, plots=False)  # 3.5 molal used: no warning
    row = pd.read_csv(tmp_path / "comparison.csv").iloc[0]
    assert (row["experiment_concentration"], row["experiment"], row["experiment_error"]) == (
        3.5, 1.32, 0.002)


@pytest.mark.parametrize("off", [-CONCENTRATION_TOLERANCE * 0.99, CONCENTRATION_TOLERANCE * 0.99,
                                 -CONCENTRATION_TOLERANCE * 1.01, CONCENTRATION_TOLERANCE * 1.01])
def test_the_tolerance_is_relative_and_symmetric(tmp_path, off):
    summary = _summary([(2.0, 2.0 * (1 + off), 1.3)])
    exp = _write(tmp_path / "exp.csv", ["EC,LiPF6,2.0,density,1.28,0.004,"])
    compare_experimental(summary, exp, tmp_path, plots=False)
    row = pd.read_csv(tmp_path / "comparison.csv").iloc[0]
    assert bool(row["valid"]) == (abs(off) < CONCENTRATION_TOLERANCE)
    assert row["experiment"] == 1.28 and row["experiment_concentration"] == 2.0


def test_a_summary_without_packed_concentrations_compares_at_the_nominal_one(tmp_path):
    # a table of an earlier version, and a pure solvent (no salt: 0 packed as 0)
    summary = _summary([(3.0, np.nan, 1.33)]).drop(columns=["packed_concentration"])
    solvent = _summary([(0.0, 0.0, 1.32)]).assign(salt="", composition="EC")
    exp = _write(tmp_path / "exp.csv", ["EC,LiPF6,3.0,density,1.30,0.004,",
                                        "EC,,0,density,1.32,0.004,"])
    compare_experimental(pd.concat([summary, solvent], ignore_index=True), exp, tmp_path,
                         plots=False)
    comparison = pd.read_csv(tmp_path / "comparison.csv").set_index("concentration")
    assert comparison["valid"].all()
    assert list(comparison["experiment"]) == [1.30, 1.32]
    assert list(comparison["experiment_concentration"]) == [3.0, 0.0]


def test_a_row_not_valid_keeps_its_own_reason_beside_the_concentration(tmp_path):
    summary = _summary([(3.0, 3.79, 1.33)]).assign(
        valid=False, verdict="single valid replica: no standard error")
    exp = _write(tmp_path / "exp.csv", ["EC,LiPF6,3.0,density,1.30,0.004,"])
    compare_experimental(summary, exp, tmp_path, plots=False)
    verdict = pd.read_csv(tmp_path / "comparison.csv").iloc[0]["verdict"]
    assert verdict.startswith("single valid replica: no standard error; the box holds 3.79")


def test_a_summary_read_back_from_its_csv_is_compared_as_the_table_itself(tmp_path):
    # a pure solvent's empty salt reads back as NaN: its measurement matched nothing
    table = pd.concat([_summary([(3.0, 3.0, 1.33)]),
                       _summary([(0.0, 0.0, 1.32)]).assign(salt="", composition="EC")],
                      ignore_index=True)
    table.to_csv(tmp_path / "summary.csv", index=False)
    back = pd.read_csv(tmp_path / "summary.csv")
    assert back["salt"].isna().sum() == 1
    exp = _write(tmp_path / "exp.csv", ["EC,LiPF6,3.0,density,1.30,0.004,",
                                        "EC,,0,density,1.31,0.004,"])
    direct = compare_experimental(table, exp, tmp_path, plots=False)
    again = compare_experimental(back, exp, tmp_path, plots=False)
    assert (direct["n"].tolist(), again["n"].tolist()) == ([2], [2])
    assert again["MAE"].tolist() == pytest.approx(direct["MAE"].tolist(), rel=1e-12)
