"""Stress labels in VASP's sign, GPa or kbar, found from the labels alone.

The base model's stresses judged a sign or unit factor only where they follow the labels; a
model trained from scratch (or from a base whose stresses are noise) trained on the pressure
(VASP's sign, -stress) as if it were ASE's stress. Between periodic frames of one composition
in other cells the energy difference, less the work of the forces, is the work of the stress
on the strain: its factor on the stress work is 1 for eV/Å³ in ASE's sign, -1 in VASP's,
1/160 in GPa. Checked with strained EMT copper (an equation-of-state set, and rattled
frames), correct labels over 6 seeds, then the wrong ones.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from ase.units import GPa

from ase_electrolyte.finetuning import read_labelled


def _strained(n, seed, *, strain=0.005, rattle=0.02, repeat=1, a=3.59, factor=1.0):
    """EMT copper in randomly strained cells (symmetric strain of scale ``strain``), atoms
    rattled; stress labels ``factor`` × ASE's stress in eV/Å³."""
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n):
        atoms = bulk("Cu", "fcc", a=a, cubic=True).repeat(repeat)
        eps = strain * rng.normal(size=(3, 3))
        atoms.set_cell(atoms.cell.array @ (np.eye(3) + 0.5 * (eps + eps.T)), scale_atoms=True)
        atoms.rattle(rattle, rng=rng)
        atoms.calc = EMT()
        labels = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces(),
                  "stress": factor * atoms.get_stress()}
        atoms.calc = SinglePointCalculator(atoms, **labels)
        frames.append(atoms)
    return frames


def _eos(n, *, factor=1.0):
    """An equation-of-state set: the perfect crystal scaled isotropically (forces zero)."""
    frames = []
    for a in np.linspace(3.55, 3.63, n):
        atoms = bulk("Cu", "fcc", a=a, cubic=True)
        atoms.calc = EMT()
        labels = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces(),
                  "stress": factor * atoms.get_stress()}
        atoms.calc = SinglePointCalculator(atoms, **labels)
        frames.append(atoms)
    return frames


@pytest.mark.parametrize("seed", range(6))
def test_correct_stresses_pass(seed):
    for frames in (_strained(10, seed), _strained(10, seed, repeat=2, rattle=0.01),
                   _strained(10, seed, rattle=0.0, strain=0.01)):
        assert len(read_labelled(frames)) == 10
    assert len(read_labelled(_eos(9))) == 9


@pytest.mark.parametrize("make", [lambda f: _strained(10, 3, factor=f),
                                  lambda f: _eos(9, factor=f)], ids=["strained", "eos"])
def test_vasp_sign_is_named(make):
    with pytest.raises(ValueError, match=r"training data: the energy differences of frames .* "
                                         r"are (-[0-9.]+) × the work of their stress labels .*"
                                         r"they read as VASP's sign") as err:
        read_labelled(make(-1.0))
    # the factor of correct labels (0.98-1.21 on these frames), negated
    assert -1.45 < float(str(err.value).split(" are ")[1].split()[0]) < -0.7


@pytest.mark.parametrize("factor,name", [(1 / GPa, "GPa"), (-1 / GPa, "GPa in VASP's sign")])
def test_gpa_below_the_size_limit_is_named(factor, name):
    # near the equilibrium cell the stresses in GPa stay below read_labelled's 1 eV/Å³
    frames = _strained(10, 5, strain=0.002, rattle=0.0, factor=factor)
    assert max(np.abs(a.calc.results["stress"]).max() for a in frames) < 1.0
    with pytest.raises(ValueError, match=rf"they read as {name}\b"):
        read_labelled(frames)


def test_the_check_is_one_of_check_units_and_skips_molecules():
    assert len(read_labelled(_eos(9, factor=-1.0), check_units=False)) == 9
    # frames not periodic in all three directions have no stress: a stress label on one is
    # refused (it was dropped, the frame trained as a slab), never judged
    frames = _eos(9, factor=-1.0)
    for atoms in frames:
        atoms.pbc = [True, True, False]
    with pytest.raises(ValueError, match="frame 0 has a stress label but is not 3D-periodic"):
        read_labelled(frames)
