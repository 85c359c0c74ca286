"""read_frames_file (and read_labelled's file path) given no path: None raised os' "expected
str, bytes or os.PathLike object, not NoneType" naming no data set; "" was read as the working
folder ("training data: . is a folder, not a file of frames").
"""

import pytest

from ase_electrolyte.finetuning import read_frames_file, read_labelled


@pytest.mark.parametrize("path", [None, 5, 2.5, b"frames.extxyz", ["a.extxyz"]])
def test_no_path(path):
    with pytest.raises(TypeError, match="training data: a file path .* is needed, not"):
        read_frames_file(path, "training data")


@pytest.mark.parametrize("path", ["", "  "])
@pytest.mark.parametrize("read", [lambda p: read_frames_file(p, "training data"),
                                  lambda p: read_labelled(p)])
def test_empty_path(tmp_path, monkeypatch, path, read):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="training data: the file path is empty"):
        read(path)


def test_a_file_still_reads(tmp_path):
    from ase.build import bulk
    from ase.io import write

    write(tmp_path / "f.extxyz", [bulk("Cu"), bulk("Cu")])
    assert len(read_frames_file(tmp_path / "f.extxyz", "x")) == 2
    with pytest.raises(FileNotFoundError, match="no file"):
        read_frames_file(tmp_path / "none.extxyz", "x")
