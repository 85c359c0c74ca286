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

__all__ = [
    "VESIN_MAX_CELLS",
    "PAIR_MEMORY_BUDGET",
    "MAX_PAIRS",
    "face_distances",
    "search_cutoff",
    "pairs_within",
    "half_pairs",
]

#: vesin's ``MAX_NUMBER_OF_CELLS`` (``vesin/src/cpu_cell_list.cpp``).
VESIN_MAX_CELLS = 1e5
#: bytes a pair search may hold at its peak, 8 GiB: a search whose estimate exceeds it is
#: refused before vesin allocates anything (estimated from the mean density)
PAIR_MEMORY_BUDGET = 2**33
#: bytes per pair of each quantity vesin returns: ``"P"`` two size_t indices, ``"S"`` three
#: int32 shifts, ``"D"`` a float64 vector, ``"d"`` a float64 distance
_QUANTITY_BYTES = {"P": 16, "S": 12, "D": 24, "d": 8}
#: vesin's peak over the arrays it returns: its growing C++ buffers and the copy handed to
#: Python (measured 2.2-2.5 × for "PSd", "Pd" and "PSDd", 1.5·10⁶ pairs, vesin 0.6)
_PEAK_FACTOR = 3
#: the pairs of a ``"PSd"`` search (``half_pairs``) that fit :data:`PAIR_MEMORY_BUDGET`,
#: ~8·10⁷ (derived; the budget in bytes is the limit)
MAX_PAIRS = PAIR_MEMORY_BUDGET // (_PEAK_FACTOR * sum(_QUANTITY_BYTES[q] for q in "PSd"))


def _coordinates(value, what):
    """``value`` as a float64 array; ValueError unless it holds real numbers (Å).

    ``np.asarray(value, float)`` read text (``"5"``) and bools (``True`` as 1 Å) as lengths.
    """
    raw = np.asarray(value)
    # a bool in a list of numbers: numpy makes the list int or float, the bool is seen in it
    mixed = (
        isinstance(value, (list, tuple))
        and raw.dtype.kind in "iuf"
        and any(isinstance(v, (bool, np.bool_)) for v in np.asarray(value, dtype=object).ravel())
    )
    if raw.dtype.kind not in "iuf" or mixed:
        kind = "bool" if mixed else raw.dtype
        raise ValueError(f"{what} must hold real numbers (Å), not {kind} values")
    return np.asarray(raw, dtype=np.float64)


def _checked(positions, cell, cutoff):
    """``positions``, ``cell`` as float64 arrays and ``cutoff`` as a float, or ValueError naming
    what is wrong.

    vesin raised RuntimeError for non-finite coordinates, Python a ZeroDivisionError for a
    singular cell or a zero cutoff, and coordinates of 10¹⁷ Å (spacing 16 Å) gave wrong pairs.
    """
    from .atoms_checks import MAX_COORDINATE, check_number

    positions = _coordinates(positions, "positions")
    cell = _coordinates(cell, "the cell")
    if positions.ndim != 2 or positions.shape[1] != 3:
        raise ValueError(f"positions must have shape (n, 3), not {positions.shape}")
    if cell.shape != (3, 3):
        raise ValueError(f"the cell must have shape (3, 3), not {cell.shape}")
    # the project's number check: a NumPy float32 cutoff (MDAnalysis' dtype) passed the old
    # isinstance test and then failed in math.trunc ("numpy.float32 doesn't define
    # __trunc__"), while True was taken as a 1 Å cutoff (np.True_ was refused)
    cutoff = check_number("the pair cutoff", cutoff, above=0)
    if not np.isfinite(positions).all() or not np.isfinite(cell).all():
        raise ValueError("non-finite positions or cell entries")
    if positions.size and np.abs(positions).max() > MAX_COORDINATE:
        raise ValueError(
            f"positions beyond {MAX_COORDINATE:.0e} Å (largest {np.abs(positions).max():.3g} Å): "
            "no molecular structure (positions in Å?)"
        )
    if np.abs(cell).max() > MAX_COORDINATE:
        raise ValueError(f"the cell has entries beyond {MAX_COORDINATE:.0e} Å")
    volume = abs(float(np.linalg.det(cell)))
    faces = face_distances(cell) if volume > 0.0 else [0.0]
    if min(faces) <= 1e-8 * max(1.0, float(np.abs(cell).max())):
        raise ValueError(
            f"the periodic cell is degenerate (volume {volume:.3g} Å³): its vectors are "
            "(nearly) linearly dependent"
        )
    return positions, cell, cutoff


