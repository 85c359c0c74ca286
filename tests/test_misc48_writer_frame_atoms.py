"""H5MDWriter.write took a frame of the same number of other atoms (reordered, or other
elements) and stored its positions under the file's species: every position given to another
atom, without a word. The docstring said "other atoms" are refused; now they are, by the
first atom that differs, and nothing is written (write and write_observables alike).
"""

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte.trajectory import H5MDWriter, h5md_info, read_h5md


def _water_pair():
    return Atoms("OH2OH2", positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0],
                                      [3, 3, 3], [3.96, 3, 3], [2.76, 3.93, 3]],
                 cell=[9.0] * 3, pbc=True)


def _other(kind):
    a = _water_pair()
    if kind == "reordered":
        return a[[1, 0, 2, 3, 4, 5]]
    if kind == "reversed":
        return a[::-1]
    if kind == "element":
        a.numbers[3] = 7
        return a
    if kind == "molecules swapped":
        # same elements in the same order: a valid frame (atoms are not told apart by more)
        return a[[3, 4, 5, 0, 1, 2]]
    raise AssertionError(kind)


@pytest.mark.parametrize("kind, atom", [("reordered", 0), ("reversed", 0), ("element", 3)])
@pytest.mark.parametrize("method", ["write", "write_observables"])
def test_frame_of_other_atoms_refused(tmp_path, kind, atom, method):
    path = tmp_path / "t.h5md"
    a = _water_pair()
    with H5MDWriter(path, a, velocities=False, forces=False) as w:
        w.write(a, 0, 0.0)
        with pytest.raises(ValueError, match=f"frame's atom {atom} is .* the file's"):
            getattr(w, method)(_other(kind), 1, 0.1)
        w.write(a, 2, 0.2)   # the writer goes on
    assert h5md_info(path)["n_frames"] == 2
    assert np.allclose(read_h5md(path, 1).positions, a.positions)


def test_same_elements_in_order_written(tmp_path):
    path = tmp_path / "t.h5md"
    a = _water_pair()
    with H5MDWriter(path, a, velocities=False, forces=False) as w:
        w.write(a, 0, 0.0)
        w.write(_other("molecules swapped"), 1, 0.1)
    assert h5md_info(path)["n_frames"] == 2


def test_append_checks_the_file_atoms(tmp_path):
    path = tmp_path / "t.h5md"
    a = _water_pair()
    with H5MDWriter(path, a, velocities=False, forces=False) as w:
        w.write(a, 0, 0.0)
    with H5MDWriter(path, a, mode="a", velocities=False, forces=False) as w:
        with pytest.raises(ValueError, match="frame's atom 0"):
            w.write(_other("reordered"), 1, 0.1)
