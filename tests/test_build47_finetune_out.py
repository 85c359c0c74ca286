"""The output folder of a fine-tune given as no path (finetuning.check_finetune_options).

Before: ``out=None`` or a number failed in os.fspath with "expected str, bytes or
os.PathLike object, not NoneType", naming no option, and ``out=""`` was taken as the working
folder (member folders and learning curves written beside whatever is there). Now both are
refused naming ``out``, before any frame is read.
"""

from pathlib import Path

import numpy as np
import pytest

from ase_electrolyte.finetuning import check_finetune_options

_OPTIONS = dict(
    epochs=2,
    ensemble=1,
    loss="mse",
    check_units=True,
    plot=False,
    lr=1e-3,
    batch_size=2,
    seed=0,
    force_weight=1.0,
    stress_weight=0.0,
    pressure_shift_bar=0.0,
)


@pytest.mark.parametrize("out", [None, 3, 2.5, True, np.int64(1), b"ft", ["ft"]])
def test_an_out_that_is_not_a_path_is_refused_by_name(out):
    with pytest.raises(TypeError, match=r"out \(the output folder\) must be a path"):
        check_finetune_options(**_OPTIONS, out=out)


@pytest.mark.parametrize("out", ["", "   "])
def test_an_empty_out_is_refused(out):
    with pytest.raises(ValueError, match=r"out \(the output folder\) is empty"):
        check_finetune_options(**_OPTIONS, out=out)


@pytest.mark.parametrize("kind", [str, Path])
def test_a_folder_path_passes(tmp_path, kind):
    assert check_finetune_options(**_OPTIONS, out=kind(tmp_path / "ft")) == (2, 1)
