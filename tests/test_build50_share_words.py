"""Shares and counts as written (``"EC:3,EMC:7"``, ``"EC=30,Li=3,PF6=3"``): a number that is
negative, NaN, infinite or overflows is refused where it is read, naming it as written; the
example of a bad entry is one of its own kind (counts for --counts)."""
import pytest

from ase_electrolyte.build import composition_counts
from ase_electrolyte.species import parse_shares


@pytest.mark.parametrize("share, why", [
    ("1e400", "overflows"),  # was read as inf and reported as "got inf"
    ("-1e400", "overflows"),
    ("nan", "not finite"),
    ("inf", "not finite"),
    ("-inf", "not finite"),
    ("-1", "negative"),
    ("-2.5e-3", "negative"),
])
@pytest.mark.parametrize("what, sep, example", [
    ("solvent", ":", "EC:3,EMC:7"),
    ("--solvent", ":", "EC:3,EMC:7"),
    ("--counts", "=", "EC=30,Li=3,PF6=3"),
    ("counts", "=", "EC=30,Li=3,PF6=3"),
])
def test_a_number_no_share_can_be_is_refused_as_written(share, why, what, sep, example):
    text = f"EMC{sep}7,EC{sep}{share}"
    with pytest.raises(ValueError) as err:
        parse_shares(text, what)
    message = str(err.value)
    noun, bound = ("count", ">= 0") if "counts" in what else ("share", "> 0")
    assert message.startswith(f"{what} {noun} of EC must be a finite number {bound}, "
                              f"not {share}")
    assert f"'EC{sep}{share}'" in message and message.endswith(f"e.g. {example}")
    assert ("(it overflows a float)" in message) == (why == "overflows")


@pytest.mark.parametrize("what, notation, example", [
    ("--counts", "NAME=NUMBER", "EC=30,Li=3,PF6=3"), ("solvent", "NAME:NUMBER", "EC:3,EMC:7")])
def test_an_entry_that_does_not_parse_shows_an_example_of_its_kind(what, notation, example):
    with pytest.raises(ValueError, match=rf"'EC=3x'; expected {notation}, e.g. {example}$"):
        parse_shares("EC=3x", what)


@pytest.mark.parametrize("text, expected", [
    ("EC:-0,EMC:7", {"EC": 0.0, "EMC": 7.0}),  # a zero, not -0.0
    ("EC:1e300,EMC:1e-300", {"EC": 1e300, "EMC": 1e-300}),  # finite: the builder's to judge
    ("EC=30,Li=3,PF6=3", {"EC": 30.0, "Li": 3.0, "PF6": 3.0}),
])
def test_finite_numbers_are_read_as_they_are(text, expected):
    out = parse_shares(text)
    assert out == expected
    assert all(str(v) != "-0.0" for v in out.values())


def test_shares_at_the_ends_of_the_float_range_still_build_their_ratio():
    # 1e300:1e300 is 1:1, as the builder reads proportions (the share is no overflow)
    big = composition_counts(parse_shares("EC:1e300,EMC:1e300"), n_atoms=300, ratio="mole")
    assert big == composition_counts({"EC": 1, "EMC": 1}, n_atoms=300, ratio="mole")
