"""Files of frames that cannot be read: every reader of the fine-tuning loop (training data,
selection candidates, frames to relabel) names the file and what is wrong, and leaves it as it was.

Before, ase's own errors escaped (UnknownFileTypeError, XYZError, IsADirectoryError, sqlite's
DatabaseError, none naming the data set) and ``ase.db.connect`` wrote its tables into an empty or
foreign ``.db`` file, which was then read as "no frames".
"""

import sqlite3

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.singlepoint import SinglePointCalculator
from ase.db import connect

from ase_electrolyte.active_learning import select_candidates
from ase_electrolyte.distill import relabel
from ase_electrolyte.finetuning import read_frames_file, read_labelled


def _foreign_sqlite(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (x INTEGER)")
    con.commit()
    con.close()


# name, how the file is made, what the message must say
_BAD = {
    "empty extxyz": ("a.extxyz", lambda p: p.write_bytes(b""), r"a\.extxyz is empty"),
    "empty db": ("a.db", lambda p: p.write_bytes(b""), r"a\.db is empty"),
    "binary extxyz": ("a.extxyz", lambda p: p.write_bytes(b"\x00\x01\x02\xff"),
                      r"a\.extxyz: cannot be read as \.extxyz"),
    "text xyz": ("a.xyz", lambda p: p.write_text("hello\n"), r"a\.xyz: cannot be read as \.xyz"),
    "unknown format": ("a.foo", lambda p: p.write_text("hello world\n"),
                       r"a\.foo is not a file of frames ase.io can read.*extxyz"),
    "folder": ("a.xyz", lambda p: p.mkdir(), r"a\.xyz is a folder"),
    "not sqlite": ("a.db", lambda p: p.write_text("garbage\n"), r"a\.db is not an ASE database"),
    "foreign sqlite": ("a.db", _foreign_sqlite,
                       r"a\.db is an SQLite file but not an ASE database.*'notes'"),
}


def _content(path):
    return None if path.is_dir() else path.read_bytes()


def _readers():
    # each reads its file before any model: the models named here do not exist
    return {
        "read_labelled": (lambda p: read_labelled(p), "training data"),
        "select_candidates": (lambda p: select_candidates(p, 2, model="no-model.pth"),
                              "candidates"),
        "relabel": (lambda p: relabel(p, ["none_a.pth", "none_b.pth"]), "frames"),
    }


@pytest.mark.parametrize("reader", ["read_labelled", "select_candidates", "relabel"])
@pytest.mark.parametrize("kind", list(_BAD))
def test_a_file_that_is_no_frames_is_named_and_left_unchanged(tmp_path, kind, reader):
    name, make, message = _BAD[kind]
    path = tmp_path / name
    make(path)
    before = _content(path)
    call, what = _readers()[reader]
    with pytest.raises(ValueError, match=f"^{what}: .*{message}"):
        call(path)
    assert _content(path) == before


@pytest.mark.parametrize("reader", ["read_labelled", "select_candidates", "relabel"])
def test_a_missing_file_is_named(tmp_path, reader):
    call, what = _readers()[reader]
    with pytest.raises(FileNotFoundError, match=f"{what}: no file .*none.extxyz"):
        call(tmp_path / "none.extxyz")


def test_a_database_and_an_extxyz_of_the_same_frames_read_the_same(tmp_path):
    frames = []
    for k in range(3):
        a = molecule("H2O")
        a.positions[0, 2] += 0.05 * k
        forces = np.full((3, 3), 0.1 * k)
        forces[0] = -forces[1:].sum(0)  # labels that sum to zero, as physical forces do
        a.calc = SinglePointCalculator(a, energy=-14.0 - k, forces=forces)
        frames.append(a)
    db = connect(tmp_path / "f.db")
    for a in frames:
        db.write(a)
    before = (tmp_path / "f.db").read_bytes()
    import ase.io

    ase.io.write(tmp_path / "f.extxyz", frames)
    from_db = read_labelled(tmp_path / "f.db")
    from_xyz = read_labelled(str(tmp_path / "f.extxyz"))
    assert (tmp_path / "f.db").read_bytes() == before
    for a, b, ref in zip(from_db, from_xyz, frames, strict=True):
        assert a.get_potential_energy() == pytest.approx(ref.calc.results["energy"])
        assert b.get_potential_energy() == pytest.approx(ref.calc.results["energy"])
        np.testing.assert_allclose(a.get_forces(), ref.calc.results["forces"])
        np.testing.assert_allclose(b.get_forces(), ref.calc.results["forces"])
    # an ASE database without rows is no training data, and stays an empty database
    connect(tmp_path / "none.db").write(frames[0])
    with connect(tmp_path / "none.db") as empty:
        empty.delete([1])
    assert read_frames_file(tmp_path / "none.db", "x") == []
    with pytest.raises(ValueError, match="training data holds no frames"):
        read_labelled(tmp_path / "none.db")
