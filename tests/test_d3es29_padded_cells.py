"""D3 of molecules, slabs and wires through the cell-list kernel in a padded 3D cell.

Oracles: simple-dftd3 (``dftd3``) for molecules; the all-pairs translation-list kernel that
:meth:`D3.compute_tensor` still uses (run here directly through the backend) for slabs and
wires; central finite differences for forces and the slab's in-plane stress. The padded
cell must add no pair, triple or coordination-number neighbour, whatever the cutoffs and the
structure's extent, for every damping and with the three-body term.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.units import Bohr, Hartree
from test_d3 import reference

from ase_electrolyte.d3 import D3, backend
from ase_electrolyte.d3.calculator import _padded_cell


def _cluster(n, seed, spacing=2.6):
    """``n`` atoms of C, H, O, Li and F on a jittered grid (no two closer than ~1.5 Å)."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(n ** (1 / 3)))
    grid = np.array(list(np.ndindex(side, side, side)))[:n] * spacing
    positions = grid + rng.uniform(-0.4, 0.4, grid.shape)
    return Atoms(numbers=rng.choice([1, 3, 6, 8, 9], n), positions=positions)


def _all_pairs(calc, atoms):
    """Energy (eV), forces (eV/Å), virial (eV) from the kernel's translation-list path."""
    geometry, tables, rotation = calc._frame(atoms, translations=True)
    pbc = atoms.pbc
    positions = atoms.positions
    if pbc.any():
        cell = atoms.cell[:]
        lat = cell[pbc]
        positions = positions - np.floor(positions @ np.linalg.pinv(lat)) @ lat
    geometry["xyz"] = positions / Bohr
    out = backend.run_kernel("cpu", geometry, tables, calc.method_parameters,
                             calc._cutoffs_bohr(), 1)
    return (out["energies"].sum() * Hartree, -out["gradient"] * Hartree / Bohr,
            out["sigma"] * Hartree)


@pytest.mark.parametrize("damping", ["bj", "zero", "op"])
@pytest.mark.parametrize("atm", [False, True])
def test_molecule_equals_simple_dftd3(damping, atm):
    atoms = _cluster(40, seed=1)
    # an atm_cutoff with atm=False is refused (it would change nothing)
    kwargs = dict(cutoff=9.3, cn_cutoff=6.1, atm=atm, **({"atm_cutoff": 7.4} if atm else {}))
    calc = D3(damping=damping, device="cpu", **kwargs)
    atoms.calc = calc
    energy, forces = atoms.get_potential_energy(), atoms.get_forces()
    ref_energy, ref_forces, _ = reference(atoms, damping, "pbe", **kwargs)
    assert energy == pytest.approx(ref_energy, rel=1e-11)
    assert np.abs(forces - ref_forces).max() < 1e-10 * np.abs(ref_forces).max()


@pytest.mark.parametrize("pbc", [[True, True, False], [False, True, False], [False] * 3])
def test_partial_periodicity_equals_all_pairs_kernel(pbc):
    # a thin triclinic slab/wire whose non-periodic vector is tilted and far too short:
    # the padded cell replaces it, so neither its length nor its direction matters
    atoms = _cluster(24, seed=2, spacing=2.2)
    atoms.cell = [[6.6, 0.0, 0.0], [2.5, 6.1, 0.0], [1.0, -0.7, 2.0]]
    atoms.pbc = pbc
    atoms.positions += [-20.0, 13.0, 7.0]  # far from the cell: wrapping must not matter
    calc = D3(device="cpu", cutoff=11.7, cn_cutoff=7.3, atm=True, atm_cutoff=6.9,
              smooth_cutoff=2.0)
    atoms.calc = calc
    energy, forces = atoms.get_potential_energy(), atoms.get_forces()
    ref_energy, ref_forces, ref_virial = _all_pairs(calc, atoms)
    assert energy == pytest.approx(ref_energy, rel=1e-12)
    assert np.abs(forces - ref_forces).max() < 1e-12
    if sum(pbc) == 2:
        stress = atoms.get_stress(voigt=False)
        np.testing.assert_allclose(stress * atoms.get_volume(), ref_virial, rtol=0,
                                   atol=1e-12)


