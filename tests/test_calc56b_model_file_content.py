"""A model file whose suffix is shared by several backends (.pth.tar, .pt2) and whose content
is damaged or not a torch file is named as such, before any loader reads it.

Before, such a file (a CHGNet checkpoint cut short by an interrupted download, a saved error
page) was told "cannot tell the model type ... from its suffix or content: expected ...
.pth.tar (CHGNet checkpoint)", which sent the user to rename a file named as asked; a junk
file given with ``backend="chgnet"`` went to CHGNet's loader unchecked.
"""

import pytest
import torch
from ase.calculators.calculator import InputError

from ase_electrolyte import Calculator


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """The bytes of a small torch.save archive shaped as a CHGNet checkpoint."""
    path = tmp_path_factory.mktemp("archive") / "whole.pth.tar"
    torch.save({"model_args": {"atom_fea_dim": 8}, "state_dict": {"w": torch.ones(2000)}}, path)
    return path.read_bytes()


CONTENTS = {
    "truncated": (lambda data: data[: len(data) // 2], "damaged zip archive"),
    "tail cut": (lambda data: data[:-30], "damaged zip archive"),
    "text": (lambda data: b"<html>404 Not Found</html>\n", "not a torch file"),
}


@pytest.mark.parametrize("suffix", [".pth.tar", ".pt2", ".PTH.TAR"])
@pytest.mark.parametrize("content", sorted(CONTENTS))
def test_damaged_file_is_named_not_its_type(archive, tmp_path, suffix, content):
    cut, words = CONTENTS[content]
    path = tmp_path / f"model{suffix}"
    path.write_bytes(cut(archive))
    with pytest.raises(InputError) as err:
        Calculator(model=str(path))
    assert words in str(err.value) and str(path) in str(err.value)
    assert "cannot tell the model type" not in str(err.value)


def test_text_given_as_chgnet_is_refused_before_the_loader(tmp_path):
    path = tmp_path / "model.pth.tar"
    path.write_bytes(b"<html>404 Not Found</html>\n")
    with pytest.raises(InputError, match="not a torch file.*so not a chgnet model"):
        Calculator(model=str(path), backend="chgnet")


def test_a_whole_archive_of_unknown_content_still_asks_for_the_backend(tmp_path):
    """A readable archive the suffix and content do not place: the type question stands."""
    path = tmp_path / "model.pt2"
    torch.save({"weights": torch.ones(3)}, path)
    with pytest.raises(InputError, match="cannot tell the model type"):
        Calculator(model=str(path))
