"""A model path typed as for a shell ("~/models/x.pth", "$HOME/...") names the file it means.

Python does not expand "~" or $VARIABLES (neither does open); the path was refused as "model
file '~/m/x.pth' does not exist" with no word that the file is there.
"""

import os

import pytest

from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.models import check_model


@pytest.fixture
def home_model(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    path = home / "models" / "x.pth"
    path.write_bytes(b"PK\x03\x04 not a model")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("C50_MODELS", str(home / "models"))
    monkeypatch.chdir(tmp_path)
    return str(path)


@pytest.mark.parametrize("typed", [
    "~/models/x.pth", "$HOME/models/x.pth", "${HOME}/models/x.pth", "$C50_MODELS/x.pth",
])
def test_an_unexpanded_path_names_the_file(typed, home_model):
    with pytest.raises(ValueError, match="not expanded") as err:
        check_model(typed)
    assert f"{typed!r} does not exist; {home_model!r} does" in str(err.value)


def test_the_calculator_says_so_too(home_model):
    from ase_electrolyte import Calculator

    with pytest.raises(InputError, match=r"'~/models/x\.pth' does not exist; .* does \('~'"):
        Calculator("~/models/x.pth", device="cpu")


@pytest.mark.parametrize("typed", ["~/models/y.pth", "$HOME/none/x.pth", "$UNSET_C50/x.pth"])
def test_a_path_that_names_no_file_expanded_either_is_only_missing(typed, home_model):
    with pytest.raises(ValueError, match=r"does not exist$"):
        check_model(typed)
    assert os.path.isfile(home_model)
