"""Labels computed in another cell than the frame's are refused before any model evaluation.

The same positions in a cell of other lengths or angles (a cell not set in the reference
calculation, labels of a scaled copy) passed the check of positions, and their energy, forces
and stress, another system's, were compared with the model's as its errors.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_intra_inter_errors_label_checks import (  # noqa: E402
    FRAMES,
    Counting,
    _labelled,
    _universe_with_forces,
)

from mda_electrolyte.intra_inter_errors import (  # noqa: E402
    IntraInterErrors,
    check_reference_frames,
)


@pytest.mark.parametrize("change", [
    np.diag([1.0, 1.0, 1.5]),            # a longer c vector, the atoms left in place
    np.diag([1.0, 1.0, 1.001]),          # 9 mÅ on 8.8 Å
    np.array([[1.0, 0.0, 0.0], [0.05, 1.0, 0.0], [0.0, 0.0, 1.0]]),  # another angle
])
def test_labels_of_another_cell_are_refused(change):
    labels = _labelled(FRAMES)
    labels[3].set_cell(labels[3].cell.array @ change, scale_atoms=False)
    model = Counting()
    with pytest.raises(ValueError, match="labels of frame 3 were computed in another cell"):
        IntraInterErrors(FRAMES, model, reference=labels).run()
    assert model.calls == 0
    with pytest.raises(ValueError, match="another cell"):
        check_reference_frames(FRAMES, labels)


def test_labels_in_the_frames_cell_pass_also_from_a_single_precision_universe():
    labels = _labelled(FRAMES)
    check_reference_frames(FRAMES, labels)
    # a Universe keeps its box in single precision
    universe = _universe_with_forces(FRAMES, [lab.get_forces() for lab in labels])
    assert universe.dimensions.dtype == np.float32
    check_reference_frames(universe, labels)
    # a cell rounded to 8 decimals, as extxyz writes it
    for lab in labels:
        lab.set_cell(np.round(lab.cell.array, 8), scale_atoms=False)
    check_reference_frames(FRAMES, labels)
