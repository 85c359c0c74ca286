"""Forces of a molecular frame split by degree of freedom, and the intramolecular stress.

Magdău et al. (2023, §2.6): per molecule, the force on every atom is the sum of a translational
part (the molecule's net force shared by mass), a rotational part (the rigid-body response to the
molecule's torque) and a vibrational remainder (:func:`dof_decomposition`); the forces of the
isolated molecules give the intramolecular part of the stress through the virial
(:func:`intramolecular_stress`). Units: forces in eV/Å, positions in Å, masses in amu, stress in
eV/Å³ (ASE sign convention and Voigt order).
"""

from __future__ import annotations

import numpy as np

from .molecules import centers_of_mass, inertia_tensors

__all__ = ["dof_decomposition", "intramolecular_stress"]


def dof_decomposition(forces, positions, masses, ids):
    """Split forces into translational, rotational and vibrational parts per molecule.

    With ``r_i`` relative to the centre of mass of molecule ``j`` (mass ``M_j``, inertia tensor
    ``I_j``), total force ``F_j = Σ_k f_k`` and torque ``T_j = Σ_k r_k × f_k``:
    ``f_i^trans = (m_i / M_j) F_j``, ``f_i^rot = m_i (I_j⁻¹ T_j) × r_i`` (the force that gives atom
    ``i`` the rigid-body angular acceleration ``I_j⁻¹ T_j``; Magdău et al. 2023 writes it
    ``m_i r_i × I_j⁻¹ Σ_k f_k × r_k``), ``f_i^vib = f_i − f_i^trans − f_i^rot``. The translational
    and rotational parts carry the whole net force and torque of the molecule; the vibrational part
    carries neither.

    Single atoms have no rotational (and so no vibrational) part by construction: their offset
    from the centre of mass is set to exactly zero, so ``f^trans = f``. For a linear molecule the
    moment of inertia about its axis vanishes and no torque has a component along it; the inverse
    of ``I_j`` is taken on its non-vanishing principal moments only (eigenvalues above 1e-8 of
    the largest), so the angular acceleration about the axis is zero rather than the accident of
    inverting rounding noise.

    Parameters
    ----------
    forces : array_like, shape (n_atoms, 3)
        Forces in eV/Å.
    positions : array_like, shape (n_atoms, 3)
        Whole-molecule positions in Å (:func:`mda_electrolyte.molecules.make_whole`).
    masses : array_like, shape (n_atoms,)
        Masses in amu.
    ids : array_like of int, shape (n_atoms,)
        Molecule index of every atom.

    Returns
    -------
    trans, rot, vib : numpy.ndarray, shape (n_atoms, 3)
        In eV/Å; ``trans + rot + vib == forces`` to rounding.
    """
    forces = np.asarray(forces, dtype=np.float64)
    positions = np.asarray(positions, dtype=np.float64)
    masses = np.asarray(masses, dtype=np.float64)
    ids = np.asarray(ids)
    if forces.shape != positions.shape or forces.shape != (ids.size, 3):
        raise ValueError(
            f"forces {forces.shape}, positions {positions.shape} and ids {ids.shape} differ"
        )
    n_mol = int(ids.max()) + 1
    com = centers_of_mass(positions, masses, ids)
    rel = positions - com[ids]
    # a lone atom is its own centre of mass; the subtraction above leaves rounding noise
    single = np.bincount(ids, minlength=n_mol) == 1
    rel[single[ids]] = 0.0
    total_mass = np.bincount(ids, weights=masses, minlength=n_mol)
    net = np.zeros((n_mol, 3))
    torque = np.zeros((n_mol, 3))
    np.add.at(net, ids, forces)
    np.add.at(torque, ids, np.cross(rel, forces))
    trans = (masses / total_mass[ids])[:, None] * net[ids]
    inertia = inertia_tensors(rel, masses, ids, com=np.zeros((n_mol, 3)))
    # inverse on the principal axes with a moment: zero about a linear molecule's axis, zero for
    # atoms (whose inertia tensor is exactly zero here)
    moments, axes = np.linalg.eigh(inertia)
    largest = moments[:, -1:]
    keep = (moments > 1e-8 * largest) & (largest > 0)
    inv_moments = np.divide(1.0, moments, out=np.zeros_like(moments), where=keep)
    inv = np.einsum("jak,jk,jbk->jab", axes, inv_moments, axes)
    alpha = np.einsum("jab,jb->ja", inv, torque)
    rot = masses[:, None] * np.cross(alpha[ids], rel)
    vib = forces - trans - rot
    return trans, rot, vib



def intramolecular_stress(intra_forces, positions, masses, ids, volume):
    """Stress of the isolated-molecule forces, from the virial (ASE sign and Voigt order).

    ``σ = −(1/V) Σ_i f_i ⊗ r_i`` with ``r_i`` relative to the molecule's centre of mass; for
    isolated molecules (zero net force and torque) this is symmetric and independent of where the
    molecules sit in the box, and it is the intramolecular part of the frame's stress.

    Parameters
    ----------
    intra_forces : array_like, shape (n_atoms, 3)
        Isolated-molecule forces in eV/Å.
    positions : array_like, shape (n_atoms, 3)
        Whole-molecule positions in Å.
    masses : array_like, shape (n_atoms,)
    ids : array_like of int, shape (n_atoms,)
    volume : float
        Volume of the frame in Å³.

    Returns
    -------
    numpy.ndarray, shape (6,)
        ``xx yy zz yz xz xy`` in eV/Å³.
    """
    positions = np.asarray(positions, dtype=np.float64)
    ids = np.asarray(ids)
    rel = positions - centers_of_mass(positions, masses, ids)[ids]
    tensor = -np.einsum("ia,ib->ab", np.asarray(intra_forces, dtype=np.float64), rel) / float(
        volume
    )
    tensor = 0.5 * (tensor + tensor.T)
    return tensor[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
