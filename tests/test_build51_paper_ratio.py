"""The papers write a solvent mixture as "EC:EMC 3:7" (or "EC/DMC 1/1"); parse_shares refused it
as one bad entry ("bad solvent entry 'EC:EMC 3:7'"), and so did composition_counts, the
command line's --solvent and screening plans, which read text through it. It is now the same
mapping as "EC:3,EMC:7" (the same box), and a kind of ratio written into the shares ("(v/v)",
"by mass"), which a share would silently drop, is refused naming ratio=."""
import pytest

from ase_electrolyte.build import composition_counts
from ase_electrolyte.species import parse_shares

_SAME = [
    ("EC:EMC 3:7", "EC:3,EMC:7"),
    ("EC/DMC 1/1", "EC:1,DMC:1"),
    ("EC : EMC  3 : 7", "EC:3,EMC:7"),
    ("EC:EMC:DMC 1:1:1", "EC:1,EMC:1,DMC:1"),
    ("ethylene carbonate/EMC 30/70", "ethylene carbonate:30,EMC:70"),
    ("FEC:EC 0.1:0.9", "FEC:0.1,EC:0.9"),
    ("H2O:G2 1:2e0", "H2O:1,G2:2"),
]


@pytest.mark.parametrize("paper,own", _SAME)
def test_the_papers_spelling_is_the_same_mapping(paper, own):
    assert parse_shares(paper, "solvent") == parse_shares(own, "solvent")


@pytest.mark.parametrize("paper,own", _SAME[:4])
@pytest.mark.parametrize("ratio", ["mass", "mole", "volume"])
def test_the_papers_spelling_packs_the_same_molecules(paper, own, ratio):
    kwargs = dict(salt="LiPF6", concentration=1.0, n_atoms=600, ratio=ratio)
    assert composition_counts(paper, **kwargs) == composition_counts(own, **kwargs)


@pytest.mark.parametrize("text,names,numbers", [
    ("EC:EMC 3:7:1", 2, 3), ("EC:EMC:DMC 1:1", 3, 2),
])
def test_a_number_per_name_is_asked(text, names, numbers):
    with pytest.raises(ValueError, match=f"names {names} species .* gives {numbers} numbers"):
        parse_shares(text, "solvent")


@pytest.mark.parametrize("text", ["EC:EMC 3:7 (v/v)", "EC:DMC 1:1 by mass", "EC:EMC 3:7wt%",
                                  "EC:3,EMC:7 (v/v)", "EC/EMC 3/7 w/w", "EC:EMC 3:7 vol%"])
def test_a_kind_of_ratio_in_the_shares_is_refused_naming_ratio(text):
    with pytest.raises(ValueError, match=r"the kind of ratio .* is no share.*ratio="):
        parse_shares(text, "solvent")
    with pytest.raises(ValueError, match="ratio="):
        composition_counts(text, "LiPF6", 1.0, n_atoms=600)


@pytest.mark.parametrize("text,match", [
    # a negative number is no share, named as in the own notation (struct56)
    ("EC:EMC 3:-7", "share of EMC must be a finite number > 0, not -7"),
    ("EC:EC 1:1", "EC is named twice in 'EC:EC 1:1'"),  # the text as written, not rewritten
])
def test_the_papers_spelling_is_checked_as_the_own_one(text, match):
    with pytest.raises(ValueError, match=match):
        parse_shares(text, "solvent")
