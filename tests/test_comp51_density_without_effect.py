"""A density beside a molal concentration has no effect on the molecule counts (mol/kg of
solvent needs no volume): ``composition_counts(..., units="molal", density=12)`` (kg/m³ meant
as g/cm³, or any slip) gave the counts of ``density=None`` without a word. It is refused,
naming the cure, in every spelling of molal units. The callers that hold a box density
whatever the units (``electrolyte_box``, ``electrolyte simulate --density``, a screening
plan's ``density``) pass it on only for a molar concentration, so there it keeps working
as the density the box is packed at."""
import pytest

from ase_electrolyte.build import composition_counts, composition_word

_MOLAL = ["molal", "mol/kg", "molality", " MOL/KG "]
_MOLAR = ["molar", "mol/L", "mol/dm3", "molarity"]
_CASES = [({"EC": 3, "EMC": 7}, "LiPF6", 1.0), ({"EC": 1}, "NaPF6", 0.5), ({"DMC": 1}, None, 0.0)]


def _named(counts):
    return {sp.name: n for sp, n in counts.items()}


@pytest.mark.parametrize("units", _MOLAL)
@pytest.mark.parametrize("density", [1.2, 12.0, 1200.0, 0.0])
@pytest.mark.parametrize("case", _CASES, ids=lambda c: "-".join(c[0]) + f"-{c[1]}")
def test_a_density_beside_a_molality_is_refused_with_its_cure(units, density, case):
    solvent, salt, concentration = case
    # without the density the composition is one the builder takes: the density alone is
    # what is refused
    plain = composition_counts(solvent, salt, concentration, units=units, n_atoms=400)
    assert sum(plain.values()) > 0
    with pytest.raises(ValueError) as err:
        composition_counts(solvent, salt, concentration, units=units, n_atoms=400,
                           density=density)
    message = str(err.value)
    assert f"density={density!r}" in message
    assert "density is used only for units='molar'" in message and "leave it out" in message


@pytest.mark.parametrize("units", _MOLAR)
def test_a_molar_concentration_converts_with_the_density(units):
    """Where the density acts: at fixed mol/L, a denser solution holds more solvent per litre,
    so fewer salt formula units per solvent molecule (finite difference in the density)."""
    light = _named(composition_counts({"EC": 1}, "LiPF6", 1.0, units=units, n_atoms=20000,
                                      density=1.1))
    dense = _named(composition_counts({"EC": 1}, "LiPF6", 1.0, units=units, n_atoms=20000,
                                      density=1.5))
    assert light["Li"] / light["EC"] > dense["Li"] / dense["EC"]


@pytest.mark.parametrize("units", _MOLAL + _MOLAR)
def test_the_pass_through_rule_follows_the_units_word(units):
    from ase_electrolyte.build import composition_density

    expected = 1.3 if composition_word(units, "units") == "molar" else None
    assert composition_density(units, 1.3) == expected
    assert composition_density(units, None) is None


def test_the_pass_through_refuses_an_unknown_units_word_as_the_builder_does():
    from ase_electrolyte.build import composition_density

    with pytest.raises(ValueError) as ours:
        composition_density("M", 1.3)
    with pytest.raises(ValueError) as builders:
        composition_counts({"EC": 1}, "LiPF6", 1.0, units="M", n_atoms=400, density=1.3)
    assert str(ours.value) == str(builders.value)


@pytest.mark.parametrize("units", ["molal", "molar"])
def test_the_command_passes_its_box_density_only_to_a_molar_concentration(units):
    """``--density`` with molal units is the box's density, not a setting without effect."""
    from electrolyte_cli import build_parser
    from electrolyte_cli.simulate import _composition

    args = build_parser().parse_args([
        "simulate", "--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration", "1.0",
        "--units", units, "--ratio", "mass", "--density", "1.25", "--n-atoms", "600",
        "--model", "sevennet-0",
        "-o", "unused"])
    expected = composition_counts({"EC": 3, "EMC": 7}, "LiPF6", 1.0, units=units, n_atoms=600,
                                  density=1.25 if units == "molar" else None)
    assert _named(_composition(args)) == _named(expected)


@pytest.mark.filterwarnings("ignore:n_atoms = 500 packs")
@pytest.mark.parametrize("units", ["molal", "molar"])
def test_a_plan_with_a_density_packs_its_molal_and_molar_compositions(units):
    from pathlib import Path

    from ase_electrolyte.screen import load_plan
    from ase_electrolyte.screen.plan import box_of, packing_shortfall

    models = str(Path(__file__).with_name("screen_models.py"))
    plan = load_plan({
        "n_atoms": 500, "density": 1.25, "analyses": [],
        "model": {"calculator": f"{models}:lj", "device": "cpu"},
        "composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0,
                         "units": units}],
    })
    comp = plan.compositions[0]
    expected = composition_counts(comp.solvent, comp.salt, comp.concentration, units=units,
                                  n_atoms=500, ratio=comp.ratio,
                                  density=1.25 if units == "molar" else None)
    assert dict(box_of(comp, 500, plan.density)) == _named(expected)
    # the shortfall's search over box sizes counts the same composition
    assert isinstance(packing_shortfall(comp, 500, plan.density), str)


def test_the_builder_packs_a_molal_box_at_the_density_given():
    """electrolyte_box's density is the box's: with molal units it sets the volume only."""
    from ase_electrolyte.build import electrolyte_box

    box = electrolyte_box({"EC": 1}, "LiPF6", 1.0, units="molal", n_atoms=120, density=1.3,
                          seed=0)
    expected = composition_counts({"EC": 1}, "LiPF6", 1.0, units="molal", n_atoms=120)
    assert box.info["composition"] == _named(expected)
    # g/cm³ from amu and Å³: mass over volume is the density asked
    grams_per_cm3 = box.get_masses().sum() * 1.66053906660e-24 / (box.get_volume() * 1e-24)
    assert grams_per_cm3 == pytest.approx(1.3, rel=1e-6)
