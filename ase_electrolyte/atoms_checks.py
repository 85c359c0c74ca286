"""Checks of an ASE Atoms object that every calculator of this package runs before any work.

They raise :class:`ValueError` naming the offending atoms or cell, so that a bad structure fails
loudly instead of reaching a model or kernel that would return NaN or garbage.
"""

from __future__ import annotations

import numpy as np
from ase.data import chemical_symbols

__all__ = ["check_atoms", "check_elements"]

# below this volume (Å³) a periodic cell is treated as degenerate
_MIN_VOLUME = 1e-6


def check_atoms(atoms):
    """Raise :class:`ValueError` for non-finite positions or a degenerate periodic cell.

    Parameters
    ----------
    atoms : ase.Atoms

    Raises
    ------
    ValueError
        If any position is NaN or infinite, if the cell has a zero-length vector along a
        periodic direction, or if a 3D-periodic cell has (near) zero volume.
    """
    positions = atoms.positions
    bad = np.flatnonzero(~np.isfinite(positions).all(axis=1))
    if bad.size:
        shown = ", ".join(map(str, bad[:10])) + (" ..." if bad.size > 10 else "")
        raise ValueError(f"non-finite positions for {bad.size} atom(s), indices {shown}")
    pbc = np.asarray(atoms.pbc, dtype=bool)
    if pbc.any():
        lengths = np.linalg.norm(atoms.cell.array, axis=1)
        flat = [("abc"[k]) for k in range(3) if pbc[k] and lengths[k] < 1e-8]
        if flat:
            raise ValueError(
                f"the cell vector(s) {', '.join(flat)} are zero along periodic direction(s); "
                "set a cell or atoms.pbc = False"
            )
        if pbc.all() and abs(atoms.cell.volume) < _MIN_VOLUME:
            raise ValueError(
                f"the periodic cell has zero volume ({atoms.cell.volume:.3g} Å³): its vectors are "
                "linearly dependent"
            )
        if not np.isfinite(atoms.cell.array).all():
            raise ValueError("the cell has non-finite entries")


def check_elements(atoms, supported_numbers, what):
    """Raise :class:`ValueError` if ``atoms`` has elements outside ``supported_numbers``.

    Parameters
    ----------
    atoms : ase.Atoms
    supported_numbers : collection of int or None
        Atomic numbers that ``what`` covers; ``None`` skips the check.
    what : str
        Name of the model or method, for the message.
    """
    if supported_numbers is None:
        return
    present = np.unique(atoms.numbers)
    missing = [int(z) for z in present if int(z) not in supported_numbers]
    if missing:
        names = ", ".join(
            chemical_symbols[z] if 0 < z < len(chemical_symbols) else f"Z={z}" for z in missing
        )
        raise ValueError(f"{what} does not cover the element(s) {names}")
