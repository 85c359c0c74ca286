"""D3's cutoffs and energy conservation: the work of the forces along a path against the
energy change.

Along any path, E(end) - E(start) = -∫ F · dx when the forces are the gradient of a continuous
energy; a pair crossing a hard cutoff adds the energy jump to the left side only. Atoms of a
liquid-like box fly along straight lines at thermal speeds for 0.2 ps and the mismatch, per atom
and ps, is compared with GROMACS' drift tolerance (ase_electrolyte.md.MAX_ENERGY_DRIFT): what a
Velocity Verlet run would show as the D3 term's drift.
"""

import warnings

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte import D3
from ase_electrolyte.md import MAX_ENERGY_DRIFT

STEPS, DT_FS = 100, 2.0


def liquid(seed=0, n=24, side=9.0):
    """Argon and carbon atoms no closer than 2.5 Å in a cube, with thermal velocities (Å/fs)."""
    rng = np.random.default_rng(seed)
    positions = []
    while len(positions) < n:
        x = rng.uniform(0.0, side, 3)
        d = [np.linalg.norm((x - p + side / 2) % side - side / 2) for p in positions]
        if not d or min(d) > 2.5:
            positions.append(x)
    atoms = Atoms(["Ar", "C"] * (n // 2), positions=positions, cell=[side] * 3, pbc=True)
    # ~300 K: sqrt(kT/m) of argon is 2.5e-3 Å/fs per component
    velocities = rng.normal(0.0, 5e-3, (n, 3))
    return atoms, velocities


def mismatch(calc, seed=0):
    """|ΔE + W| along a straight flight, meV per atom per ps.

    W = ∫ F · v dt by Simpson's rule (error O(dt⁴); the trapezoid rule's O(dt²) was 4 % of
    the tolerance at 2 fs).
    """
    atoms, velocities = liquid(seed)
    atoms.calc = calc
    energies, power = [], []
    for step in range(STEPS + 1):
        if step:
            atoms.positions = atoms.positions + velocities * DT_FS
        energies.append(atoms.get_potential_energy())
        power.append(np.sum(atoms.get_forces() * velocities))
    weights = np.ones(STEPS + 1)
    weights[1:-1:2], weights[2:-1:2] = 4.0, 2.0
    work = DT_FS / 3.0 * np.dot(weights, power)
    duration_ps = STEPS * DT_FS / 1000.0
    return abs(energies[-1] - energies[0] + work) * 1000.0 / len(atoms) / duration_ps


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_default_cutoffs_conserve_energy_far_below_the_drift_tolerance():
    """The defaults (50.2 Å two-body, 20 Å coordination numbers, hard as in simple-dftd3):
    a pair's jump there is ~1e-9 eV, so the demo's drift cannot come from them."""
    assert mismatch(D3()) < 0.01 * MAX_ENERGY_DRIFT


def test_short_hard_cutoff_shows_its_jumps_and_the_switch_removes_them():
    """The control: a hard 5 Å cutoff, where pairs cross with jumps of ~1 meV, breaks the
    balance beyond the tolerance; the quintic switch over its last 2 Å restores it."""
    hard = mismatch(D3(cutoff=5.0, cn_cutoff=5.0))
    smooth = mismatch(D3(cutoff=5.0, cn_cutoff=5.0, smooth_cutoff=2.0))
    assert hard > MAX_ENERGY_DRIFT
    # the switch leaves the hard coordination-number cutoff, whose jumps are a thousand
    # times smaller (the counting function is ~1e-4 at 5 Å for C-C)
    assert smooth < 0.05 * hard
