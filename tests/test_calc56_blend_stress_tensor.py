"""Inside the blend of two kept lattice-sum sets, every stress component is the energy's
strain derivative, for both sums, a charged cell and a sheared (triclinic) path.

Stop 55 blended the energies of two kept sets about the middle between their cells
(``test_calc55_npt_set_blend``: Ewald, 16 ions, isotropic). A stress 200 bar off the energy's
derivative was reported there for 32 ions; measured over the whole window (PME and Ewald,
32 ions, neutral and with a background, isotropic and general strains) the stress is the
derivative to the finite differences' own error (< 0.05 bar): the weights' derivative is in
it (``_blend_weights`` is differentiated through the cell); no defect. This guards that for
the sums, charges and strains the first test did not cover (PME on a charged cell,
16 ions, a normal and a shear component, to keep it quick; Ewald measured the same).
"""

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte import Electrostatics
from ase_electrolyte.electrostatics import _blend_weights

N = 16
RNG = np.random.default_rng(5)
EDGE = 8.0
POSITIONS = RNG.uniform(0.0, EDGE, (N, 3))
# the second set's cell: beyond 5 % strain of the first, sheared
SECOND = np.eye(3) + np.array([[0.06, 0.02, 0.0], [0.0, -0.03, 0.01], [0.0, 0.03, 0.055]])


def ions(deformation, net):
    atoms = Atoms(f"H{N}", positions=POSITIONS, cell=[EDGE] * 3, pbc=True)
    q = np.tile([1.0, -1.0], N // 2)
    q[0] += net
    atoms.set_initial_charges(q)
    atoms.set_cell(atoms.cell.array @ deformation, scale_atoms=True)
    return atoms


@pytest.fixture(scope="module", params=[("pme", 1.0)],
                ids=["pme-charged"])
def blended(request):
    method, net = request.param
    calc = Electrostatics(scheme="array", method=method, tolerance=1e-4, cutoff=4.0,
                          background=bool(net))
    for deformation in (np.eye(3), SECOND):
        calc.get_potential_energy(ions(deformation, net))
    # the middle of the path, where both sets weigh (each one alone differs there)
    middle = 0.5 * (np.eye(3) + SECOND)
    return calc, middle, net


def test_both_sets_weigh_in_the_middle(blended):
    import torch

    calc, middle, net = blended
    cells = [cell for _, cell, *_ in calc._tuned]
    assert len(cells) == 2
    cell = torch.tensor(ions(middle, net).cell.array, dtype=torch.float64)
    assert min(_blend_weights(cells, cell).tolist()) > 0.05


@pytest.mark.parametrize("component", [(0, 0), (1, 2)])
def test_each_stress_component_is_the_derivative(blended, component):
    calc, middle, net = blended
    atoms = ions(middle, net)
    atoms.calc = calc
    stress = atoms.get_stress(voigt=False)
    i, j = component
    direction = np.zeros((3, 3))
    direction[i, j] = direction[j, i] = 1.0
    h = 1e-5

    def energy(sign):
        return calc.get_potential_energy(ions(middle @ (np.eye(3) + sign * h * direction), net))

    derivative = (energy(1) - energy(-1)) / (2 * h)
    # dE/dε for the symmetric strain is V Σ σ_ab d_ab; 1e-5 eV per unit strain is 0.03 bar
    assert derivative == pytest.approx(atoms.get_volume() * np.sum(stress * direction), abs=1e-5)
    assert len(calc._tuned) == 2
