"""``mda_electrolyte.diagnose`` refuses its own settings before it reads a trajectory path.

A path was read whole (``ase.io.read(path, ":")`` or the H5MD bridge: minutes for a long
trajectory) before ``max_scan_frames=0``, an ``outdir`` under a file, a reference that is the
model itself, a negative vacuum or bad scale factors were refused."""

import pytest
from ase.calculators.emt import EMT

import mda_electrolyte.bridge as bridge
from mda_electrolyte.diagnose import diagnose

MODEL = EMT()


@pytest.fixture
def unread(monkeypatch):
    """Reading any path fails the test: the refusal must come first."""
    def read(*args, **kwargs):
        raise AssertionError("the trajectory was read before the settings were checked")

    monkeypatch.setattr(bridge, "read_ase_frames", read)
    monkeypatch.setattr(bridge, "from_ase", read)


CASES = [
    ({"max_scan_frames": 0}, "max_scan_frames"),
    ({"max_error_frames": -1}, "max_error_frames"),
    ({"max_error_frames": 2.5}, "max_error_frames"),
    ({"vacuum": -1.0}, "vacuum"),
    ({"vacuum": float("nan")}, "vacuum"),
    ({"scales": [0.9, -1.0]}, r"scales\[1\]"),
    ({"scales": [1.0, 1.0]}, "repeat"),
    ({"scales": []}, "non-empty"),
    ({"scales": [[0.9, 1.1]]}, "scales"),
    ({"reference": MODEL}, "model under test itself"),
    ({"outdir": "afile/sub"}, "afile"),
]


@pytest.mark.parametrize("name", ["run.extxyz", "run.h5md"])
@pytest.mark.parametrize("kwargs, match", CASES)
def test_settings_refused_before_the_path_is_read(tmp_path, monkeypatch, unread, name,
                                                  kwargs, match):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text("not read")
    (tmp_path / "afile").write_text("a file, no folder")
    kwargs = {"outdir": "out", **kwargs}
    with pytest.raises((ValueError, TypeError, NotADirectoryError, FileExistsError),
                       match=match):
        diagnose(name, MODEL, **kwargs)
    assert not (tmp_path / "out").exists()


def test_good_settings_go_on_to_read(tmp_path, monkeypatch, unread):
    # the class is not empty: with good settings the path is read (here: the stand-in fails)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.extxyz").write_text("not read")
    with pytest.raises(AssertionError, match="was read"):
        diagnose("run.extxyz", MODEL, "out", scales=[0.95, 1.05], vacuum=8.0)
