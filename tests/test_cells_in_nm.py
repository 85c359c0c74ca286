"""A 3D-periodic cell given in nm instead of Å is refused by name before any evaluation.

The positions stay in Å, so the atoms and their images crowd 1000 × denser than a liquid.
Large systems then overlap (refused, as "atoms closer than 0.1 Å"), but a small one need not:
one water in a 1.2 Å cell (a 12 Å box given as 1.2) gave a D3 energy of -1.85 eV and an
Electrostatics and model evaluation without a word. ``atoms_checks.check_number_density`` refuses
more than ``MAX_NUMBER_DENSITY`` = 1 atom/Å³ (a liquid holds ~0.1, diamond 0.18) in every
calculator, before the model and the kernels; dense real phases, slabs, wires and molecules
pass.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule
from test_calculator_faults import CountingEMT, emt_model  # noqa: F401

from ase_electrolyte import Electrostatics
from ase_electrolyte.atoms_checks import MAX_NUMBER_DENSITY, check_number_density
from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.d3 import D3, backend

NM_MESSAGE = "is the cell in nm instead of Å"
WATER_QRD = {"O": (-0.8, 1.0), "H": (0.4, 1.0)}


def _water_in_nm():
    """One water in a 12 Å box whose cell was given in nm (1.2)."""
    atoms = molecule("H2O")
    atoms.set_cell([1.2, 1.2, 1.2])
    atoms.pbc = True
    return atoms


def _liquid_in_nm():
    """64 waters at liquid density (12.4 Å box) with the cell given in nm; the positions in Å."""
    rng = np.random.default_rng(5)
    box = Atoms(cell=np.eye(3) * 12.4, pbc=True)
    for index in np.ndindex(4, 4, 4):
        water = molecule("H2O")
        water.rotate(rng.uniform(0, 360), rng.normal(size=3))
        water.positions += (np.array(index) + 0.5) * 3.1
        box += water
    box.set_cell(box.cell[:] / 10.0, scale_atoms=False)
    return box


DENSE_BUT_REAL = {
    "diamond": lambda: bulk("C", "diamond", a=3.567, cubic=True),
    "LiH": lambda: bulk("LiH", "rocksalt", a=4.08, cubic=True),
    "LiF compressed to 0.5 atoms/Å3": lambda: bulk("LiF", "rocksalt", a=2.52, cubic=True),
    "triclinic small cell": lambda: Atoms(
        "COH2Li", positions=[[0, 0, 0], [1.2, 0.1, 0], [-0.5, 0.9, 0.1], [-0.5, -0.9, 0.2],
                             [1.5, 1.9, 1.4]],
        cell=[[3.1, 0, 0], [1.2, 3.4, 0], [0.7, -0.9, 3.3]], pbc=True),
}


@pytest.mark.parametrize("make", [_water_in_nm, _liquid_in_nm], ids=["one water", "liquid"])
def test_d3_and_electrostatics_refuse_a_cell_in_nm(make):
    atoms = make()
    positions = atoms.positions.copy()
    for calc in (D3(device="cpu"), Electrostatics(scheme="qrd", qrd=WATER_QRD)):
        work = atoms.copy()
        work.calc = calc
        with pytest.raises(InputError, match=NM_MESSAGE):
            work.get_potential_energy()
        with pytest.raises(InputError, match=NM_MESSAGE):
            calc.check_input(atoms)
    np.testing.assert_array_equal(atoms.positions, positions)


@pytest.mark.parametrize("make", [_water_in_nm, _liquid_in_nm], ids=["one water", "liquid"])
def test_the_calculator_refuses_a_cell_in_nm_before_its_model(emt_model, make):  # noqa: F811
    atoms = make()
    atoms.numbers[:] = 29  # EMT's copper, at the positions of the waters
    atoms.calc = emt_model(dispersion={"cutoff": 9.0, "cn_cutoff": 6.0})
    with pytest.raises(InputError, match=NM_MESSAGE):
        atoms.get_potential_energy()
    assert CountingEMT.calls == 0


def test_compute_tensor_refuses_a_cell_in_nm():
    torch = pytest.importorskip("torch")
    atoms = _water_in_nm()
    backend.set_cuda_host("host")
    try:
        calc = D3(device="cuda")
        with pytest.raises(InputError, match=NM_MESSAGE):
            calc.compute_tensor(torch.tensor(atoms.positions), atoms.numbers, atoms.cell,
                                atoms.pbc)
    finally:
        backend.set_cuda_host(None)


@pytest.mark.parametrize("name", list(DENSE_BUT_REAL))
def test_dense_real_phases_pass(name):
    atoms = DENSE_BUT_REAL[name]()
    assert len(atoms) / atoms.get_volume() < MAX_NUMBER_DENSITY
    check_number_density(atoms)
    atoms.calc = D3(device="cpu", cutoff=10.0, cn_cutoff=8.0)
    assert np.isfinite(atoms.get_potential_energy())


@pytest.mark.parametrize("pbc", [False, (True, True, False), (False, False, True)])
def test_molecules_slabs_and_wires_are_left_alone(pbc):
    # a small cell that is not periodic in every direction holds no density to judge
    atoms = _water_in_nm()
    atoms.pbc = pbc
    check_number_density(atoms)


def test_the_limit_is_a_density_not_a_cell_size():
    # the same 1.2 Å cell holds one helium atom (0.58 atoms/Å³) but not two
    check_number_density(Atoms("He", cell=[1.2, 1.2, 1.2], pbc=True))
    with pytest.raises(ValueError, match="1.16 atoms/Å³"):
        check_number_density(Atoms("He2", positions=[[0, 0, 0], [0.6, 0.6, 0.6]],
                                   cell=[1.2, 1.2, 1.2], pbc=True), "X")


def test_a_nearly_singular_cell_of_ordinary_lengths_is_left_to_the_thin_cell_check():
    # 6 Å vectors, 0.36 Å3: named thin across a face (check_overlaps), not a cell in nm
    atoms = Atoms("H3", positions=[[0, 0, 0], [2.0, 0, 0], [4.0, 0.0, 0]],
                  cell=[[6.0, 0, 0], [0, 6.0, 0], [0, 5.99, 0.06]], pbc=True)
    check_number_density(atoms)
    atoms.calc = D3(device="cpu")
    with pytest.raises(InputError, match="thin across a face"):
        atoms.get_potential_energy()
