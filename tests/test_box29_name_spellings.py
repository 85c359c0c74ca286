"""Species and salts named with blanks, hyphens or underscores inside the name, as
option_words.choice_word reads a word's spacing: one box, whichever way it is written."""

import pytest

from ase_electrolyte.build import composition_counts
from ase_electrolyte.species import get_salt, get_species


@pytest.mark.parametrize("written, name", [
    ("E M C", "EMC"), ("ethylene-carbonate", "EC"), ("ethyl_methyl_carbonate", "EMC"),
    ("ethylenecarbonate", "EC"), ("G 2", "G2"), ("H 2 O", "H2O"), ("PF6 -", "PF6"),
])
def test_a_species_written_with_other_spacing_is_the_library_species(written, name):
    assert get_species(written) is get_species(name)


@pytest.mark.parametrize("written", ["Li PF6", "li-pf6", "LiPF 6", "Li+ PF6-", "Li+PF6-",
                                     "lithium-hexafluorophosphate"])
def test_a_salt_written_with_other_spacing_or_its_ions_signs_is_the_library_salt(written):
    assert get_salt(written) is get_salt("LiPF6")


def test_one_composition_written_two_ways_packs_the_same_molecules():
    plain = composition_counts({"EC": 3, "EMC": 7}, "LiPF6", 1.0, n_atoms=800)
    spaced = composition_counts({"ethylene-carbonate": 3, "E M C": 7}, "Li+ PF6-", 1.0,
                                n_atoms=800)
    assert plain == spaced


@pytest.mark.parametrize("written, match", [
    # a wrong sign stays refused, with the charge named
    ("Li -", r"Li has charge \+1"),
    # a near miss is still a near miss, named
    ("E M C C", r"did you mean 'EMC'"),
])
def test_near_misses_and_wrong_signs_are_still_refused(written, match):
    with pytest.raises(ValueError, match=match):
        get_species(written)


def test_a_salt_near_miss_is_named():
    with pytest.raises(ValueError, match=r"unknown salt 'Li PF' \(did you mean [^)]*'LiPF6'"):
        get_salt("Li PF")


def test_a_solvent_given_as_text_is_the_same_composition():
    # the CLI's notation was refused with advice about salts without solvent
    assert composition_counts("EC:3, EMC:7", "LiPF6", 1.0, n_atoms=800) == composition_counts(
        {"EC": 3, "EMC": 7}, "LiPF6", 1.0, n_atoms=800)
    assert composition_counts("EC", n_atoms=90) == composition_counts({"EC": 1}, n_atoms=90)


@pytest.mark.parametrize("text, match", [
    ("EC:0,EMC:1", r"solvent share of EC must be a finite number > 0"),
    ("EC:-1", r"solvent share of EC must be"),
    ("EC:nan,EMC:1", r"solvent share of EC must be"),
    ("EC:3,EMC", r"gives the share of EC but not of EMC"),
    ("EC:3,XYZ:7", r"unknown species 'XYZ'"),
])
def test_a_bad_solvent_text_is_refused_before_any_packing(text, match, monkeypatch):
    import ase_electrolyte.build as build

    def started(*args, **kwargs):
        raise AssertionError("conformers or PACKMOL were started")

    monkeypatch.setattr(build, "conformer", started)
    monkeypatch.setattr(build, "_run_packmol", started)
    with pytest.raises(ValueError, match=match):
        build.electrolyte_box(solvent=text, salt="LiPF6", concentration=1.0, n_atoms=300,
                              seed=0)
