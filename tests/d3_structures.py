"""Synthetic electrolyte-like boxes for the D3 tests and benchmarks/bench_d3.py.

Molecules from ase.build (plus PF6- and Li+) on a jittered grid: quick to build, seeded, and
dense enough (~0.1 atoms/Å3) that the D3 cutoffs see liquid-like neighbour counts.
"""

import numpy as np
from ase import Atoms
from ase.build import molecule


def pf6():
    """Octahedral PF6- with P-F = 1.6 Å, centred at the origin."""
    return Atoms(
        "PF6",
        positions=[
            [0, 0, 0],
            [1.6, 0, 0],
            [-1.6, 0, 0],
            [0, 1.6, 0],
            [0, -1.6, 0],
            [0, 0, 1.6],
            [0, 0, -1.6],
        ],
    )


def molecules_on_grid(kinds, nrep, spacing, seed=0):
    """Periodic box with one molecule per grid cell, cycling through `kinds`.

    Parameters
    ----------
    kinds : list of ase.Atoms
        Molecules placed in turn (copied, never modified).
    nrep : int or tuple of 3 int
        Grid cells along each axis.
    spacing : float
        Grid spacing, Å; the orthorhombic cell is ``nrep * spacing``.
    seed : int
        Seed of the random orientations and of the 0.2 Å jitter of the centres.
    """
    shape = (nrep,) * 3 if np.isscalar(nrep) else tuple(nrep)
    rng = np.random.default_rng(seed)
    box = Atoms(cell=np.diag(shape) * spacing, pbc=True)
    for idx, cell_index in enumerate(np.ndindex(*shape)):
        mol = kinds[idx % len(kinds)].copy()
        mol.rotate(rng.uniform(0, 360), rng.normal(size=3))
        mol.positions += (np.array(cell_index) + 0.5) * spacing - mol.positions.mean(0)
        mol.positions += rng.normal(scale=0.2, size=3)
        box += mol
    return box


def electrolyte_like_box(nrep, spacing, seed=0):
    """Molecules of carbonate-like solvents, PF6- and Li+ on a jittered grid (periodic)."""
    kinds = [
        molecule("HCOOCH3"),
        molecule("CH3CH2OH"),
        molecule("HCOOCH3"),
        pf6(),
        Atoms("Li", positions=[[0, 0, 0]]),
        molecule("CH3CH2OH"),
    ]
    return molecules_on_grid(kinds, nrep, spacing, seed)
