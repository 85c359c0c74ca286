"""H5MDWriter's dtype and buffer_samples: refused by name before a file is made.

``dtype=np.int32`` stored every position truncated to whole ångströms without a word (a
rattle of 0.1 Å read back up to 0.9 Å off); ``bool`` and ``complex`` failed at the first frame
with ``OSError: [Errno 5] writing step 0 ... failed``, an I/O error for a wrong argument; a NaN
``buffer_samples`` failed in ``int()`` ("cannot convert float NaN to integer") naming nothing.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte.trajectory import H5MDWriter, h5md_info, read_h5md


def _atoms():
    atoms = bulk("Cu", cubic=True).repeat((2, 1, 1))
    atoms.rattle(0.1, seed=1)
    atoms.calc = EMT()
    return atoms


@pytest.mark.parametrize(
    "dtype",
    [
        np.int32,
        np.int64,
        int,
        "i4",
        np.uint16,
        bool,
        np.complex128,
        np.float16,
        "U3",
        object,
        "not a dtype",
        3.5,
    ],
)
def test_non_float_dtype_refused_before_the_file(tmp_path, dtype):
    path = tmp_path / "t.h5md"
    with pytest.raises(ValueError, match="dtype must be a floating type of 32 or 64 bits"):
        H5MDWriter(path, _atoms(), dtype=dtype)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("dtype", "tolerance"),
    [
        (np.float64, 0.0),
        ("f8", 0.0),
        (float, 0.0),
        (None, 0.0),
        (np.float32, 1e-6),
        ("float32", 1e-6),
    ],
)
def test_float_dtypes_store_the_positions(tmp_path, dtype, tolerance):
    atoms = _atoms()
    path = tmp_path / "t.h5md"
    with H5MDWriter(path, atoms, dtype=dtype) as w:
        w.write(atoms, step=0, time=0.0)
        w.write(atoms, step=1, time=0.001)
    assert h5md_info(path)["n_frames"] == 2
    np.testing.assert_allclose(
        read_h5md(path, 1).positions, atoms.positions, rtol=0, atol=tolerance
    )


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 0, -3, 1.5, True, "4", None])
def test_buffer_samples_refused_by_name(tmp_path, value):
    path = tmp_path / "t.h5md"
    with pytest.raises(ValueError, match="buffer_samples must be a whole number >= 1"):
        H5MDWriter(path, _atoms(), buffer_samples=value)
    assert not path.exists()


@pytest.mark.parametrize("value", [1, np.int64(7), 4.0])
def test_buffer_samples_whole_numbers_accepted(tmp_path, value):
    atoms = _atoms()
    with H5MDWriter(tmp_path / "t.h5md", atoms, buffer_samples=value) as w:
        assert w.buffer_samples == int(value) and isinstance(w.buffer_samples, int)
        w.write(atoms, step=0, time=0.0)


@pytest.mark.parametrize("time", ["0.001", np.True_, True, float("nan"), [0.001], None, 1j])
def test_time_of_a_frame_must_be_a_number(tmp_path, time):
    atoms = _atoms()
    path = tmp_path / "t.h5md"
    with H5MDWriter(path, atoms) as w:
        w.write(atoms, step=0, time=0.0)
        with pytest.raises(ValueError, match=r"time must be finite \(a number of ps\)"):
            w.write(atoms, step=1, time=time)
        with pytest.raises(ValueError, match=r"time must be finite \(a number of ps\)"):
            w.write_observables(atoms, step=1, time=time)
        w.write(atoms, step=1, time=np.float32(0.001))
    assert h5md_info(path)["n_frames"] == 2
    assert read_h5md(path, 1).info["time_ps"] == pytest.approx(0.001)


@pytest.mark.parametrize("step", [np.True_, np.bool_(False)])
def test_numpy_flag_is_no_step(tmp_path, step):
    atoms = _atoms()
    with H5MDWriter(tmp_path / "t.h5md", atoms) as w:
        with pytest.raises(ValueError, match="step must be a non-negative integer"):
            w.write(atoms, step=step, time=0.0)
