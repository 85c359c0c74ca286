"""replicate_box returns a box of its own: nothing of it is shared with the box repeated.

ASE's ``repeat`` copies ``info`` shallowly: the repeated box's nested records
(``conformer_energies``, ``conformers`` entries, a reader's dicts) were the very objects of the
box it came from, so a change to one changed the other. The box here is made by hand (no
PACKMOL): two water molecules with the topology arrays and nested info records.
"""

import copy

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte.build import replicate_box
from ase_electrolyte.topology import set_topology


def _box():
    water = np.array([[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]])
    atoms = Atoms("OH2OH2", positions=np.vstack([water + 2.0, water + 5.0]), cell=[8.0] * 3,
                  pbc=True)
    set_topology(atoms, [0, 0, 0, 1, 1, 1], ["H2O"] * 6, [0] * 6)
    atoms.info["composition"] = {"H2O": 2}
    atoms.info["conformers"] = {"H2O": {"a": {"count": 2, "weight": 1.0, "source": "MMFF94"}}}
    atoms.info["conformer_energies"] = {"H2O": "MMFF94"}
    atoms.info["record"] = {"nested": [1, 2, {"deep": 3.0}]}
    return atoms


@pytest.mark.parametrize("repeats", [1, 2, (1, 2, 3)])
def test_changing_the_repeated_box_leaves_the_box_as_it_was(repeats):
    atoms = _box()
    before_info = copy.deepcopy(atoms.info)
    before_arrays = {k: v.copy() for k, v in atoms.arrays.items()}
    big = replicate_box(atoms, repeats)
    n = int(np.prod(np.broadcast_to(repeats, 3)))
    assert big.info["composition"] == {"H2O": 2 * n}
    assert big.info["conformers"]["H2O"]["a"]["count"] == 2 * n
    # every nested record changed in the repeated box
    big.info["conformer_energies"]["H2O"] = "changed"
    big.info["conformers"]["H2O"]["a"]["source"] = "changed"
    big.info["record"]["nested"][2]["deep"] = -1.0
    big.info["record"]["nested"].append(99)
    big.positions += 1.0
    for array in big.arrays.values():
        if array.dtype.kind in "if":
            array[...] = 0
    assert atoms.info == before_info
    assert set(atoms.arrays) == set(before_arrays)
    for k, v in before_arrays.items():
        assert np.array_equal(atoms.arrays[k], v), k


def test_the_copies_molecules_are_numbered_contiguously():
    # a box with a molecule deleted (indices 0 and 2) gave copies with gaps (0, 2, 3, 5)
    atoms = _box()
    atoms.arrays["molecule_index"][3:] = 2
    big = replicate_box(atoms, (2, 1, 1))
    assert big.arrays["molecule_index"].tolist() == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3
    assert atoms.arrays["molecule_index"].tolist() == [0] * 3 + [2] * 3  # the box's own
