"""Energy labels per atom where the total energy of the frame belongs.

The check of energy differences against the work of the forces refused them, but named the
wrong cause for frames of about 30 atoms: per-atom energies give 1/N of the work, and for 32
atoms (1/32) the message read "they read as Hartree energies or kcal/mol/Å forces" (1/27.2,
1/23). The per-atom reading is now named first whenever the differences times each frame's
atom count are the work.
"""

import numpy as np
import pytest
from ase import units
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from ase.md.verlet import VelocityVerlet

from ase_electrolyte.finetuning import read_labelled


def _md_frames(repeat, n_frames=8, per_atom=False, seed=0):
    """Consecutive EMT copper frames of an NVE run at about 600 K (labels: EMT)."""
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(repeat)
    atoms.calc = EMT()
    rng = np.random.default_rng(seed)
    atoms.set_velocities(rng.normal(0.0, 0.03, (len(atoms), 3)))
    dyn = VelocityVerlet(atoms, 2 * units.fs)
    frames = []
    for _ in range(n_frames):
        dyn.run(5)
        energy = atoms.get_potential_energy()
        copy = atoms.copy()
        copy.calc = SinglePointCalculator(
            copy, energy=energy / len(atoms) if per_atom else energy,
            forces=atoms.get_forces(), stress=atoms.get_stress())
        frames.append(copy)
    return frames


@pytest.mark.parametrize("repeat", [1, 2, (3, 2, 1)])
def test_energies_per_atom_are_named_as_such(repeat):
    with pytest.raises(ValueError, match=r"they read as energies per atom \(eV/atom: multiply "
                                         r"each by its frame's atom count\)"):
        read_labelled(_md_frames(repeat, per_atom=True))


def test_a_mixed_data_set_of_per_atom_energies_is_named_as_such():
    frames = _md_frames(1, per_atom=True) + _md_frames(2, per_atom=True, seed=1)
    with pytest.raises(ValueError, match=r"read as energies per atom"):
        read_labelled(frames)


def test_total_energies_pass_and_hartree_energies_are_not_called_per_atom():
    frames = _md_frames(2) + _md_frames(1, seed=1)
    assert len(read_labelled(frames)) == len(frames)
    hartree = []
    for atoms in _md_frames(1):
        labels = dict(atoms.calc.results)
        labels["energy"] /= units.Hartree
        atoms.calc = SinglePointCalculator(atoms, **labels)
        hartree.append(atoms)
    with pytest.raises(ValueError, match=r"they read as Hartree energies") as err:
        read_labelled(hartree)
    assert "per atom" not in str(err.value)
