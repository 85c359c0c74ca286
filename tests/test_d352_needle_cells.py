"""D3 on needle cells: one cell vector tens of thousands of Å long.

Before: the kernels' guard (and the calculator's check that mirrors it) counted the images
within the cutoff plus the cell's diameter, (4/3)π (r + D)³ / V, and the cell list's stencil
bounded its sub-cell offsets by the cutoff plus a sub-cell's diagonal. For an 8 x 9 x 50000 Å
cell at a 30 Å cutoff that was "spans ~1.17e+09 periodic images" and a refusal, although a
pair has at most 121 images within the cutoff and simple-dftd3 computes the energy.
"""

import numpy as np
import pytest
from ase import Atoms
from test_d3 import assert_matches, ours

from ase_electrolyte.d3 import D3, backend

LONG = [5e4, 2e5, 1e6]


def needle(length, axis=2, natoms=12, seed=0, skew=0.0):
    """Argon in an 8 x 9 Å column (a dense stretch of 60 Å, then vacuum) along ``axis``."""
    rng = np.random.default_rng(seed)
    cell = np.diag([8.0, 9.0, 10.0])
    cell[axis] = 0.0
    cell[axis, axis] = length
    # a skewed needle: its long vector leans over the short ones
    cell[axis] += skew * cell[(axis + 1) % 3]
    frac = rng.random((natoms, 3))
    frac[:, axis] = np.linspace(0.0, 60.0 / length, natoms)
    return Atoms(f"Ar{natoms}", scaled_positions=frac, cell=cell, pbc=True)


@pytest.mark.parametrize("length", LONG)
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_needle_cells_match_simple_dftd3(length, axis):
    assert_matches(needle(length, axis), cutoff=31.0, cn_cutoff=15.0)


@pytest.mark.parametrize("kwargs", [{"atm": True, "cn_cutoff": 10.3, "cutoff": 25.0,
                                     "atm_cutoff": 12.0},
                                    {"damping": "zero", "cutoff": 40.0},
                                    {"smooth_cutoff": 2.0, "cutoff": 20.0}])
def test_skewed_needle_matches_simple_dftd3(kwargs):
    assert_matches(needle(3e5, axis=1, skew=0.7), **kwargs)


@pytest.mark.parametrize("length", LONG)
def test_needle_equals_its_wire(length):
    """Images 5·10⁴ Å apart along the needle are beyond every cutoff: the 3D cell is the
    wire periodic along its short vectors only (here a slab: pbc False along the needle)."""
    atoms = needle(length)
    slab = atoms.copy()
    slab.pbc = (True, True, False)
    e3, f3, s3, _ = ours(atoms, cutoff=31.0)
    e2, f2, s2, _ = ours(slab, cutoff=31.0)
    assert e3 == pytest.approx(e2, rel=1e-12)
    np.testing.assert_allclose(f3, f2, atol=1e-13)
    np.testing.assert_allclose(s3, s2, atol=1e-15)


@pytest.mark.parametrize("period", [1e6, 1e7])
def test_a_wire_of_very_long_period_equals_the_molecule(period):
    atoms = needle(period, natoms=8)
    wire = atoms.copy()
    wire.pbc = (False, False, True)
    molecule = atoms.copy()
    molecule.pbc = False
    e_wire, f_wire, _, _ = ours(wire, cutoff=50.0, atm=True)
    e_mol, f_mol, _, _ = ours(molecule, cutoff=50.0, atm=True)
    assert e_wire == pytest.approx(e_mol, rel=1e-12)
    np.testing.assert_allclose(f_wire, f_mol, atol=1e-14)


@pytest.mark.cuda_host
@pytest.mark.parametrize("length", [5e4, 1e6])
def test_needle_on_the_cuda_code_equals_cpu(length):
    atoms = needle(length, axis=0, skew=0.3)
    cpu = ours(atoms, cutoff=31.0)
    backend.set_cuda_host("host", "shuffled", seed=3)
    try:
        atoms = atoms.copy()
        atoms.calc = D3(device="cuda", cutoff=31.0)
        energy, forces, stress = (atoms.get_potential_energy(), atoms.get_forces(),
                                  atoms.get_stress())
    finally:
        backend.set_cuda_host(None)
    assert energy == pytest.approx(cpu[0], rel=1e-10)
    np.testing.assert_allclose(forces, cpu[1], atol=1e-12)
    np.testing.assert_allclose(stress, cpu[2], atol=1e-14)


@pytest.mark.parametrize(
    "cell, cutoff",
    [
        ([1.0, 1.0, 1.0], 1000.0),  # a cutoff far beyond a small cell: 8·10⁹ images
        ([[5.0, 0, 0], [4.99, 0.2, 0], [0, 0, 5.0]], 2000.0),  # skewed, thin
        ([0.5, 0.5, 1e6], 1000.0),  # a needle too thin for its cutoff
    ],
)
def test_cutoffs_spanning_too_many_images_are_still_refused(cell, cutoff):
    atoms = Atoms("Ar", positions=[[0.3, 0.2, 0.0]], cell=cell, pbc=True)
    atoms.calc = D3(device="cpu", cutoff=cutoff, cn_cutoff=min(cutoff, 20.0))
    with pytest.raises(ValueError, match=r"^D3: the largest cutoff .* periodic images"):
        atoms.get_potential_energy()
