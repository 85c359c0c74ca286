"""packed_composition reads its counts and solvent as electrolyte_box and composition_counts do.

It took ``int()`` of each count (10.7 EC as 10, ``True`` as 1, ``"10"`` as 10; NaN failed as
"cannot convert float NaN to integer"), kept the last of ``"EC"`` and ``"ec"``, read a charged
box's cations as formula units (2 Li beside 1 PF6: 2.27 mol/kg "packed"), counted a species
the composition does not hold as solvent while its shares said 100 % EC, and iterated a
solvent given as text letter by letter ("unknown species 'E'"): each record "exact" and valid.
"""

import re

import pytest

from ase_electrolyte.build import composition_counts, electrolyte_box, packed_composition

EC = 88.062  # g/mol
LIPF6 = {"Li": 1, "PF6": 1}


@pytest.mark.parametrize("count, match", [
    (10.7, "whole number"),
    (-10, "whole number >= 0"),
    (float("nan"), "whole number"),
    (float("inf"), "whole number"),
    (True, "whole number"),
    ("10", "not as text"),
    (None, "whole number"),
])
def test_a_count_that_is_no_whole_number_is_refused(count, match):
    with pytest.raises(ValueError, match=match):
        packed_composition({"EC": count, **LIPF6}, {"EC": 1}, "LiPF6", 1.0)


@pytest.mark.parametrize("counts", [{"EC": 10, "ec": 5, **LIPF6},
                                    {"EC": 10, "ethylene carbonate": 5, **LIPF6},
                                    {"EC": 10, "Li": 1, "PF6": 1, "Li+": 1}])
def test_a_species_named_twice_is_refused(counts):
    with pytest.raises(ValueError, match="named twice"):
        packed_composition(counts, {"EC": 1}, "LiPF6", 1.0)


@pytest.mark.parametrize("counts, net", [({"EC": 10, "Li": 2, "PF6": 1}, "+1"),
                                         ({"EC": 10, "Li": 1, "PF6": 3}, "-2"),
                                         ({"EC": 10, "Li": 1}, "+1")])
def test_charged_counts_are_refused(counts, net):
    with pytest.raises(ValueError, match=re.escape(f"net charge {net} e")):
        packed_composition(counts, {"EC": 1}, "LiPF6", 1.0)


@pytest.mark.parametrize("extra", [{"EMC": 3}, {"Na": 1, "Li": 0, "PF6": 1}, {"H2O": 1}])
def test_a_species_outside_the_composition_is_refused(extra):
    counts = {"EC": 10, **LIPF6, **extra}
    with pytest.raises(ValueError, match="which the composition"):
        packed_composition(counts, {"EC": 1}, "LiPF6", 1.0)


def test_a_species_counted_zero_is_no_species_of_the_box():
    record = packed_composition({"EC": 10, **LIPF6, "EMC": 0}, {"EC": 1}, "LiPF6", 1.0)
    assert record["concentration_packed"]["value"] == pytest.approx(1000.0 / (10 * EC),
                                                                     rel=1e-4)


@pytest.mark.parametrize("solvent, counts", [
    ("EC", {"EC": 10}),
    ("EC:3,EMC:7", {"EC": 3, "EMC": 7}),
    ("EC:EMC 3:7", {"EC": 3, "EMC": 7}),
    ("EC=3,EMC=7", {"EC": 3, "EMC": 7}),
])
def test_text_solvent_and_counts_are_the_dicts(solvent, counts):
    shares = {k: float(v) for k, v in (s.split(":") for s in ["EC:3", "EMC:7"])} \
        if "EMC" in solvent else {"EC": 1.0}
    text_counts = ",".join(f"{k}={v}" for k, v in {**counts, **LIPF6}.items())
    by_text = packed_composition(text_counts, solvent, "LiPF6", 1.0)
    by_dict = packed_composition({**counts, **LIPF6}, shares, "LiPF6", 1.0)
    assert by_text == by_dict
    # the molality of one formula unit beside the counted solvent
    solvent_g = sum(n * {"EC": EC, "EMC": 104.105}[k] for k, n in counts.items())
    assert by_text["concentration_packed"]["value"] == pytest.approx(1000.0 / solvent_g,
                                                                     rel=1e-4)


def test_the_record_of_composition_counts_is_what_the_box_records():
    # the public record and the builder's agree where the counts are the builder's own
    counts = composition_counts({"EC": 3, "EMC": 7}, "LiPF6", 1.0, n_atoms=150)
    record = packed_composition(counts, {"EC": 3, "EMC": 7}, "LiPF6", 1.0)
    assert record["concentration_packed"]["value"] == pytest.approx(
        1000.0 / (4 * EC + 7 * 104.105), rel=1e-4)


@pytest.mark.parametrize("counts, match", [
    ({"EC": 3.5, **LIPF6}, "whole number"),
    ({"EC": 3, "ec": 1, **LIPF6}, "named twice"),
    ("EC=3,Li=1,PF6=1,Li=1", "named twice"),
    ({}, "non-empty dict"),
    ({"EC": 0}, "no molecule"),
])
def test_the_builder_refuses_the_same_counts_before_any_packing(counts, match):
    with pytest.raises(ValueError, match=match):
        electrolyte_box(counts=counts, seed=0)
