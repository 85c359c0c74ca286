"""Text and JSON that other programs read, checked before any file is touched.

- H5MDWriter(run_info={"x": nan}) stored the bare token NaN (not JSON: jq, JavaScript and
  Python's strict readers fail on it); a NumPy integer failed in json.dumps naming nothing.
- write_text_atomic(..., encoding="ascii") of non-ASCII text raised UnicodeEncodeError naming
  no file; an unknown codec a LookupError.
- save_figure(..., dpi=nan) failed inside matplotlib naming neither dpi nor the file.
"""

import json
import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from ase import Atoms  # noqa: E402

from ase_electrolyte.atomic_file import save_figure, write_text_atomic  # noqa: E402
from ase_electrolyte.trajectory import H5MDWriter, h5md_info  # noqa: E402


def _atoms():
    return Atoms("H2O", positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]],
                 cell=[8.0] * 3, pbc=True)


@pytest.mark.parametrize(
    "run_info, where",
    [
        ({"x": float("nan")}, "run_info.x"),
        ({"x": np.inf}, "run_info.x"),
        ({"a": {"b": [1.0, -np.inf]}}, r"run_info.a.b\[1\]"),
        ({"t": np.float32("nan")}, "run_info.t"),
        ({"arr": np.array([1.0, np.nan])}, r"run_info.arr\[1\]"),
    ],
)
def test_run_info_non_finite_refused_before_the_file(tmp_path, run_info, where):
    path = tmp_path / "t.h5md"
    with pytest.raises(ValueError, match=f"{where} is a NaN or infinite number"):
        H5MDWriter(path, _atoms(), run_info=run_info, velocities=False, forces=False)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("run_info", [[1, 2], "ensemble=nvt", 5])
def test_run_info_must_be_a_dict(tmp_path, run_info):
    with pytest.raises(TypeError, match="run_info must be a dict"):
        H5MDWriter(tmp_path / "t.h5md", _atoms(), run_info=run_info)
    assert os.listdir(tmp_path) == []


def test_run_info_unserialisable_named(tmp_path):
    with pytest.raises(TypeError, match=r"calc is of type object.*not JSON serializable"):
        H5MDWriter(tmp_path / "t.h5md", _atoms(), run_info={"calc": object()})
    assert os.listdir(tmp_path) == []


def test_run_info_numpy_values_stored_as_json_and_appendable(tmp_path):
    path = tmp_path / "t.h5md"
    info = {"dt": np.float32(0.5), "n": np.int64(3), "arr": np.arange(2), "pair": (1, 2)}
    w = H5MDWriter(path, _atoms(), run_info=info, velocities=False, forces=False)
    w.write(_atoms(), 0, 0.0)
    w.close()
    stored = h5md_info(path)["run_info"]
    assert stored == {"dt": 0.5, "n": 3, "arr": [0, 1], "pair": [1, 2]}
    import h5py

    with h5py.File(path, "r") as f:
        text = f["parameters/ase_electrolyte"].attrs["run_info"]
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    # the same settings (numpy or plain) append
    H5MDWriter(path, _atoms(), mode="a", run_info=info, velocities=False,
               forces=False).close()


@pytest.mark.parametrize(
    "text, encoding, match",
    [
        ("Li⁺ in EC", "ascii", r"cannot be written as ascii: '⁺' at character 2"),
        ("σ = 1 S/m", "latin-1", r"'σ' at character 0"),
        ("ok", "no-such-codec", "unknown encoding 'no-such-codec'"),
    ],
)
def test_write_text_encoding_named(tmp_path, text, encoding, match):
    path = tmp_path / "notes.txt"
    path.write_text("old")
    with pytest.raises(ValueError, match=match) as err:
        write_text_atomic(path, text, encoding=encoding)
    assert str(path) in str(err.value)
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["notes.txt"]


@pytest.mark.parametrize("encoding", [None, 8, b"utf-8"])
def test_write_text_encoding_type(tmp_path, encoding):
    with pytest.raises(TypeError, match="encoding must be a codec name"):
        write_text_atomic(tmp_path / "a.txt", "x", encoding=encoding)
    assert os.listdir(tmp_path) == []


def test_write_text_encodings_that_fit(tmp_path):
    for text, enc in (("Li+", "ascii"), ("Å", "latin-1"), ("Li⁺", "utf-8")):
        p = write_text_atomic(tmp_path / "a.txt", text, encoding=enc)
        assert p.read_bytes() == text.encode(enc)


@pytest.mark.parametrize("dpi", [float("nan"), np.inf, 0, -72, True, "high", [100]])
def test_save_figure_bad_dpi_named(tmp_path, dpi):
    fig = plt.figure(figsize=(1, 1))
    path = tmp_path / "f.png"
    with pytest.raises(ValueError, match="dpi must be") as err:
        save_figure(fig, path, dpi=dpi)
    assert str(path) in str(err.value)
    assert os.listdir(tmp_path) == []
    assert not plt.fignum_exists(fig.number)


@pytest.mark.parametrize("dpi", [50, 50.0, np.float32(50), np.int64(50), "figure", None])
def test_save_figure_good_dpi(tmp_path, dpi):
    fig = plt.figure(figsize=(1, 1))
    assert save_figure(fig, tmp_path / "f.png", dpi=dpi).stat().st_size > 0


@pytest.mark.parametrize("dpi, name, fmt", [(1e6, "f.png", None), (3e4, "f.png", None),
                                            (1e6, "f.out", "jpg")])
def test_save_figure_canvas_too_large(tmp_path, dpi, name, fmt):
    # dpi=1e6 asked Agg for terabytes: MemoryError "std::bad_alloc", naming nothing
    fig = plt.figure(figsize=(6, 4))
    with pytest.raises(ValueError, match=r"pixel image .* GiB of memory"):
        save_figure(fig, tmp_path / name, dpi=dpi, format=fmt)
    assert os.listdir(tmp_path) == []


def test_save_figure_high_dpi_vector_and_print_raster(tmp_path):
    assert save_figure(plt.figure(figsize=(2, 2)), tmp_path / "f.pdf", dpi=1e5).is_file()
    assert save_figure(plt.figure(figsize=(2, 2)), tmp_path / "f.png", dpi=600).is_file()
