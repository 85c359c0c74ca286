"""Estimate, unit conversion and the device vocabulary: the shared mechanisms every module uses."""

import json
import math

import numpy as np
import pytest
from scipy import constants

from ase_electrolyte.device import Device, parse_device, resolve_device
from ase_electrolyte.estimate import Estimate, estimates_to_dict
from ase_electrolyte.units import UNITS, convert, dimension


def test_conversions_follow_from_codata():
    # 1 S/m = 10 mS/cm; 1 Å²/ps = 1e-8 m²/s; 1 g/cm³ = 1000 kg/m³; 1 bar = 1e5 Pa
    assert convert(1.0, "S/m", "mS/cm") == pytest.approx(10.0, rel=1e-15)
    assert convert(1.0, "Å²/ps", "m²/s") == pytest.approx(1e-8, rel=1e-15)
    assert convert(1.0, "g/cm³", "kg/m^3") == pytest.approx(1000.0, rel=1e-15)
    assert convert(2.0, "bar", "Pa") == pytest.approx(2e5, rel=1e-15)
    assert convert(1.0, "kcal/mol", "kJ/mol") == pytest.approx(4.184, rel=1e-12)
    assert convert(1.0, "eV", "kJ/mol") == pytest.approx(
        constants.eV * constants.N_A / 1000, rel=1e-12)
    assert convert(1.0, "1/GPa", "1/bar") == pytest.approx(1e-4, rel=1e-15)


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_every_unit_round_trips(unit):
    same = [u for u in UNITS if dimension(u) == dimension(unit)]
    for other in same:
        assert convert(convert(3.7, unit, other), other, unit) == pytest.approx(3.7, rel=1e-13)


@pytest.mark.parametrize("unit", [["S/m"], None, 1.0, b"S/m"])
def test_a_unit_that_is_not_a_string_is_named(unit):
    with pytest.raises(TypeError, match="a unit is a string such as 'S/m'"):
        convert(1.0, unit, "S/m")
    with pytest.raises(TypeError, match="a unit is a string such as 'S/m'"):
        Estimate(1.0, 0.1, unit, "blocks", 5)


def test_conversion_between_dimensions_is_refused():
    with pytest.raises(ValueError, match="cannot convert"):
        convert(1.0, "S/m", "mPa·s")
    with pytest.raises(ValueError, match="unknown unit"):
        convert(1.0, "furlong", "m")


def test_estimate_converts_value_and_error_and_keeps_provenance():
    e = Estimate(1.25, 0.05, "S/m", "t-scaled standard error over 10 blocks", 10)
    f = e.to("mS/cm")
    assert (f.value, f.stderr) == pytest.approx((12.5, 0.5))
    assert f.method == e.method and f.n_samples == 10 and f.valid
    assert f.to("S/m").value == pytest.approx(e.value)
    assert float(e) == 1.25
    assert f.relative_error == pytest.approx(0.04)


def test_estimate_round_trips_through_json():
    e = Estimate(0.8, 0.1, "g/cm^3", "statistical inefficiency", 40, converged=False,
                 notes=("too short: 12 uncorrelated samples",))
    d = json.loads(json.dumps(estimates_to_dict({"density": e, "list": [e, 3]})))
    assert d["density"]["verdict"] == "too short: 12 uncorrelated samples"
    assert d["density"]["converged"] is False and d["list"][1] == 3
    assert Estimate.from_dict(d["density"]) == e


def test_invalid_numbers_cannot_pass_as_valid():
    with pytest.raises(ValueError, match="non-finite"):
        Estimate(math.nan, 0.1, "S/m", "blocks")
    with pytest.raises(ValueError, match="non-negative"):
        Estimate(1.0, -0.1, "S/m", "blocks")
    with pytest.raises(ValueError, match="must say why"):
        Estimate(1.0, 0.1, "S/m", "blocks", converged=False)
    # marked invalid, a NaN may be recorded, and serialises as null, not NaN
    e = Estimate.invalid(math.nan, math.nan, "S/m", "none", "too few ions")
    assert e.to_dict()["value"] is None and e.verdict == "too few ions"
    assert Estimate.from_dict(e.to_dict()).verdict == "too few ions"
    assert "too few ions" in str(e)


