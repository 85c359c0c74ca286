"""Reference labels computed with another periodicity than the analysed frames are refused.

Labels of a periodic frame computed without its cell are a cluster's energy and forces (no
images); labels computed in a cell beside frames without a box hold the images' interactions.
Either way they belong to another system than the one the model is evaluated on: the
reference method's own labels, computed without the cell, gave a force "error" of 4 eV/Å
against that same method, marked valid.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.singlepoint import SinglePointCalculator

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402

from mda_electrolyte import IntraInterErrors  # noqa: E402
from mda_electrolyte.intra_inter_errors import check_reference_frames  # noqa: E402


class CountingModel(MolecularPairModel):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        super().calculate(*args, **kwargs)


def _frames(n=6, periodic=True):
    rng = np.random.default_rng(3)
    out = []
    for _ in range(n):
        a, b = molecule("H2O"), molecule("H2O")
        b.positions += [3.1, 0.4, 0.2]
        pair = a + b
        pair.positions += rng.normal(0.0, 0.04, pair.positions.shape) + 1.0
        pair.arrays["molecule_index"] = np.repeat([0, 1], 3)
        if periodic:
            pair.cell = [7.0, 7.0, 7.0]
            pair.pbc = True
        out.append(pair)
    return out


def _labelled(frames, pbc):
    """The frames labelled by the same method as the model, computed with ``pbc``."""
    out = []
    for frame in frames:
        atoms = frame.copy()
        if np.any(pbc) and not np.any(atoms.pbc):
            atoms.cell = [7.0, 7.0, 7.0]
        atoms.pbc = pbc
        atoms.calc = MolecularPairModel()
        energy, forces = atoms.get_potential_energy(), atoms.get_forces()
        atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces)
        out.append(atoms)
    return out


MISMATCHES = {
    "periodic frames, labels without periodicity": (True, False, "have no periodic cell"),
    "periodic frames, labels periodic in x and y": (True, [True, True, False],
                                                    "periodic in x, y only"),
    "periodic frames, labels periodic in z": (True, [False, False, True], "periodic in z only"),
    "frames without a box, periodic labels": (False, True, "frames have no box"),
    "frames without a box, labels periodic in x": (False, [True, False, False],
                                                   "frames have no box"),
}


@pytest.mark.parametrize("case", sorted(MISMATCHES))
def test_labels_of_another_periodicity_are_refused_before_any_evaluation(case):
    periodic, pbc, said = MISMATCHES[case]
    frames = _frames(periodic=periodic)
    labels = _labelled(frames, pbc)
    model = CountingModel()
    with pytest.raises(ValueError, match=said) as info:
        IntraInterErrors(frames, model, reference=labels, quantities=["energy", "forces"])
    assert "reference labels of frame 0" in str(info.value)
    assert model.calls == 0
    with pytest.raises(ValueError, match=said):
        check_reference_frames(frames, labels)


@pytest.mark.parametrize("periodic", [True, False])
def test_only_a_later_frame_of_another_periodicity_is_named(periodic):
    frames = _frames(periodic=periodic)
    labels = _labelled(frames, periodic)
    labels[4:] = _labelled(frames[4:], not periodic)
    with pytest.raises(ValueError, match="reference labels of frame 4 "):
        check_reference_frames(frames, labels)


@pytest.mark.filterwarnings("ignore:stored reference labels without reference_isolated")
@pytest.mark.parametrize("periodic", [True, False])
def test_labels_of_the_frames_periodicity_give_the_methods_zero_error(periodic):
    # the control: the same method's labels computed as the frames are agree exactly
    frames = _frames(periodic=periodic)
    labels = _labelled(frames, periodic)
    errors = IntraInterErrors(frames, MolecularPairModel(), reference=labels,
                              quantities=["energy", "forces"]).run()
    assert errors.results.rmse["total"]["forces"].value == pytest.approx(0.0, abs=1e-12)
    assert errors.results.rmse["total"]["energy"].value == pytest.approx(0.0, abs=1e-9)
