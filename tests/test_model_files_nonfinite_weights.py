"""Model files whose weights hold NaN or infinite values are refused when loaded.

A checkpoint saved after a training diverged loaded without a word: its first evaluation
returned NaN and the error blamed the structure ("closest atoms Cu0-Cu1 at 2.55 Å"), and a
NaN in one element's weights failed only on structures holding it. The load now names the
file and the tensor, for a single model, a committee member and a fine-tune's base (before
any frame is predicted or any epoch trained), and for the descriptors of a selection.
"""

import warnings

import numpy as np
import pytest
from tiny_models import emt_copper, tiny_committee

pytest.importorskip("sevenn")

from ase.calculators.calculator import InputError  # noqa: E402

from ase_electrolyte import Calculator, finetuning  # noqa: E402
from ase_electrolyte.active_learning import select_candidates  # noqa: E402
from ase_electrolyte.models import load_model  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_committee(tmp_path_factory.mktemp("tiny_nonfinite_weights"))[1]


def _with_value(path, out, tensor, value, index=0):
    """``path``'s checkpoint with element ``index`` of ``tensor`` set to ``value``."""
    import torch

    checkpoint = torch.load(path, weights_only=False, map_location="cpu")
    state = checkpoint["model_state_dict"]
    state[tensor] = state[tensor].clone()
    state[tensor].view(-1)[index] = value
    torch.save(checkpoint, out)
    return str(out)


def _tensors(path):
    import torch

    state = torch.load(path, weights_only=False, map_location="cpu")["model_state_dict"]
    return [name for name, t in state.items() if t.is_floating_point() and t.numel() > 0]


@pytest.mark.parametrize("where,value", [("first", float("nan")), ("shift", float("inf")),
                                         ("last", -float("inf"))], ids=str)
def test_a_non_finite_weight_is_named_at_load(tiny, tmp_path, value, where):
    names = _tensors(tiny[0])
    tensor = {"first": names[0], "last": names[-1],
              "shift": "rescale_atomic_energy.shift"}[where]
    assert tensor in names
    bad = _with_value(tiny[0], tmp_path / "bad.pth", tensor, value)
    with pytest.raises(ValueError, match=rf"holds non-finite weights: 1 of \d+ values of its "
                                         rf"tensor '{tensor}'"):
        load_model(bad, device="cpu")
    with pytest.raises(InputError, match="non-finite weights"):
        Calculator(bad, device="cpu")


def test_the_same_file_with_finite_weights_loads_and_evaluates(tiny, tmp_path):
    # the value written back is the one the file holds: the check changes nothing else
    import torch

    names = _tensors(tiny[0])
    original = torch.load(tiny[0], weights_only=False,
                          map_location="cpu")["model_state_dict"][names[0]].view(-1)[0]
    same = _with_value(tiny[0], tmp_path / "same.pth", names[0], float(original))
    atoms = emt_copper(1, seed=3)[0]
    energies = []
    for path in (tiny[0], same):
        work = atoms.copy()
        work.calc = Calculator(path, device="cpu")
        energies.append(work.get_potential_energy())
    assert np.isfinite(energies[0]) and energies[0] == energies[1]


def test_a_committee_member_with_a_nan_weight_is_named(tiny, tmp_path):
    bad = _with_value(tiny[1], tmp_path / "bad.pth", _tensors(tiny[1])[2], float("nan"))
    with pytest.raises(InputError, match=r"bad\.pth.*non-finite weights"):
        Calculator([tiny[0], bad], device="cpu")


def test_a_fine_tune_from_a_nan_base_is_refused_before_any_prediction(tiny, tmp_path,
                                                                      monkeypatch):
    bad = _with_value(tiny[0], tmp_path / "bad.pth", _tensors(tiny[0])[1], float("nan"))

    def no(*_args, **_kwargs):
        raise AssertionError("reached after the base was loaded")

    monkeypatch.setattr(finetuning, "_predict", no)
    monkeypatch.setattr(finetuning, "_train_one", no)
    with pytest.raises(ValueError, match=r"^base: .*non-finite weights"):
        finetuning.finetune(bad, emt_copper(4), epochs=1, out=tmp_path / "ft", device="cpu",
                            plot=False, check_units=False)
    assert not (tmp_path / "ft" / "member_0").exists()


def test_a_selection_with_a_nan_descriptor_model_is_refused_at_load(tiny, tmp_path):
    bad = _with_value(tiny[0], tmp_path / "bad.pth", _tensors(tiny[0])[0], float("nan"))
    frames = emt_copper(3, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((ValueError, InputError), match="non-finite weights"):
            select_candidates(frames, 2, model=bad, device="cpu", out=tmp_path / "sel.extxyz")
    assert not (tmp_path / "sel.extxyz").exists()
