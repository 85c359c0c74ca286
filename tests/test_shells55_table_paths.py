"""``ShellTable.save`` and ``load`` refuse a path that names a folder, before touching a file.

Before: ``save("out/")`` wrote ``out.npz`` beside the folder ``out`` (the trailing separator
dropped by pathlib, ``.npz`` appended to the folder's name), as did ``save("out/.")``; ``save("")``
and ``save(".")`` were pathlib's "PosixPath('.') has an empty name"; ``load("out/")`` read
``out.npz`` beside it.
"""

import os
import warnings

import pytest
from test_solvation import build, groups

from mda_electrolyte import SolvationShells
from mda_electrolyte.shell_table import ShellTable


@pytest.fixture(scope="module")
def table():
    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
               ((30, 30, 30), [("EC", None, "Oc")] * 4)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return SolvationShells(*groups(u), cutoffs={"EC": 2.3, "PF6": 2.3},
                               store_table=True).run().results.table


FOLDERS = ["out/", "out/.", "out/..", "out" + os.sep + os.sep]


@pytest.mark.parametrize("name", FOLDERS)
def test_save_refuses_a_folder_and_writes_nothing(table, tmp_path, name):
    (tmp_path / "out").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(ValueError, match="names a folder, not a file"):
        # joined as text: pathlib would drop the trailing '/' and '.'
        table.save(str(tmp_path) + os.sep + name)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("name", FOLDERS)
def test_load_refuses_a_folder_beside_a_table_of_its_name(table, tmp_path, name):
    (tmp_path / "out").mkdir()
    table.save(tmp_path / "out.npz")
    with pytest.raises(ValueError, match="names a folder, not a file"):
        ShellTable.load(str(tmp_path) + os.sep + name)


@pytest.mark.parametrize("name", ["", " ", ".", ".."])
def test_empty_or_dot_paths_are_named(table, name, tmp_path, monkeypatch):
    # in a folder of its own: the code before wrote " .npz" and "...npz" where it ran
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="path is empty|names a folder"):
        table.save(name)
    with pytest.raises(ValueError, match="path is empty|names a folder"):
        ShellTable.load(name)


def test_a_file_name_still_takes_npz(table, tmp_path):
    written = table.save(tmp_path / "shells")
    assert written == tmp_path / "shells.npz"
    back = ShellTable.load(tmp_path / "shells")
    assert back.n_frames == table.n_frames and (back.distance == table.distance).all()
