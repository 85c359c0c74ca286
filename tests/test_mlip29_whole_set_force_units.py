"""A whole training set of forces in eV/bohr is found once the base model's anharmonicity is
allowed for (finetuning._check_model_work).

Before: eV/bohr (0.53 ×) is within the range a base model's own force scale spans (a Morse
copper, Girifalco and Weizer 1959, gives 0.53-0.57 × the EMT labels), so the set was left to
the labels-alone work check, whose factor for correct labels of independently rattled frames
spreads over 0.28-0.99 (anharmonic steps): a whole set in eV/bohr passed in 36 of 60 random
sets. Fitting the label energy differences on the force work plus the base model's exact
trapezoid error takes the anharmonicity out: 0.71-1.10 for correct labels, 1.34-2.08 in
eV/bohr (60 sets per Morse base; 58/60 and 59/60 found, no consistent set refused).
One frame in eV/bohr among consistent ones is named by the same fit over the pairs without
it, its forces read in eV/bohr bringing its pairs back within the others' scatter (with the
checks before: 47 -> 55 and 54 -> 56 of 60 sets per Morse base).
"""

import sys
from pathlib import Path

import numpy as np
import pytest
import vesin
from ase.calculators.lj import LennardJones
from ase.calculators.morse import MorsePotential
from ase.calculators.singlepoint import SinglePointCalculator
from ase.units import Bohr, kcal, mol

sys.path.insert(0, str(Path(__file__).parent))
from tiny_models import emt_copper  # noqa: E402

from ase_electrolyte.finetuning import _check_model_work, _check_work  # noqa: E402


def _morse(r0):
    return MorsePotential(epsilon=0.3429, r0=r0, rho0=1.3588 * r0, rcut1=4.5, rcut2=5.5,
                          neighbor_list=vesin.ase_neighbor_list)


def _lennard_jones():
    # Heinz et al. 2008 copper: 10-40 x stiffer than EMT on atoms pressed together
    return LennardJones(epsilon=4.72 * kcal / mol, sigma=2.616 / 2 ** (1 / 6), rc=6.0,
                        smooth=True)


def _predict(frames, calc):
    out = []
    for atoms in frames:
        work = atoms.copy()
        work.calc = calc
        out.append({"energy": work.get_potential_energy(), "forces": work.get_forces()})
    return out


def _relabel(frames, force=1.0, offset=0.0):
    out = []
    for atoms in frames:
        labels = dict(atoms.calc.results)
        labels["forces"] = labels["forces"] * force
        labels["energy"] = labels["energy"] + offset * len(atoms)
        copy = atoms.copy()
        copy.calc = SinglePointCalculator(copy, **labels)
        out.append(copy)
    return out


@pytest.mark.parametrize("r0", [2.866, 2.4])
def test_a_set_in_ev_per_bohr_that_the_labels_alone_pass_is_refused(r0):
    frames = emt_copper(8, a=3.65, rattle=0.25, seed=11)
    predicted = _predict(frames, _morse(r0))
    slipped = _relabel(frames, force=Bohr)
    _check_work(slipped, "training data")  # the labels alone cannot tell (anharmonic steps)
    scale = _check_model_work(frames, predicted)
    assert 0.8 < scale < 1.2
    with pytest.raises(ValueError, match=r"training data: .* forces .*read as eV/bohr forces"):
        _check_model_work(slipped, predicted)


def test_consistent_sets_pass_and_ev_per_bohr_sets_are_found_over_replicas():
    rng = np.random.default_rng(29)
    pools = {}
    scales, found, named = [], [], []
    for _ in range(16):
        r0 = float(rng.choice([2.866, 2.4]))
        a0, rattle = float(rng.choice([3.55, 3.65])), float(rng.choice([0.05, 0.2, 0.3]))
        key = (r0, a0, rattle)
        if key not in pools:
            frames = emt_copper(10, a=a0, rattle=rattle, seed=len(pools))
            pools[key] = (frames, _predict(frames, _morse(r0)))
        frames, predicted = pools[key]
        pick = sorted(rng.choice(10, int(rng.integers(4, 11)), replace=False))
        chosen = _relabel([frames[k] for k in pick], offset=rng.uniform(-5.0, 0.0))
        pred = [predicted[k] for k in pick]
        scales.append(_check_model_work(chosen, pred))
        try:
            _check_model_work(_relabel(chosen, force=Bohr), pred)
            found.append(False)
        except ValueError:
            found.append(True)
        # one frame of the set in eV/bohr, named as such
        k = int(rng.integers(len(chosen)))
        one = _relabel(chosen)
        one[k].calc.results["forces"] = chosen[k].calc.results["forces"] * Bohr
        try:
            _check_model_work(one, pred)
            named.append(False)
        except ValueError as err:
            named.append(f"frame {k}: " in str(err) and "eV/bohr" in str(err))
    judged = [s for s in scales if s is not None]
    assert len(judged) >= 12
    # correct labels give 1 within the model's leftover anharmonicity
    assert 0.7 < min(judged) and max(judged) < 1.15, judged
    assert np.mean(found) >= 0.9, found
    assert np.mean(named) >= 0.7, named  # 12 of 16: end frames of 4-atom cells are missed


def test_a_base_whose_anharmonicity_is_not_the_labels_does_not_judge():
    # Lennard-Jones copper on frames rattled by 0.3 A: its trapezoid error does not carry
    # over to EMT's (fitted share near 0), so neither the right nor the slipped set is judged
    frames = emt_copper(8, a=3.55, rattle=0.3, seed=12)
    predicted = _predict(frames, _lennard_jones())
    assert _check_model_work(frames, predicted) is None
    assert _check_model_work(_relabel(frames, force=Bohr), predicted) is None


def test_too_few_pairs_of_one_cell_are_not_judged():
    frames = emt_copper(3, rattle=0.2, seed=13)
    predicted = _predict(frames, _morse(2.866))
    assert _check_model_work(_relabel(frames, force=Bohr), predicted) is None


def test_a_base_whose_forces_do_not_follow_the_labels_does_not_judge():
    # the model's forces of each frame in another atom order: correlation near zero, as the
    # tiny SevenNet copper on frames beyond its training (fitted factors 0.26-0.57 for correct
    # labels were refused before this condition)
    frames = emt_copper(8, a=3.65, rattle=0.25, seed=11)
    predicted = _predict(frames, _morse(2.866))
    rng = np.random.default_rng(0)
    shuffled = [dict(p, forces=p["forces"][rng.permutation(len(p["forces"]))])
                for p in predicted]
    assert _check_model_work(_relabel(frames, force=Bohr), shuffled) is None
