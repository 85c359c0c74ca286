"""A stress (or virial) label on a frame that is not 3D-periodic is refused, naming the frame.

``read_labelled`` dropped the stress of such a frame without a word, and the frame was trained
(and its errors measured) as a cluster: a frame of a periodic calculation built as
``ase.Atoms(..., cell=...)``, whose ``pbc`` is False unless set, taught the model energies and
forces made with periodic images it never saw. The refusal names the frame, the periodicity
and the cure; the same frames with ``pbc=True``, and molecules without a stress label, pass.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import write
from tiny_models import TINY

from ase_electrolyte.finetuning import finetune, label_errors, read_labelled

PBCS = [(False, False, False), (True, True, False), (True, False, False), (False, True, True)]


def _copper(seed, pbc=True):
    """EMT copper in its periodic box, labelled with energy, forces and stress, as given."""
    atoms = bulk("Cu", cubic=True) * (2, 2, 1)
    atoms.rattle(0.05, seed=seed)
    atoms.calc = EMT()
    labels = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces(),
              "stress": atoms.get_stress()}
    # built again from arrays, as a user's script builds frames from a code's output
    frame = Atoms(atoms.get_chemical_symbols(), positions=atoms.positions, cell=atoms.cell,
                  pbc=pbc)
    frame.calc = SinglePointCalculator(frame, **labels)
    return frame


def _as(frame, where):
    """The frame's stress under ``where``: the calculator's results, info['stress'] or
    info['virial'] (eV, W = -σV)."""
    stress = frame.calc.results["stress"]
    if where == "calculator":
        return frame
    out = frame.copy()
    out.info["energy"] = frame.calc.results["energy"]
    out.arrays["forces"] = frame.calc.results["forces"].copy()
    out.info[where] = stress if where == "stress" else -stress * frame.get_volume()
    return out


@pytest.mark.parametrize("where", ["calculator", "stress", "virial"])
@pytest.mark.parametrize("pbc", PBCS)
@pytest.mark.parametrize("k", [0, 2])
def test_stress_label_on_a_frame_without_a_box_is_refused(pbc, where, k):
    frames = [_copper(seed) for seed in range(3)]
    frames[k] = _as(_copper(k, pbc=pbc), where)
    before = frames[k].positions.copy(), dict(frames[k].info), frames[k].pbc.copy()
    key = "virial" if where == "virial" else "stress"
    with pytest.raises(ValueError, match=rf"training data: frame {k} has a {key} label but is "
                                         rf"not 3D-periodic \(pbc \[{', '.join(map(str, pbc))}\]"
                                         rf"\).*set atoms.pbc = True"):
        read_labelled(frames, check_units=False)
    # the caller's frame is left as given
    assert np.array_equal(before[0], frames[k].positions)
    assert before[1].keys() == frames[k].info.keys()
    assert np.array_equal(before[2], frames[k].pbc)


@pytest.mark.parametrize("where", ["calculator", "stress", "virial"])
def test_the_same_frames_in_their_box_keep_their_stress(where):
    frames = [_as(_copper(seed), where) for seed in range(3)]
    out = read_labelled(frames, check_units=False)
    for frame, given in zip(out, [_copper(seed) for seed in range(3)], strict=True):
        np.testing.assert_allclose(frame.calc.results["stress"], given.calc.results["stress"],
                                   rtol=1e-12, atol=1e-15)


def test_a_molecule_without_stress_passes():
    atoms = Atoms("CuCu", positions=[[0, 0, 0], [0, 0, 2.4]], cell=[8, 8, 8], pbc=False)
    atoms.calc = EMT()
    atoms.calc = SinglePointCalculator(atoms, energy=atoms.get_potential_energy(),
                                       forces=atoms.get_forces())
    (frame,) = read_labelled([atoms], check_units=False)
    assert "stress" not in frame.calc.results and not frame.pbc.any()


@pytest.mark.parametrize("pbc", PBCS[:2])
def test_a_file_of_such_frames_is_refused_before_training(tmp_path, pbc):
    frames = [_copper(seed) for seed in range(3)] + [_copper(3, pbc=pbc)]
    write(tmp_path / "train.extxyz", frames)
    with pytest.raises(ValueError, match=r"training data: frame 3 has a stress label but is "
                                         r"not 3D-periodic"):
        finetune(TINY, tmp_path / "train.extxyz", epochs=1, out=tmp_path / "ft", device="cpu",
                 plot=False)
    assert not (tmp_path / "ft").exists()


def test_label_errors_refuse_them_too():
    frames = [_copper(0), _copper(1, pbc=False)]
    with pytest.raises(ValueError, match="frame 1 has a stress label but is not 3D-periodic"):
        label_errors(EMT(), frames)
