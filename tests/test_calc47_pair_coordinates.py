"""Positions and cells given to the pair searches must hold real numbers.

``np.asarray(value, float)`` read text (``"5"`` as 5 Å) and bools (``True`` as 1 Å, a bool
cell as a 1 Å cube) as lengths, and searched them.
"""

import numpy as np
import pytest
from ase.build import bulk

from ase_electrolyte.neighbour_pairs import face_distances, half_pairs, pairs_within, search_cutoff

_POSITIONS = [[0.0, 0.0, 0.0], [1.5, 0.0, 0.0]]
_CELL = np.diag([5.0, 5.0, 5.0])


@pytest.mark.parametrize(
    "positions, cell, match",
    [
        ([["0", "0", "0"], ["1.5", "0", "0"]], _CELL, "positions must hold real numbers"),
        ([[True, 0.0, 0.0], [0.0, 0.0, 0.0]], _CELL, "positions must hold real numbers.*bool"),
        (np.zeros((2, 3), dtype=bool), _CELL, "positions must hold real numbers.*bool"),
        (np.array([[0, 0, 0], [1, 0, 0]], dtype=object), _CELL, "positions must hold real"),
        (_POSITIONS, [["5", 0, 0], [0, "5", 0], [0, 0, "5"]], "the cell must hold real numbers"),
        (_POSITIONS, np.eye(3, dtype=bool), "the cell must hold real numbers.*bool"),
        (_POSITIONS, [[True, 0, 0], [0, 5.0, 0], [0, 0, 5.0]], "the cell must hold real.*bool"),
    ],
)
def test_coordinates_that_are_not_real_numbers_are_refused(positions, cell, match):
    with pytest.raises(ValueError, match=match):
        half_pairs(positions, cell, 2.0)
    with pytest.raises(ValueError, match=match):
        pairs_within(positions, cell, 2.0, "Pd")


@pytest.mark.parametrize("cell", [np.eye(3, dtype=bool), [["5", 0, 0], [0, 5, 0], [0, 0, 5]]])
def test_face_distances_and_search_cutoff_refuse_a_cell_of_no_numbers(cell):
    with pytest.raises(ValueError, match="the cell must hold real numbers"):
        face_distances(cell)
    with pytest.raises(ValueError, match="the cell must hold real numbers"):
        search_cutoff(cell, 2.0)


def test_numbers_of_every_container_find_the_same_pairs():
    torch = pytest.importorskip("torch")
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    counts = {
        len(half_pairs(p, c, 3.0)[0])
        for p, c in [
            (atoms.positions, atoms.cell),
            (atoms.positions.tolist(), atoms.cell.tolist()),
            (atoms.positions.astype(np.float32), atoms.cell[:].astype(np.float32)),
            (torch.tensor(atoms.positions), atoms.cell[:]),
            (atoms.positions, np.rint(atoms.cell.array * 10).astype(np.int64) / 10),
        ]
    }
    # fcc Cu at a = 3.6 Å: 12 nearest neighbours at 2.55 Å per atom, each pair once
    assert counts == {4 * 12 // 2}
