"""An empty observable or integrator variable is refused before anything is written.

HDF5 makes no dataset of zero-sized chunks: an observable of shape (0, 3) (a charge current
over no species) or an empty integrator variable failed inside the write, as an ``OSError``
(EIO) that broke the writer; at the first frame no file was left at all. Now a ValueError
names the value before the file is touched, and the writer goes on.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.trajectory import H5MDWriter, h5md_info, h5md_series


def _atoms():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0)
    return atoms


_EMPTY = [
    ("observables", {"charge_current": np.zeros((0, 3))}),
    ("observables", {"pressure_tensor": []}),
    ("integrator_state", {"p": np.zeros(0)}),
    ("integrator_state", {"p": np.zeros((2, 0))}),
]


@pytest.mark.parametrize("first", [True, False], ids=["first frame", "later frame"])
@pytest.mark.parametrize("keyword, value", _EMPTY)
def test_empty_values_are_refused_and_the_writer_goes_on(tmp_path, keyword, value, first):
    path = tmp_path / "t.h5md"
    atoms = _atoms()
    with H5MDWriter(path, atoms) as writer:
        if not first:
            writer.write(atoms, step=0, time=0.0)
        with pytest.raises(ValueError, match="empty|real numbers"):
            writer.write(atoms, step=1, time=0.001, **{keyword: value})
        writer.write(atoms, step=2, time=0.002)
    info = h5md_info(path)
    assert info["complete"] and info["n_frames"] == (1 if first else 2)
    np.testing.assert_array_equal(h5md_series(path, "temperature")[0], [2] if first else [0, 2])


@pytest.mark.parametrize("value", [{"charge_current": np.zeros((0, 3))},
                                   {"pressure_tensor": []}])
def test_empty_samples_are_refused(tmp_path, value):
    path = tmp_path / "t.h5md"
    atoms = _atoms()
    with H5MDWriter(path, atoms) as writer:
        writer.write(atoms, step=0, time=0.0)
        with pytest.raises(ValueError, match="empty"):
            writer.write_observables(atoms, step=1, time=0.001, observables=value)
        writer.write(atoms, step=2, time=0.002)
    np.testing.assert_array_equal(h5md_series(path, "temperature")[0], [0, 2])
