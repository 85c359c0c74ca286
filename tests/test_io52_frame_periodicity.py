"""H5MDWriter keeps a file's periodicity: frames of other pbc or of no box are refused.

A frame's pbc was never compared with the file's. With the observables given (as run_md gives
them), a periodic frame in a file made without a box was written and its cell lost (read back
not periodic, cell 0), a frame of no periodicity in a periodic file was read back periodic,
and a periodic cell with a zero or two parallel vectors was stored as the box (MDAnalysis then
reads a box of length 0). Without observables the refusal came from the observables'
bookkeeping, naming density and volume instead of the periodicity, or from ASE ("You have 0
lattice vectors").
"""

import itertools

import MDAnalysis as mda
import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte.trajectory import H5MDWriter, h5md_info, read_h5md

PBCS = [(True, True, True), (True, True, False), (False, False, False)]
GIVEN = {"volume": 512.0, "density": 0.1}


def _atoms(pbc):
    atoms = Atoms("Ar2", positions=[[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]], cell=[8.0, 8.0, 8.0],
                  pbc=pbc)
    return atoms


@pytest.mark.parametrize("observables", [GIVEN, None], ids=["given", "default"])
@pytest.mark.parametrize("file_pbc, frame_pbc",
                         [(a, b) for a, b in itertools.product(PBCS, PBCS) if a != b])
def test_a_frame_of_other_periodicity_is_refused_and_the_file_kept(tmp_path, file_pbc,
                                                                     frame_pbc, observables):
    path = tmp_path / "run.h5md"
    first = _atoms(file_pbc)
    with H5MDWriter(path, first, velocities=False, forces=False) as writer:
        writer.write(first, step=0, time=0.0, observables=observables)
        other = _atoms(frame_pbc)
        other.positions += 0.5
        with pytest.raises(ValueError, match=r"frame has pbc .* the file .*nothing is written"):
            writer.write(other, step=1, time=0.1, observables=observables)
        # the writer goes on with a frame of the file's periodicity
        same = _atoms(file_pbc)
        same.positions += 0.25
        writer.write(same, step=2, time=0.2, observables=observables)
    assert h5md_info(path)["n_frames"] == 2
    back = read_h5md(path, index=-1)
    assert back.pbc.tolist() == list(file_pbc)
    np.testing.assert_allclose(back.positions, same.positions)


DEGENERATE = {
    "zero vector": [[8.0, 0, 0], [0, 8.0, 0], [0, 0, 0]],
    "parallel vectors": [[8.0, 0, 0], [4.0, 0, 0], [0, 0, 8.0]],
    "all zero": np.zeros((3, 3)),
}


@pytest.mark.parametrize("observables", [GIVEN, None], ids=["given", "default"])
@pytest.mark.parametrize("case", sorted(DEGENERATE))
def test_a_periodic_frame_without_a_box_is_refused(tmp_path, case, observables):
    path = tmp_path / "run.h5md"
    first = _atoms(True)
    with H5MDWriter(path, first, velocities=False, forces=False) as writer:
        writer.write(first, step=0, time=0.0, observables=observables)
        flat = first.copy()
        flat.cell = DEGENERATE[case]
        with pytest.raises(ValueError, match="zero or parallel vectors"):
            writer.write(flat, step=1, time=0.1, observables=observables)
    assert h5md_info(path)["n_frames"] == 1


def test_a_slab_may_have_no_vector_along_its_open_direction(tmp_path):
    path = tmp_path / "slab.h5md"
    slab = _atoms((True, True, False))
    with H5MDWriter(path, slab, velocities=False, forces=False) as writer:
        writer.write(slab, step=0, time=0.0)
        open_cell = slab.copy()
        open_cell.cell = [[8.0, 0, 0], [1.0, 9.0, 0], [0, 0, 0]]
        writer.write(open_cell, step=1, time=0.1)
    back = read_h5md(path, index=1)
    np.testing.assert_allclose(back.cell.array, open_cell.cell.array)


def test_a_changing_box_is_read_back_by_mdanalysis(tmp_path):
    path = tmp_path / "npt.h5md"
    atoms = _atoms(True)
    cells = [np.diag([8.0, 8.0, 8.0]), np.array([[8.2, 0, 0], [0.5, 8.1, 0], [0.3, -0.2, 7.9]])]
    with H5MDWriter(path, atoms, velocities=False, forces=False) as writer:
        for k, cell in enumerate(cells):
            frame = atoms.copy()
            frame.set_cell(cell, scale_atoms=True)
            writer.write(frame, step=k, time=0.1 * k)
    universe = mda.Universe(str(path))
    for ts, cell in zip(universe.trajectory, cells, strict=True):
        np.testing.assert_allclose(ts.triclinic_dimensions, cell, atol=1e-5)
    universe.trajectory.close()
