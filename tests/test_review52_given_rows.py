"""A setting given, not measured, is shown without a measurement's trappings: no sample count
"(n = 0)" in the HTML report's method column, and no unit name for a dimensionless number in
the terminal (``"0.5 dimensionless"`` read as a unit called that)."""
import math

import pytest

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.html_report import _estimate_row
from electrolyte_cli.arguments import given_text


@pytest.mark.parametrize("unit", ["1", "dimensionless"])
def test_a_dimensionless_setting_prints_no_unit_name(unit):
    text = given_text(Estimate.given_value(0.5, unit, source="test"))
    assert text.startswith("0.5 (a setting given"), text
    assert "dimensionless" not in text


@pytest.mark.parametrize("value, unit", [(300.0, "K"), (2.6, "Å"), (1.0, "bar")])
def test_a_setting_with_a_unit_keeps_it(value, unit):
    text = given_text(Estimate.given_value(value, unit, source="test"))
    assert text.split(" (")[0].endswith(f" {unit}"), text


@pytest.mark.parametrize("stderr", [0.0, 0.5])
def test_the_html_row_of_a_setting_has_no_sample_count(stderr):
    row = _estimate_row("temperature", Estimate.given_value(300.0, "K", stderr,
                                                            source="the thermostat"))
    assert "(n = " not in row, row
    assert "given" in row


@pytest.mark.parametrize("n", [0, 1, 40])
def test_the_html_row_of_a_measurement_keeps_its_count(n):
    est = Estimate(1.2, 0.01 if n > 1 else math.nan, "g/cm^3", "block average", n,
                   converged=n > 1, notes=() if n > 1 else ("too few samples",))
    row = _estimate_row("density", est)
    assert f"(n = {n})" in row, row