def test_string_shows_two_significant_digits_of_the_error():
    assert str(Estimate(1.23456, 0.0123, "S/m", "blocks", 10)) == "1.235 ± 0.012 S/m (valid)"
    # a dimensionless number carries no unit text, formatted or not ("no value 1 (reason)")
    assert f"{Estimate(2.0, 0.5, '1', 'blocks', 5):.2f}" == "2.00 ± 0.50"
    assert f"{Estimate.invalid(math.nan, math.nan, '1', 'none', 'r'):.2f}" == "no value (r)"
    assert np.isclose(np.asarray(float(Estimate(2.0, 0.5, "1", "blocks"))), 2.0)


def test_with_notes_can_invalidate():
    e = Estimate(1.0, 0.1, "S/m", "blocks", 10).with_notes("too coarse", converged=False)
    assert not e.valid and e.verdict == "too coarse"


@pytest.mark.parametrize("spec, expected", [
    ("cpu", Device("cpu")), ("CUDA", Device("cuda", 0)), ("cuda:3", Device("cuda", 3)),
    (" cuda:1 ", Device("cuda", 1)), (Device("cuda", 2), Device("cuda", 2)),
])
def test_device_parsing(spec, expected):
    assert parse_device(spec) == expected
    assert parse_device(str(expected)) == expected


def test_torch_devices_are_understood():
    import torch

    assert parse_device(torch.device("cpu")) == Device("cpu")
    assert parse_device(torch.device("cuda", 1)) == Device("cuda", 1)


@pytest.mark.parametrize("bad", ["gpu", "cpu:1", "cuda:-1", "cuda:x", "", None, 0, "mps"])
def test_bad_devices_are_named(bad):
    with pytest.raises(ValueError, match="device must be"):
        parse_device(bad)


def test_auto_resolves_to_what_torch_sees():
    import torch

    dev = resolve_device("auto")
    assert dev.kind == ("cuda" if torch.cuda.is_available() else "cpu")
    assert parse_device("auto") == "auto"
    with pytest.raises(ValueError):
        parse_device("auto", allow_auto=False)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda:0")


def test_a_number_without_value_or_error_is_written_in_words():
    import math

    gone = Estimate(math.nan, math.nan, "S/m", "blocks", 3, converged=False, notes="too short")
    assert str(gone) == "no value S/m (too short)" and "nan" not in f"{gone:.3f}"
    unsure = Estimate(1.5, math.inf, "S/m", "blocks", 3, converged=False, notes="too short")
    assert str(unsure) == "1.5 ± ? (error unknown) S/m (too short)"
    assert f"{unsure:.2f}" == "1.50 ± ? (error unknown) S/m (too short)"


@pytest.mark.parametrize("spec", [".2f", ".3g", "e", ".0f"])
def test_a_formatted_invalid_number_keeps_its_verdict(spec):
    sigma = Estimate.invalid(96.0, 21.0, "S/m", "blocks", "too short: plateau not reached")
    assert format(sigma, spec).endswith(" S/m (too short: plateau not reached)")
    valid = Estimate(1.0, 0.1, "S/m", "blocks", 5)
    if spec == ".0f":  # "1 ± 0 S/m" read as an exact number: the error's own digits instead
        assert format(valid, spec) == "1.00 ± 0.10 S/m"
    else:
        assert format(valid, spec) == f"{1.0:{spec}} ± {0.1:{spec}} S/m"


