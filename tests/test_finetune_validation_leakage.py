"""Validation frames that are training frames, however they were stored.

The leakage check compared frames by positions rounded to 1e-6 Å: a training frame written to
extxyz (8 decimals) and read back as a validation frame differed by up to 5e-9 Å, enough to
cross a rounding boundary in one of its coordinates, and 14 of 50 rattled 32-atom frames
passed as unseen. Frames are now one frame when every atom (and cell vector) lies within
1e-5 Å of the other's, or of its periodic image, relative to the first atom.
"""

import io

import ase.io
import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.singlepoint import SinglePointCalculator

from ase_electrolyte.finetuning import _SAME_FRAME_ANGSTROM, _check_disjoint


def _labelled(atoms):
    atoms.calc = SinglePointCalculator(atoms, energy=-1.0, forces=np.zeros((len(atoms), 3)))
    return atoms


def _copper(seed, repeat=2):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(repeat)
    atoms.rattle(0.1, seed=seed)
    return _labelled(atoms)


def _round_trip(frames, fmt="extxyz"):
    text = io.StringIO()
    ase.io.write(text, frames, format=fmt)
    text.seek(0)
    return ase.io.read(text, index=":", format=fmt)


def test_every_frame_read_back_from_extxyz_is_a_training_frame():
    train = [_copper(seed) for seed in range(50)]
    valid = _round_trip(train)
    with pytest.raises(ValueError, match=r"^50 of 50 validation frame\(s\) are training "
                                         r"frames: 0 \(= training frame 0\), 1 \(= training "
                                         r"frame 1\)"):
        _check_disjoint(train, valid)


@pytest.mark.parametrize("decimals", [6, 8])
def test_positions_rounded_by_a_writer_are_the_same_frame(decimals):
    train = [_copper(seed) for seed in range(20)]
    valid = []
    for atoms in train:
        copy = atoms.copy()
        copy.positions = np.round(copy.positions, decimals)
        valid.append(_labelled(copy))
    with pytest.raises(ValueError, match=r"^20 of 20 validation frame\(s\)"):
        _check_disjoint(train, valid)


@pytest.mark.parametrize("shift", [[0.0, 0.0, 0.0], [1.3, -0.7, 2.9], [7.2, 7.2, 7.2]])
def test_moved_and_wrapped_frames_with_atoms_on_the_cell_faces_are_the_same_frame(shift):
    # atoms exactly on the faces, and 1e-9 Å inside and outside them: wrapping sends them to
    # opposite faces, which are one place in a periodic cell
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    atoms.positions[1] = [0.0, 1e-9, 7.2 - 1e-9]
    atoms.positions[2] = [7.2, 3.6, -1e-9]
    train = [_copper(3), _labelled(atoms)]
    moved = atoms.copy()
    moved.positions += shift
    moved.wrap()
    with pytest.raises(ValueError, match=r"^1 of 2 validation frame\(s\) are training frames: "
                                         r"1 \(= training frame 1\)"):
        _check_disjoint(train, [_copper(4), _labelled(moved)])


def test_frames_an_md_step_apart_or_in_another_cell_are_other_frames():
    base = _copper(5)
    train = [base]
    stepped = base.copy()
    stepped.positions[7] += [0.0, 0.0, 10 * _SAME_FRAME_ANGSTROM]  # one atom, 1e-4 Å
    strained = base.copy()
    strained.set_cell(base.cell.array * (1 + 1e-4), scale_atoms=False)
    others = [stepped, strained, base[:-1]]
    _check_disjoint(train, [_labelled(a) for a in others])
    # the same frame with another periodicity is another structure
    slab = base.copy()
    slab.pbc = [True, True, False]
    _check_disjoint(train, [_labelled(slab)])


def test_partly_periodic_and_molecular_frames():
    slab = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((2, 2, 1))
    slab.rattle(0.05, seed=1)
    slab.pbc = [True, True, False]
    slab.cell[2] = [0.0, 0.0, 0.0]
    molecule = Atoms("H2O", positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    train = [_labelled(slab), _labelled(molecule)]
    slab_moved = slab.copy()
    slab_moved.positions += [3.6, -3.6, 0.5]  # a lattice vector in-plane, any amount out
    slab_moved.wrap()
    far = molecule.copy()
    far.positions += [100.0, 0.0, 0.0]
    with pytest.raises(ValueError, match=r"^2 of 2 validation frame\(s\) are training frames: "
                                         r"0 \(= training frame 0\), 1 \(= training frame 1\)"):
        _check_disjoint(train, [_labelled(slab_moved), _labelled(far)])
    # a molecule's atom moved by its own periodic image does not exist: it is another frame
    bent = molecule.copy()
    bent.positions[1] += [10.0, 0.0, 0.0]
    _check_disjoint(train, [_labelled(bent)])
