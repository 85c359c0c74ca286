"""The literature's other spellings of units are read as the same units: an experimental
conductivity in S/cm (1.1e-2 S/cm for 1 M LiPF6 in EC/DMC) was refused as an unknown unit."""

import pytest
import scipy.constants as sc

from ase_electrolyte.units import convert, dimension


@pytest.mark.parametrize("unit, reference, si", [
    ("S/cm", "S/m", 1.0 / sc.centi),
    ("µS/cm", "S/m", sc.micro / sc.centi),   # the micro sign
    ("μS/cm", "S/m", sc.micro / sc.centi),   # the Greek mu
    ("uS/cm", "S/m", sc.micro / sc.centi),
    ("kPa", "Pa", sc.kilo),
    ("mPa*s", "Pa·s", sc.milli), ("mPa.s", "Pa·s", sc.milli), ("Pa*s", "Pa·s", 1.0),
    ("Pa.s", "Pa·s", 1.0), ("cp", "Pa·s", sc.milli),
    ("g cm-3", "kg/m^3", sc.gram / sc.centi**3), ("g/cc", "kg/m^3", sc.gram / sc.centi**3),
])
def test_a_spelling_converts_as_its_si_value(unit, reference, si):
    assert dimension(unit) == dimension(reference)
    assert convert(2.5, unit, reference) == pytest.approx(2.5 * si, rel=1e-12)
    # and back, through every other unit of the dimension
    assert convert(convert(2.5, unit, reference), reference, unit) == pytest.approx(2.5)


def test_a_literature_conductivity_in_s_per_cm_is_the_same_in_ms_per_cm():
    assert convert(1.1e-2, "S/cm", "mS/cm") == pytest.approx(11.0, rel=1e-12)
    assert convert(11.0, "mS/cm", "µS/cm") == pytest.approx(1.1e4, rel=1e-12)


def test_a_spelling_of_another_dimension_is_still_refused():
    with pytest.raises(ValueError, match="cannot convert 'S/cm' .* to 'mPa·s'"):
        convert(1.0, "S/cm", "mPa·s")