@pytest.mark.parametrize("flag", ["no", "false", 0, 1, "True"])
def test_the_verdict_is_a_bool_not_a_truthy_value(flag):
    with pytest.raises(TypeError, match="converged must be True or False"):
        Estimate(1.0, 0.1, "S/m", "blocks", 5, converged=flag, notes="why")
    with pytest.raises(TypeError, match="converged must be True or False"):
        Estimate(1.0, 0.1, "S/m", "blocks", 5).with_notes("x", converged=flag)
    data = Estimate(1.0, 0.1, "S/m", "blocks", 5).to_dict() | {"converged": flag}
    with pytest.raises(TypeError, match="converged must be True or False"):
        Estimate.from_dict(data)


@pytest.mark.parametrize("value, stderr, unit, expected", [
    # a diffusion coefficient in m²/s and a pressure in Pa: one power of ten, not rows of zeros
    (1.38e-8, 1.0e-9, "m^2/s", "(1.38 ± 0.10)e-08 m^2/s"),
    (-3.2e-5, 4e-7, "m^2/s", "(-3.200 ± 0.040)e-05 m^2/s"),
    (1.2e7, 3e5, "Pa", "(1.200 ± 0.030)e+07 Pa"),
    (0.0, 1e-12, "m^2/s", "(0.0 ± 1.0)e-12 m^2/s"),
    # ordinary magnitudes stay as they were
    (1.23456, 0.0123, "S/m", "1.235 ± 0.012 S/m"),
    (313.1, 8.39, "K", "313.1 ± 8.4 K"),
    (0.0012, 0.0001, "1", "0.00120 ± 0.00010"),
    (5.0, 0.0, "1", "5 ± 0"),
    # an error far below the value: at most 9 significant digits, the error in its own form
    (5.0, 1e-12, "1", "5.00000000 ± 1e-12"),
])
def test_tiny_and_huge_numbers_are_printed_with_a_common_power_of_ten(value, stderr, unit,
                                                                       expected):
    e = Estimate(value, stderr, unit, "blocks", 10)
    assert str(e) == f"{expected} (valid)"
    assert len(str(Estimate(1e301, 0.1, "1", "blocks", 3))) < 40  # was 600 characters


@pytest.mark.parametrize("converged, notes", [(True, ()), (False, ("too short",))])
def test_a_negative_error_is_refused_valid_or_not(converged, notes):
    # an invalid one printed as "1 ± -0.1 S/m"; an unknown error is nan
    with pytest.raises(ValueError, match=r"non-negative, not stderr = -0.1 S/m"):
        Estimate(1.0, -0.1, "S/m", "blocks", 5, converged=converged, notes=notes)
    with pytest.raises(ValueError, match="non-negative"):
        Estimate.from_dict(Estimate(1.0, 0.1, "S/m", "blocks").to_dict() | {"stderr": -0.1})
    assert "± ?" in str(Estimate.invalid(1.0, math.nan, "S/m", "blocks", "too short"))


def test_mark_not_valid_marks_every_estimate_in_a_tree_and_leaves_the_tree_alone():
    from ase_electrolyte.estimate import mark_not_valid

    good = Estimate(4.1, 0.1, "", "blocks", n_samples=40)
    bad = Estimate(0.3, 0.2, "", "blocks", n_samples=3, converged=False, notes=("too short",))
    tree = {"Li": [good, (bad, 7)], "n": 3, "label": "EC"}
    marked = mark_not_valid(tree, "cutoff not significant")
    assert marked["Li"][0].notes == ("cutoff not significant",) and not marked["Li"][0].valid
    assert marked["Li"][1][0].notes == ("too short", "cutoff not significant")
    assert isinstance(marked["Li"][1], tuple) and marked["Li"][1][1] == 7
    assert marked["n"] == 3 and marked["label"] == "EC"
    # value and error untouched; the caller's tree and Estimates unchanged
    assert (marked["Li"][0].value, marked["Li"][0].stderr) == (4.1, 0.1)
    assert tree["Li"][0] is good and good.valid and good.notes == ()
