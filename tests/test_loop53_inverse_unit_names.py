"""An argument named ``..._per_bar`` reads 1/bar, not bar.

``unit_of_name`` took the suffix of ``kappa_per_bar`` for its unit: a compressibility refused
by its bounds was advised as a pressure ("got 10.0; is it in Pa? 10 Pa = 0.0001 bar"), and an
Estimate given for it was told to give ``.to('bar').value``, which no compressibility converts
to. A ``per_`` suffix now reads as the inverse unit (where :data:`UNITS` has one; otherwise
no unit), and a compressibility's likely slips are 1/GPa and 1/Pa.
"""

import pytest
from scipy import constants as c

from ase_electrolyte.atoms_checks import check_number
from ase_electrolyte.estimate import Estimate
from ase_electrolyte.units import UNITS, convert, slip_advice, unit_of_name


@pytest.mark.parametrize("name, unit", [
    ("kappa_per_bar", "1/bar"), ("kappa_per_bar (NPT)", "1/bar"), ("alpha_per_K", "1/K"),
    ("x_per_GPa", "1/GPa"), ("x_per_Pa", "1/Pa"), ("rate_per_ps", None), ("n_per_atom", None),
    ("kappa_per_bar (1/bar)", "1/bar"),
    # plain suffixes as before
    ("temperature_K", "K"), ("pressure_bar", "bar"), ("production_ps", "ps"),
    ("delta_bar (bar)", "bar")])
def test_unit_of_a_name(name, unit):
    assert unit_of_name(name) == unit
    if unit is not None:
        assert unit in UNITS


@pytest.mark.parametrize("name", ["kappa_per_bar", "alpha_per_K", "x_per_GPa"])
def test_an_estimate_is_told_a_conversion_that_works(name):
    unit = unit_of_name(name)
    given = (Estimate(2e-3, 1e-4, "1/K", "m", converged=True) if unit == "1/K" else
             Estimate(5e-5, 1e-6, "1/bar", "m", converged=True).to(unit))
    with pytest.raises(ValueError, match=rf"\(.to\('{unit}'\).value\)"):
        check_number(name, given, above=0)
    # the advice given converts
    assert given.to(unit).value > 0


@pytest.mark.parametrize("value, other", [(10.0, "1/GPa"), (0.45, "1/GPa"), (4.5e-10, "1/Pa")])
def test_a_compressibility_out_of_bounds_is_advised_as_one(value, other):
    def bound(x):
        return 1e-7 <= x <= 1e-3

    meant = value * (1 / {"1/GPa": c.giga, "1/Pa": 1.0}[other]) * c.bar
    assert meant == pytest.approx(convert(value, other, "1/bar"), rel=1e-12)
    advice = slip_advice(value, "1/bar", bound)
    assert advice == f"; is it in {other}? {value:g} {other} = {meant:g} 1/bar"
    with pytest.raises(ValueError) as info:
        check_number("kappa_per_bar", value, minimum=1e-7, maximum=1e-3)
    # advised as a compressibility, not as a pressure in Pa
    assert str(info.value).endswith(advice) and "in Pa?" not in str(info.value)


def test_no_advice_where_no_slip_explains_it():
    # negative: no unit makes a compressibility positive
    with pytest.raises(ValueError) as info:
        check_number("kappa_per_bar", -5e-5, above=0)
    assert "is it in" not in str(info.value)
