"""A fine-tune's seed is checked against torch's range for every member, before any work.

Before: check_finetune_options took any whole number >= 0 ("any whole number seeds torch"),
but member k trains with ``torch.manual_seed(seed + k)``, which takes at most 2**64 - 1: a
seed of 2**64 failed with torch's "Overflow when unpacking long long" once the base model and
the data had been read and checked, and seed = 2**64 - 1 with ensemble=2 only after member 0
had been trained.
"""

import sys
from pathlib import Path

import pytest
import torch

from ase_electrolyte.finetuning import MAX_SEED, check_finetune_options, finetune

sys.path.insert(0, str(Path(__file__).parent))
from tiny_models import TINY, emt_copper  # noqa: E402

_OPTIONS = dict(epochs=1, loss="huber", check_units=True, plot=False, lr=1e-3, batch_size=2,
                force_weight=1.0, stress_weight=0.01, pressure_shift_bar=0.0)


def test_the_bound_is_torchs():
    torch.manual_seed(MAX_SEED)  # the largest it takes
    with pytest.raises((RuntimeError, ValueError, OverflowError)):
        torch.manual_seed(MAX_SEED + 1)


@pytest.mark.parametrize(("seed", "ensemble"), [
    (MAX_SEED + 1, 1), (2**70, 1), (10**30, 3), (MAX_SEED, 2), (MAX_SEED - 1, 3),
    (MAX_SEED - 8, 10),
])
def test_a_seed_some_member_cannot_take_is_refused_by_name(seed, ensemble, tmp_path):
    with pytest.raises(ValueError, match=r"seed \(member k trains with seed \+ k"):
        check_finetune_options(seed=seed, ensemble=ensemble, out=tmp_path / "o", **_OPTIONS)
    # and by finetune before it reads the data (the file does not exist)
    with pytest.raises(ValueError, match=r"seed \(member k"):
        finetune(TINY, tmp_path / "missing.extxyz", seed=seed, ensemble=ensemble,
                 out=tmp_path / "o", device="cpu", epochs=1, plot=False)


@pytest.mark.parametrize(("seed", "ensemble"), [(0, 1), (MAX_SEED, 1), (MAX_SEED - 2, 3),
                                                (2**63, 4)])
def test_every_member_seed_torch_takes_is_accepted(seed, ensemble, tmp_path):
    assert check_finetune_options(seed=seed, ensemble=ensemble, out=tmp_path / "o",
                                  **_OPTIONS) == (1, ensemble)


def test_the_largest_seed_trains(tmp_path):
    res = finetune(TINY, emt_copper(4), epochs=1, lr=0.01, batch_size=2, seed=MAX_SEED,
                   out=tmp_path / "ft", device="cpu", plot=False)
    assert res.checkpoint.is_file()