def _pair_estimate(n_atoms, volume, radius):
    """Pairs within ``radius`` (Å), periodic images included, of ``n_atoms`` spread evenly
    in a cell of ``volume`` Å³."""
    # min(): a radius of 1e300 Å overflowed radius**3
    return 0.5 * n_atoms * n_atoms * 4.0 / 3.0 * math.pi * min(radius, 1e30) ** 3 / volume


def _pair_search_bytes(n_atoms, cell, radius, quantities="PSd"):
    """Peak memory (bytes) of a vesin search of ``quantities`` within ``radius`` Å.

    The pairs estimated from the mean density, N² · (4/3)π r³ / (2V), times the bytes per
    pair of the quantities asked for, times vesin's peak factor (its
    growing buffers and the copy returned).

    Parameters
    ----------
    n_atoms : int
    cell : array_like, shape (3, 3)
        Cell vectors as rows, Å; a non-degenerate cell.
    radius : float
        Search radius, Å.
    quantities : str
        vesin's letters.

    Returns
    -------
    float
        Bytes.
    """
    volume = abs(float(np.linalg.det(np.asarray(cell, dtype=np.float64))))
    per_pair = sum(_QUANTITY_BYTES.get(q, 8) for q in quantities)
    return _PEAK_FACTOR * per_pair * _pair_estimate(n_atoms, volume, radius)


