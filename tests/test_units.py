"""Unit doubts of ase_electrolyte.units.warn_implausible: numbers that are valid but point to a
wrong unit warn once each, plausible ones stay silent."""

import warnings

import pytest

from ase_electrolyte.units import warn_implausible


@pytest.mark.parametrize("kwargs,match", [
    ({"temperature_K": 25.0}, "is it in °C"),
    ({"temperature_K": [298.0, 25.0]}, "is it in °C"),
    # far above the range °C cannot be the slip (1e5 °C is hotter still)
    ({"temperature_K": 1e5}, "is it a typo or in another unit"),
    ({"temperature_K": [298.0, 30000.0]}, "is it a typo or in another unit"),
    ({"pressure_bar": 101325.0}, "is it in Pa"),
    # 1 attosecond is no MD step but 1 fs written in ps (it ran 1000 times more steps silently)
    ({"timestep_fs": 1e-3}, "is it in ps"),
    ({"timestep_fs": 0.1}, None),
    ({"timestep_fs": 10.0}, "another unit"),
    ({"density_g_cm3": 1200.0}, "kg/m³"),
    ({"density_g_cm3": 1e-4}, "kg/m³"),
    ({"density_g_cm3": [1.2, 0.01]}, "kg/m³"),
    ({"concentration": 1000.0}, "mmol"),
    ({"concentration": [1.0, 100.0]}, "mmol"),
])
def test_implausible_values_warn_and_name_the_likely_unit(kwargs, match):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_implausible(**kwargs)
    if match is None:
        assert not caught
    else:
        assert len(caught) == 1 and match in str(caught[0].message)


def test_a_hot_temperature_is_not_asked_about_celsius():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_implausible(temperature_K=1e5)
    assert len(caught) == 1 and "°C" not in str(caught[0].message)


@pytest.mark.parametrize("kwargs", [
    {"temperature_K": 298.15}, {"pressure_bar": 1.01325}, {"timestep_fs": 2.0},
    {"density_g_cm3": 1.25}, {"density_g_cm3": [0.78, 2.1]}, {"concentration": 1.0},
    {"concentration": 21.0},  # water-in-salt LiTFSI
])
def test_plausible_values_are_silent(kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_implausible(**kwargs)


def test_the_box_builder_warns_about_a_concentration_in_mmol():
    from ase_electrolyte.build import composition_counts

    with pytest.warns(UserWarning, match="mmol"):
        composition_counts({"EC": 1}, "LiPF6", 1000.0, n_atoms=5000)
