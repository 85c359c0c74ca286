"""A misspelt keyword names the keyword it looks like, before any model is loaded; a CUDA
device torch cannot see names what to use instead.

Before, ``Calculator(model, dispresion="d3")`` (or ``set(electrostatic=...)``) reached the
backend and was refused as "the sevennet backend takes no option(s) ['dispresion']; it takes
['enable_cueq', ...]", naming backend options but not ``dispersion``.
"""

from __future__ import annotations

import pytest

from ase_electrolyte import D3, Calculator
from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.models import check_model


@pytest.fixture
def no_load(monkeypatch):
    """Loading a model fails the test: misspelt keywords are refused before it."""
    import ase_electrolyte.calculator as calculator

    def load(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(calculator, "load_model", load)


@pytest.mark.parametrize(("given", "meant"), [
    ("dispresion", "dispersion"), ("Dispersion", "dispersion"), ("electrostatic", "electrostatics"),
    ("dtpye", "dtype"), ("devcie", "device"), ("Model", "model"), ("backends", "backend"),
])
def test_a_misspelt_calculator_keyword_names_the_keyword(no_load, given, meant):
    with pytest.raises(InputError, match=rf"unknown option\(s\) '{given}' \(did you mean "
                                         rf"'{meant}'\?\)") as err:
        Calculator("sevennet-0", device="cpu", **{given: None})
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("given", ["modal", "Modal", "head", "enable_cueq"])
def test_backend_options_are_left_to_the_backend(no_load, given):
    # 'modal' is one letter from 'model': it is a backend option, judged by load_model
    with pytest.raises(AssertionError, match="the model was loaded"):
        Calculator("sevennet-0", device="cpu", **{given: "x"})


def test_a_misspelt_backend_option_names_the_option():
    with pytest.raises(ValueError, match=r"\['enable_cueQ'\] \(did you mean 'enable_cueq'\?\)"):
        check_model("sevennet-0", enable_cueQ=True)


def test_set_refuses_a_misspelt_keyword_and_keeps_the_calculator():
    d3 = D3(damping="bj", device="cpu")
    before = d3.todict()
    with pytest.raises(InputError, match=r"'cutof' \(did you mean 'cutoff'\?\)"):
        d3.set(cutof=5.0)
    assert d3.todict() == before


def test_an_unrelated_unknown_option_gets_no_guess():
    with pytest.raises(InputError) as err:
        D3(damping="bj", device="cpu", zzz=1)
    assert "did you mean" not in str(err.value)


def test_cuda_without_a_gpu_names_the_fix(monkeypatch):
    import torch

    from ase_electrolyte.device import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for device in ("cuda", "CUDA:1"):
        with pytest.raises(ValueError, match=r"torch sees no CUDA GPU; use 'cpu', or 'auto'"):
            resolve_device(device)
    assert str(resolve_device("auto")) == "cpu"


def test_a_cuda_index_out_of_range_names_the_valid_ones(monkeypatch):
    import torch

    from ase_electrolyte.device import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(ValueError, match=r"torch sees 2 CUDA device\(s\), so use an index from "
                                         r"0 to 1"):
        resolve_device("cuda:2")
    assert str(resolve_device("cuda:1")) == "cuda:1"