def _local_pair_estimate(positions, cell, radius):
    """Pairs within ``radius`` (Å) from the local densities: the atoms of each cell of a grid
    at least ``radius`` wide, ``n_c (n_c - 1) / 2 · (4/3)π r³ / V_c`` summed.

    The same as the mean-density estimate on average for atoms spread evenly; atoms piled up
    in part of a large cell (a frame of zeros, a collapsed or mis-scaled frame: 10⁵ atoms at
    one point hold 5·10⁹ pairs, which the mean density put at a few 10⁵) count as they are.
    """
    faces = face_distances(cell)
    # at most 2**20 cells per direction: the keys fit in 63 bits (wider cells, a lower estimate)
    n = np.array([min(max(int(d // radius), 1), 2**20) for d in faces], dtype=np.int64)
    frac = positions @ np.linalg.inv(cell)
    index = np.minimum(np.floor((frac - np.floor(frac)) * n).astype(np.int64), n - 1)
    key = (index[:, 0] * n[1] + index[:, 1]) * n[2] + index[:, 2]
    _, counts = np.unique(key, return_counts=True)
    counts = counts.astype(np.float64)
    cell_volume = abs(float(np.linalg.det(cell))) / float(np.prod(n.astype(np.float64)))
    sphere = 4.0 / 3.0 * math.pi * min(radius, 1e30) ** 3
    return 0.5 * float(np.sum(counts * (counts - 1.0))) * sphere / cell_volume


def _check_memory(n_atoms, cell, cutoff, radius, quantities, positions=None):
    """ValueError naming the cutoff and the memory when a search exceeds the budget.

    The pairs are estimated from the mean density, or from the local densities
    (:func:`_local_pair_estimate`) where those say more than twice as many."""
    need = _pair_search_bytes(n_atoms, cell, radius, quantities)
    volume = abs(float(np.linalg.det(cell)))
    pairs = _pair_estimate(n_atoms, volume, radius)
    piled = ""
    if positions is not None and len(positions) > 1 and need <= PAIR_MEMORY_BUDGET:
        local = _local_pair_estimate(positions, cell, radius)
        if local > 2.0 * pairs:
            need *= local / pairs
            pairs = local
            piled = (
                "; the atoms are piled up in part of the cell (the estimate from their "
                "local densities: a frame of zeros, positions in other units than the "
                "cell?)"
            )
    if need > PAIR_MEMORY_BUDGET:
        wider = (
            f" (searched within {radius:.4g} Å, a wider radius vesin needs on this elongated cell)"
            if radius > cutoff
            else ""
        )
        raise ValueError(
            f"a pair cutoff of {cutoff:.4g} Å{wider} in this cell ({volume:.4g} Å³, "
            f"{n_atoms} atoms) holds ~{pairs:.3g} pairs with their periodic images, "
            f"~{need / 2**30:.3g} GiB at the search's peak (budget "
            f"{PAIR_MEMORY_BUDGET / 2**30:.3g} GiB, PAIR_MEMORY_BUDGET); use a smaller cutoff "
            f"or check the cell{piled}"
        )


def _cells(faces, cutoff):
    return [max(math.trunc(d / cutoff), 1.0) for d in faces]


def face_distances(cell):
    """Distances between opposite faces of ``cell`` (rows are the cell vectors), Å.

    Raises
    ------
    ValueError
        A cell that is not a finite (3, 3) array, has entries beyond
        :data:`~ase_electrolyte.atoms_checks.MAX_COORDINATE` or a zero-area face (a zero or a
        NaN distance before).
    """
    cell = _coordinates(cell, "the cell")
    from .atoms_checks import MAX_COORDINATE

    if cell.shape != (3, 3) or not np.isfinite(cell).all():
        raise ValueError(f"the cell must be a finite (3, 3) array, got {cell.tolist()!r}")
    if np.abs(cell).max() > MAX_COORDINATE:
        # 1e308 Å overflowed the face areas: a face distance of 0
        raise ValueError(f"the cell has entries beyond {MAX_COORDINATE:.0e} Å")
    areas = [
        float(np.linalg.norm(np.cross(cell[(k + 1) % 3], cell[(k + 2) % 3]))) for k in range(3)
    ]
    if not min(areas) > 0.0:
        raise ValueError("the periodic cell is degenerate: two of its vectors are parallel or zero")
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

    Raises
    ------
    ValueError
        The cutoff or the cell, as :func:`pairs_within` refuses them (a NaN cutoff was a
        "cannot convert float NaN to integer", 0 a ZeroDivisionError, -1 was returned).
    """
    _, cell, cutoff = _checked(np.zeros((0, 3)), cell, cutoff)
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


def pairs_within(positions, cell, cutoff, quantities="PSd", neighbours=None):
    """vesin's half neighbour list within ``cutoff``, searched safely on any cell.

    The one place where the wider search of :func:`search_cutoff` is made and its extra pairs
    are dropped.

    Parameters
    ----------
    positions : array_like, shape (n, 3)
        Cartesian positions, Å (need not be wrapped).
    cell : array_like, shape (3, 3)
        Periodic cell vectors as rows, Å.
    cutoff : float
        Å.
    quantities : str
        vesin's letters (``"P"`` pairs, ``"S"`` shifts, ...), ending with ``"d"`` (distances).
    neighbours : vesin.NeighborList, optional
        A list built for ``cutoff`` to reuse; its arrays are then views, valid until its next
        search (``copy=False``). A wider search always builds its own.

    Returns
    -------
    tuple of numpy.ndarray
        One array per letter of ``quantities``.

    Raises
    ------
    ValueError
        Before the search: positions or cell not finite, of the wrong shape or beyond
        10⁸ Å (:data:`ase_electrolyte.atoms_checks.MAX_COORDINATE`), a degenerate cell, a
        cutoff that is not a finite number > 0, or a search whose peak memory
        (the pairs estimated from the mean density, or from the local densities where atoms
        are piled up, times their bytes) exceeds :data:`PAIR_MEMORY_BUDGET`; the message
        names the cutoff and the memory.
    """
    if not (isinstance(quantities, str) and quantities.endswith("d")):
        raise ValueError(f"quantities must end with 'd' (distances), not {quantities!r}")
    positions, cell, cutoff = _checked(positions, cell, cutoff)
    radius = search_cutoff(cell, cutoff)
    _check_memory(len(positions), cell, cutoff, radius, quantities, positions)
    if radius == cutoff and neighbours is not None:
        return tuple(neighbours.compute(positions, cell, True, quantities, copy=False))
    # imported only when a list is built: vesin imports torch (about 1 s), which a refused
    # input, or a command that builds no list, should not wait for
    from vesin import NeighborList

    found = NeighborList(cutoff=radius, full_list=False).compute(positions, cell, True, quantities)
    if radius > cutoff:
        keep = found[-1] < cutoff
        found = [a[keep] for a in found]
    return tuple(found)


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
    pairs, shifts, _ = pairs_within(positions, cell, cutoff, "PSd")
    return pairs[:, 0], pairs[:, 1], shifts
