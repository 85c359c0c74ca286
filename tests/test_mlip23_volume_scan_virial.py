"""The rigid-molecule volume scan against the molecular virial (finite differences).

Along the scan r_i(s) = s τ_j + ξ_i with the cell scaled by s, so that at s = 1

    dE/ds = V tr(σ) + Σ_i F_i · ξ_i

(ASE's stress σ = (1/V) ∂E/∂ε; the second term undoes the strain of the rigid offsets ξ_i).
A scan that scaled the atoms instead of the centres would follow V tr(σ) alone, here about 9 times
larger.
"""

import numpy as np
from ase import Atoms
from ase.calculators.lj import LennardJones

from mda_electrolyte.volume_scan import RigidVolumeScan


def _dimers(seed):
    rng = np.random.default_rng(seed)
    grid = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)]) * 3.5 + 1.0
    positions = []
    for centre in grid + rng.normal(scale=0.3, size=grid.shape):
        axis = rng.normal(size=3)
        axis /= np.linalg.norm(axis)
        positions += [centre - 0.6 * axis, centre + 0.6 * axis]
    atoms = Atoms("Ar16", positions=positions, cell=[7.0] * 3, pbc=True)
    atoms.arrays["molecule_index"] = np.repeat(np.arange(8), 2)
    return atoms


def test_scan_slope_is_the_molecular_virial():
    calc = LennardJones(sigma=1.0, epsilon=0.01, rc=3.0, smooth=True)
    h = 1e-4
    for seed in (1, 2):
        atoms = _dimers(seed)
        scan = RigidVolumeScan([atoms], calc, scales=[1 - h, 1.0, 1 + h]).run()
        energies = scan.results.total[0] * 1e-3 * len(atoms)  # meV/atom -> eV
        work = atoms.copy()
        work.calc = calc
        forces = work.get_forces()
        offsets = np.zeros_like(forces)
        for m in range(8):
            idx = np.flatnonzero(atoms.arrays["molecule_index"] == m)
            offsets[idx] = atoms.positions[idx] - atoms.positions[idx].mean(axis=0)
        virial = work.get_volume() * np.trace(work.get_stress(voigt=False)) + np.sum(
            forces * offsets)
        slope = (energies[2] - energies[0]) / (2 * h)
        assert abs(slope - virial) < 1e-5 * max(abs(virial), 1e-3), (slope, virial)
        assert abs(energies[1] - work.get_potential_energy()) < 1e-9
        # the isolated molecules do not change along the scan
        np.testing.assert_allclose(scan.results.intra[0], scan.results.intra[0, 0], rtol=0,
                                   atol=1e-12)
