"""A density far below any liquid's is asked about its likely causes, not only kg/m³.

``warn_implausible`` asked "is it in kg/m³?" of 0.01 g/cm³ as of 1200; a density that thin
comes from atoms without masses (MDAnalysis gives unknown masses 0 amu) or a box too large
for its atoms far more often than from a unit."""
import warnings

import numpy as np
import pytest

from ase_electrolyte.units import warn_implausible


def _doubt(value):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_implausible(density_g_cm3=value)
    return " ".join(str(w.message) for w in caught)


@pytest.mark.parametrize("value", [0.0, 0.0012, 0.29, np.array([0.001, 1.2])])
def test_too_thin_names_masses_and_the_box(value):
    text = _doubt(value)
    assert "masses missing" in text and "box too large" in text and "kg/m³" in text


@pytest.mark.parametrize("value", [5.1, 1200.0, np.array([1.2, 1200.0])])
def test_too_dense_names_kg_per_m3_only(value):
    text = _doubt(value)
    assert "is it in kg/m³" in text and "masses" not in text


@pytest.mark.parametrize("value", [0.3, 0.8, 1.2, 2.0, 5.0])
def test_a_liquid_density_is_not_doubted(value):
    assert _doubt(value) == ""


def test_an_asked_density_is_asked_only_its_unit():
    """A box to be built has no atoms behind its density: asking about missing masses or a
    vacuum gap misled (build23's probe of ``composition_counts(density=0.05)``)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_implausible(density_g_cm3=0.05, density_measured=False)
    text = " ".join(str(w.message) for w in caught)
    assert "gas" in text and "kg/m³" in text and "masses" not in text and "box too" not in text


def test_the_builder_asks_about_the_unit_of_a_thin_density():
    from ase_electrolyte.build import composition_counts

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        composition_counts({"EC": 1}, "LiPF6", 0.1, units="molar", n_atoms=200, density=0.05)
    text = " ".join(str(w.message) for w in caught)
    assert "0.05 g/cm³" in text and "gas" in text and "masses" not in text