def test_slab_stress_and_forces_are_derivatives():
    atoms = _cluster(18, seed=3, spacing=2.3)
    atoms.cell = [[7.0, 0.0, 0.0], [-1.5, 6.9, 0.0], [0.0, 0.0, 30.0]]
    atoms.pbc = [True, True, False]
    atoms.calc = D3(device="cpu", cutoff=12.3, cn_cutoff=8.1, smooth_cutoff=3.0)
    forces = atoms.get_forces()
    numeric = atoms.calc.calculate_numerical_forces(atoms, d=1e-4)
    assert np.abs(forces - numeric).max() < 1e-7
    stress = atoms.get_stress()
    numeric_stress = atoms.calc.calculate_numerical_stress(atoms, d=1e-5)
    # the in-plane components (xx, yy, xy): strains that move the periodic images
    in_plane = [0, 1, 5]
    assert np.abs(stress[in_plane] - numeric_stress[in_plane]).max() < 1e-8


@pytest.mark.parametrize("pbc", [[False] * 3, [True, False, False], [True, True, False]])
def test_padded_cell_puts_every_extra_image_beyond_reach(pbc):
    rng = np.random.default_rng(4)
    positions = rng.uniform(-15.0, 15.0, (30, 3))
    cell = np.array([[5.0, 1.0, 0.0], [0.5, 4.0, 0.3], [0.2, 0.1, 0.0]])
    pbc = np.array(pbc)
    reach = 8.0
    padded = _padded_cell(positions, cell, pbc, reach)
    assert abs(np.linalg.det(padded)) > 0
    np.testing.assert_array_equal(padded[pbc], cell[pbc])
    # every image with a non-zero index along a padded vector is farther than reach from
    # every atom, whatever periodic translation comes with it
    for shift in np.ndindex(3, 3, 3):
        n = np.array(shift) - 1
        if not n[~pbc].any():
            continue
        moved = positions + n @ padded
        nearest = np.linalg.norm(moved[:, None] - positions[None], axis=-1).min()
        # the component across the periodic span alone exceeds reach
        assert nearest > reach


def test_large_cluster_runs_in_cell_lists(monkeypatch):
    # 2000 atoms spread over a 33 Å cube at a 6 Å cutoff: the all-pairs loop (cell_mode 0)
    # visits 2e6 pairs per pass, the cell lists of the padded cell (cell_mode 1) ~60 per atom
    modes = []
    run_kernel = backend.run_kernel

    def spy(device, geometry, *args):
        modes.append(geometry["cell_mode"])
        return run_kernel(device, geometry, *args)

    monkeypatch.setattr(backend, "run_kernel", spy)
    atoms = _cluster(2000, seed=5)
    atoms.calc = D3(device="cpu", cutoff=6.3, cn_cutoff=4.1)
    energy = atoms.get_potential_energy()
    assert modes == [1]
    ref_energy, _, _ = reference(atoms, "bj", "pbe", cutoff=6.3, cn_cutoff=4.1)
    assert energy == pytest.approx(ref_energy, rel=1e-11)
    assert atoms.get_potential_energies().sum() == pytest.approx(energy, rel=1e-12)


def test_molecule_within_a_huge_cutoff_is_refused_by_its_pair_count():
    # 450000 atoms inside a 1e4 Å cutoff: 1.0e11 pairs, every one within reach, as the
    # pair images a periodic cell is refused for (MAX_PAIR_IMAGES), before the kernel runs
    n = 450_000
    side = int(np.ceil(n ** (1 / 3)))
    atoms = Atoms(numbers=np.ones(n, dtype=int),
                  positions=np.indices((side,) * 3).reshape(3, -1).T[:n] * 1.5)
    calc = D3(device="cpu", cutoff=1e4)
    with pytest.raises(ValueError, match=r"spans this whole 450000-atom molecule.*limit 1e\+11"):
        calc.check_input(atoms, overlaps=False)
