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

from ase_electrolyte.atoms_checks import check_number

from .molecules import centers_of_mass, inertia_tensors
from .uncertainty import real_array

__all__ = ["dof_decomposition", "intramolecular_stress"]


def _molecular_arrays(forces, positions, masses, ids):
    """Checked float arrays ``(n, 3)``, ``(n, 3)``, ``(n,)`` and integer molecule ids ``(n,)``.

    NaN masses or positions reached LAPACK ("Eigenvalues did not converge"), a massless
    molecule gave NaN centres, negative masses silently wrong parts; float ids failed in
    ``np.bincount``.
    """
    forces = real_array(forces, "forces")
    positions = real_array(positions, "positions")
    masses = real_array(masses, "masses")
    ids = np.asarray(ids)
    n = ids.size
    if ids.ndim != 1 or n == 0 or forces.shape != (n, 3) or positions.shape != (n, 3) \
            or masses.shape != (n,):
        raise ValueError(f"forces {forces.shape}, positions {positions.shape}, masses "
                         f"{masses.shape} and ids {ids.shape} must be (n, 3), (n, 3), (n,) "
                         "and (n,) with n >= 1")
    if not (np.all(np.isfinite(forces)) and np.all(np.isfinite(positions))):
        raise ValueError("the forces or positions contain NaN or infinite values")
    if not np.all((masses >= 0) & (masses < np.inf)):
        raise ValueError("masses must be finite and >= 0 (amu)")
    if not (np.issubdtype(ids.dtype, np.integer) and ids.min() >= 0):
        raise ValueError(f"ids must be molecule indices (integers >= 0), got dtype {ids.dtype}"
                         f" from {ids.min()}")
    # a massless site (a virtual site) is fine; a molecule without mass has no centre
    total = np.bincount(ids, weights=masses)
    massless = np.flatnonzero((total == 0) & (np.bincount(ids) > 0))
    if massless.size:
        raise ValueError(f"molecule(s) {massless[:5].tolist()} have zero total mass")
    return forces, positions, masses, ids


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

    Raises
    ------
    ValueError
        Mismatched shapes, no atoms, non-finite forces or positions, masses that are not
        finite and >= 0 or a molecule of zero total mass, or ids that are not integers >= 0.
    """
    forces, positions, masses, ids = _molecular_arrays(forces, positions, masses, ids)
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



#: Largest net force (torque) of a molecule, relative to the sum of its atoms' |f| (|r||f|),
#: that :func:`intramolecular_stress` takes for an isolated molecule's: a model's forces
#: sum to zero to rounding (float32: about 1e-7), a frame's forces or a broken molecule's
#: positions miss by order 1.
_ISOLATED_TOLERANCE = 1e-3

#: Net force (eV/Å) and torque (eV) below which a molecule counts as force-free whatever its
#: atoms' sum: a lone ion's isolated force is zero but for rounding (1e-33 eV/Å from a
#: Coulomb sum over its own images), which is all of its atoms' sum, so the relative rule
#: alone refused every single-atom molecule.
_ISOLATED_FLOOR = 1e-6


def _check_isolated(forces, rel, ids):
    """Refuse forces with a net force or torque per molecule (see
    :func:`intramolecular_stress`): their virial is not symmetric, depends on the origin, and
    is no intramolecular stress."""
    n_mol = int(ids.max()) + 1
    parts = {"net force": (forces, np.linalg.norm(forces, axis=1)),
             "torque": (np.cross(rel, forces),
                        np.linalg.norm(rel, axis=1) * np.linalg.norm(forces, axis=1))}
    for what, (per_atom, size) in parts.items():
        net = np.zeros((n_mol, 3))
        np.add.at(net, ids, per_atom)
        net = np.linalg.norm(net, axis=1)
        scale = np.bincount(ids, weights=size, minlength=n_mol)
        off = np.flatnonzero((net > _ISOLATED_TOLERANCE * scale) & (net > _ISOLATED_FLOOR))
        if off.size:
            j = int(off[np.argmax(net[off] / scale[off])])
            unit = "eV/Å" if what == "net force" else "eV"
            raise ValueError(
                f"intra_forces are not an isolated molecule's at these positions: molecule {j} "
                f"has a {what} of {net[j]:.3g} {unit} ({net[j] / scale[j]:.2g} of its atoms' "
                f"sum; {off.size} molecule(s) beyond {_ISOLATED_TOLERANCE:g}); pass the forces "
                "of each molecule computed alone, at whole-molecule positions "
                "(mda_electrolyte.molecules.make_whole)")


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

    Raises
    ------
    ValueError
        As :func:`dof_decomposition`, a volume that is not a finite number > 0, and forces
        that are not an isolated molecule's at these positions: a molecule whose net force or
        torque about its centre of mass exceeds 10⁻³ of the sum of its
        atoms' ``|f|`` (or ``|r||f|``): the forces of the whole frame, or positions of a
        molecule broken across the box (the virial of a water wrapped by one box vector was
        off by its whole value, symmetrised and returned).
    """
    intra_forces, positions, masses, ids = _molecular_arrays(intra_forces, positions, masses,
                                                             ids)
    volume = check_number("volume (Å³)", volume, above=0)
    rel = positions - centers_of_mass(positions, masses, ids)[ids]
    _check_isolated(intra_forces, rel, ids)
    tensor = -np.einsum("ia,ib->ab", intra_forces, rel) / volume
    tensor = 0.5 * (tensor + tensor.T)
    return tensor[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
