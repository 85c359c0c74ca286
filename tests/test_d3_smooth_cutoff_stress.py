"""D3's stress against the strain derivative of its energy across a cutoff (docs/api/d3.rst).

The analytic stress is the derivative of the energy of the pairs inside the cutoff; with a hard
cutoff the pairs that cross it as the cell is strained put the energy's finite difference off
the stress (what an NPT barostat integrates). ``smooth_cutoff`` removes that; the hard
coordination-number cutoff is what remains.
"""

import numpy as np
import pytest
from ase.build import bulk

from ase_electrolyte.d3 import D3

STRAIN = 1e-3


def _lif():
    atoms = bulk("LiF", "rocksalt", a=4.03, cubic=True).repeat(2)
    atoms.rattle(0.1, seed=3)
    return atoms


def _stress_error(calc, atoms):
    """Analytic σ_xx minus the central difference of E/V over a uniaxial strain (eV/Å³)."""
    energies = []
    for step in (STRAIN, -STRAIN):
        strained = atoms.copy()
        deformation = np.eye(3)
        deformation[0, 0] += step
        strained.set_cell(atoms.cell.array @ deformation, scale_atoms=True)
        strained.calc = calc
        energies.append(strained.get_potential_energy())
    fd = (energies[0] - energies[1]) / (2 * STRAIN) / atoms.get_volume()
    work = atoms.copy()
    work.calc = calc
    return work.get_stress()[0] - fd


@pytest.mark.parametrize("cutoff", [8.0, 10.0, 50.2])
def test_a_smooth_cutoff_makes_the_stress_the_strain_derivative_of_the_energy(cutoff):
    atoms = _lif()
    hard = abs(_stress_error(D3(damping="bj", cutoff=cutoff, device="cpu"), atoms))
    smooth = abs(_stress_error(
        D3(damping="bj", cutoff=cutoff, smooth_cutoff=2.0, device="cpu"), atoms))
    # measured: hard 8e-5, 5e-4 and 4e-6 eV/Å³ (130, 760 and 7 bar) at 8, 10 and 50.2 Å,
    # smooth 1-2e-8 (the hard cn_cutoff's crossings)
    assert smooth < 1e-7
    assert hard > 100 * smooth
