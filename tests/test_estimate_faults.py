"""Bad input to an Estimate and its dict form: a named ValueError, or the right text.

Every reported number passes through :class:`~ase_electrolyte.estimate.Estimate`; what it lets in
reaches summary.json, the terminal and the HTML report.
"""

import json
import math

import numpy as np
import pytest

from ase_electrolyte.estimate import Estimate


@pytest.mark.parametrize("field, bad, message", [
    ("value", None, "value must be a number"),
    ("value", True, "value must be a number"),
    ("value", "1e3", "value must be a number"),
    ("value", [1.0], "value must be a number"),
    ("stderr", None, "stderr must be a number"),
    ("stderr", "0.1", "stderr must be a number"),
    ("n_samples", -5, "n_samples must be a finite number >= 0"),
    ("n_samples", math.nan, "n_samples must be a finite number >= 0"),
    ("n_samples", math.inf, "n_samples must be a finite number >= 0"),
    ("n_samples", "12", "n_samples must be a number"),
    ("n_samples", None, "n_samples must be a number"),
    ("method", None, "method must be a text"),
    ("method", 3, "method must be a text"),
])
def test_fields_of_the_wrong_kind_are_named(field, bad, message):
    kwargs = dict(value=1.0, stderr=0.1, unit="S/m", method="blocks", n_samples=10)
    kwargs[field] = bad
    with pytest.raises(ValueError, match=message):
        Estimate(**kwargs)


def test_numpy_scalars_and_effective_sample_counts_are_read():
    e = Estimate(np.float32(1.5), np.array(0.25), "S/m", "blocks", np.float64(12.7))
    assert (e.value, e.stderr, e.n_samples) == (1.5, 0.25, 12)  # effective samples rounded down
    assert type(e.value) is float and type(e.n_samples) is int


@pytest.mark.parametrize("notes", ["", [""], ["  "], ()])
def test_an_invalid_estimate_needs_a_reason_that_is_not_blank(notes):
    with pytest.raises(ValueError, match="must say why"):
        Estimate(1.0, 0.1, "S/m", "blocks", 3, converged=False, notes=notes)


@pytest.mark.parametrize("value, stderr, unit, text", [
    (5e-324, 0.0, "S/m", "(4.94066 ± 0)e-324 S/m (valid)"),          # subnormal: was 1/0
    (1e-310, 2e-311, "S/m", "(1.00 ± 0.20)e-310 S/m (valid)"),
    (1.7e308, 1e307, "S/m", "(1.70 ± 0.10)e+308 S/m (valid)"),
    (-2.5e-9, 1.2e-10, "m^2/s", "(-2.50 ± 0.12)e-09 m^2/s (valid)"),
])
def test_extreme_magnitudes_print(value, stderr, unit, text):
    assert str(Estimate(value, stderr, unit, "blocks", 10)) == text


@pytest.mark.parametrize("value, stderr", [
    (math.nan, math.nan), (math.inf, 1.0), (-math.inf, math.nan), (2.0, math.nan), (2.0, math.inf),
])
def test_non_finite_numbers_round_trip_through_json_as_missing(value, stderr):
    e = Estimate.invalid(value, stderr, "Å^2/ps", "none", "too short: 3 frames")
    text = json.dumps(e.to_dict(), allow_nan=False)  # strict JSON: no NaN/Infinity tokens
    back = Estimate.from_dict(json.loads(text))
    assert back.unit == "Å^2/ps" and back.verdict == "too short: 3 frames" and not back.valid
    # a finite number comes back as it was; a non-finite one as missing (NaN), never as a number
    for old, new in ((value, back.value), (stderr, back.stderr)):
        assert new == old if math.isfinite(old) else math.isnan(new)
    assert "nan" not in str(back) and "inf" not in str(back)


def test_dict_forms_that_are_not_an_estimate_are_named():
    good = Estimate(1.0, 0.1, "S/m", "blocks", 10).to_dict()
    with pytest.raises(ValueError, match="lacks stderr, unit"):
        Estimate.from_dict({"value": 1.0, "method": "m", "converged": True})
    with pytest.raises(ValueError, match="is a dict, not list"):
        Estimate.from_dict([1.0, 0.1])
    # one note as text is one note, not one per character
    one = Estimate.from_dict({**good, "converged": False, "notes": "too short"})
    assert one.notes == ("too short",) and one.verdict == "too short"
    # the notes lost, the verdict kept: the verdict is the reason
    kept = Estimate.from_dict({**good, "converged": False, "verdict": "too few ions", "notes": []})
    assert kept.notes == ("too few ions",)
    with pytest.raises(ValueError, match="converged must be True or False"):
        Estimate.from_dict({**good, "converged": "false"})


