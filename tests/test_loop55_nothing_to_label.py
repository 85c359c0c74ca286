"""relabel and distill refuse an empty set of frames before the teacher is loaded.

An empty list (a selection that kept nothing) loaded every committee member and returned
``[]`` from relabel; distill loaded them too and ended in finetune's refusal. Both now name
the problem before any member is loaded: the Calculator is never constructed.
"""

from unittest import mock

import numpy as np
import pytest
from ase.build import bulk

import ase_electrolyte.calculator as calculator_module
from ase_electrolyte.distill import distill, relabel


@pytest.fixture
def no_teacher():
    """A Calculator that fails loudly if any code path reaches it."""
    with mock.patch.object(calculator_module.Calculator, "__new__",
                           side_effect=AssertionError("the teacher was loaded")) as patched:
        yield patched


EMPTY = {"list": lambda: [], "tuple": lambda: (), "generator": lambda: (a for a in []),
         "array": lambda: np.array([], dtype=object)}


@pytest.mark.parametrize("kind", sorted(EMPTY))
def test_relabel_refuses_no_frames_before_loading_the_teacher(kind, no_teacher):
    with pytest.raises(ValueError, match="holds no frames"):
        relabel(EMPTY[kind](), ["a.pth", "b.pth"], device="cpu")
    assert not no_teacher.called


@pytest.mark.parametrize("kind", sorted(EMPTY))
def test_distill_refuses_no_frames_before_loading_the_teacher(kind, no_teacher, tmp_path):
    out = tmp_path / "distill"
    with pytest.raises(ValueError, match="holds no frames"):
        distill(["a.pth", "b.pth"], EMPTY[kind](), epochs=1, out=out, device="cpu")
    assert not no_teacher.called
    assert not out.exists()  # a refused distillation leaves no folder


def test_one_frame_is_still_labelled_by_the_teacher(no_teacher):
    # the check refuses no frames, not few: one frame reaches the teacher
    with pytest.raises(AssertionError, match="teacher was loaded"):
        relabel([bulk("Cu", "fcc", a=3.6, cubic=True)], ["a.pth", "b.pth"], device="cpu")
