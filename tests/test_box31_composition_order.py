"""A box depends on its composition, not on the order or the spelling its dict lists the
species in: the counts' rounding, PACKMOL's input, the rotamer draws and the cation regions
all follow the library's order (solvents, cations, anions, each by name)."""

import itertools

import numpy as np
import pytest

from ase_electrolyte.build import composition_counts, electrolyte_box


def _named(counts):
    return {sp.name: n for sp, n in counts.items()}


@pytest.mark.parametrize("shares, ratio, n_atoms", [
    # 7.04 molecules of 12.5 atoms: a tie of the remainders between EC and EMC
    ({"EC": 1, "EMC": 1}, "mole", 88),
    ({"EC": 1, "DMC": 1, "DEC": 1}, "mole", 200),
    ({"EC": 3, "EMC": 7}, "mass", 150),
])
def test_composition_counts_do_not_depend_on_the_order_or_spelling(shares, ratio, n_atoms):
    spellings = {"EC": ["EC", "ec", "E C", "ethylene carbonate"]}
    results = []
    for order in itertools.permutations(shares):
        for k in range(len(spellings["EC"])):
            given = {spellings.get(name, [name] * 4)[k]: shares[name] for name in order}
            counts = composition_counts(given, "LiPF6", 1.0, ratio=ratio, n_atoms=n_atoms)
            results.append(list(_named(counts).items()))
    # the same counts, in the same (library) order
    assert all(r == results[0] for r in results)
    assert [name for name, _ in results[0]][-2:] == ["Li", "PF6"]


def test_boxes_of_one_composition_are_one_box_whatever_the_dict_order():
    # DMC's rotamers are drawn, the cations spread: every order-dependent step takes part
    orders = [{"EC": 2, "DMC": 2, "Li": 2, "PF6": 2},
              {"PF6": 2, "dmc": 2, "Li+": 2, "E C": 2}]
    boxes = [electrolyte_box(counts=c, density=1.1, seed=3, tolerance=2.0) for c in orders]
    first, second = boxes
    assert list(first.info["composition"]) == list(second.info["composition"]) == [
        "DMC", "EC", "Li", "PF6"]
    assert first.info["conformers"] == second.info["conformers"]
    assert (first.get_chemical_symbols() == second.get_chemical_symbols())
    np.testing.assert_allclose(first.positions, second.positions, atol=1e-9)
