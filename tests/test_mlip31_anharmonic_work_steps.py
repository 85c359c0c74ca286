"""Correct labels of frames far apart along an anharmonic path are no unit slip
(finetuning._check_work, the labels-alone check of read_labelled).

Before: the energy differences of consecutive 32-atom EMT copper frames rattled by 0.3 Å were
0.31-0.39 × the trapezoidal work of their forces at correlation 0.95-0.99 in 6 of 60 random
sets, below the accepted [0.4, 1.45], and read_labelled refused them as another unit, though
no unit reading is within ×1.5 of that (Rydberg 0.074, per atom 1/32). Now a factor below the
range is refused only near a reading; the readings themselves are still refused.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator
from ase.units import Hartree, kcal, mol

sys.path.insert(0, str(Path(__file__).parent))
from tiny_models import emt_copper  # noqa: E402

from ase_electrolyte.finetuning import _consecutive_pairs, read_labelled  # noqa: E402


def _work_factor(frames):
    d_energy, work = [], []
    for ka, kb, step in _consecutive_pairs(frames):
        a, b = frames[ka].calc.results, frames[kb].calc.results
        work.append(-0.5 * float(np.sum((a["forces"] + b["forces"]) * step)))
        d_energy.append(b["energy"] - a["energy"])
    d_energy, work = np.array(d_energy), np.array(work)
    return (float(d_energy @ work / (work @ work)),
            float(d_energy @ work / np.sqrt((d_energy @ d_energy) * (work @ work))))


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


def _rms(atoms):
    return float(np.sqrt(np.mean(atoms.calc.results["forces"] ** 2)))


@pytest.fixture(scope="module")
def pool():
    frames = emt_copper(10, a=3.55, rattle=0.3, seed=3, repeat=2)
    return [a for a in frames if _rms(a) < 30.0]


def test_atoms_pressed_together_are_ev_where_their_energy_follows_their_forces():
    # Before: an RMS force beyond 30 eV/Å was refused as kcal/mol/Å by its size alone; EMT
    # copper rattled by 0.3 Å presses atoms to 35 eV/Å (6 of 60 sets refused)
    rng = np.random.default_rng(3)
    frames = _relabel(emt_copper(10, a=3.55, rattle=0.3, seed=230), lambda e, n: e - 3.7 * n)
    strong = [k for k, a in enumerate(frames) if _rms(a) > 30.0]
    assert strong, "no frame beyond 30 eV/Å: the case is not exercised"
    read_labelled(frames)
    # the same frame's forces in kcal/mol/Å among eV energies: refused by their size
    k = int(rng.choice(strong))
    slipped = _relabel(frames)
    slipped[k].calc.results["forces"] = frames[k].calc.results["forces"] * mol / kcal
    with pytest.raises(ValueError, match=rf"frame {k} has an RMS force"):
        read_labelled(slipped)


def test_anharmonic_steps_pass_and_their_factor_is_below_the_old_range(pool):
    rng = np.random.default_rng(31)
    low = 0
    for _ in range(12):
        pick = sorted(rng.choice(len(pool), int(rng.integers(4, len(pool) + 1)), replace=False))
        chosen = _relabel([pool[k] for k in pick], lambda e, n: e - 3.7 * n)
        scale, corr = _work_factor(chosen)
        low += scale < 0.4 and corr >= 0.95
        read_labelled(chosen)  # consistent eV and eV/Å: passes
    assert low >= 2  # the case of the old refusals is exercised


@pytest.mark.parametrize("energy, force, said", [
    (lambda e, n: (e - 3.7 * n) / Hartree, 1.0, "Hartree"),
    (lambda e, n: e - 3.7 * n, mol / kcal, "kcal/mol/Å"),
])
def test_units_below_the_range_are_still_refused(energy, force, said):
    frames = emt_copper(8, rattle=0.05, seed=4, repeat=2)
    read_labelled(frames)
    with pytest.raises(ValueError, match=said):
        read_labelled(_relabel(frames, energy, force))


def test_energies_per_atom_of_small_cells_are_still_refused():
    # 4 atoms: 1/4 of the work, within x1.5 of the anharmonic factors, and still named
    frames = emt_copper(8, rattle=0.05, seed=5)
    with pytest.raises(ValueError, match="per atom"):
        read_labelled(_relabel(frames, lambda e, n: (e - 3.7 * n) / n))
