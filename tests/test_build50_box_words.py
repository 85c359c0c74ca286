"""electrolyte_box reads its words as the rest of the package does: counts as text (the
notation solvent= and --counts read), conformers in any case; a box too small for its
molecules advises what counts= can change, not only n_atoms (refused with counts=)."""
import re

import pytest

from ase_electrolyte.build import electrolyte_box


@pytest.mark.parametrize("text", ["EC=4,Li=1,PF6=1", "EC:4, Li:1, PF6:1", "Li=1,PF6=1,EC=4",
                                  "ec=4,Li+=1,PF6-=1"])
def test_counts_as_text_pack_the_box_of_the_dict(text):
    box = electrolyte_box(counts=text, density=1.0, seed=0)
    same = electrolyte_box(counts={"EC": 4, "Li": 1, "PF6": 1}, density=1.0, seed=0)
    assert box.info["composition"] == {"EC": 4, "Li": 1, "PF6": 1}
    assert (box.numbers == same.numbers).all()
    assert abs(box.positions - same.positions).max() < 1e-9


@pytest.mark.parametrize("text, match", [
    ("EC=x", r"bad counts entry 'EC=x'.*e\.g\. EC=30,Li=3,PF6=3"),
    ("EC=-1,Li=1,PF6=1", r"counts count of EC must be a finite number >= 0, not -1"),
    ("EC=4,Li=1", r"net charge \+1 e"),
    ("", r"empty counts"),
])
def test_bad_counts_text_is_refused_naming_the_entry(text, match):
    with pytest.raises(ValueError, match=match):
        electrolyte_box(counts=text, density=1.0)


@pytest.mark.parametrize("word, mode", [("Boltzmann", "boltzmann"), ("BOLTZMANN", "boltzmann"),
                                        (" lowest ", "lowest"), ("Lowest", "lowest")])
def test_conformer_words_in_any_case(word, mode):
    # EMC has rotamers: the Boltzmann draw records them, the lowest conformer does not
    box = electrolyte_box(counts={"EMC": 6}, density=0.5, seed=0, conformers=word)
    assert ("conformers" in box.info) == (mode == "boltzmann")


def test_a_misspelt_conformer_word_is_named_with_the_near_one():
    with pytest.raises(ValueError, match=r"not 'bolzmann' \(did you mean 'boltzmann'\?\)"):
        electrolyte_box(counts={"EC": 4}, density=1.0, conformers="bolzmann")


@pytest.mark.parametrize("n, density", [(3, 1.0), (1, 1.0), (2, 1.0)])
def test_a_counted_box_too_small_advises_counts_too(n, density):
    with pytest.raises(ValueError) as err:
        electrolyte_box(counts={"EMC": n}, density=density, seed=0)
    message = str(err.value)
    times = int(re.search(r"or (\d+) times as many molecules", message).group(1))
    assert f"every count of counts, {times} times as large" in message
    # the advice holds: that many times the molecules at this density fit
    electrolyte_box(counts={"EMC": n * times}, density=density, seed=0)


@pytest.mark.parametrize("text, counts", [("EC=130,DMC=128,Li=20,PF6=20",
                                           {"EC": 130, "DMC": 128, "Li": 20, "PF6": 20}),
                                          ("H2O:100", {"H2O": 100})])
def test_estimate_density_reads_the_counts_text_too(text, counts):
    from ase_electrolyte.build import estimate_density

    assert estimate_density(text).value == estimate_density(counts).value
    assert estimate_density(text, with_uncertainty=True) == estimate_density(
        counts, with_uncertainty=True)
