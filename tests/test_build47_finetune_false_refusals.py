"""Correct labels that fine-tuning's unit checks refused by chance (about 1 in 60 sets).

Before: (1) the labels-alone work check (``finetuning._check_work``) read the anharmonic
factor 0.32-0.39 of correct 4-atom copper frames rattled by 0.25-0.3 Å as energies per atom
(1/4, within ×1.5) and refused them; (2) its odd-frame search refused the first or last frame
whose one pair's work nearly cancelled (10-15 × off) as "of another unit"; (3) validation
frames far less distorted than the training frames (copper rattled by 0.09 Å against 0.25 Å)
lay below the training labels' fit by their structural energy and were refused as "labels of
another code". Now a reading below the range must explain the factor as correct labels do
(at most ×1.15), an odd frame's energy differences must also be ×8 the others', and only
validation frames within the training frames' range of RMS force (×1.5) are compared, their
offset fitted with the sums of squared label and base-model forces (a distorted frame's
structural energy) beside the per-frame and per-element offsets. The unit
slips themselves are still refused.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.morse import MorsePotential
from ase.calculators.singlepoint import SinglePointCalculator
from ase.units import kcal, mol

from ase_electrolyte import finetuning
from ase_electrolyte.finetuning import read_labelled


def _rattled(seed, repeat=1, n=None, amplitude=None, base=None):
    """EMT copper frames (or frames of ``base``) rattled at random (labels: EMT energy,
    forces), as the seeds drew."""
    rng = np.random.default_rng(seed)  # a seed or a Generator (used as it stands)
    n = int(rng.integers(4, 21)) if n is None else n
    amplitude = rng.uniform(0.05, 0.3) if amplitude is None else amplitude
    if base is None:
        base = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(repeat)
    frames = []
    for _ in range(n):
        atoms = base.copy()
        atoms.rattle(amplitude, rng=rng)
        atoms.calc = EMT()
        energy, forces = atoms.get_potential_energy(), atoms.get_forces()
        atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces)
        frames.append(atoms)
    return frames


def _relabel(frames, energy=lambda e, n: e, force=1.0):
    out = []
    for atoms in frames:
        labels = dict(atoms.calc.results)
        labels["energy"] = energy(labels["energy"], len(atoms))
        labels["forces"] = labels["forces"] * force
        copy = atoms.copy()
        copy.calc = SinglePointCalculator(copy, **labels)
        out.append(copy)
    return out


# 4-atom sets whose work factor (0.318, 0.358) lay within x1.5 of the per-atom reading 1/4,
# and sets whose last frame's one pair was 10.8 and 15.4 x its work
@pytest.mark.parametrize("seed", [231, 375, 70, 198])
def test_correct_labels_of_strongly_rattled_small_frames_pass(seed):
    frames = _rattled(seed)
    assert len(read_labelled(frames)) == len(frames)


def test_per_atom_energies_of_those_frames_are_still_refused():
    # near-harmonic steps (rattled by 0.05 Å): per-atom energies give 1/4 of the work
    frames = _relabel(_rattled(1, n=8, amplitude=0.05), energy=lambda e, n: e / n)
    with pytest.raises(ValueError, match=r"read as energies per atom"):
        read_labelled(frames)


def test_one_frame_of_kcal_mol_energies_is_still_named():
    frames = _rattled(2, n=10, amplitude=0.05)
    frames = _relabel(frames, energy=lambda e, n: e - 0.5 * n)  # a reference energy
    slipped = _relabel(frames[5:6], energy=lambda e, n: e * mol / kcal)
    with pytest.raises(ValueError, match=r"frame\(s\) 5 disagree with the others"):
        read_labelled(frames[:5] + slipped + frames[6:])


def test_validation_frames_less_distorted_than_the_training_frames_pass():
    # the random set that was refused: 17 training frames of 32 atoms rattled by 0.25 Å,
    # 2 validation frames rattled by 0.088 Å ("offset by -0.947 eV/atom")
    rng = np.random.default_rng(3)

    def drawn(n=None):
        n = int(rng.integers(4, 21)) if n is None else n
        repeat = 2 if rng.random() < 0.5 else 1
        return _rattled(rng, repeat=repeat, n=n, amplitude=rng.uniform(0.05, 0.3))

    train = drawn()
    rng.random()
    valid = drawn(n=int(rng.integers(2, 8)))
    assert (len(train), len(train[0]), len(valid)) == (17, 32, 2)
    assert finetuning._check_label_offsets(train, None, valid, None) is None


@pytest.mark.parametrize("offset", [-2.0, 2.0])
def test_an_offset_of_alike_structures_is_still_refused(offset):
    train = _rattled(10, repeat=2, n=17, amplitude=0.25)
    valid = _relabel(
        _rattled(12, repeat=2, n=3, amplitude=0.25), energy=lambda e, n: e + offset * n
    )
    with pytest.raises(ValueError, match=r"offset from the training labels by [-+]"):
        finetuning._check_label_offsets(train, None, valid, None)


def _drawn_sets(seed):
    """The training and validation sets of a random draw (as the false refusals were found)."""
    rng = np.random.default_rng(seed)

    def drawn(n=None):
        n = int(rng.integers(4, 21)) if n is None else n
        repeat = 2 if rng.random() < 0.5 else 1
        return _rattled(rng, repeat=repeat, n=n, amplitude=rng.uniform(0.05, 0.3))

    train = drawn()
    rng.random()
    return train, drawn(n=int(rng.integers(2, 8)))


def _morse(frames):
    """Energies and forces of a poor copper base (Morse, r0 2.866 Å where EMT's is 2.55)."""
    calc = MorsePotential(epsilon=0.3429, r0=2.866, rho0=1.3588 * 2.866)
    energies, forces = [], []
    for atoms in frames:
        copy = atoms.copy()
        copy.calc = calc
        energies.append(copy.get_potential_energy())
        forces.append(copy.get_forces())
    return energies, forces


@pytest.mark.parametrize(
    ("seed", "with_model"), [(164, False), (212, False), (164, True), (108, True)]
)
def test_validation_frames_more_or_less_distorted_pass(seed, with_model):
    # training rattled by 0.14 Å, validation by 0.22 Å (partly within x1.5 in RMS force):
    # +0.52 eV/atom "offset" from scratch, +0.16 against the Morse base: structural energy
    train, valid = _drawn_sets(seed)
    if not with_model:
        assert finetuning._check_label_offsets(train, None, valid, None) is None
        return
    (e_train, f_train), (e_valid, f_valid) = _morse(train), _morse(valid)
    finetuning._check_label_offsets(train, e_train, valid, e_valid, f_train, f_valid)


@pytest.mark.parametrize("offset", [-0.5, 0.5])
def test_an_offset_against_a_base_model_is_still_refused(offset):
    train = _rattled(20, repeat=2, n=10, amplitude=0.15)
    valid = _relabel(
        _rattled(21, repeat=2, n=3, amplitude=0.15), energy=lambda e, n: e + offset * n
    )
    (e_train, f_train), (e_valid, f_valid) = _morse(train), _morse(valid)
    with pytest.raises(ValueError, match=r"offset from the training labels by [-+]0\.[45]"):
        finetuning._check_label_offsets(train, e_train, valid, e_valid, f_train, f_valid)
