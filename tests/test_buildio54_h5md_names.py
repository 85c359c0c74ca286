"""An H5MD file is known by its content where it exists, by its suffix where it does not.

``from_ase("run.dat")`` of a run_md trajectory renamed was sent to ase.io ("cannot be read as
.dat: UnicodeDecodeError ... byte 0x89"), and a ``.h5md`` that holds text was said to be "not
an HDF5 (H5MD) file" without saying what it is.
"""

import shutil

import ase.io
import h5py
import numpy as np
import pytest
from ase.build import bulk

from ase_electrolyte import trajectory
from mda_electrolyte import from_ase

TIMES = [0.0, 0.05, 0.1]


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("h5md") / "run.h5md"
    atoms = bulk("Cu", cubic=True)
    with trajectory.H5MDWriter(path, atoms, forces=False) as w:
        for k, t in enumerate(TIMES):
            atoms.positions[0, 0] = 0.01 * k  # frames told apart by a coordinate
            w.write(atoms, step=10 * k, time=t)
    return path


def _is_h5md(path):
    return getattr(trajectory, "is_h5md_path", lambda p: False)(path)


@pytest.mark.parametrize("name", ["run.dat", "run.xyz", "run", "RUN.H5MD"])
def test_a_trajectory_under_another_name_is_read_as_h5md(run_file, tmp_path, name):
    renamed = tmp_path / name
    shutil.copy(run_file, renamed)
    assert _is_h5md(renamed)
    with pytest.warns(UserWarning, match="not in the species library"):
        u = from_ase(renamed)
    try:
        assert u.trajectory.n_frames == len(TIMES)
        np.testing.assert_allclose([ts.time for ts in u.trajectory], TIMES)
        u.trajectory[2]
        assert u.atoms.positions[0, 0] == pytest.approx(0.02, abs=1e-6)
    finally:
        u.trajectory.close()
    # dt= would be ignored by a file whose frames carry their times, whatever its name
    with pytest.raises(ValueError, match="carry their own times"):
        from_ase(renamed, dt=0.1)


@pytest.mark.parametrize("name", ["other.dat", "other.extxyz"])
def test_another_programs_hdf5_under_another_name_is_named(tmp_path, name):
    path = tmp_path / name
    with h5py.File(path, "w") as f:
        f["data"] = np.arange(3.0)
    with pytest.raises(ValueError, match="HDF5 file of another program"):
        from_ase(path)


@pytest.mark.parametrize("content, said", [
    (None, "holds text"),  # an extxyz saved under the trajectory's name
    (b"", "empty"),
])
def test_a_file_named_h5md_that_is_not_hdf5_says_what_it_is(tmp_path, content, said):
    path = tmp_path / "run.h5md"
    if content is None:
        ase.io.write(tmp_path / "frames.extxyz", bulk("Cu", cubic=True))
        shutil.copy(tmp_path / "frames.extxyz", path)
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=f"not an HDF5 \\(H5MD\\) file: it (is|{said}).*{said}"
                       if said == "empty" else f"not an HDF5 \\(H5MD\\) file: it {said}"):
        from_ase(path)


@pytest.mark.parametrize("name, expected", [
    ("new.h5md", True), ("new.H5", True), ("new.hdf5", True),  # not yet written: suffix
    ("new.extxyz", False), ("new.traj", False), ("new", False),
])
def test_a_path_not_yet_written_is_known_by_its_suffix(tmp_path, name, expected):
    assert _is_h5md(tmp_path / name) is expected
    assert _is_h5md(str(tmp_path / name)) is expected


def test_a_text_trajectory_and_no_path_are_no_h5md(tmp_path):
    path = tmp_path / "frames.xyz"
    ase.io.write(path, bulk("Cu", cubic=True))
    assert not _is_h5md(path)
    assert not any(_is_h5md(obj) for obj in (None, 3, bulk("Cu"), tmp_path))
    assert hasattr(trajectory, "is_h5md_path")
