"""A sound HDF5 file of another program is refused with a public error class named for it (its
name showed as the private ``_NotOurs`` in a traceback)."""

import h5py
import numpy as np
import pytest

from ase_electrolyte.trajectory import ForeignTrajectoryError, h5md_info, read_h5md


@pytest.fixture
def foreign(tmp_path):
    path = tmp_path / "other.h5md"
    with h5py.File(path, "w") as f:
        f.create_group("h5md").attrs["version"] = np.array([1, 1])
        f.create_dataset("particles/all/position/value", data=np.zeros((2, 3, 3)))
    return path


@pytest.mark.parametrize("reader", [read_h5md, h5md_info])
def test_another_programs_file_is_named_as_foreign(foreign, reader):
    with pytest.raises(ForeignTrajectoryError) as err:
        reader(str(foreign))
    assert type(err.value).__name__ == "ForeignTrajectoryError"
    assert "not an H5MD file written by ase_electrolyte" in str(err.value)
    assert isinstance(err.value, ValueError)  # callers catching ValueError keep working
