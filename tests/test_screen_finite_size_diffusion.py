"""Diffusion coefficients compared with experiment are those of the infinite system.

A periodic box of side L slows self-diffusion by ξ k_B T / (6 π η L) (Yeh & Hummer 2004; ξ =
2.837297): 20–40 % of D in the boxes of a few hundred atoms a screen runs. The comparison took
D of the periodic box as it was, and the MAE against measured D held that bias. Now D is
corrected with the mean viscosity of the same composition and temperature and the box side
(the mass of the packed molecules over the mean density); without a usable viscosity the row
says why and is kept out of the errors."""

import math

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")

from test_screen_failures import _folder, _plan  # noqa: E402

from ase_electrolyte.screen import PlanError, aggregate, load_plan, run_screen  # noqa: E402
from ase_electrolyte.screen.aggregate import compare_experimental  # noqa: E402
from ase_electrolyte.screen.plan import box_of  # noqa: E402
from ase_electrolyte.species import get_species  # noqa: E402

K_B = 1.380649e-23  # J/K
N_A = 6.02214076e23  # 1/mol
XI = 2.837297


def _prop(value, unit, valid=True, stderr=None):
    stderr = 0.01 * abs(value) if stderr is None else stderr
    return {"value": value, "stderr": stderr, "unit": unit, "method": "blocks",
            "n_samples": 5, "converged": valid, "verdict": "valid" if valid else "no plateau",
            "notes": [] if valid else ["no plateau"]}


def _replica(r, eta=True, eta_valid=True):
    # an in-run error of the density's scatter over replicas (0.0014 g/cm^3): 1 % of it
    # (0.013), ten times that scatter, is "error bars not consistent" and not valid
    props = {"density": _prop(1.30 + 0.002 * r - 0.0003 * r * r, "g/cm^3", stderr=0.0015),
             "D_Li": _prop(1.0e-10 * (1 + 0.05 * r - 0.007 * r * r), "m^2/s"),
             "D_PF6": _prop(1.5e-10 * (1 - 0.03 * r + 0.004 * r * r), "m^2/s")}
    if eta:
        props["viscosity"] = _prop(3.0 + 0.2 * r - 0.03 * r * r, "mPa·s", eta_valid)
    return props


def _measured(r):
    """The production temperature replica ``r`` measured (K): a thermostat's mean is not the
    set 300 K."""
    return 303.0 + 1.5 * r - 0.2 * r * r


def _run(c, r, cell=(20.0, 20.0, 20.0, 90.0, 90.0, 90.0)):
    """The ``simulation`` record of a task: measured temperature and final box."""
    return {"temperature": {"value": _measured(r), "stderr": 0.5, "unit": "K",
                            "method": "inefficiency", "converged": True},
            "cell": list(cell)}


def _experiment(path, rows):
    path.write_text("solvent,salt,concentration,property,value,error,unit\n"
                    + "".join(f"{row}\n" for row in rows))
    return path


def _by_key(table):
    return table.set_index(["concentration", "property"])


def _expected_correction(table, concentration, temperature=None):
    """ξ k_B T / (6 π η L) in m²/s, L from the plan's box and the mean density (by hand), T the
    mean of the replicas' measured temperatures."""
    if temperature is None:
        temperature = np.mean([_measured(r) for r in range(5)])
    plan = _plan(5)
    comp = next(c for c in plan.compositions if c.concentration == concentration)
    mass_g = sum(get_species(name).mass * n for name, n in box_of(comp, 600)) / N_A
    tasks = pd.read_csv(table)
    rho = tasks[(tasks["concentration"] == concentration)
                & (tasks["property"] == "density")]["value"].mean()  # g/cm³
    length_m = (mass_g / rho) ** (1 / 3) * 1e-2
    eta = tasks[(tasks["concentration"] == concentration)
                & (tasks["property"] == "viscosity")]["value"].mean() * 1e-3  # Pa·s
    return XI * K_B * temperature / (6 * math.pi * eta * length_m), length_m * 1e10


