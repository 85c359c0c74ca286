"""The papers' spelling of shares ("EC:EMC 3:7") reads its numbers as the own notation does.

Its numbers had to start with a digit or a dot: "EC:EMC 3:-7", "EC:DMC nan:1" or "inf/1" were
left unsplit and refused as one bad entry, "bad solvent entry 'EC:EMC 3:-7' ...; expected
NAME:NUMBER, e.g. EC:3,EMC:7", which blames the notation the user wrote correctly, while
"EC:3,EMC:-7" names the negative share; "EC:DMC +1:1" was refused where "EC:+1,DMC:1" is 1.
"""
import pytest

from ase_electrolyte.build import composition_counts
from ase_electrolyte.species import parse_shares

# (papers' spelling, the same in the own notation)
_PAIRS = [
    ("EC:EMC 3:-7", "EC:3,EMC:-7"),
    ("EC:EMC -3:7", "EC:-3,EMC:7"),
    ("EC/DMC nan/1", "EC:nan,DMC:1"),
    ("EC:DMC 1:inf", "EC:1,DMC:inf"),
    ("EC:DMC -0.5:1", "EC:-0.5,DMC:1"),
    ("EC:DMC x:1", "EC:x,DMC:1"),
    ("EC:DMC 1:½", "EC:1,DMC:½"),
]


def _refusal(text, what):
    with pytest.raises(ValueError) as err:
        parse_shares(text, what)
    return str(err.value)


@pytest.mark.parametrize("what", ["solvent", "counts"])
@pytest.mark.parametrize("paper,own", _PAIRS)
def test_a_bad_number_is_named_as_in_the_own_notation(paper, own, what):
    got, expected = _refusal(paper, what), _refusal(own, what)
    # the same refusal but for the text quoted at its end
    assert got.replace(repr(paper), "TEXT") == expected.replace(repr(own), "TEXT")
    # it names the item holding the number, not the whole text as one entry
    assert f"entry {paper!r}" not in got


@pytest.mark.parametrize("paper,own", [("EC:DMC +1:1", "EC:1,DMC:1"),
                                       ("EC/EMC 3/+7", "EC:3,EMC:7"),
                                       ("EC:Li:PF6 +30:3:3", "EC:30,Li:3,PF6:3")])
def test_a_plus_sign_is_the_number(paper, own):
    assert parse_shares(paper) == parse_shares(own)


def test_composition_counts_names_the_negative_share():
    with pytest.raises(ValueError, match=r"share of EMC must be a finite number > 0, not -7"):
        composition_counts("EC:EMC 3:-7", "LiPF6", 1.0, n_atoms=600)


@pytest.mark.parametrize("text,parsed", [
    ("ethylene carbonate/EMC 30/70", {"ethylene carbonate": 30.0, "EMC": 70.0}),
    ("EC:dimethyl carbonate 1:2", {"EC": 1.0, "dimethyl carbonate": 2.0}),
    ("EC : EMC  3 : 7", {"EC": 3.0, "EMC": 7.0}),
    ("H2O:G2 1:2e0", {"H2O": 1.0, "G2": 2.0}),
])
def test_names_with_blanks_and_digits_are_still_split_at_the_numbers(text, parsed):
    assert parse_shares(text) == parsed
