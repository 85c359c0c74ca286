"""Word options read '-', '_' and spaces alike, through the one shared reader and through the
analyses that call it (a user writes "off-diagonal", "Green Kubo" or "Anion Count")."""

import pytest

from ase_electrolyte.option_words import choice_word


@pytest.mark.parametrize("value, choices, expected", [
    ("off-diagonal", ("traceless", "offdiagonal"), "offdiagonal"),
    ("Off Diagonal", ("traceless", "offdiagonal"), "offdiagonal"),
    ("green kubo", ("einstein", "green-kubo"), "green-kubo"),
    ("Green_Kubo", ("einstein", "green-kubo"), "green-kubo"),
    ("greenkubo", ("einstein", "green-kubo"), "green-kubo"),
    ("Anion Count", ("anion_count", "bridging"), "anion_count"),
    ("anion-count", ("anion_count", "bridging"), "anion_count"),
    ("D_optimal", ("fps", "d-optimal"), "d-optimal"),
    (" WHOLE molecule ", ("whole_molecule", "donor_atoms"), "whole_molecule"),
])
def test_separators_name_the_same_choice(value, choices, expected):
    assert choice_word("option", value, choices) == expected


def test_a_word_two_choices_share_by_separators_is_refused_not_guessed():
    with pytest.raises(ValueError, match="must be one of"):
        choice_word("option", "ab", ("a-b", "a_b"))
    # the exact spelling still picks its own choice
    assert choice_word("option", "a-b", ("a-b", "a_b")) == "a-b"


def test_other_words_are_still_refused_with_the_near_choice():
    with pytest.raises(ValueError, match=r"did you mean 'offdiagonal'"):
        choice_word("components", "of-diagonal", ("traceless", "offdiagonal"))
    with pytest.raises(ValueError, match="must be one of"):
        choice_word("method", "kubo", ("einstein", "green-kubo"))