def test_measured_d_is_compared_with_the_yeh_hummer_corrected_d(tmp_path):
    _folder(tmp_path, lambda c, r: _replica(r), replicas=5, simulation=_run)
    # measurements on both sides of the packed concentrations (3.79 and 4.54 molal)
    exp = _experiment(tmp_path / "exp.csv", ["EC,LiPF6,3.0,D_Li,1.6e-10,1e-11,m^2/s",
                                             "EC,LiPF6,4.0,D_Li,1.4e-10,,m^2/s",
                                             "EC,LiPF6,5.0,D_Li,1.2e-10,,m^2/s",
                                             "EC,LiPF6,3.0,density,1.31,0.005,g/cm^3",
                                             "EC,LiPF6,4.0,density,1.33,0.005,g/cm^3"])
    table = _by_key(aggregate(tmp_path, experimental=exp, plots=False))
    comparison = pd.read_csv(tmp_path / "comparison.csv").set_index(
        ["concentration", "property"])
    for c in (3.0, 4.0):
        correction, length = _expected_correction(tmp_path / "tasks.csv", c)
        # to ASE's Avogadro constant (CODATA 2014), which the table uses
        assert table.loc[(c, "D_Li"), "box_length_A"] == pytest.approx(length, rel=1e-7)
        # a 600-atom box: the correction is of the order of D itself
        d = table.loc[(c, "D_Li")]
        assert 0.2 * d["mean"] < correction < 5 * d["mean"]
        row = comparison.loc[(c, "D_Li")]
        assert row["finite_size_correction"] == pytest.approx(correction, rel=1e-7)
        assert row["mean_periodic_box"] == pytest.approx(d["mean"], rel=1e-12)
        assert row["mean"] == pytest.approx(d["mean"] + correction, rel=1e-7)
        assert row["deviation"] == pytest.approx(row["mean"] - row["experiment"], rel=1e-9)
        # first order in η: δcorr/corr = δη/η, combined with D's error over replicas
        eta = table.loc[(c, "viscosity")]
        assert row["sem"] == pytest.approx(
            math.hypot(d["sem"], correction * eta["sem"] / eta["mean"]), rel=1e-7)
        assert row["valid"] and row["verdict"] == "valid"
    # the density is compared as it is
    density = comparison.loc[(3.0, "density")]
    assert density["mean"] == table.loc[(3.0, "density"), "mean"]
    assert math.isnan(density["finite_size_correction"])
    errors = pd.read_csv(tmp_path / "errors.csv").set_index("property")
    assert errors.loc["D_Li", "n"] == 2
    assert errors.loc["D_Li", "MAE"] == pytest.approx(
        comparison.xs("D_Li", level="property")["abs_deviation"].mean(), rel=1e-12)


def test_the_correction_scales_as_one_over_the_viscosity(tmp_path):
    _folder(tmp_path, lambda c, r: _replica(r), replicas=5, simulation=_run)
    exp = _experiment(tmp_path / "exp.csv", ["EC,LiPF6,3.0,D_PF6,1.6e-10,,m^2/s"])
    summary = aggregate(tmp_path, plots=False)
    for name in "abc":
        (tmp_path / name).mkdir()
    compare_experimental(summary, exp, tmp_path / "a", plots=False)
    thick = summary.copy()
    viscous = thick["property"] == "viscosity"
    thick.loc[viscous, ["mean", "sem"]] *= 2.0
    compare_experimental(thick, exp, tmp_path / "b", plots=False)
    a = pd.read_csv(tmp_path / "a" / "comparison.csv").iloc[0]
    b = pd.read_csv(tmp_path / "b" / "comparison.csv").iloc[0]
    assert b["finite_size_correction"] == pytest.approx(a["finite_size_correction"] / 2,
                                                        rel=1e-12)
    # in Å²/ps the same correction, in that unit
    angstrom = summary.copy()
    d = angstrom["property"] == "D_PF6"
    angstrom.loc[d, ["mean", "sem"]] *= 1e8
    angstrom.loc[d, "unit"] = "Å^2/ps"
    compare_experimental(angstrom, exp, tmp_path / "c", plots=False)
    c = pd.read_csv(tmp_path / "c" / "comparison.csv").iloc[0]
    assert c["finite_size_correction"] == pytest.approx(a["finite_size_correction"] * 1e8,
                                                        rel=1e-12)
    assert c["mean"] == pytest.approx(a["mean"] * 1e8, rel=1e-12)


