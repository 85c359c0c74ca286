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
def members(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny"))[1]


@pytest.fixture(scope="module")
def good(members):
    return members[0]


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


@pytest.mark.parametrize("name", ["finetuned.pth", "checkpoint_20.pth"])
def test_a_base_in_a_member_folder_this_run_replaces_is_refused_and_kept(good, tmp_path, name):
    # the next round of a loop fine-tuned into the folder its base came from: the base was
    # deleted before sevenn read it ("Given ... does not exist"), the user's model lost
    import shutil
    from pathlib import Path

    out = tmp_path / "ft"
    shutil.copytree(Path(good).parent, out / "member_0")
    base = out / "member_0" / name
    kept = base.read_bytes()
    with pytest.raises(ValueError, match=r"lies in .*member_0, whose model and checkpoints "
                                         r"this fine-tune replaces"):
        finetune(str(base), tmp_path / "not_read.extxyz", epochs=1, out=out, device="cpu")
    assert base.read_bytes() == kept
    assert sorted(p.name for p in (out / "member_0").iterdir()) == sorted(
        p.name for p in Path(good).parent.iterdir())


def test_the_command_keeps_a_base_in_its_own_output_folder(good, tmp_path, monkeypatch, capsys):
    import shutil
    from pathlib import Path

    import ase.io

    monkeypatch.chdir(tmp_path)
    ase.io.write("train.extxyz", emt_copper(2))
    shutil.copytree(Path(good).parent, tmp_path / "ft" / "member_0")
    base = tmp_path / "ft" / "member_0" / "finetuned.pth"
    kept = base.read_bytes()
    assert main(["finetune", "train.extxyz", "--base", str(base), "--epochs", "1",
                 "--device", "cpu", "-o", "ft", "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert "whose model and checkpoints this fine-tune replaces" in err
    assert err.count("\n") == 1
    assert base.read_bytes() == kept


def test_distill_keeps_a_teacher_inside_its_student_folder(good, members, tmp_path):
    import shutil
    from pathlib import Path

    from ase_electrolyte.distill import distill

    teacher = tmp_path / "d" / "student_0" / "member_0"
    # another member than ``good``: a copy of it would make a committee of one model, refused
    # before the folders are looked at
    shutil.copytree(Path(members[1]).parent, teacher)
    kept = (teacher / "finetuned.pth").read_bytes()
    with pytest.raises(ValueError, match="whose model and checkpoints this fine-tune replaces"):
        distill([str(teacher / "finetuned.pth"), good], emt_copper(3), epochs=1,
                out=tmp_path / "d", device="cpu")
    assert (teacher / "finetuned.pth").read_bytes() == kept
    assert not (tmp_path / "d" / "relabelled.extxyz").exists()
