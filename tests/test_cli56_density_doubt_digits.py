"""A density doubted for its unit is shown without the last bit of a unit conversion.

An experimental table of a screen giving a density of 1.3 kg/m³ warned of "a density of
0.0013000000000000002 g/cm³"; most densities converted from kg/m³ carry such
noise. Shown to ten significant digits, a number as typed stays as typed."""

import warnings

import pytest

from ase_electrolyte.units import convert, doubts_in_unit


@pytest.mark.parametrize("value, unit, shown", [
    (1.3, "kg/m^3", "0.0013"),
    (0.7, "kg/m^3", "0.0007"),
    (0.9, "kg/m^3", "0.0009"),
    (1200.0, "g/cm^3", "1200"),
    (0.1, "g/cm^3", "0.1"),
    (5.000000001, "g/cm^3", "5.000000001"),  # as typed: just above the 5 g/cm³ rule
    (1e-7, "g/cm^3", "1e-07"),
])
def test_the_density_doubted_is_shown_as_given(value, unit, shown):
    density = float(convert(value, unit, "g/cm^3"))
    doubts = doubts_in_unit(density, "g/cm^3", density_measured=False)
    assert len(doubts) == 1
    assert doubts[0].startswith(f"a density of {shown} g/cm³ is far from"), doubts[0]


def test_through_a_screen_experimental_table(tmp_path):
    from ase_electrolyte.screen.aggregate import read_experimental

    table = tmp_path / "measured.csv"
    table.write_text("solvent,salt,concentration,property,value,unit\n"
                     "EC,LiPF6,1.0,density,1.3,kg/m^3\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_experimental(table)
    said = [str(w.message) for w in caught if "a density of" in str(w.message)]
    assert said and "a density of 0.0013 g/cm³" in said[0], said
