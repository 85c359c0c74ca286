"""One reader of a composition's ``units`` and ``ratio`` words for the Python API and plans.

Plans accepted "mol/kg", "mol/L", "mol/dm3", "weight" and "molar" (a molar ratio), while
composition_counts and electrolyte_box refused every word but "molal"/"molar" and "mass"/"mole":
the same composition written in a plan's words failed in Python ("units must be 'molal' ...").
Both now read them with build.composition_word; "molar" is read by the argument it is given to,
and "M"/"m" (mol/L or mol/kg by their case alone) are refused.
"""

import pytest

pytest.importorskip("rdkit")

from ase_electrolyte.build import (  # noqa: E402
    RATIO_SPELLINGS,
    UNIT_SPELLINGS,
    composition_counts,
    composition_density,
    composition_word,
    electrolyte_box,
)

SOLVENT = {"EC": 3, "EMC": 7}


def _counts(**kw):
    if kw.get("density") is not None:
        # the box density converts a molar concentration only (refused beside a molal one)
        kw["density"] = composition_density(kw.get("units", "molal"), kw["density"])
    return {sp.name: n for sp, n in composition_counts(SOLVENT, "LiPF6", 1.0, n_atoms=600,
                                                        **kw).items()}


def test_the_python_api_reads_every_word_a_plan_reads():
    # molal and molar differ (1 mol/L at 1.5 g/cm³ is not 1 mol/kg), mass and mole too: each
    # spelling gives the counts of its canonical word
    reference = {(u, r): _counts(units=u, ratio=r, density=1.5)
                 for u in ("molal", "molar") for r in ("mass", "mole", "volume")}
    assert len({tuple(c.items()) for c in reference.values()}) == 6
    for word, units in UNIT_SPELLINGS.items():
        for given in (word, f" {word.upper()} "):
            assert _counts(units=given, density=1.5) == reference[units, "mass"], given
    for word, ratio in RATIO_SPELLINGS.items():
        assert _counts(ratio=word.title(), density=1.5) == reference["molal", ratio], word
    assert {"mol/kg", "mol/l", "mol/dm3"} <= set(UNIT_SPELLINGS)
    assert {"weight", "molar"} <= set(RATIO_SPELLINGS)


def test_molar_is_mol_per_litre_as_units_and_a_mole_ratio_as_ratio():
    assert composition_word("molar", "units") == "molar"
    assert composition_word("molar", "ratio") == "mole"
    # as units it is a concentration that needs the solution's density
    with pytest.raises(ValueError, match="needs the solution density"):
        _counts(units="Molar")
    assert _counts(ratio="molar") == _counts(ratio="mole") != _counts(ratio="mass")


@pytest.mark.parametrize("kind, word, why", [
    ("units", "M", "difference of case"), ("units", "m", "difference of case"),
    ("units", "mole", "a word for ratio="), ("units", "weight", "a word for ratio="),
    ("ratio", "mol/kg", "a word for units="), ("ratio", "molal", "a word for units="),
    # "volume" (v/v) is a ratio now (of the pure liquids); "percent" says of what not
    ("ratio", "percent", None), ("units", 1.0, None), ("units", None, None),
])
def test_ambiguous_crossed_and_unknown_words_are_refused_before_any_work(kind, word, why):
    pattern = f"{kind} must be one of .*not {word!r}" + (f".*{why}" if why else "")
    with pytest.raises(ValueError, match=pattern):
        composition_word(word, kind)
    with pytest.raises(ValueError, match=pattern):
        _counts(**{kind: word}, density=1.5)
    # refused before conformers and PACKMOL: an instant ValueError, not a packed box
    with pytest.raises(ValueError, match=pattern):
        electrolyte_box(SOLVENT, "LiPF6", 1.0, n_atoms=600, density=1.5, **{kind: word})


def test_a_plan_and_the_python_api_read_the_same_words():
    pytest.importorskip("distributed")
    from ase_electrolyte.screen import PlanError, load_plan

    def plan(**words):
        return load_plan({
            "name": "words", "seed": 1, "temperatures": [298], "n_atoms": 600, "density": 1.5,
            "analyses": ["diffusion"],
            "model": {"calculator": "ase.calculators.emt:EMT", "device": "cpu"},
            "composition": [{"solvent": "EC:3,EMC:7", "salt": "LiPF6", "concentration": 1.0,
                             **words}],
        })

    reference = plan(units="mol/L", ratio="mole").compositions
    assert (reference[0].units, reference[0].ratio) == ("molar", "mole")
    # words the plan did not read before: the one composition (label, folder, seed)
    assert plan(units="molarity", ratio="mole fraction").compositions == reference
    other = plan(units="mol/kg", ratio="wt").compositions[0]
    assert (other.units, other.ratio) == ("molal", "mass")
    with pytest.raises(PlanError, match="composition 1: units must be one of .*difference of"):
        plan(units="M")
    with pytest.raises(PlanError, match="composition 1: ratio must be one of .*units="):
        plan(ratio="mol/kg")