def test_estimates_of_different_units_are_not_ordered_or_added():
    a = Estimate(1.0, 0.1, "S/m", "blocks", 10)
    b = a.to("mS/cm")
    assert b.value == pytest.approx(10.0) and b.stderr == pytest.approx(1.0)
    with pytest.raises(TypeError):
        a < b  # noqa: B015
    with pytest.raises(TypeError):
        a + b
    with pytest.raises(ValueError, match="cannot convert 'S/m'"):
        a.to("K")


@pytest.mark.parametrize("value, stderr, text", [
    # a zero, or a negative number that rounds to one, is printed without a sign
    (-0.0, 0.1, "0.00 ± 0.10"),
    (-0.0001, 0.1, "0.00 ± 0.10"),
    (-0.0, 0.0, "0 ± 0"),
    (-1e-14, 1e-12, "(0.0 ± 1.0)e-12"),
    (-0.004, 0.1, "0.00 ± 0.10"),
    (-0.006, 0.1, "-0.01 ± 0.10"),  # a negative number that does not read as zero keeps it
    # an error that rounds up to the next decade keeps two significant digits, not three
    (5.0, 0.0996, "5.00 ± 0.10"),
    (5.0, 0.996, "5.0 ± 1.0"),
    (1.23, 0.0004, "1.23000 ± 0.00040"),
])
def test_signs_and_digits_of_the_printed_number(value, stderr, text):
    e = Estimate(value, stderr, "S/m", "blocks", 10)
    assert str(e) == f"{text} S/m (valid)"


@pytest.mark.parametrize("value, stderr, spec, text", [
    # the caller's format would round the error away: "1.23 ± 0.00" reads as an exact number
    (1.23, 0.0004, ".2f", "1.23000 ± 0.00040"),
    (1.0, 0.1, ".0f", "1.00 ± 0.10"),
    (1e-30, 1e-32, ".3f", "(1.000 ± 0.010)e-30"),
    (2.5e-9, 1e-10, "10.2f", "(2.50 ± 0.10)e-09"),
    # an error the format shows is formatted as asked; a zero error may read as zero
    (1.23, 0.04, ".2f", "1.23 ± 0.04"),
    (1.23, 0.0004, ".2e", "1.23e+00 ± 4.00e-04"),
    (1.23, 0.0, ".2f", "1.23 ± 0.00"),
    (-0.001, 0.5, ".1f", "0.0 ± 0.5"),
])
def test_a_format_spec_never_hides_the_error(value, stderr, spec, text):
    assert format(Estimate(value, stderr, "S/m", "blocks", 10), spec) == f"{text} S/m"
    bad = Estimate.invalid(value, stderr, "S/m", "blocks", "too short")
    assert format(bad, spec) == f"{text} S/m (too short)"


@pytest.mark.parametrize("value, stderr, converged", [
    (1.5, 0.25, True), (math.nan, math.nan, False), (2.0, math.nan, False), (0.0, 0.0, True),
    (-0.0, 0.1, True), (1e-300, 1e-302, True),
])
def test_an_estimate_read_back_from_json_equals_itself(value, stderr, converged):
    e = Estimate(value, stderr, "S/m", "blocks", 7, converged=converged,
                 notes=() if converged else ("too short",))
    back = Estimate.from_dict(json.loads(json.dumps(e.to_dict(), allow_nan=False)))
    # a missing value or error (NaN) made the copy unequal to itself, and hashed apart
    assert back == e and hash(back) == hash(e) and len({e, back}) == 1
    assert back != e.with_notes("another caveat") and back != e.to("mS/cm")
    assert (e == value) is False  # an Estimate is no bare number
    # an infinite value is read back as missing: no longer the same estimate
    inf = Estimate.invalid(math.inf, 1.0, "S/m", "blocks", "diverged")
    assert Estimate.from_dict(inf.to_dict()) != inf


def test_invalid_estimates_are_not_ordered_and_an_invalid_one_never_equals_a_valid_one():
    valid = Estimate(1.0, 0.1, "S/m", "blocks", 10)
    invalid = Estimate.invalid(1.0, 0.1, "S/m", "blocks", "too short")
    assert valid != invalid and len({valid, invalid}) == 2
    for a, b in ((valid, invalid), (invalid, invalid)):
        with pytest.raises(TypeError):
            a < b  # noqa: B015
