"""Model files are code: a file that unpickles objects warns once; the probe never runs code."""

import glob
import os
import shutil
import warnings

import pytest

torch = pytest.importorskip("torch")

from ase_electrolyte.models import (  # noqa: E402
    ModelFileTrustWarning,
    _is_plain_checkpoint,
    _warn_untrusted,
    check_model,
)


class _Payload:
    """Unpickling this creates a file: stands in for a checkpoint that runs code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_weights_only_probe_accepts_tensors_and_never_executes(tmp_path):
    plain = tmp_path / "plain.pth"
    torch.save({"model_state_dict": {"w": torch.ones(3)}, "epoch": 3}, plain)
    assert _is_plain_checkpoint(str(plain))
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.pth"
    torch.save({"config": _Payload(str(marker))}, evil)
    assert not _is_plain_checkpoint(str(evil))
    assert not marker.exists()  # the probe refused the payload instead of running it


def test_check_model_is_cheap_and_names_the_problem(tmp_path):
    assert check_model("sevennet-0") == "sevennet"
    with pytest.raises(ValueError, match="does not exist"):
        check_model(str(tmp_path / "missing.pth"))
    with pytest.raises(ValueError, match="unknown model 'sevennet-99'"):
        check_model("sevennet-99")
    with pytest.raises(ValueError, match="not a file"):
        check_model(str(tmp_path))


def test_pickled_checkpoint_warns_once(tmp_path):
    sevenn = pytest.importorskip("sevenn")
    from ase_electrolyte import Calculator

    found = glob.glob(
        os.path.join(os.path.dirname(sevenn.__file__), "pretrained_potentials", "*", "*.pth")
    )
    if not found:
        pytest.skip("no SevenNet checkpoint shipped with sevenn")
    path = tmp_path / "mine.pth"
    shutil.copy(sorted(found)[0], path)
    with pytest.warns(ModelFileTrustWarning, match="trust"):
        Calculator(str(path), device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelFileTrustWarning)
        _warn_untrusted(str(path), "again")  # once per file
