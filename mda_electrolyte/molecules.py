"""Molecules of a frame: the one place that knows them.

Every analysis of :mod:`mda_electrolyte` that needs molecules (intra/inter RDFs, solvation shells,
conductivity of molecular ions, volume scans, error decomposition) uses these functions rather than
its own copies.

A *molecule* is a residue of the Universe (the default, and what :func:`mda_electrolyte.from_ase`
writes) or a bonded fragment (``compound="fragments"``). Molecule indices are contiguous
``0 .. n_molecules - 1`` in the order molecules first appear in the AtomGroup.

All positions are in Å, masses in amu, velocities in Å/ps.
"""

from __future__ import annotations

import numpy as np
from MDAnalysis.lib.distances import minimize_vectors

__all__ = [
    "molecule_ids",
    "make_whole",
    "centers_of_mass",
    "inertia_tensors",
    "rigid_decomposition",
]


def molecule_ids(atomgroup, compound="residues"):
    """Contiguous molecule index of every atom of ``atomgroup``.

    Parameters
    ----------
    atomgroup : MDAnalysis.core.groups.AtomGroup
    compound : {"residues", "fragments"}
        Residues of the topology, or fragments found from its bonds.

    Returns
    -------
    ids : numpy.ndarray of int, shape (n_atoms,)
        ``ids[i]`` is the molecule of atom ``i``; values run from 0 to ``n_molecules - 1`` in order
        of first appearance.

    Raises
    ------
    ValueError
        For an unknown ``compound`` or fragments asked of a topology without bonds.
    """
    if compound == "residues":
        raw = atomgroup.resindices
    elif compound == "fragments":
        if not hasattr(atomgroup, "fragindices"):
            raise ValueError(
                "compound='fragments' needs bonds in the topology; guess them with "
                "universe.guess_TopologyAttrs(to_guess=['bonds']) or use compound='residues'"
            )
        raw = atomgroup.fragindices
    else:
        raise ValueError(f"compound must be 'residues' or 'fragments', not {compound!r}")
    _, first, inverse = np.unique(raw, return_index=True, return_inverse=True)
    # relabel in order of first appearance so ids follow the AtomGroup's order
    order = np.argsort(np.argsort(first))
    return order[inverse].astype(np.intp)


def make_whole(positions, ids, box=None):
    """Positions with every molecule whole across periodic boundaries.

    Each atom is placed at the minimum image of its offset from the first atom of its molecule,
    which is exact whenever no molecule spans more than half the box (any molecular liquid).

    Parameters
    ----------
    positions : array_like, shape (n_atoms, 3)
        Positions in Å.
    ids : array_like of int, shape (n_atoms,)
        Molecule index of every atom (see :func:`molecule_ids`).
    box : array_like, shape (6,), optional
        MDAnalysis box ``[a, b, c, alpha, beta, gamma]`` (Å, degrees); ``None`` returns a copy.

    Returns
    -------
    numpy.ndarray of float64, shape (n_atoms, 3)
        New array; the input is not modified.
    """
    pos = np.array(positions, dtype=np.float64, copy=True)
    ids = np.asarray(ids)
    if box is None:
        return pos
    n_mol = int(ids.max()) + 1 if ids.size else 0
    first = np.full(n_mol, -1, dtype=np.intp)
    # reversed assignment leaves the smallest index of each molecule
    first[ids[::-1]] = np.arange(ids.size)[::-1]
    anchor = pos[first[ids]]
    offset = minimize_vectors(pos - anchor, np.asarray(box, dtype=np.float32))
    return anchor + offset


def centers_of_mass(positions, masses, ids):
    """Centre of mass of every molecule.

    Parameters
    ----------
    positions : array_like, shape (n_atoms, 3)
        Whole-molecule positions in Å (see :func:`make_whole`), or velocities in Å/ps to get
        centre-of-mass velocities.
    masses : array_like, shape (n_atoms,)
        Masses in amu.
    ids : array_like of int, shape (n_atoms,)

    Returns
    -------
    numpy.ndarray, shape (n_molecules, 3)
    """
    positions = np.asarray(positions, dtype=np.float64)
    masses = np.asarray(masses, dtype=np.float64)
    ids = np.asarray(ids)
    n_mol = int(ids.max()) + 1
    total = np.bincount(ids, weights=masses, minlength=n_mol)
    com = np.empty((n_mol, 3))
    for k in range(3):
        com[:, k] = np.bincount(ids, weights=masses * positions[:, k], minlength=n_mol)
    return com / total[:, None]


def inertia_tensors(positions, masses, ids, com=None):
    """Inertia tensor of every molecule about its centre of mass.

    Parameters
    ----------
    positions : array_like, shape (n_atoms, 3)
        Whole-molecule positions in Å.
    masses : array_like, shape (n_atoms,)
        Masses in amu.
    ids : array_like of int, shape (n_atoms,)
    com : array_like, shape (n_molecules, 3), optional
        Centres of mass, computed when not given.

    Returns
    -------
    numpy.ndarray, shape (n_molecules, 3, 3)
        ``I = Σ m (|r|² 1 − r ⊗ r)`` in amu·Å².
    """
    positions = np.asarray(positions, dtype=np.float64)
    masses = np.asarray(masses, dtype=np.float64)
    ids = np.asarray(ids)
    if com is None:
        com = centers_of_mass(positions, masses, ids)
    rel = positions - com[ids]
    outer = masses[:, None, None] * (
        np.einsum("ij,ij->i", rel, rel)[:, None, None] * np.eye(3) - rel[:, :, None] * rel[:, None, :]
    )
    n_mol = com.shape[0]
    tensors = np.zeros((n_mol, 3, 3))
    np.add.at(tensors, ids, outer)
    return tensors


def rigid_decomposition(positions, masses, ids):
    """Write every atom as ``r_i = τ_j + ξ_i`` (SPEC §2.3).

    ``τ_j`` is the centre of mass of molecule ``j`` and ``ξ_i = Θ_j ξ_i⁰`` the atom's offset in the
    laboratory frame; a rigid-molecule transformation moves ``τ`` and keeps ``ξ``.

    Parameters
    ----------
    positions : array_like, shape (n_atoms, 3)
        Whole-molecule positions in Å.
    masses : array_like, shape (n_atoms,)
    ids : array_like of int, shape (n_atoms,)

    Returns
    -------
    com : numpy.ndarray, shape (n_molecules, 3)
        Centres of mass τ in Å.
    offsets : numpy.ndarray, shape (n_atoms, 3)
        ξ in Å, such that ``com[ids] + offsets == positions``.
    """
    positions = np.asarray(positions, dtype=np.float64)
    com = centers_of_mass(positions, masses, ids)
    return com, positions - com[np.asarray(ids)]
