"""A periodic cell vector far shorter than any bond (1e-3 Å) is refused naming that vector.

Every atom then meets its own image that close. D3 refused a 7 x 7 x 0.001 Å cell as a cell
given in nm, and a slab or wire with such a periodic vector as a cutoff spanning too many
images; Electrostatics as a cell in nm: neither named the vector. A non-periodic vector that
short is no fault (D3 pads its own cell there), and a cell in nm keeps its own message.
"""

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte import Electrostatics
from ase_electrolyte.d3 import D3, backend

PBCS = [(True, True, True), (True, True, False), (False, True, False)]


def _thin(axis, pbc, length=1e-3):
    cell = np.diag([7.0, 7.5, 8.0])
    cell[axis] *= length / cell[axis, axis]
    if pbc[axis]:
        return Atoms("CO", positions=[[0.1, 0.2, 0.0], [1.3, 0.2, 0.0]], cell=cell, pbc=pbc)
    return None


def _cases():
    for pbc in PBCS:
        for axis in range(3):
            if pbc[axis]:
                name = "".join("TF"[not p] for p in pbc)
                yield pytest.param(axis, pbc, id=f"{'abc'[axis]}-{name}")


@pytest.mark.parametrize("axis,pbc", list(_cases()))
def test_d3_names_the_short_periodic_vector(axis, pbc):
    atoms = _thin(axis, pbc)
    atoms.calc = D3(device="cpu")
    with pytest.raises(ValueError, match=rf"periodic cell vector {'abc'[axis]} \(0.001 Å\)"):
        atoms.get_potential_energy()


@pytest.mark.cuda_host
def test_d3_tensor_path_names_it_too():
    torch = pytest.importorskip("torch")
    atoms = _thin(1, (True, True, False))
    backend.set_cuda_host("host")
    try:
        with pytest.raises(ValueError, match=r"periodic cell vector b \(0.001 Å\)"):
            D3(device="cuda").compute_tensor(torch.tensor(atoms.positions), atoms.numbers,
                                             atoms.cell, atoms.pbc)
    finally:
        backend.set_cuda_host(None)


@pytest.mark.parametrize("axis", range(3))
def test_electrostatics_names_the_short_periodic_vector(axis):
    atoms = _thin(axis, (True, True, True), length=0.05)
    atoms.calc = Electrostatics(scheme="fixed", charges=[0.4, -0.4])
    with pytest.raises(ValueError, match=rf"periodic cell vector {'abc'[axis]} \(0.05 Å\)"):
        atoms.get_potential_energy()
    # before any charge is read or summed, also in check_input without the overlap search
    with pytest.raises(ValueError, match="shorter than 0.1 Å"):
        atoms.calc.check_input(atoms, overlaps=False)


def test_short_non_periodic_vector_and_cells_in_nm_unchanged():
    # a slab's non-periodic vector 0.001 Å long: D3 replaces it, the energy is the slab's
    slab = Atoms("CO", positions=[[0.1, 0.2, 0.0], [1.3, 0.2, 0.0]],
                 cell=[[7.0, 0, 0], [0, 7.5, 0], [0, 0, 30.0]], pbc=(True, True, False))
    energy = D3(device="cpu", cutoff=12.0, cn_cutoff=9.0).get_potential_energy(slab)
    slab.cell[2] = [0, 0, 1e-3]
    assert D3(device="cpu", cutoff=12.0, cn_cutoff=9.0).get_potential_energy(slab) == \
        pytest.approx(energy, rel=1e-12)
    # a water in a 1.2 Å box (nm read as Å) is still told about units, not a short vector
    water = Atoms("OH2", positions=[[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]],
                  cell=[1.2, 1.2, 1.2], pbc=True)
    for calc in (D3(device="cpu"), Electrostatics(scheme="fixed", charges=[-0.8, 0.4, 0.4])):
        with pytest.raises(ValueError, match="in nm instead of Å"):
            calc.get_potential_energy(water)
