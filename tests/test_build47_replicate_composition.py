"""replicate_box of a box cut from a packed one (ase_electrolyte.build.replicate_box).

Before: a box of one EC molecule cut from a packed EC/LiPF6 box kept the packed box's
``info["composition"]`` and was repeated with {'EC': 16, 'Li': 8, 'PF6': 8} for 8 EC
molecules (its ``cation_molality`` kept too); an empty cut gave 0 atoms with that
composition; five atoms of an EC molecule were repeated as if whole. Now the composition is
counted from the topology arrays, the packed box's records are dropped where it differs, and
a molecule whose atoms are not its library species' is refused by name.
"""

import numpy as np
import pytest

from ase_electrolyte.build import electrolyte_box, replicate_box


@pytest.fixture(scope="module")
def box():
    return electrolyte_box(counts={"EC": 2, "Li": 1, "PF6": 1}, seed=1)


def _cut(box, molecules):
    return box[np.isin(box.arrays["molecule_index"], molecules)]


@pytest.mark.parametrize(
    ("molecules", "want"),
    [
        ([0], {"EC": 8}),
        ([0, 1], {"EC": 16}),
        ([2, 3], {"Li": 8, "PF6": 8}),
        ([], {}),
        ([0, 1, 2, 3], {"EC": 16, "Li": 8, "PF6": 8}),
    ],
)
def test_the_composition_is_that_of_the_molecules_held(box, molecules, want):
    big = replicate_box(_cut(box, molecules), 2)
    assert big.info["composition"] == want
    species = big.arrays["molecule_species"]
    ids = big.arrays["molecule_index"]
    counted = {}
    for m in np.unique(ids):
        name = str(species[ids == m][0])
        counted[name] = counted.get(name, 0) + 1
    assert counted == want
    if want != {"EC": 16, "Li": 8, "PF6": 8}:
        assert "cation_molality" not in big.info
    else:
        assert big.info["cation_molality"] == box.info["cation_molality"]


@pytest.mark.parametrize("atoms", [slice(0, 5), slice(0, 13), slice(21, 25)])
def test_a_piece_of_a_molecule_is_refused(box, atoms):
    with pytest.raises(
        ValueError,
        match=r"replicate_box: molecule \d+ \((EC|PF6)\) holds \d+ "
        r"atoms .* a piece of a molecule",
    ):
        replicate_box(box[atoms], 2)


def test_reordered_atoms_give_the_same_composition(box):
    order = np.random.default_rng(0).permutation(len(box))
    big = replicate_box(box[order], (1, 2, 1))
    assert big.info["composition"] == {"EC": 4, "Li": 2, "PF6": 2}
