"""Reference labels of the analysed frames in another atom order are refused, naming the order.

Labels written by another program (or sorted by element) hold the frame's atoms in another
order: their forces would be compared with the wrong atoms. Before, the refusal said "other
elements, another order or another number of atoms", or "belong to other positions", whether
the labels were of another frame or of this one reordered.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors import _frame  # noqa: E402

from mda_electrolyte.intra_inter_errors import (  # noqa: E402
    IntraInterErrors,
    check_reference_frames,
)

FRAMES = [_frame(seed=s) for s in range(3)]


def _labels(frames, order=None, shift=None):
    out = []
    for atoms in frames:
        probe = atoms.copy()
        probe.calc = MolecularPairModel(k=0.2, sigma=2.4)
        lab = atoms.copy()
        lab.calc = SinglePointCalculator(lab, energy=probe.get_potential_energy(),
                                         forces=probe.get_forces())
        if order is not None:
            forces = lab.calc.results["forces"][order]
            lab = lab[order]
            lab.calc = SinglePointCalculator(lab, energy=probe.get_potential_energy(),
                                             forces=forces)
        if shift is not None:
            lab.positions += shift
        out.append(lab)
    return out


class Counting(MolecularPairModel):
    calls = 0

    def calculate(self, *args, **kwargs):
        Counting.calls += 1
        super().calculate(*args, **kwargs)


def _refused(labels, message):
    with pytest.raises(ValueError, match=message):
        check_reference_frames(FRAMES, labels)
    Counting.calls = 0
    with pytest.raises(ValueError, match=message), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        IntraInterErrors(FRAMES, Counting(k=0.2), reference=labels).run()
    assert Counting.calls == 0


def test_two_atoms_of_one_element_swapped_are_named():
    # the two waters' oxygens (atoms 0 and 12) exchanged, with their forces
    order = np.arange(len(FRAMES[0]))
    order[[0, 12]] = order[[12, 0]]
    _refused(_labels(FRAMES, order=order),
             "another atom order \\(label atom 0 sits where frame atom 12 does\\)")


def test_labels_sorted_by_element_are_named():
    order = np.argsort(FRAMES[0].numbers, kind="stable")
    _refused(_labels(FRAMES, order=order),
             "the same atoms in another order: atom 0 is H in the labels, O in the frames")


def test_a_reordering_across_the_periodic_faces_is_found_with_the_minimum_image():
    # labels with the positions wrapped otherwise (one cell vector off) and reordered
    order = np.arange(len(FRAMES[0]))
    order[[1, 2]] = order[[2, 1]]  # the first water's hydrogens
    labels = _labels(FRAMES, order=order)
    for lab in labels:
        lab.positions[1] += lab.cell[0]
    _refused(labels, "label atom 1 sits where frame atom 2 does")


def test_labels_of_other_positions_are_not_called_reordered():
    labels = _labels(FRAMES, shift=np.array([0.3, 0.0, 0.0]))
    with pytest.raises(ValueError, match="belong to other positions") as caught:
        check_reference_frames(FRAMES, labels)
    assert "atom order" not in str(caught.value)
    # and the labels in the frames' order pass
    check_reference_frames(FRAMES, _labels(FRAMES))
