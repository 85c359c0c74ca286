"""The composition whole molecules make, per ion and per species (info["counted_composition"]):
a box of two salts recorded only the total cation molality; the molality of each ion (mol per
kg of the neutral species) and the mass fraction of each species are exact ratios of the
counts and molar masses, said to be exact."""
import pytest

from ase_electrolyte.build import electrolyte_box, replicate_box
from ase_electrolyte.estimate import Estimate
from ase_electrolyte.species import get_species


def _expected(counts):
    mass = {name: get_species(name).mass * n for name, n in counts.items()}
    solvent_g = sum(m for name, m in mass.items() if get_species(name).charge == 0)
    molality = {name: 1000.0 * n / solvent_g for name, n in counts.items()
                if get_species(name).charge != 0 and n}
    return molality, {name: m / sum(mass.values()) for name, m in mass.items() if m}


def _values(record, unit):
    """The numbers of a record of exact Estimates (error 0, valid, said exact), in ``unit``."""
    out = {}
    for name, data in record.items():
        e = Estimate.from_dict(data)
        assert e.stderr == 0.0 and e.valid and e.method.startswith("exact")
        out[name] = e.to(unit).value
    return out


@pytest.mark.parametrize("counts", [
    {"EC": 4, "Li": 1, "Na": 1, "PF6": 2},  # two salts sharing an anion
    {"EC": 3, "DMC": 2, "Li": 2, "PF6": 1, "FSI": 1},  # two salts sharing a cation
    {"EMC": 5},  # a pure solvent: no ion
])
def test_each_ion_and_species_of_a_counted_box_is_recorded_exactly(counts):
    box = electrolyte_box(counts=counts, density=1.0, seed=0)
    got = box.info["counted_composition"]
    molality, fractions = _expected(counts)
    assert _values(got["ion_molality"], "mol/kg") == pytest.approx(molality, rel=1e-12)
    assert _values(got["mass_fractions"], "1") == pytest.approx(fractions, rel=1e-12)
    assert sum(_values(got["mass_fractions"], "1").values()) == pytest.approx(1.0, rel=1e-12)
    # the total of the cations is the one number recorded before
    cations = sum(v for k, v in molality.items() if get_species(k).charge > 0)
    recorded = box.info.get("cation_molality", {"value": 0.0})["value"]
    assert recorded == pytest.approx(cations, rel=1e-12)
    # intensive: the copies of a replicated box hold the same composition
    assert replicate_box(box, 2).info["counted_composition"] == got


def test_a_composition_box_records_the_molality_it_packed():
    box = electrolyte_box({"EC": 1}, "LiPF6", 1.0, n_atoms=120, seed=0)
    got = _values(box.info["counted_composition"]["ion_molality"], "mol/kg")
    packed = box.info["packed_composition"]["concentration_packed"]["value"]
    assert got == pytest.approx({"Li": packed, "PF6": packed}, rel=1e-12)
    assert packed != pytest.approx(1.0, rel=1e-3)  # whole molecules miss the 1.0 asked


def test_a_box_cut_from_a_packed_one_drops_the_packed_record():
    box = electrolyte_box(counts={"EC": 4, "Li": 1, "PF6": 1}, density=1.0, seed=0)
    del box[box.arrays["molecule_index"] == 0]
    assert "counted_composition" not in replicate_box(box, 2).info
