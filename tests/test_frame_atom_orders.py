"""Frames of one set with other atoms are named by how they differ, before any evaluation.

A frame with the same atoms in another order was told only 'different atoms from frame 0',
as if it were another system; now the count, the composition or the first atom whose element
differs is named.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_intra_inter_errors import _frame  # noqa: E402
from test_intra_inter_errors_label_checks import Counting  # noqa: E402

from mda_electrolyte.intra_inter_errors import IntraInterErrors  # noqa: E402
from mda_electrolyte.model_frames import FrameSource  # noqa: E402
from mda_electrolyte.volume_scan import RigidVolumeScan  # noqa: E402


def _frames(change):
    frames = [_frame(seed=s) for s in range(4)]
    frames[2] = change(frames[2])
    return frames


def _swap(atoms):
    order = np.arange(len(atoms))
    order[[0, 1]] = [1, 0]
    return atoms[order]


@pytest.mark.parametrize("change, message", [
    (lambda a: a[:-3], "frame 2 has different atoms from frame 0: 12 atoms where frame 0 has "
                       "15"),
    (lambda a: a[:-3] + _frame(seed=9)[:3][[0, 0, 0]],
     "frame 2 has different atoms from frame 0: .* where frame 0 is"),
    (_swap, "frame 2 has different atoms from frame 0: the same atoms in another order "
            "\\(atom 0 is H here, O in frame 0\\): put every frame in one atom order"),
])
def test_frames_of_other_atoms_are_named_by_how_they_differ(change, message):
    frames = _frames(change)
    with pytest.raises(ValueError, match=message):
        FrameSource(frames)
    model = Counting()
    with pytest.raises(ValueError, match=message):
        IntraInterErrors(frames, model, reference=Counting(sigma=2.4)).run()
    with pytest.raises(ValueError, match=message):
        RigidVolumeScan(frames, model, scales=[1.0, 1.1]).run()
    assert model.calls == 0
