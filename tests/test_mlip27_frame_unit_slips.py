"""One frame of another unit among consistent training frames is named against the base model.

Before: the base-model unit checks of finetune judged the set as a whole (the force factor
over the first four frames, the energy readings only when no frame showed an offset, the
stress fluctuations of all frames), so one frame of eV/bohr forces (0.53 ×), Hartree energies
or a stress in GPa or VASP's sign among a dozen right ones went into training, and eV/bohr
forces passed the force check even for a whole set (inside its [1/4, 4]). Each frame is now
judged against the others' relation to the base model, where the model's own scale and
offsets cancel.

The base model here is a Morse copper (Girifalco and Weizer 1959) and the labels EMT's: two
different models of one metal, whose forces differ by a factor 0.6-1.1 that changes with the
structure, as a base model's do from its fine-tuning data.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
import vesin
from ase.calculators.morse import MorsePotential
from ase.calculators.singlepoint import SinglePointCalculator
from ase.units import Bohr, GPa, Hartree, kcal, mol

sys.path.insert(0, str(Path(__file__).parent))
from tiny_models import emt_copper  # noqa: E402

from ase_electrolyte.finetuning import (  # noqa: E402
    _check_energy_frames,
    _check_force_scale,
    _check_stress_frames,
)


def _morse():
    # vesin's pairs: ase's own neighbour list took a second for a 4-atom cell
    return MorsePotential(epsilon=0.3429, r0=2.866, rho0=1.3588 * 2.866, rcut1=4.5, rcut2=5.5,
                          neighbor_list=vesin.ase_neighbor_list)


_POOL = {}


def _pool(a0, rattle, repeat, n):
    """``n`` EMT copper frames with the Morse model's predictions, computed once per kind."""
    key = (a0, rattle, repeat)
    if key not in _POOL:
        frames = emt_copper(n, a=a0, rattle=rattle, seed=len(_POOL), repeat=repeat)
        predicted = []
        for atoms in frames:
            work = atoms.copy()
            work.calc = _morse()
            predicted.append({"energy": work.get_potential_energy(),
                              "forces": work.get_forces(), "stress": work.get_stress()})
        _POOL[key] = (frames, predicted)
    return _POOL[key]


def _data_set(rng, n_frames=None):
    """Frames of one kind of EMT copper (4 or 32 atoms, rattled by 0.05 or 0.2 Å, some with two
    frames of a strained cell) with labels offset by a reference energy per atom and per
    frame, and the Morse model's predictions."""
    n_frames = int(rng.integers(4, 11)) if n_frames is None else n_frames
    a0, rattle = [3.55, 3.65][rng.integers(2)], [0.05, 0.2][rng.integers(2)]
    repeat = int(rng.integers(1, 3))
    frames, predicted = _pool(a0, rattle, repeat, 12)
    chosen = [(frames[k], predicted[k]) for k in sorted(rng.choice(12, n_frames, replace=False))]
    if rng.random() < 0.5:
        strained = _pool(a0 * 1.02, rattle, repeat, 4)
        chosen += [(strained[0][k], strained[1][k]) for k in rng.choice(4, 2, replace=False)]
    per_atom, per_frame = rng.uniform(-5.0, 0.0), rng.uniform(-50.0, 50.0)
    out = []
    for atoms, _ in chosen:
        labels = dict(atoms.calc.results)
        labels["energy"] += per_atom * len(atoms) + per_frame
        copy = atoms.copy()
        copy.calc = SinglePointCalculator(copy, **labels)
        out.append(copy)
    return out, [p for _, p in chosen]


def _check(frames, predicted):
    _check_force_scale(frames, [p["forces"] for p in predicted])
    _check_energy_frames(frames, [p["energy"] for p in predicted])
    _check_stress_frames(frames, [p["stress"] for p in predicted])


def _slipped(frames, k, quantity, factor):
    out = []
    for j, atoms in enumerate(frames):
        labels = dict(atoms.calc.results)
        if j == k:
            labels[quantity] = labels[quantity] * factor
        copy = atoms.copy()
        copy.calc = SinglePointCalculator(copy, **labels)
        out.append(copy)
    return out


SLIPS = [("forces", Bohr, "eV/bohr"), ("forces", Bohr / Hartree, "Hartree/bohr"),
         ("forces", mol / kcal, "kcal/mol/Å"), ("energy", 1 / Hartree, "Hartree"),
         ("stress", -1.0, "VASP's sign"), ("stress", 1 / GPa, "GPa")]


@pytest.mark.parametrize("quantity, factor, name", SLIPS)
def test_one_frame_of_another_unit_is_named_with_its_unit(quantity, factor, name):
    frames, predicted = _data_set(np.random.default_rng(3), n_frames=10)
    _check(frames, predicted)
    with pytest.raises(ValueError, match=rf"frame 4: [^;]*\(read as {name}\b"):
        _check(_slipped(frames, 4, quantity, factor), predicted)


def test_consistent_sets_pass_and_slipped_frames_are_found_over_random_sets():
    rng = np.random.default_rng(2026)
    refused, found = 0, {name: [] for _, _, name in SLIPS}
    for _ in range(90):
        frames, predicted = _data_set(rng)
        try:
            _check(frames, predicted)
        except ValueError:
            refused += 1
        for quantity, factor, name in SLIPS:
            k = int(rng.integers(len(frames)))
            try:
                _check(_slipped(frames, k, quantity, factor), predicted)
                found[name].append(False)
            except ValueError as err:
                found[name].append(f"frame {k}: " in str(err))
    assert refused == 0
    rates = {name: np.mean(v) for name, v in found.items()}
    # missed: eV/bohr in 4-atom cells, whose factors against the Morse model spread by
    # 0.64-0.9 within a set, and a sign or GPa slip of a stress near zero (near the EMT
    # lattice constant), within the model's scatter (measured 0.97 and 0.77)
    assert rates.pop("VASP's sign") > 0.6
    assert min(rates.values()) > 0.8, rates
