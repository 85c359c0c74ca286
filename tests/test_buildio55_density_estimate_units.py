"""A density Estimate in another unit than g/cm³ is converted wherever a box's molarity is
computed.

``check_density`` converts an Estimate in kg/m³, and ``composition_counts`` took it so, but the
packed-composition arithmetic took ``float()`` of it: ``electrolyte_box`` of 1 mol/L LiPF6 in EC
at a density of 1300 ± 10 kg/m³ warned that its box "holds 924 mol/L of LiPF6, not the 1 mol/L
asked (+92309 %)", for 0.924 mol/L, and named a box size to cure it.
"""

import re
import warnings

import pytest

from ase_electrolyte.build import (
    PackingShortfallWarning,
    _packed_composition,
    composition_counts,
    electrolyte_box,
)
from ase_electrolyte.estimate import Estimate

G_CM3 = 1.3
DENSITIES = [G_CM3, Estimate(1.3, 0.01, "g/cm^3", "propagated"),
             Estimate(1300.0, 10.0, "kg/m^3", "propagated"),
             Estimate(1.3, 0.01, "g/mL", "propagated"),
             Estimate.given_value(1300.0, "kg/m^3")]
IDS = ["float", "g/cm3", "kg/m3", "g/mL", "given kg/m3"]


@pytest.mark.parametrize("density", DENSITIES, ids=IDS)
def test_packed_molarity_is_one_number_whatever_the_density_unit(density):
    counts = composition_counts({"EC": 1}, "LiPF6", 1.0, units="molar", n_atoms=600,
                                density=density)
    packed = _packed_composition(counts, {"EC": 1}, "LiPF6", 1.0, units="molar",
                                 density=density)
    # n formula units in the mass of the box at 1.3 g/cm³
    grams = sum(sp.mass * n for sp, n in counts.items())
    n_salt = sum(n for sp, n in counts.items() if sp.charge > 0)
    assert packed["concentration_packed"] == pytest.approx(1000.0 * G_CM3 * n_salt / grams,
                                                           rel=1e-12)
    assert abs(packed["concentration_deviation"]) < 0.1


@pytest.mark.parametrize("density", DENSITIES, ids=IDS)
def test_the_builder_warns_of_the_molarity_it_packs(density):
    # 600 atoms pack 0.924 mol/L: the shortfall warning says so, before PACKMOL (the tiny
    # timeout stops the build right after it)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="packmol_timeout"):
            electrolyte_box({"EC": 1}, "LiPF6", 1.0, units="molar", density=density,
                            n_atoms=600, seed=0, packmol_timeout=1e-3)
    texts = [str(w.message) for w in caught if issubclass(w.category, PackingShortfallWarning)]
    assert len(texts) == 1
    held = float(re.search(r"holds ([\d.]+) mol/L", texts[0]).group(1))
    assert held == pytest.approx(0.924, abs=0.001)
    assert "(-8 %)" in texts[0]


def test_a_not_valid_density_is_refused_by_the_record_too():
    counts = {"EC": 10, "Li": 1, "PF6": 1}
    bad = Estimate.invalid(1.3, 0.2, "g/cm^3", "propagated", "likely low")
    with pytest.raises(ValueError, match="not valid"):
        _packed_composition(counts, {"EC": 1}, "LiPF6", 1.0, units="molar", density=bad)
