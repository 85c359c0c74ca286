"""Validation frames that are training frames with their atoms in another order.

The leakage check compared the atoms of two frames in their stored order: a training frame
whose atoms were reordered (sorted by element, a molecule written first, any permutation)
passed as an unseen validation frame, and its error measured the fit. Frames are now one frame
when the atoms, in any order, match one to one within 1e-5 Å (periodic images included) once
moved onto each other; training frames are narrowed first by structure-factor moduli, which
no reordering, translation or wrapping changes.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from ase_electrolyte.finetuning import _SAME_FRAME_ANGSTROM, _check_disjoint


def _labelled(atoms):
    atoms.calc = SinglePointCalculator(atoms, energy=-1.0, forces=np.zeros((len(atoms), 3)))
    return atoms


def _mixture(seed, n=24, cell=((9.0, 0.0, 0.0), (2.1, 8.5, 0.0), (-1.4, 1.7, 9.8))):
    """Li, P, F, C, O, H atoms at random in a triclinic cell (no two closer than 0.9 Å)."""
    rng = np.random.default_rng(seed)
    cell = np.array(cell)
    frac = []
    while len(frac) < n:
        trial = rng.uniform(0.0, 1.0, 3)
        d = np.array(frac) - trial if frac else np.zeros((0, 3))
        d -= np.round(d)
        if not len(d) or np.linalg.norm(d @ cell, axis=1).min() > 0.9:
            frac.append(trial)
    symbols = (["Li", "P"] + ["F"] * 6 + ["C", "O", "H", "H"] * 4)[:n]
    return _labelled(Atoms(symbols, scaled_positions=frac, cell=cell, pbc=True))


def _moved(atoms, order, shift, wrap=True):
    copy = atoms[order]
    copy.positions += shift
    if wrap and copy.pbc.any():
        copy.wrap()
    return _labelled(copy)


def _orders(atoms, rng):
    n = len(atoms)
    return {
        "random": rng.permutation(n),
        "reversed": np.arange(n)[::-1],
        "by element": np.argsort(atoms.numbers, kind="stable"),
        "two swapped": np.r_[1, 0, 2:n],
    }


@pytest.mark.parametrize("kind", ["random", "reversed", "by element", "two swapped"])
def test_reordered_training_frames_are_refused_naming_them(kind):
    rng = np.random.default_rng(3)
    train = [_mixture(seed) for seed in range(12)]
    valid = [_moved(train[k], _orders(train[k], rng)[kind], rng.uniform(-20, 20, 3))
             for k in (7, 2)]
    with pytest.raises(ValueError, match=r"^2 of 3 validation frame\(s\) are training frames: "
                                         r"0 \(= training frame 7\), 2 \(= training frame 2\)"):
        _check_disjoint(train, [valid[0], _mixture(99), valid[1]])


def test_reordered_copies_within_the_tolerance_are_found_in_any_cell():
    """Each atom moved by up to 0.9e-5 Å, the atoms reordered, and either the cell vectors
    moved by up to 0.9e-5 Å or the frame moved (by lattice vectors along periodic axes) and
    wrapped: every copy is its training frame, in skewed, long and partly periodic cells and
    for clusters far from the origin (the invariants' tolerance holds)."""
    rng = np.random.default_rng(11)
    cells = [((9.0, 0.0, 0.0), (2.1, 8.5, 0.0), (-1.4, 1.7, 9.8)),
             ((6.0, 0.0, 0.0), (5.5, 2.0, 0.0), (0.0, 0.0, 30.0)),  # flat and skewed
             ((4.5, 0.0, 0.0), (0.0, 4.5, 0.0), (0.0, 0.0, 40.0))]
    train = []
    for k in range(30):
        atoms = _mixture(k, n=12 + k % 13, cell=cells[k % 3])
        if k % 5 == 3:  # a slab: no periodicity along c
            atoms.pbc = [True, True, False]
        if k % 5 == 4:  # a cluster far from the origin, no cell
            atoms = _labelled(Atoms(atoms.numbers, positions=atoms.positions + 150.0))
        train.append(atoms)
    valid = []
    for k, atoms in enumerate(train):
        copy = atoms[rng.permutation(len(atoms))]
        step = rng.normal(size=(len(copy), 3))
        step *= (0.9 * _SAME_FRAME_ANGSTROM * rng.uniform(0, 1, (len(copy), 1))
                 / np.linalg.norm(step, axis=1, keepdims=True))
        copy.positions += step
        if k % 2 and copy.pbc.any():
            nudge = rng.uniform(-0.9, 0.9, (3, 3)) * _SAME_FRAME_ANGSTROM
            copy.set_cell(copy.cell.array + nudge * copy.pbc[:, None], scale_atoms=False)
            valid.append(_labelled(copy))
            continue
        # a lattice vector along the periodic axes, any amount along the others
        shift = (rng.integers(-3, 4, 3) * copy.pbc) @ copy.cell.array
        shift = shift + rng.uniform(-5, 5, 3) * ~copy.pbc
        valid.append(_moved(copy, np.arange(len(copy)), shift))
    with pytest.raises(ValueError, match=r"^30 of 30 validation frame\(s\) are training "
                                         r"frames: 0 \(= training frame 0\), 1 \(= training "
                                         r"frame 1\), 2 \(= training frame 2\)"):
        _check_disjoint(train, valid)


def test_reordered_frames_that_differ_are_other_frames():
    rng = np.random.default_rng(5)
    base = _mixture(4)
    train = [base]
    stepped = base[rng.permutation(len(base))]
    stepped.positions[5] += [0.0, 10 * _SAME_FRAME_ANGSTROM, 0.0]  # one atom, 1e-4 Å
    swapped = base.copy()  # two atoms of different elements trade places
    swapped.numbers[[0, 2]] = swapped.numbers[[2, 0]]
    inverted = base.copy()  # the mirror image: the same structure-factor moduli
    inverted.positions = -inverted.positions
    strained = base[::-1]
    strained.set_cell(base.cell.array * (1 + 1e-4), scale_atoms=False)
    others = [stepped, swapped, inverted, strained, base[:-1]]
    _check_disjoint(train, [_labelled(a) for a in others])


def test_two_atoms_on_one_place_are_not_matched_twice():
    """A frame whose atoms are matched one to one: a frame with an atom doubled (and one
    left out) has every atom near a training atom, yet is another frame."""
    base = _labelled(Atoms("H4", positions=[[0, 0, 0], [1.0, 0, 0], [0, 1.1, 0], [0, 0, 1.2]]))
    doubled = _labelled(Atoms("H4", positions=[[0, 0, 0], [1.0, 0, 0], [1.0, 0, 0],
                                               [0, 0, 1.2]]))
    _check_disjoint([base], [doubled])
    with pytest.raises(ValueError, match=r"^1 of 1 validation frame"):
        _check_disjoint([base], [_moved(base, [3, 1, 0, 2], [7.0, -2.0, 0.5])])


def test_a_molecule_in_a_singular_box_that_is_not_periodic_is_compared():
    """A non-periodic frame's cell vectors do not matter, and may be parallel (a box written
    carelessly): the comparison took the inverse of that cell, a numpy LinAlgError."""
    box = [[5.0, 0.0, 0.0], [5.0, 0.0, 0.0], [0.0, 0.0, 5.0]]
    water = _labelled(Atoms("H2O", positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]],
                            cell=box, pbc=False))
    bent = water.copy()
    bent.positions[1] += [0.0, 0.05, 0.0]
    _check_disjoint([water], [_labelled(bent)])
    with pytest.raises(ValueError, match=r"^1 of 1 validation frame"):
        _check_disjoint([water], [_moved(water, [2, 0, 1], [50.0, -3.0, 0.2])])
