"""A base checkpoint that is no SevenNet model is named before any frame is read.

A truncated, empty or foreign ``.pth`` given as ``base`` failed inside sevenn, after the
training data were read and checked, with a bare ``OSError: [Errno 22] Invalid argument``,
``EOFError: Ran out of input`` or ``KeyError: 'chemical_species'`` (the command: an
"internal error", exit status 1).
"""

import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")
torch = pytest.importorskip("torch")

from ase_electrolyte.finetuning import finetune  # noqa: E402
from electrolyte_cli import main  # noqa: E402


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny"))[1][0]


def _truncated(good, path):
    data = open(good, "rb").read()
    path.write_bytes(data[: len(data) // 2])


def _state_dict(good, path):
    torch.save(torch.nn.Linear(2, 2).state_dict(), path)


def _foreign_archive(good, path):
    torch.save({"weights": torch.zeros(3), "config": {"cutoff": 4.0}}, path)


def _empty(good, path):
    path.write_bytes(b"")


def _text(good, path):
    path.write_text("not a model\n")


def _nequip_named(good, path):
    path.write_bytes(open(good, "rb").read())


_CASES = [
    (_truncated, "base.pth", "is a damaged zip archive"),
    (_state_dict, "base.pth", r"is not a SevenNet checkpoint \(KeyError: 'chemical_species'\)"),
    (_foreign_archive, "base.pth", "is not a SevenNet checkpoint"),
    (_empty, "base.pth", "is empty"),
    (_text, "base.pt", "is not a torch file"),
    (_nequip_named, "base.nequip.pth", "is a nequip model file"),
    (None, "missing.pth", "does not exist"),
]


@pytest.mark.parametrize("make, name, message", _CASES)
def test_a_base_that_is_no_sevennet_checkpoint_is_named_before_the_data(good, tmp_path, make,
                                                                        name, message):
    path = tmp_path / name
    if make is not None:
        make(good, path)
    with pytest.raises(ValueError, match=message) as caught:
        # the training data do not exist: the base is judged first
        finetune(str(path), tmp_path / "not_read.extxyz", epochs=1, out=tmp_path / "o",
                 device="cpu")
    assert name in str(caught.value)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("make, message", [
    (_state_dict, "is not a SevenNet checkpoint"),
    (_foreign_archive, "is not a SevenNet checkpoint"),
])
def test_the_command_names_a_foreign_base_in_one_line(good, tmp_path, monkeypatch, capsys, make,
                                                      message):
    import ase.io

    monkeypatch.chdir(tmp_path)
    ase.io.write("train.extxyz", emt_copper(2))
    make(good, tmp_path / "base.pth")
    assert main(["finetune", "train.extxyz", "--base", "base.pth", "--epochs", "1",
                 "--device", "cpu", "-o", "ft"]) == 2
    err = capsys.readouterr().err
    assert message in err and "base.pth" in err, err
    assert err.count("\n") == 1 and "internal error" not in err
    # no member folder was started
    assert not list(tmp_path.glob("ft/member_*"))


def test_a_good_checkpoint_file_still_passes(good, tmp_path):
    from ase_electrolyte.finetuning import _base_checkpoint

    assert _base_checkpoint(good) == (str(good), None)