@pytest.mark.parametrize("case, reason", [
    ("no viscosity", "no viscosity at this composition and temperature (add 'viscosity' to "
                     "the plan's analyses); not compared"),
    ("viscosity not valid", "the viscosity of its Yeh–Hummer correction is not valid (no "
                            "valid replica; excluded: no plateau (5/5 replicas)); not compared"),
    ("no viscosity value", "the viscosity has no value (no valid replica; excluded: no "
                           "plateau (5/5 replicas))"),
])
def test_d_without_a_usable_viscosity_is_named_and_left_out_of_the_errors(tmp_path, case,
                                                                         reason):
    if case == "no viscosity":
        _folder(tmp_path, lambda c, r: _replica(r, eta=False), replicas=5, simulation=_run)
    else:
        _folder(tmp_path, lambda c, r: _replica(r, eta_valid=False), replicas=5,
                simulation=_run)
    exp = _experiment(tmp_path / "exp.csv", ["EC,LiPF6,3.0,D_Li,1.6e-10,,m^2/s",
                                             "EC,LiPF6,4.0,D_Li,1.4e-10,,m^2/s"])
    summary = aggregate(tmp_path, plots=False)
    if case == "viscosity not valid":
        # a mean from replicas that are not valid: force one to see the validity passed on
        rows = summary["property"] == "viscosity"
        summary.loc[rows, "mean"] = 3.0
        summary.loc[rows, "sem"] = 0.1
    compare_experimental(summary, exp, tmp_path, plots=False)
    comparison = pd.read_csv(tmp_path / "comparison.csv")
    assert not comparison["valid"].any()
    assert comparison["verdict"].str.contains(reason, regex=False).all(), comparison["verdict"]
    if case == "viscosity not valid":
        assert np.isfinite(comparison["finite_size_correction"]).all()
    else:
        assert comparison["finite_size_correction"].isna().all()
        assert (comparison["mean"] == comparison["mean_periodic_box"]).all()
    errors = pd.read_csv(tmp_path / "errors.csv").iloc[0]
    assert (errors["n"], errors["n_excluded"]) == (0, 2) and not errors["valid"]


def test_without_a_density_the_box_side_is_unknown_and_d_is_not_compared(tmp_path):
    def outcome(c, r):
        props = _replica(r)
        del props["density"]
        return props

    _folder(tmp_path, outcome, replicas=5, simulation=_run)
    exp = _experiment(tmp_path / "exp.csv", ["EC,LiPF6,3.0,D_Li,1.6e-10,,m^2/s"])
    table = aggregate(tmp_path, experimental=exp, plots=False)
    assert table["box_length_A"].isna().all()
    row = pd.read_csv(tmp_path / "comparison.csv").iloc[0]
    assert not row["valid"] and "the box side is not known (no density)" in row["verdict"]


def test_a_plan_without_viscosity_is_warned_at_once_that_its_measured_d_goes_uncompared(
        tmp_path):
    exp = _experiment(tmp_path / "exp.csv", ["EC,LiPF6,3.0,D_Li,1.6e-10,,m^2/s",
                                             "EC,LiPF6,3.0,density,1.31,,g/cm^3"])
    base = {"name": "d", "replicas": 1, "temperatures": [300], "n_atoms": 600,
            "model": {"calculator": "ase.calculators.lj:LennardJones", "device": "cpu"},
            "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": 3.0}],
            "experimental": str(exp)}
    with pytest.warns(UserWarning, match=r"exp.csv: D_Li will not be compared: .*Yeh–Hummer "
                                         r".*do not include 'viscosity'"):
        load_plan({**base, "analyses": ["diffusion"]})
    # with the viscosity among the analyses, or without measured D, no warning
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_plan({**base, "analyses": ["diffusion", "viscosity"]})
        _experiment(exp, ["EC,LiPF6,3.0,density,1.31,,g/cm^3"])
        load_plan({**base, "analyses": ["diffusion"]})
    # the table given to run_screen is checked the same way, before anything is made
    _experiment(exp, ["EC,LiPF6,3.0,D_PF6,1.6e-10,,m^2/s"])
    out = tmp_path / "screen"
    out.write_text("a file where the output folder should go")
    plan = load_plan({**{k: v for k, v in base.items() if k != "experimental"},
                      "analyses": ["diffusion"]})
    with pytest.warns(UserWarning, match="D_PF6 will not be compared"), \
            pytest.raises(PlanError, match="output folder"):
        # refused for its output folder after the table was read: nothing submitted
        run_screen(plan, out, experimental=exp, progress=False)


def test_a_d_row_without_a_number_gets_no_correction_note(tmp_path):
    # 3 molal not run: its D row says so, and nothing about a correction it has no D for
    _folder(tmp_path, lambda c, r: _replica(r) if c == 4.0 else None, replicas=5,
            simulation=_run)
    exp = _experiment(tmp_path / "exp.csv", ["EC,LiPF6,3.0,D_Li,1.6e-10,,m^2/s",
                                             "EC,LiPF6,4.0,D_Li,1.4e-10,,m^2/s",
                                             "EC,LiPF6,5.0,D_Li,1.2e-10,,m^2/s"])
    aggregate(tmp_path, experimental=exp, plots=False)
    comparison = pd.read_csv(tmp_path / "comparison.csv").set_index("concentration")
    row = comparison.loc[3.0]
    assert not row["valid"] and math.isnan(row["mean"])
    assert "Yeh–Hummer" not in row["verdict"] and "not finished" in row["verdict"]
    assert comparison.loc[4.0, "valid"] and comparison.loc[4.0, "finite_size_correction"] > 0
