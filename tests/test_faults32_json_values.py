"""``write_json_atomic`` with what analyses and scripts put in a summary.

A NumPy array, a NumPy integer or float32, a ``Path`` or an ``Estimate`` ended the write in a
bare ``TypeError: Object of type ndarray is not JSON serializable``, naming neither the file nor
the key (an Estimate inside an object array was written as its bare value). Now each is written
as ``json`` reads it back (the Estimate with its error and verdict), and what JSON cannot hold is
refused naming the file and the key path, with the previous file intact and no temporary left.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from ase_electrolyte.atomic_file import write_json_atomic
from ase_electrolyte.estimate import Estimate

_OLD = '{"complete": true}'


@pytest.fixture
def target(tmp_path):
    path = tmp_path / "summary.json"
    path.write_text(_OLD)
    return path


def _left(folder):
    return sorted(p.name for p in folder.iterdir())


def test_numpy_paths_and_estimates_read_back_as_their_values(target):
    est = Estimate(0.52, 0.04, "S/m", "blocks", n_samples=40)
    column = np.empty(2, dtype=object)
    column[:] = [est, None]
    data = {
        "rdf": np.linspace(0.0, 1.0, 5),
        "counts": np.arange(6, dtype=np.int32).reshape(2, 3),
        "n": np.int64(7), "scale": np.float32(0.25), "ok": np.bool_(True), "one": np.array(2.5),
        "folder": Path("/data/run 1"), "conductivity": est, "column": column,
        "species": ("Li", "PF6"), "kinds": {"b", "a"}, np.int64(3): "numpy key",
    }
    write_json_atomic(target, data, sort_keys=True)
    back = json.loads(target.read_text())
    assert back["rdf"] == pytest.approx(np.linspace(0.0, 1.0, 5).tolist(), abs=0)
    assert back["counts"] == [[0, 1, 2], [3, 4, 5]]
    assert back["n"] == 7 and back["scale"] == 0.25 and back["ok"] is True
    assert back["one"] == 2.5 and back["folder"] == "/data/run 1" and back["3"] == "numpy key"
    assert back["species"] == ["Li", "PF6"] and back["kinds"] == ["a", "b"]
    # the Estimate's own form, not its bare value: it comes back equal, verdict and all
    assert Estimate.from_dict(back["conductivity"]) == est
    assert Estimate.from_dict(back["column"][0]) == est and back["column"][1] is None
    assert _left(target.parent) == ["summary.json"]


@pytest.mark.parametrize("data,where,kind", [
    ({"a": {"b": [1, object()]}}, "a.b[1]", "object"),
    ({"t": np.datetime64("2024-01-01")}, "t", "numpy.datetime64"),
    ({"raw": b"\x00"}, "raw", "bytes"),
])
def test_what_json_cannot_hold_is_refused_naming_file_and_key(target, data, where, kind):
    with pytest.raises(TypeError) as err:
        write_json_atomic(target, data, indent=2)
    text = str(err.value)
    assert str(target) in text and f"{where} is of type {kind}" in text, text
    assert "not JSON serializable" in text and "unchanged" in text
    assert target.read_text() == _OLD and _left(target.parent) == ["summary.json"]


def test_a_key_json_cannot_hold_and_a_loop_are_named(target):
    with pytest.raises(TypeError, match=re.escape("the key (1, 2) of a is a tuple")):
        write_json_atomic(target, {"a": {(1, 2): 3}})
    loop = {"x": [1]}
    loop["x"].append(loop)
    with pytest.raises(ValueError, match=re.escape(f"{target}: x[1] is a container that holds "
                                                   "itself")):
        write_json_atomic(target, loop)
    assert target.read_text() == _OLD and _left(target.parent) == ["summary.json"]


@pytest.mark.parametrize("bad,where", [
    ({"g": np.array([1.0, np.nan])}, "g[1]"),
    ({"g": np.float32("inf")}, "g"),
    ({"g": [np.array([[0.0], [-np.inf]])]}, "g[0][1][0]"),
])
def test_a_nan_inside_numpy_data_is_refused_where_it_is(target, bad, where):
    with pytest.raises(ValueError, match=re.escape(f"{where} is a NaN or infinite number")):
        write_json_atomic(target, bad)
    assert target.read_text() == _OLD and _left(target.parent) == ["summary.json"]


def test_a_default_is_used_for_other_types_and_its_failure_is_named(target):
    class Tag:
        def __str__(self):
            return "tag-1"

    write_json_atomic(target, {"tag": Tag(), "arr": np.ones(2)}, default=str)
    # numpy data keep their numbers: a default=str wrote an array as the text "[1. 1.]"
    assert json.loads(target.read_text()) == {"tag": "tag-1", "arr": [1.0, 1.0]}
    before = target.read_text()
    with pytest.raises(TypeError, match=r"summary\.json: x\.y is of type .*Tag, which default= "
                                        r"could not convert"):
        write_json_atomic(target, {"x": {"y": Tag()}}, default=float)
    assert target.read_text() == before
