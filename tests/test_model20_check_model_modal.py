"""models.check_model judges ``modal`` and option names as load_model does, for a registered
multi-fidelity name and for a SevenNet checkpoint file alike, without building a network.

Before, check_model (the CLI's pre-check) passed SevenNet-MF-0 given by path or by name without
a modal, and an option the backend does not take; only the load refused them.
"""

from __future__ import annotations

import os
import warnings

import pytest

sevenn = pytest.importorskip("sevenn")

from tiny_models import emt_copper  # noqa: E402

from ase_electrolyte.models import check_model  # noqa: E402

_PRETRAINED = os.path.join(os.path.dirname(sevenn.__file__), "pretrained_potentials")
MF_FILE = os.path.join(_PRETRAINED, "SevenNet_MF_0", "checkpoint_sevennet_mf_0.pth")
ONE_FILE = os.path.join(_PRETRAINED, "SevenNet_0__11Jul2024", "checkpoint_sevennet_0.pth")


class _Reached(Exception):
    pass


@pytest.fixture(autouse=True)
def no_build(monkeypatch):
    """Building a SevenNet network fails the test: the pre-check must not need one."""
    import sevenn.calculator

    def build(*args, **kwargs):
        raise _Reached

    monkeypatch.setattr(sevenn.calculator, "SevenNetCalculator", build)
    if not os.path.isfile(MF_FILE):
        pytest.fail(f"sevenn ships {MF_FILE}; its layout changed")


def _check(model, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the file's untrusted-pickle warning
        return check_model(model, **options)


@pytest.mark.parametrize("model", [MF_FILE, "sevennet-mf-0", "SevenNet-MF-0"])
def test_multi_fidelity_without_modal_refused_with_its_fidelities(model):
    with pytest.raises(ValueError, match=r"is multi-fidelity: pass modal=\.\.\., one of \[") as err:
        _check(model)
    assert "PBE" in str(err.value) and "R2SCAN" in str(err.value)


@pytest.mark.parametrize("model", [MF_FILE, "sevennet-mf-0"])
@pytest.mark.parametrize("modal", ["PBE", "R2SCAN"])
def test_a_fidelity_of_the_model_passes(model, modal):
    assert _check(model, modal=modal) == "sevennet"


@pytest.mark.parametrize("model", [MF_FILE, "sevennet-mf-0"])
def test_an_unknown_modal_is_refused_by_name_and_by_path_alike(model):
    with pytest.raises(ValueError, match=r"unknown modal 'XYZ' .*choose one of \["):
        _check(model, modal="XYZ")


@pytest.mark.parametrize("model", [ONE_FILE, "sevennet-0"])
def test_one_fidelity_takes_no_modal(model):
    assert _check(model) == "sevennet"
    with pytest.raises(ValueError, match="has one fidelity and takes no modal"):
        _check(model, modal="PBE")


@pytest.mark.parametrize("model", [ONE_FILE, "sevennet-0"])
def test_an_option_of_another_backend_is_refused(model):
    with pytest.raises(ValueError, match=r"takes no option\(s\) \['head'\]; it takes \["):
        _check(model, head="default")


def test_the_trust_warning_comes_before_the_file_is_unpickled():
    from ase_electrolyte import models

    models._WARNED_FILES.discard(models._file_version(MF_FILE))
    with pytest.warns(models.ModelFileTrustWarning), pytest.raises(ValueError):
        check_model(MF_FILE)


def test_finetune_refuses_a_multi_fidelity_file_as_it_refuses_the_name(tmp_path):
    from ase_electrolyte.finetuning import finetune

    frames = emt_copper(4)
    messages = []
    for base in ("sevennet-mf-0", MF_FILE):
        with warnings.catch_warnings(), pytest.raises(ValueError) as err:
            warnings.simplefilter("ignore")
            finetune(base, frames, epochs=1, out=tmp_path / "ft", device="cpu", plot=False)
        messages.append(str(err.value))
    assert all("multi-fidelity" in m and "not supported" in m for m in messages), messages
    assert not (tmp_path / "ft").exists()


@pytest.mark.parametrize("model", [MF_FILE, "sevennet-mf-0"])
@pytest.mark.parametrize(("given", "meant"), [("pbe", "PBE"), ("r2scan", "R2SCAN")])
def test_a_fidelity_in_another_case_is_that_fidelity(model, given, meant):
    # a fidelity is an option word (calc50): the load is given the model's spelling
    options = {"modal": given}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ase_electrolyte.models import _checked_model

        assert _checked_model(model, None, options)[2] == "sevennet"
    assert options == {"modal": meant}
