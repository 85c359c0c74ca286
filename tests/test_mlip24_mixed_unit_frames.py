"""One frame of another unit among training frames is refused, naming the frame.

Before: twelve frames of EMT copper, one with its forces in kcal/mol/Å (or its energy ×23),
passed read_labelled: the frame's pairs took the correlation of energy differences and the
work of the forces below the 0.95 at which the work check judges, so the check was skipped
and the frame went into training. The frames that break the check alone are now found (set
aside greedily) and named.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator

sys.path.insert(0, str(Path(__file__).parent))
from tiny_models import emt_copper  # noqa: E402

from ase_electrolyte.finetuning import _check_work, read_labelled  # noqa: E402


def _scaled(frames, index, quantity, factor):
    labels = dict(frames[index].calc.results)
    labels[quantity] = labels[quantity] * factor
    frames[index].calc = SinglePointCalculator(frames[index], **labels)
    return frames


# (kJ/mol/Å forces of these frames exceed the per-frame bound on an RMS force, which names them)
@pytest.mark.parametrize("quantity, factor", [("forces", 23.0605), ("energy", 23.0605),
                                              ("energy", 1 / 27.2114)])
@pytest.mark.parametrize("bad", [(2,), (5,), (3, 8)])
def test_frames_of_another_unit_are_named(quantity, factor, bad):
    frames = emt_copper(12, repeat=2)
    # the energies of EMT copper are near 0 eV: at a DFT-like level, as a code's total
    # energies are, a unit slip of a frame's energy moves it far from the rest
    for a in frames:
        labels = dict(a.calc.results)
        labels["energy"] = labels["energy"] - 1.5 * len(a)
        a.calc = SinglePointCalculator(a, **labels)
    read_labelled(frames)  # consistent labels pass
    for k in bad:
        _scaled(frames, k, quantity, factor)
    with pytest.raises(ValueError, match=r"frame\(s\) " + ", ".join(map(str, bad))
                       + r" disagree with the others"):
        read_labelled(frames)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rattle", [0.05, 0.1, 0.2])
def test_consistent_frames_are_not_refused(seed, rattle):
    # frames further apart (larger rattles) give energy differences further from the
    # trapezoidal work, none of another unit
    for n in (8, 20):
        _check_work(emt_copper(n, rattle=rattle, seed=seed, repeat=2), "training data")


def test_a_unit_slip_that_the_work_cannot_tell_passes_to_the_model_checks():
    # forces per Bohr in eV in one frame: its pairs sit at 2/(1 + 1.89) of the work, within
    # the spread of anharmonic steps; nothing is named that the labels do not show
    frames = _scaled(emt_copper(12, repeat=2), 5, "forces", 1 / 0.529177)
    out = read_labelled(frames)
    assert np.allclose(out[5].calc.results["forces"], frames[5].calc.results["forces"])
