"""Neighbour pairs from vesin, safe for the elongated cells its cell list cannot index.

vesin's CPU cell list (0.6) caps the number of cells at :data:`VESIN_MAX_CELLS`. Beyond the cap
it rescales the cells per direction while keeping their ratios, and for a strongly elongated
cell (e.g. 8 × 8 × 10⁶ Å with an 8 Å cutoff) one direction is truncated to zero cells: the next
integer division by zero kills the Python process with ``SIGFPE``, with no exception to catch.
:func:`search_cutoff` predicts that case from vesin's own arithmetic and returns a larger search
radius that keeps every direction at one cell or more without rescaling; the callers search with
it and keep the pairs within their cutoff, so the pairs are the same, only found in larger cells.
Every other cell is searched exactly as before.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["VESIN_MAX_CELLS", "face_distances", "search_cutoff", "half_pairs"]

#: vesin's ``MAX_NUMBER_OF_CELLS`` (``vesin/src/cpu_cell_list.cpp``).
VESIN_MAX_CELLS = 1e5


def _cells(faces, cutoff):
    return [max(math.trunc(d / cutoff), 1.0) for d in faces]


def face_distances(cell):
    """Distances between opposite faces of ``cell`` (rows are the cell vectors), Å."""
    cell = np.asarray(cell, dtype=np.float64)
    volume = abs(float(np.linalg.det(cell)))
    return [
        volume / float(np.linalg.norm(np.cross(cell[(k + 1) % 3], cell[(k + 2) % 3])))
        for k in range(3)
    ]


def search_cutoff(cell, cutoff):
    """The search radius to give vesin for pairs within ``cutoff`` in ``cell``.

    ``cutoff`` itself unless vesin's rescaling of a cell list above :data:`VESIN_MAX_CELLS`
    cells would leave a direction with (nearly) zero cells; then the smallest radius, in steps
    of 25 %, at which no rescaling happens.

    Parameters
    ----------
    cell : array_like, shape (3, 3)
        Cell vectors as rows, Å; a non-degenerate cell.
    cutoff : float
        Pair cutoff, Å.

    Returns
    -------
    float
        ``>= cutoff``, Å.
    """
    faces = face_distances(cell)
    if math.prod(_cells(faces, cutoff)) <= VESIN_MAX_CELLS:
        return float(cutoff)
    # vesin's rescaling, step by step, also with the cube root a few ulps off (its libm need not
    # round as Python's does)
    n = _cells(faces, cutoff)
    ratio_xy, ratio_yz = n[0] / n[1], n[1] / n[2]
    root = math.cbrt(VESIN_MAX_CELLS / (ratio_xy * ratio_yz * ratio_yz))
    safe = True
    for fuzz in (1 - 1e-12, 1.0, 1 + 1e-12):
        nz = math.trunc(fuzz * root)
        ny = math.trunc(ratio_yz * nz)
        nx = math.trunc(ratio_xy * ny)
        safe = safe and min(nx, ny, nz) >= 1
    if safe:
        return float(cutoff)
    radius = float(cutoff)
    while math.prod(_cells(faces, radius)) > VESIN_MAX_CELLS:
        radius *= 1.25
    return radius


def half_pairs(positions, cell, cutoff):
    """Each periodic pair within ``cutoff`` once: ``(i, j, shifts)`` from vesin, crash-safe.

    Parameters
    ----------
    positions : array_like, shape (n, 3)
        Cartesian positions, Å (need not be wrapped).
    cell : array_like, shape (3, 3)
        Periodic cell vectors as rows, Å.
    cutoff : float
        Å.

    Returns
    -------
    i, j : numpy.ndarray of int
        Pair indices.
    shifts : numpy.ndarray, shape (n_pairs, 3)
        Integer cell shifts: the pair vector is ``positions[j] - positions[i] + shifts @ cell``.

    Examples
    --------
    Two atoms 1 Å apart in a cell 10⁶ Å long (vesin's cell list alone ends the process):

    >>> import numpy as np
    >>> from ase_electrolyte.neighbour_pairs import half_pairs
    >>> cell = np.diag([8.0, 8.0, 1e6])
    >>> i, j, shifts = half_pairs([[1.0, 1.0, 1.0], [2.0, 1.0, 1.0]], cell, 6.0)
    >>> [(int(a), int(b), s.tolist()) for a, b, s in zip(i, j, shifts)]
    [(0, 1, [0, 0, 0])]
    """
    from vesin import NeighborList

    positions = np.asarray(positions, dtype=np.float64)
    cell = np.asarray(cell, dtype=np.float64)
    radius = search_cutoff(cell, cutoff)
    i, j, shifts, dist = NeighborList(cutoff=radius, full_list=False).compute(
        positions, cell, True, "ijSd"
    )
    if radius > cutoff:
        keep = dist < cutoff
        i, j, shifts = i[keep], j[keep], shifts[keep]
    return i, j, shifts
