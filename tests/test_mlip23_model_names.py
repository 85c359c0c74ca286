"""One reading of a model name: registered names in any case and spacing, sevenn's own
spellings, paths taken as typed; the same reading in the calculator, committee and fine-tuning.

Cheap: nothing is loaded (check_model builds no network).
"""

import os
import warnings
from pathlib import Path

import pytest

from ase_electrolyte.committee import _member_identity
from ase_electrolyte.finetuning import _base_checkpoint
from ase_electrolyte.models import (
    check_model,
    list_models,
    model_modals,
    model_spec,
    registered_name,
)

SPELLINGS = [" sevennet-0", "SevenNet-0 ", "SEVENNET-0", "sevennet-0\n", "\t7net-0 ",
             "7net-0_11Jul2024", "sevennet-0_11july2024"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_spellings_of_a_registered_name_are_one_model(spelling):
    assert registered_name(spelling) == "sevennet-0"
    assert model_spec(spelling) == "sevennet-0"
    assert check_model(spelling) == check_model("sevennet-0") == "sevennet"
    assert model_modals(spelling) == ()
    assert _member_identity(spelling) == _member_identity("sevennet-0")
    assert _base_checkpoint(spelling) == _base_checkpoint("sevennet-0")


def test_every_registered_name_reads_as_itself_in_any_spelling():
    for info in list_models():
        assert registered_name(f"  {info.name.upper()} ") == info.name
        assert model_spec(info.name.title()) == info.name


def test_multi_fidelity_name_in_any_spelling_keeps_its_fidelities():
    assert model_modals(" SevenNet-MF-0\n") == model_modals("sevennet-mf-0") == ("PBE", "R2SCAN")
    with pytest.raises(ValueError, match="multi-fidelity"):
        check_model(" 7NET-MF-0 ")
    assert check_model(" 7NET-MF-0 ", modal="PBE") == "sevennet"


@pytest.mark.parametrize("typo", ["sevenet-0", "sevennet 0", "sevennet - 0"])
def test_near_miss_names_the_registered_name(typo):
    with pytest.raises(ValueError, match=r"did you mean 'sevennet-0'"):
        check_model(typo)


def test_path_is_not_folded_in_case(tmp_path):
    (tmp_path / "Tiny.pth").write_bytes(b"PK\x03\x04")
    other = tmp_path / "tiny.pth"
    if other.exists():  # a case-insensitive file system: nothing to tell apart
        pytest.skip("case-insensitive file system")
    with pytest.raises(ValueError, match="does not exist"):
        check_model(str(other))
    # an existing path is stored absolute, as typed, never folded into a registered name
    assert model_spec(str(tmp_path / "Tiny.pth")) == str(tmp_path / "Tiny.pth")


def test_stray_spacing_around_a_path_is_named(tmp_path):
    path = tmp_path / "model.pth"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(ValueError, match=r"stray spacing.*") as err:
        check_model(f"{path} ")
    assert repr(str(path)) in str(err.value)


def test_registered_name_wins_over_a_file_of_that_name_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("sevennet-0").write_text("not a model")
    with pytest.warns(UserWarning, match=r"registered model 'sevennet-0'.*'\./sevennet-0'"):
        assert check_model("sevennet-0") == "sevennet"
    # the file is reached by a path with a folder, and judged as a file
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="sevennet-0"):
            check_model(os.path.join(".", "sevennet-0"))
        assert model_spec("./sevennet-0") == str(tmp_path / "sevennet-0")


def test_path_object_is_a_file_even_when_it_spells_a_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"does not exist.*registered model 'sevennet-0'"):
        check_model(Path("sevennet-0"))
    assert registered_name(Path("sevennet-0")) is None
