"""Model files by content: one trust warning per file version, another backend's checkpoint
named before it is unpickled, CHGNet checkpoint files loaded.

Before: a checkpoint replaced on disk (possibly with other code) kept the first file's silence,
as the warning was keyed by the resolved path alone; a CHGNet checkpoint given as a SevenNet
one failed inside sevenn as ``KeyError: 'cutoff'``, a SevenNet one given as CHGNet as "Unknown
model_name", and a CHGNet ``.pth.tar`` could not be loaded at all.
"""

import fractions
import glob
import os
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ase_electrolyte.models import (  # noqa: E402
    ModelFileTrustWarning,
    _backend_of_file,
    check_model,
    is_model_file,
)


def _sevennet_like(path, extra=0):
    # a config holding an object that weights_only refuses: a checkpoint to be trusted
    torch.save({"model_state_dict": {"w": torch.ones(3 + extra)},
                "config": {"version": "0.9.0", "note": fractions.Fraction(1, 3)}}, path)


def _chgnet_like(path):
    torch.save({"model": {"model_args": {"atom_fea_dim": 8},
                          "state_dict": {"w": torch.zeros(2)}}, "epoch": 1}, path)


def _trust_warnings(path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_model(path)
    return [w for w in caught if issubclass(w.category, ModelFileTrustWarning)]


def test_one_warning_per_file_and_another_when_it_is_replaced(tmp_path, monkeypatch):
    pytest.importorskip("sevenn")
    path = tmp_path / "member.pth"
    _sevennet_like(path)
    assert len(_trust_warnings(str(path))) == 1
    # the same file by a link, a relative path, a path object: no second warning
    (tmp_path / "link.pth").symlink_to(path)
    monkeypatch.chdir(tmp_path)
    for same in (str(tmp_path / "link.pth"), "member.pth", "./member.pth", path):
        assert _trust_warnings(same) == [], same
    # replaced on disk by another checkpoint: new content, which may hold other code
    _sevennet_like(str(path) + ".new", extra=5)
    os.replace(str(path) + ".new", path)
    assert len(_trust_warnings("member.pth")) == 1
    assert _trust_warnings(str(path)) == []


@pytest.mark.parametrize("suffix", [".pth", ".pt", ".pth.tar", ".PTH.TAR"])
def test_checkpoints_are_told_apart_by_content(tmp_path, suffix):
    chg, seven = tmp_path / f"c{suffix}", tmp_path / f"s{suffix}"
    _chgnet_like(chg)
    _sevennet_like(seven)
    assert is_model_file(chg)
    assert _backend_of_file(str(chg)) == "chgnet"
    assert _backend_of_file(str(seven)) == "sevennet"


def test_another_backends_checkpoint_is_named_before_it_is_unpickled(tmp_path):
    pytest.importorskip("sevenn")
    pytest.importorskip("chgnet")
    chg, seven = tmp_path / "c.pth", tmp_path / "s.pth"
    _chgnet_like(chg)
    _sevennet_like(seven)
    with pytest.raises(ValueError, match=r"is a CHGNet checkpoint, not a SevenNet checkpoint"
                                         r".*backend='chgnet'"):
        check_model(str(chg), backend="sevennet")
    with warnings.catch_warnings():
        # refused before the config (which holds more than tensors) is unpickled
        warnings.simplefilter("error", ModelFileTrustWarning)
        with pytest.raises(ValueError, match=r"is a SevenNet checkpoint, not a CHGNet "
                                             r"checkpoint.*backend='sevennet'"):
            check_model(str(seven), backend="chgnet")
    assert check_model(str(chg)) == "chgnet"


def test_a_chgnet_checkpoint_file_is_the_registered_model(tmp_path):
    chgnet = pytest.importorskip("chgnet")
    from ase.build import molecule

    from ase_electrolyte import Calculator

    shipped = glob.glob(os.path.join(os.path.dirname(chgnet.__file__), "pretrained", "0.3.0",
                                     "*.pth.tar"))
    if not shipped:
        pytest.skip("chgnet ships no 0.3.0 checkpoint")
    atoms = molecule("CH4")
    atoms.center(vacuum=4.0)
    atoms.pbc = True
    atoms.rattle(0.05, seed=1)
    results = []
    for model in ("chgnet-0.3.0", shipped[0]):
        probe = atoms.copy()
        probe.calc = Calculator(model, device="cpu")
        results.append((probe.get_potential_energy(), probe.get_forces()))
    assert results[1][0] == pytest.approx(results[0][0], abs=1e-6)
    np.testing.assert_allclose(results[1][1], results[0][1], atol=1e-6)


def test_a_path_in_another_case_names_the_file_on_disk(tmp_path):
    path = tmp_path / "Member.pth"
    _sevennet_like(path)
    if (tmp_path / "member.pth").exists():
        pytest.skip("a case-insensitive file system: both spellings are the file")
    with pytest.raises(ValueError, match=r"'.*member\.pth' does not exist; '.*Member\.pth' "
                                         r"does \(file names are case-sensitive"):
        check_model(str(tmp_path / "member.pth"))
