"""Wrong-kind arguments to the public Python API fail by name, before any work.

Each public callable is called with one argument replaced by a value of the wrong kind (a flag
where a number is expected, a numeric string, None, a float where a whole number is expected,
a scalar where an array is expected), the others valid and tiny. The contract: a ValueError or
TypeError whose message names the argument, never an IndexError/AttributeError from deep inside,
a silently coerced value (True as 1, "3" as 3, 1.5 truncated) or a file removed by mistake.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import molecule

from ase_electrolyte.atoms_checks import FlagError
from ase_electrolyte.build import conformer, estimate_density
from ase_electrolyte.device import parse_device
from ase_electrolyte.estimate import Estimate
from ase_electrolyte.topology import get_topology
from ase_electrolyte.units import convert
from mda_electrolyte.bridge import from_ase
from mda_electrolyte.correlation import (
    check_sampling,
    fit_line,
    fit_window_slice,
    loglog_slope,
    plateau_verdict,
)
from mda_electrolyte.frame_estimates import frame_average
from mda_electrolyte.report import clear_outputs, estimate_label
from mda_electrolyte.uncertainty import (
    equilibrated_series_mean,
    few_dof_note,
    mean_error,
    real_array,
    segment_estimate,
    segments_method,
    t_factor,
)

# values no measured number is: each converted silently by numpy (None -> NaN, True -> 1.0,
# "3" -> 3.0) before these checks
NOT_NUMBERS = [None, True, np.bool_(False), "3", b"3", ["1", "2"], [1.0, None], [True, False],
               np.array(["1.5"]), np.array([True, False])]
FLAGS_WRONG = [None, 0, 1, "no", 1.5, float("nan"), [], np.array([True])]
NOT_WHOLE = [True, "3", 1.5, float("nan"), float("inf"), None, [2]]


@pytest.mark.parametrize("values", NOT_NUMBERS, ids=repr)
def test_real_array_refuses_what_is_no_number(values):
    with pytest.raises(ValueError, match="the series must be real numbers"):
        real_array(values, "the series")


def test_real_array_keeps_numbers():
    assert real_array([1, 2.5], "x").tolist() == [1.0, 2.5]
    assert real_array(np.array([1, 2], dtype=np.int32), "x").dtype == np.float64
    # NaN is a number (refused or reported by the callers that need finite values)
    assert np.isnan(real_array([np.nan], "x")[0])
    obj = np.array([1.0, 2], dtype=object)
    assert real_array(obj, "x").tolist() == [1.0, 2.0]


@pytest.mark.parametrize("call", [
    lambda v: frame_average(v, 20),
    lambda v: mean_error(v),
    lambda v: equilibrated_series_mean(v),
    lambda v: fit_line(v, [1.0, 2.0, 3.0]),
    lambda v: check_sampling(v, 0.01),
], ids=["frame_average", "mean_error", "equilibrated_series_mean", "fit_line", "check_sampling"])
@pytest.mark.parametrize("values", [True, None, "3", [True] * 10, ["1"] * 10], ids=repr)
def test_array_arguments_refuse_flags_strings_and_none(call, values):
    # frame_average(True) was the mean of one frame of value 1.0
    with pytest.raises(ValueError, match="must be real numbers"):
        call(values)


@pytest.mark.parametrize("dof", [True, "3", None, [3], np.bool_(True)], ids=repr)
def test_degrees_of_freedom_must_be_numbers(dof):
    # True was 1 degree of freedom and "3" three; None and [3] failed in float() or ">="
    with pytest.raises(ValueError, match="dof must be a number of degrees of freedom"):
        t_factor(dof)
    with pytest.raises(ValueError, match="dof must be a number of degrees of freedom"):
        few_dof_note(dof)


def test_few_dof_note_nan():
    # NaN made "too few points: nan degrees of freedom"
    with pytest.raises(ValueError, match="dof must be a number"):
        few_dof_note(float("nan"))


def test_t_factor_values():
    # fractional dof (Welch) and the normal limit stay allowed
    assert t_factor(np.inf) == pytest.approx(1.0)
    assert t_factor(4) == pytest.approx(1.141, abs=1e-3)
    assert few_dof_note(np.int64(4)) is None


@pytest.mark.parametrize("axis", [True, 1.5, "0", 2, -3, None], ids=repr)
def test_mean_error_axis(axis):
    # True was axis 1 and 2 an IndexError from the shape
    with pytest.raises(ValueError, match="axis must be a whole number"):
        mean_error(np.ones((4, 2)), axis=axis)


def test_mean_error_axis_values():
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert mean_error(x, axis=-1)[0].tolist() == [1.5, 3.5, 5.5]
    assert mean_error(x, axis=np.int64(0))[0].tolist() == [3.0, 4.0]


@pytest.mark.parametrize("name", ["n_runs", "n_blocks"])
@pytest.mark.parametrize("bad", NOT_WHOLE + [0, -1], ids=repr)
def test_segment_counts_are_whole_numbers(name, bad):
    kwargs = {"n_runs": 2, "n_blocks": 3, name: bad}
    with pytest.raises(ValueError, match=f"{name} must be a whole number >= 1"):
        segments_method(**kwargs)
    # refused even when the samples are fine (the text named "nan segments" before)
    with pytest.raises(ValueError, match=f"{name} must be a whole number >= 1"):
        segment_estimate(np.arange(6.0), "S/m", **kwargs)


def test_segment_estimate_numbers():
    est = segment_estimate([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "S/m", n_runs=2, n_blocks=3)
    assert est.value == pytest.approx(3.5)
    assert est.stderr == pytest.approx(np.std(np.arange(1, 7), ddof=1) / 6**0.5 * t_factor(5))
    assert "6 segments (2 independent runs x 3 contiguous blocks)" in est.method
    with pytest.raises(ValueError, match="one value per segment"):
        segment_estimate(np.ones((3, 2)) + np.arange(6).reshape(3, 2), "S/m", n_runs=1,
                         n_blocks=3)


@pytest.mark.parametrize("call,name", [
    (lambda v: equilibrated_series_mean(np.arange(20.0), detect=v), "detect"),
    (lambda v: check_sampling(np.exp(-np.arange(10.0)), 0.01, raise_error=v), "raise_error"),
    (lambda v: parse_device("cpu", allow_auto=v), "allow_auto"),
    (lambda v: estimate_label(Estimate(1.0, 0.1, "eV", "m"), reason=v), "reason"),
], ids=["detect", "raise_error", "allow_auto", "reason"])
@pytest.mark.parametrize("bad", FLAGS_WRONG, ids=repr)
def test_switches_take_only_bools(call, name, bad):
    # raise_error=0 reported an unresolved function instead of raising; detect="no" detected
    with pytest.raises(FlagError, match=f"{name} must be True or False"):
        call(bad)


def test_check_sampling_raise_error_false_reports():
    acf = np.cos(np.arange(10.0) * 2.0)  # changes sign within one frame
    out = check_sampling(acf, 0.1, raise_error=False)
    assert out["resolved"] is False and "too sparse" in out["message"]
    with pytest.raises(ValueError, match="too sparse"):
        check_sampling(acf, 0.1, raise_error=np.bool_(True))


def test_fit_line_scalar_y():
    # was an IndexError from y.shape[0]
    with pytest.raises(ValueError, match="fit_line needs at least 3 points"):
        fit_line([0.0, 1.0, 2.0], 3.0)


@pytest.mark.parametrize("time", [[], 5.0, None, np.ones((3, 3)), {}, [0.0, np.nan, 2.0]],
                         ids=repr)
def test_fit_window_slice_time(time):
    # [] was an IndexError, a dict a KeyError
    with pytest.raises(ValueError, match="lag times"):
        fit_window_slice(time, (0.2, 0.8), None)


@pytest.mark.parametrize("window,ps", [((0.5, 0.2), None), (1.5, None), (None, (5.0, "x")),
                                      ((0.2, 2.0), None), (None, None)], ids=repr)
def test_fit_window_slice_windows(window, ps):
    with pytest.raises(ValueError, match="fit_window"):
        fit_window_slice(np.arange(100.0), window, ps)


def test_fit_window_slice_values():
    t = np.arange(101.0) * 0.5
    assert fit_window_slice(t, (0.2, 0.5), None) == slice(20, 51)
    assert fit_window_slice(t, None, (10.0, 20.0)) == slice(20, 41)


@pytest.mark.parametrize("window", [(20, 80), True, None, 1.5, [20, 80]], ids=repr)
def test_lag_windows_are_slices(window):
    t = np.arange(100.0)
    with pytest.raises(ValueError, match="window must be a slice of lags"):
        loglog_slope(t, t, window)
    with pytest.raises(ValueError, match="window must be a slice of lags"):
        plateau_verdict(t, np.ones((3, 100)), window)


def test_loglog_slope_and_plateau_numbers():
    t = np.arange(100.0)
    assert loglog_slope(t, 3 * t**2, slice(10, 90)) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="one value per lag"):
        loglog_slope(t, t[:50], slice(10, 40))
    with pytest.raises(ValueError, match="the MSD must be real numbers"):
        loglog_slope(t, None, slice(10, 40))
    rng = np.random.default_rng(1)
    flat = 1.0 + 0.01 * rng.normal(size=(5, 100))
    assert plateau_verdict(t, flat, slice(20, 80))["converged"]
    drifting = flat + 0.01 * t
    assert not plateau_verdict(t, drifting, slice(20, 80))["converged"]
    with pytest.raises(ValueError, match="running integrals of shape"):
        plateau_verdict(t, flat[:, :50], slice(20, 40))


@pytest.mark.parametrize("n_sigma", [float("nan"), -1.0, 0, True, "2"], ids=repr)
def test_plateau_n_sigma(n_sigma):
    # NaN called every integral drifting
    with pytest.raises(ValueError, match="n_sigma must be a finite number > 0"):
        plateau_verdict(np.arange(10.0), np.ones((3, 10)), slice(2, 8), n_sigma=n_sigma)


@pytest.mark.parametrize("value", [True, "3", None, [1.0, 2.0], 1 + 2j, np.array(["1"]),
                                   np.array([True]), np.array([1 + 1j])], ids=repr)
def test_convert_value_kind(value):
    # True converted as 1 (96.5 kJ/mol), a list raised a bare multiplication TypeError
    with pytest.raises(TypeError, match="value must be a real number or an array"):
        convert(value, "eV", "kJ/mol")


def test_convert_values():
    assert convert(1.0, "eV", "kJ/mol") == pytest.approx(96.485, abs=1e-3)
    assert convert(np.int64(2), "S/m", "mS/cm") == pytest.approx(20.0)
    np.testing.assert_allclose(convert(np.array([1, 2]), "S/m", "mS/cm"), [10.0, 20.0])
    assert np.isnan(convert(float("nan"), "S/m", "mS/cm"))  # a missing value stays missing


@pytest.mark.parametrize("name,value,match", [
    ("seed", -1, "seed must be a whole number >= 0"),  # RDKit: -1 is "random"
    ("seed", True, "seed must be a whole number"),
    ("seed", 1.5, "seed must be a whole number"),
    ("seed", "3", "seed must be a whole number"),
    ("seed", float("inf"), "seed must be a whole number"),  # was an OverflowError
    ("n_conformers", -1, "n_conformers must be a whole number >= 1"),  # OverflowError
    ("n_conformers", 0, "n_conformers must be a whole number >= 1"),
    ("n_conformers", True, "n_conformers must be a whole number"),
    ("n_conformers", 2.5, "n_conformers must be a whole number"),
    ("n_conformers", 10**9, "n_conformers must be a whole number >= 1 and <= 10000"),
])
def test_conformer_arguments(name, value, match):
    with pytest.raises(ValueError, match=match):
        conformer("EC", **{name: value})


def test_conformer_is_reproducible():
    a = conformer("DMC", seed=3, n_conformers=2)
    b = conformer("DMC", seed=np.int64(3), n_conformers=2.0)
    np.testing.assert_allclose(a.positions, b.positions)


@pytest.mark.parametrize("counts", [None, ["EC"], 10, (("EC", 10),)], ids=repr)
def test_estimate_density_counts_kind(counts):
    # was an AttributeError ('.items')
    with pytest.raises(ValueError, match="counts must be a dict"):
        estimate_density(counts)


def test_estimate_density_counts_text_without_numbers():
    # counts as text are read as the command line's --counts ("EC=30,Li=3,PF6=3"); one
    # without its numbers is refused by that reader
    with pytest.raises(ValueError, match=r"bad counts entry 'EC' .*e\.g\. EC=30,Li=3,PF6=3"):
        estimate_density("EC")


@pytest.mark.parametrize("atoms", [None, "water.xyz", [molecule("H2O")], {}], ids=repr)
def test_get_topology_needs_atoms(atoms):
    with pytest.raises(TypeError, match="get_topology needs an ase.Atoms"):
        get_topology(atoms)


@pytest.mark.parametrize("est", [1.0, "1.0 eV", {"value": 1.0}, float("nan")], ids=repr)
def test_estimate_label_needs_an_estimate(est):
    with pytest.raises(TypeError, match="estimate_label needs an Estimate"):
        estimate_label(est)


def test_estimate_label_text():
    assert estimate_label(None) == "n/a"
    bad = Estimate(1.0, 0.1, "S/m", "m", converged=False, notes=("too short",))
    assert estimate_label(bad).endswith("(NOT VALID: too short)")
    assert estimate_label(bad, reason=False).endswith("(NOT VALID)")


@pytest.mark.parametrize("names", ["summary.json", ["../outside.txt"], ["sub/x.png"], [""],
                                   [".."], [None]], ids=repr)
def test_clear_outputs_names_stay_inside(tmp_path, names):
    outdir = tmp_path / "out"
    outdir.mkdir()
    # a string was iterated letter by letter, "../x" removed a file beside outdir
    for keep in ("s", "u", "m", "x.png"):
        (outdir / keep).write_text("keep")
    (tmp_path / "outside.txt").write_text("keep")
    (outdir / "sub").mkdir()
    (outdir / "sub" / "x.png").write_text("keep")
    with pytest.raises(ValueError, match="names must be a list of file names inside outdir"):
        clear_outputs(outdir, names)
    assert (tmp_path / "outside.txt").exists() and (outdir / "s").exists()
    assert (outdir / "sub" / "x.png").exists()


def test_clear_outputs_removes_the_named_files(tmp_path):
    (tmp_path / "a.png").write_text("old")
    (tmp_path / "b.json").write_text("old")
    clear_outputs(tmp_path, ("a.png", "missing.png"))
    assert not (tmp_path / "a.png").exists() and (tmp_path / "b.json").exists()


@pytest.mark.parametrize("dt", [True, "3", [1.0], np.bool_(True)], ids=repr)
def test_from_ase_dt_kind(dt):
    # True was read as 1 ps and "3" as 3 ps
    atoms = molecule("H2O")
    atoms.center(vacuum=3.0)
    with pytest.raises(ValueError, match="dt must be a positive, finite time"):
        from_ase([atoms, atoms], dt=dt)


@pytest.mark.filterwarnings("ignore:molecules")
def test_from_ase_dt_numbers():
    atoms = molecule("H2O")
    atoms.center(vacuum=3.0)
    assert from_ase([atoms, atoms], dt=np.float32(0.5)).trajectory.dt == pytest.approx(0.5)
