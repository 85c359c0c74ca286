"""The H5MD readers given no file: HDF5's "Unable to synchronously open file (unable to open
file: name = ..., errno = 2, error message = 'No such file or directory', flags = 0,
o_flags = 0)" for a missing file, the same with a time stamp for a folder, and os'
"expected str, bytes or os.PathLike object, not NoneType" for None (naming no argument).
Now each says what is wrong, with the same error classes.
"""

import pytest
from ase import Atoms

from ase_electrolyte.trajectory import (
    H5MDWriter,
    h5md_info,
    h5md_series,
    open_h5md,
    read_h5md,
    start_state,
)

_READERS = [h5md_info, read_h5md, start_state, lambda p: h5md_series(p, "temperature"),
            open_h5md]


@pytest.mark.parametrize("read", _READERS)
def test_missing_file(tmp_path, read):
    with pytest.raises(FileNotFoundError, match="no such H5MD file") as err:
        read(tmp_path / "none.h5md")
    assert "none.h5md" in str(err.value) and "synchronously" not in str(err.value)


@pytest.mark.parametrize("read", _READERS)
def test_folder(tmp_path, read):
    with pytest.raises(IsADirectoryError, match="a folder, not an H5MD file"):
        read(tmp_path)


@pytest.mark.parametrize("read", _READERS)
@pytest.mark.parametrize("path", [None, 5, 2.5, ["run.h5md"]])
def test_no_path(read, path):
    with pytest.raises(TypeError, match="an H5MD file path .* is needed, not"):
        read(path)


def test_a_file_still_reads(tmp_path):
    a = Atoms("H2", positions=[[0, 0, 0], [0.74, 0, 0]], cell=[6.0] * 3, pbc=True)
    path = tmp_path / "t.h5md"
    with H5MDWriter(path, a, velocities=False, forces=False) as w:
        w.write(a, 0, 0.0)
    assert h5md_info(str(path))["n_frames"] == 1
    assert len(read_h5md(path)) == 2
