"""Estimate's construction checks hold whatever was built before (the unit check is done once
per unit, the common number types take a fast path): each bad field is refused by name after
valid Estimates of the same unit and number types were made."""

import math

import numpy as np
import pytest

from ase_electrolyte.estimate import Estimate


def _valid(value=1.0, stderr=0.1, unit="S/m"):
    return Estimate(value, stderr, unit, "blocks", n_samples=10, dof=9)


@pytest.mark.parametrize("value", [1.5, 2, np.float64(1.5), np.float32(1.5), np.int64(2),
                                   np.array(1.5), np.array(2)])
def test_number_types_give_the_same_float(value):
    est = Estimate(value, value, "S/m", "blocks", n_samples=value)
    assert type(est.value) is float and type(est.stderr) is float
    assert est.value == float(value) and est.stderr == float(value)
    assert est.n_samples == int(float(value)) and type(est.n_samples) is int


@pytest.mark.parametrize("field", ["value", "stderr", "n_samples"])
@pytest.mark.parametrize("bad", [True, np.bool_(False), "1.0", None, [1.0], 1 + 0j])
def test_non_numbers_refused_after_valid_ones(field, bad):
    _valid()
    kwargs = dict(value=1.0, stderr=0.1, unit="S/m", method="blocks", n_samples=3)
    kwargs[field] = bad
    with pytest.raises(ValueError, match=field):
        Estimate(**kwargs)


def test_unknown_unit_refused_every_time():
    _valid(unit="S/m")
    for _ in range(2):
        with pytest.raises(ValueError, match="unknown unit 'S/mm'"):
            Estimate(1.0, 0.1, "S/mm", "blocks")


@pytest.mark.parametrize("unit", [None, ["S/m"], 1.0, b"S/m"])
def test_unit_that_is_no_text_refused(unit):
    _valid()
    with pytest.raises(TypeError, match="a unit is a string"):
        Estimate(1.0, 0.1, unit, "blocks")


def test_unit_aliases_and_str_subclasses_are_checked_as_units():
    class Name(str):
        pass

    assert Estimate(1.0, 0.1, Name("Å²/ps"), "x").to("m^2/s").value == pytest.approx(1e-8)
    with pytest.raises(ValueError, match="unknown unit"):
        Estimate(1.0, 0.1, Name("S/mm"), "x")


def test_value_checks_still_fire():
    _valid()
    with pytest.raises(ValueError, match="non-finite value"):
        Estimate(math.inf, 0.1, "S/m", "x")
    with pytest.raises(ValueError, match="non-negative"):
        Estimate(1.0, -0.1, "S/m", "x")
    with pytest.raises(ValueError, match="log scale needs a positive value"):
        Estimate(-1.0, 0.1, "S/m", "x", interval_scale="log")
    with pytest.raises(ValueError, match="must say why"):
        Estimate(1.0, 0.1, "S/m", "x", converged=False)
    with pytest.raises(ValueError, match="dof"):
        Estimate(1.0, 0.1, "S/m", "x", dof=0.5)
    assert Estimate(-0.0, -0.0, "S/m", "x").stderr == 0.0
    assert math.copysign(1.0, Estimate(1.0, -0.0, "S/m", "x").stderr) == 1.0
