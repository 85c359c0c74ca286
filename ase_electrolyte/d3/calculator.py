"""Grimme's DFT-D3 dispersion correction as an ASE calculator (C++/CUDA kernels)."""

import warnings

import numpy as np
from ase.calculators.calculator import (
    Calculator,
    CalculatorSetupError,
    PropertyNotImplementedError,
    all_changes,
)
from ase.data import chemical_symbols
from ase.units import Bohr, Hartree

from ..atoms_checks import (
    MAX_COORDINATE,
    check_atoms,
    check_flag,
    check_number,
    check_number_density,
    check_overlaps,
)
from ..atoms_checks import _check_thin_cell as _check_cell_thickness
from ..atoms_checks import check_elements as _check_elements
from ..calculator_charges import _holds_bool, atomic_number_values
from ..calculator_errors import CalculationFailed, InputError, NonFiniteResult, input_errors
from ..calculator_parameters import Option, ParametersContract, applies_direct_edits
from ..device import parse_device
from ..environment import _thread_budget, _usable_cpus
from . import backend
from .parameters import (
    _table_name,
    damping_name,
    functional_is_idle,
    known_dampings,
    known_functionals,
    resolve_parameters,
)
from .reference import reference_tables

# simple-dftd3's default three-body cutoff, 40 bohr
DEFAULT_ATM_CUTOFF = 40.0 * Bohr
# atoms closer than this (Å) are refused, as simple-dftd3 does: the damped terms are finite
# there but the structure is not physical
MIN_DISTANCE = 0.1
#: Narrowest smooth_cutoff (Å) accepted (0 or None is the hard cutoff). The switch carries the
#: impulse of the pairs crossing the cutoff (what a hard cutoff's stress lacks, or its tail
#: correction's (n/3) E_n adds) through the force of the pairs inside it, ~E_pair/width each:
#: a narrow switch samples a few pairs with huge forces, and the stress scatters as
#: 1/sqrt(width). Measured, 58-atom LiPF6/EC/EMC box (rattled 0.3 Å, 12 copies), cutoff 10 Å,
#: cn_cutoff 8 Å, tail_correction, pressure minus the hard cutoff's: 3 ± 10 bar at 0.1 Å,
#: -2 ± 4 at 0.5-1, 6 ± 28 at 0.01, -15 ± 55 at 1e-3, and -77 ± 5 of the 107 bar the tail and
#: impulse carry at 1e-300 Å (no pair ever sits in the switch); rattled NaCl loses 600 bar there.
MIN_SMOOTH_CUTOFF = 0.1
# limits on the work a structure may ask for (a cutoff far larger than the cell, a nearly
# singular cell): above them the kernel would run for hours or exhaust memory
MAX_TRANSLATIONS = 10_000_000
MAX_PAIR_IMAGES = 1e11
# the kernels' guard on a 3D cell, Π_k (2 cutoff / h_k + 1) over its plane spacings h_k
# (MAX_CELL_IMAGES of csrc/d3_abi_exports.h): refused here first, in Å and by name
KERNEL_MAX_CELL_IMAGES = 1e9
# triple images the ATM term may visit (its kernel loops over pair images times atoms times
# images, ~3e7 per second and thread): about 9 h on one thread, half an hour on 16
MAX_ATM_TRIPLE_IMAGES = 1e12

#: Widest empty layer (Å) across a cell's lattice planes that ``tail_correction`` still takes
#: for a homogeneous liquid or crystal: above the widest empty layers of bulk phases (graphite's
#: interlayer gap 3.35 Å, the plane spacing of one-atom cells of the softest elements, bcc Cs
#: 4.3 Å, fcc Xe 3.6 Å; a liquid's is below 2 Å), below any vacuum set to isolate a slab or a
#: cluster (10 Å and more).
TAIL_MAX_EMPTY_LAYER = 6.0


#: Largest share of the dispersion energy that ``tail_correction`` may carry without a
#: :class:`TailShareWarning`. The tail takes the atoms beyond the cutoff as spread evenly;
#: where it holds much of the energy the cutoff lies inside the structure's first shells,
#: which are not even. Measured against a 60 Å cutoff (193-atom electrolyte-like box, 64-atom
#: NaCl): a tail share of 5-7 % (8 Å) left 0.1-0.3 % of the energy off, 11-20 % (6 Å)
#: 0.4-3 %, 38-47 % (4 Å) 0.6-18 %, and below the nearest-neighbour distance (NaCl at 2 Å)
#: the tail was the whole energy.
TAIL_MAX_SHARE = 0.1


#: Largest Miller index of the lattice-plane families whose empty layers ``tail_correction``
#: measures: a slab whose vacuum lies across a family of higher index needs a cell of more than
#: ~4 × TAIL_MAX_EMPTY_LAYER along the other vectors, where such a cut would not be made.
TAIL_MAX_MILLER_INDEX = 3


class InhomogeneousTailWarning(UserWarning):
    """``tail_correction`` on a cell with vacuum (a slab or a cluster in a box), or on a
    slab or wire thicker than its tail holds for.

    The correction assumes atoms spread uniformly beyond the cutoff; across a vacuum it adds
    the dispersion of the periodic images that the vacuum was meant to remove. Given once
    per calculator and kind of structure (a slab, wire or cluster with vacuum; a thick slab
    or wire) until its options change: along an MD run it would repeat at every step.
    """


class TailShareWarning(UserWarning):
    """``tail_correction`` carries more than :data:`TAIL_MAX_SHARE` of the dispersion
    energy: the cutoff (less the smooth switch) lies within the structure's first
    neighbour shells, where the homogeneous estimate does not hold.

    Given once per calculator until its options change (the share barely moves along an MD
    run, and a warning per step says nothing new).
    """


def _tail_share(kernel_energy, tail_energy):
    """``(kind, message)`` of a :class:`TailShareWarning` when the tail's energy
    (``tail_energy``, any unit) is more than :data:`TAIL_MAX_SHARE` of the corrected
    dispersion energy (``kernel_energy`` plus it); None otherwise."""
    total = kernel_energy + tail_energy
    share = abs(tail_energy) / abs(total) if total != 0.0 else (1.0 if tail_energy else 0.0)
    if not share > TAIL_MAX_SHARE:
        return None
    return "tail share", (
        f"D3 tail_correction carries {share:.0%} of the dispersion energy (more than "
        f"TAIL_MAX_SHARE = {TAIL_MAX_SHARE:.0%}): the cutoff lies within the structure's "
        f"first neighbour shells, where the atoms are not spread evenly as the correction "
        f"assumes (an electrolyte box and NaCl were 0.4-3 % off at a 20 % share, up to 18 % "
        f"at 47 %); use a larger cutoff (8 Å and more)")


def _plane_families(cell, periodic=(True, True, True)):
    """Miller indices (M, 3) of the lattice-plane families that can hold a wide empty layer.

    Every primitive (h, k, l) up to :data:`TAIL_MAX_MILLER_INDEX`, one of each ± pair, zero
    along the non-periodic vectors, whose plane spacing exceeds
    :data:`TAIL_MAX_EMPTY_LAYER` (a narrower family cannot hold a wider layer); the three
    cell-vector families always (their layers name the cell vectors in the warning).
    """
    periodic = np.asarray(periodic, dtype=bool)
    n = TAIL_MAX_MILLER_INDEX
    grid = np.stack(np.meshgrid(*[np.arange(-n, n + 1)] * 3, indexing="ij"), -1).reshape(-1, 3)
    first = grid[np.arange(len(grid)), np.argmax(grid != 0, axis=1)]
    grid = grid[(first > 0) & (np.gcd.reduce(np.abs(grid), axis=1) == 1)
                & np.all((grid == 0) | periodic, axis=1)]
    spacing = 1.0 / np.linalg.norm(grid @ np.linalg.inv(cell).T, axis=1)
    axes = np.abs(grid).sum(axis=1) == 1
    return grid[axes | (spacing > TAIL_MAX_EMPTY_LAYER)]


def _widest_empty_layer(fractional, cell, miller=None, at_least=0.0):
    """The widest layer without atoms across each family of lattice planes of ``cell``.

    Parameters
    ----------
    fractional : numpy.ndarray or torch.Tensor, shape (N, 3)
        Fractional coordinates (any image; wrapped here).
    cell : numpy.ndarray, shape (3, 3)
        Å.
    miller : numpy.ndarray of int, shape (M, 3), optional
        Primitive Miller indices of the families; default the three cell-vector families
        (the planes spanned by the two other cell vectors).
    at_least : float
        Å. A family whose layers are all narrower than this may be given an upper bound
        below it rather than its exact width: only the others are sorted (numpy input).

    Returns
    -------
    numpy.ndarray, shape (M,)
        Width in Å of the widest empty layer between neighbouring planes of atoms of each
        family (a whole plane spacing when all atoms lie on one plane).
    """
    miller = np.eye(3, dtype=int) if miller is None else np.asarray(miller)
    spacing = 1.0 / np.linalg.norm(miller @ np.linalg.inv(cell).T, axis=1)
    # families a few at a time: N x M projections of 10^6 atoms and ~170 families of a large
    # cell would hold 1.4 GB
    step = max(1, _LAYER_VALUES // max(len(fractional), 1))
    return np.concatenate([
        _widest_layers(fractional, miller[k:k + step], spacing[k:k + step], at_least)
        for k in range(0, len(miller), step)])


# projections (atoms x families) one pass of _widest_empty_layer holds: 32 MB of float64
_LAYER_VALUES = 2**22
# most histogram bins of one family (the atoms' number when larger): bins of 1 Å across a
# huge cell were as many as its length in Å, 1.7·10⁸ counts for the ~170 families of a 10⁶ Å
# box (1.8 s, 330 MB), 33 GiB refused by numpy for 9·10⁷ Å. A family whose bins are wider than
# 3 Å has a bound of at least 6 Å and is sorted: the widths are exact either way
_LAYER_BINS = 4096


def _widest_layers(fractional, miller, spacing, at_least):
    """:func:`_widest_empty_layer` of the families ``miller`` (plane spacings ``spacing``)."""
    if not isinstance(fractional, np.ndarray):  # a torch tensor where it lies: M numbers back
        import torch

        m = torch.as_tensor(miller.T, dtype=fractional.dtype, device=fractional.device)
        s = torch.sort(torch.remainder(torch.remainder(fractional, 1.0) @ m, 1.0), dim=0).values
        gaps = torch.diff(torch.cat([s, s[:1] + 1.0]), dim=0).amax(dim=0).cpu().numpy()
        return gaps * spacing
    # wrapped before the projection, so that an atom a million cells away keeps its digits
    # (floor, not %: numpy's fmod took 10 x longer on 10^6 coordinates)
    p = fractional - np.floor(fractional)
    p = p @ miller.T.astype(float)
    p -= np.floor(p)
    # a histogram of bins of at most 1 Å (at most _LAYER_BINS, or one per atom, across a
    # family) bounds each gap by its longest run of empty bins plus two; only the families
    # whose bound reaches at_least are sorted (the sort of 10^4 coordinates for the ~150
    # families of a 50 Å cell took 10 x longer than the histogram)
    bins = np.clip(np.ceil(spacing), 1, max(_LAYER_BINS, len(p))).astype(int)
    offset = np.concatenate([[0], np.cumsum(bins)[:-1]])
    index = np.minimum((p * bins).astype(int), bins - 1) + offset
    filled = np.bincount(index.ravel(), minlength=int(bins.sum())) > 0
    widths = np.empty(len(miller))
    for k in range(len(miller)):
        where = np.flatnonzero(filled[offset[k]:offset[k] + bins[k]])
        runs = np.diff(np.concatenate([where, where[:1] + bins[k]])) - 1
        widths[k] = (runs.max() + 2) * spacing[k] / bins[k]
        if widths[k] >= at_least:
            column = np.sort(p[:, k])
            widths[k] = max(np.diff(column).max(initial=0.0),
                            column[0] + 1.0 - column[-1]) * spacing[k]
    return widths


def _family_name(hkl):
    """'cell vector a' for the cell-vector families, '(1 1 0) planes' for the others."""
    if np.abs(hkl).sum() == 1:
        return f"cell vector {'abc'[int(np.flatnonzero(hkl)[0])]}"
    return "(" + " ".join(str(int(k)) for k in hkl) + ") planes"


def _inhomogeneous_tail(fractional, cell, periodic=(True, True, True)):
    """``(kind, message)`` of an :class:`InhomogeneousTailWarning` when a cell has an empty
    layer wider than :data:`TAIL_MAX_EMPTY_LAYER` across any family of its lattice planes
    (:func:`_plane_families`; only those along the periodic vectors when ``periodic`` has a
    False axis), naming the families and the widths; None without one."""
    miller = _plane_families(cell, periodic)
    widths = _widest_empty_layer(fractional, cell, miller, at_least=TAIL_MAX_EMPTY_LAYER)
    wide = widths > TAIL_MAX_EMPTY_LAYER
    if not wide.any():
        return None
    order = np.flatnonzero(wide)[np.argsort(-widths[wide], kind="stable")]
    layers = ", ".join(f"{widths[k]:.3g} Å across {_family_name(miller[k])}"
                       for k in order[:4])
    if len(order) > 4:
        layers += f" and {len(order) - 4} more families"
    # the directions of the vacuum, with the non-periodic ones: one a slab, two a wire, three
    # a cluster
    normals = miller[wide] @ np.linalg.inv(cell).T
    rank = np.linalg.matrix_rank(normals / np.linalg.norm(normals, axis=1, keepdims=True),
                                 tol=1e-6) + 3 - int(np.sum(periodic))
    what = ("a slab with vacuum", "a wire with vacuum", "a cluster in a box")[rank - 1]
    return what, (
        f"D3 tail_correction assumes a homogeneous liquid beyond the cutoff, but this cell "
        f"has an empty layer of {layers} ({what}; more than TAIL_MAX_EMPTY_LAYER = "
        f"{TAIL_MAX_EMPTY_LAYER} Å): the correction adds the dispersion of the periodic "
        f"images across the vacuum as if the cell were filled evenly. For an isolated slab, "
        f"wire or molecule make the directions across its vacuum non-periodic (pbc False "
        f"there, e.g. pbc=(True, True, False) for a slab), or leave tail_correction off")


def _wrap_periodic(positions, cell, periodic):
    """Positions moved by whole periodic lattice vectors into the periodic cell.

    Only the periodic vectors are used (their own fractional coordinates, from a least-squares
    fit in their span), so a zero or arbitrary non-periodic cell vector does not matter.
    """
    lat = cell[periodic]
    frac = positions @ np.linalg.pinv(lat)
    return positions - np.floor(frac) @ lat


def near_origin(positions, cell, periodic):
    """The same structure near the origin: every distance and periodic image unchanged.

    A structure that is not 3D-periodic is first translated so that its first atom is at the
    origin; then the atoms are wrapped into the cell along the periodic vectors only.
    Models and sums that work in float32 lose the digits of a pair vector between atoms far
    from the origin (a coordinate of 10⁵ Å has a float32 spacing of 0.008 Å); the Calculator
    and Electrostatics hand them this copy.

    Parameters
    ----------
    positions : numpy.ndarray, shape (n, 3)
        Å.
    cell : numpy.ndarray, shape (3, 3)
        Å.
    periodic : array_like of 3 bool

    Returns
    -------
    numpy.ndarray, shape (n, 3)
        float64, a new array.
    """
    periodic = np.asarray(periodic, dtype=bool)
    positions = np.asarray(positions, dtype=np.float64)
    if not periodic.all() and len(positions):
        positions = positions - positions[0]
    if periodic.any():
        positions = _wrap_periodic(positions, np.asarray(cell, dtype=np.float64), periodic)
    return positions


def _partial_reps(lat, rmax):
    """Largest translation index along each periodic vector (rows of ``lat``) that
    :func:`_partial_translations` enumerates for ``rmax`` (same length unit)."""
    if len(lat) == 1:
        heights = np.linalg.norm(lat, axis=1)
    else:
        area = np.linalg.norm(np.cross(lat[0], lat[1]))
        heights = area / np.linalg.norm(lat[::-1], axis=1)
    return np.ceil(rmax / heights) + 1


def _lower_triangular(cell):
    """(lattice, rotation): the cell turned so that a lies along x and b in the xy plane (the
    kernels' frame; positions go in as ``positions @ rotation``)."""
    q, u = np.linalg.qr(cell.T)
    signs = np.where(np.diag(u) < 0, -1.0, 1.0)
    return (u * signs[:, None]).T, q * signs


def _padded_cell(positions, cell, periodic, reach):
    """A 3D cell for a molecule, slab or wire whose extra images are all out of reach.

    The periodic vectors are kept; each other vector is replaced by one orthogonal to them
    (and to the other replaced one) and longer than the structure's extent along it by more
    than ``reach``, so that every image the extra vectors add is farther than ``reach`` from
    every atom: the 3D kernels (cell lists) then see exactly the pairs and triples of the
    partially periodic structure, in O(N) instead of the all-pairs loop's O(N^2).
    """
    basis = _pad_basis(cell, periodic)
    return _padded_lattice(cell, periodic, basis, np.ptp(positions @ basis.T, axis=0), reach)


def _pad_basis(cell, periodic):
    """Unit vectors (rows) orthogonal to the periodic vectors of ``cell`` and to each other:
    the directions of :func:`_padded_cell`'s added vectors (they depend on the cell only)."""
    periodic = np.asarray(periodic, dtype=bool)
    lat = np.asarray(cell, dtype=float)[periodic]
    return np.linalg.svd(lat)[2][len(lat):] if len(lat) else np.eye(3)


def _padded_lattice(cell, periodic, basis, extent, reach):
    """:func:`_padded_cell` from the structure's ``extent`` along each row of ``basis``."""
    periodic = np.asarray(periodic, dtype=bool)
    padded = np.array(cell, dtype=float)
    # the 1 Å beyond reach keeps the images clear of every cutoff (pairs at r <= cutoff count)
    padded[~periodic] = basis * (np.asarray(extent, dtype=float) + reach + 1.0)[:, None]
    return padded


def _partial_translations(cell, periodic, rmax, natoms=0):
    """Every translation along the periodic vectors that can bring two wrapped atoms within rmax.

    After wrapping, the difference of two positions projected on the periodic plane (line) has
    fractional coordinates in (-1, 1); a translation n is needed when the distance to the
    projection can be <= rmax, i.e. |n_k| <= rmax / h_k + 1, with h_k the height of the 2D
    cell across vector k (its length in 1D).
    """
    lat = cell[periodic]
    reps = _partial_reps(lat, rmax)
    # refuse before allocating the grid (arguments in bohr, the check speaks Å)
    _check_work(natoms, cell * Bohr, periodic, rmax * Bohr, float(np.prod(2 * reps + 1)))
    reps = reps.astype(int)
    grid = np.stack(np.meshgrid(*[np.arange(-r, r + 1) for r in reps], indexing="ij"), -1)
    return grid.reshape(-1, len(lat)) @ lat


def _close_pairs(positions, cell, pbc, r):
    """Pairs (i, j, distance) of atoms, periodic images included, closer than ``r`` (Å).

    The positions are wrapped along the periodic vectors and the atoms within ``r`` of a
    face of the periodic cell are added as ghosts shifted by lattice vectors, so that one
    k-d tree (scipy) finds the close pairs across the boundary too, in O(N log N).
    """
    from scipy.spatial import cKDTree

    points, owner = positions, np.arange(len(positions))
    if pbc.any():
        points = _wrap_periodic(positions, cell, pbc)
        lat = cell[pbc]
        inv = np.linalg.pinv(lat)  # Cartesian -> fractional along the periodic vectors
        frac = points @ inv
        margin = r * np.linalg.norm(inv, axis=0)  # largest change of f_k over a distance r
        reach = np.ceil(margin).astype(int)
        ghosts, ghost_owner = [points], [owner]
        for shift in np.ndindex(*(2 * reach + 1)):
            n = np.array(shift) - reach
            if not n.any():
                continue
            moved = frac + n
            near = np.all((moved >= -margin) & (moved <= 1.0 + margin), axis=1)
            ghosts.append(points[near] + n @ lat)
            ghost_owner.append(owner[near])
        points, owner = np.concatenate(ghosts), np.concatenate(ghost_owner)
    n_real = len(positions)
    found = {}
    for a, b in cKDTree(points).query_pairs(r, output_type="ndarray"):
        if a >= n_real and b >= n_real:
            continue  # both ghosts: the same pair is seen from its real atom
        i, j = sorted((int(owner[a]), int(owner[b])))
        d = float(np.linalg.norm(points[a] - points[b]))
        # in a cell smaller than r a pair meets several images: report the nearest
        found[(i, j)] = min(d, found.get((i, j), np.inf))
    return [(i, j, d) for (i, j), d in sorted(found.items())]


def _cube(x):
    """``x**3`` that is ``inf`` rather than an OverflowError for a cutoff of 1e308 Å: the work
    checks then refuse it by name."""
    x = float(x)
    return x * x * x


def _check_work(natoms, cell, pbc, rmax, ntrans=None):
    """ValueError when the periodic images within ``rmax`` (Å) are too many to visit.

    A cutoff far beyond the cell (or a nearly singular cell) would make the kernel allocate
    and loop over astronomically many lattice translations.
    """
    if not pbc.any():
        return
    if pbc.all():
        volume = abs(np.linalg.det(cell))
        diameter = np.linalg.norm(cell.sum(axis=0)) + np.linalg.norm(cell, axis=1).sum()
        # the images of one pair within rmax lie in a slab 2 rmax thick across each family of
        # cell planes, so at most prod(2 rmax / h_k + 1) of them (h_k the heights): the
        # sphere of rmax + diameter alone counted (4/3)π L² / h² for a needle L long, 1.5·10⁷
        # for a 12 x 12 x 8000 Å cell whose pairs have ~90 images each
        heights = volume / np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1)
        sphere = 4.0 / 3.0 * np.pi * _cube(rmax + diameter) / volume
        box = float(np.prod(2.0 * rmax / heights + 1.0))
        ntrans = min(sphere, box)
        if box > KERNEL_MAX_CELL_IMAGES:
            ntrans = box  # the kernels' own guard refuses it (in bohr, less clearly)
        pair_images = 0.5 * natoms**2 * (4.0 / 3.0 * np.pi * _cube(rmax) / volume) + natoms
        what = f"cell volume {volume:.4g} Å³"
    else:
        pair_images = 0.5 * natoms * (natoms + 1) * ntrans
        what = "periodic cell vectors " + ", ".join(
            f"{np.linalg.norm(v):.4g} Å" for v in cell[pbc])
    if ntrans > MAX_TRANSLATIONS or pair_images > MAX_PAIR_IMAGES:
        raise ValueError(
            f"D3: the largest cutoff ({rmax:.4g} Å) spans ~{ntrans:.3g} periodic images of "
            f"the cell ({what}), ~{pair_images:.3g} atom-pair images in all (limits "
            f"{MAX_TRANSLATIONS:.0e} and {MAX_PAIR_IMAGES:.0e}). Use a smaller cutoff, or "
            "check the cell (nearly singular?)"
        )


def _check_atm_work(natoms, cell, pbc, atm_cutoff, ntrans=1):
    """ValueError when the ATM term of a periodic structure would visit too many triples.

    The three-body loop takes every pair image (i, j + T) within ``atm_cutoff`` (Å), every
    k <= j and every image of (i, k): about N(N+1)/2 (C + K (N+1)/2 C) triple images, with K
    the images of one pair within the cutoff (below 1 in a large cell) and C those enumerated
    for one pair (at least 1: the images within the cutoff in a 3D cell, the whole
    translation list otherwise). A cutoff far beyond a
    small cell passes the pair limits of :func:`_check_work` yet would run for days.
    Molecules (no periodic images) are not limited.
    """
    if not pbc.any():
        return
    lat = cell[pbc]
    if pbc.all():
        volume = abs(np.linalg.det(cell))
        inside = 4.0 / 3.0 * np.pi * _cube(atm_cutoff) / volume
        enumerated = max(1.0, inside)
    else:
        if len(lat) == 1:
            inside = 2.0 * atm_cutoff / np.linalg.norm(lat[0])
        else:
            inside = np.pi * atm_cutoff * atm_cutoff / np.linalg.norm(np.cross(lat[0], lat[1]))
        inside = min(float(ntrans), 1.0 + inside)
        enumerated = float(ntrans)
    # every pair (i, j <= i) enumerates its images; those within the cutoff loop over k <= j
    pairs = 0.5 * natoms * (natoms + 1)
    triples = pairs * enumerated * (1.0 + inside * 0.5 * (natoms + 1))
    if triples > MAX_ATM_TRIPLE_IMAGES:
        raise ValueError(
            f"D3: the ATM term with atm_cutoff = {atm_cutoff:.4g} Å would visit "
            f"~{triples:.3g} triple images of this {natoms}-atom periodic cell (limit "
            f"{MAX_ATM_TRIPLE_IMAGES:.0e}, days of computing); use a smaller atm_cutoff "
            f"(default {DEFAULT_ATM_CUTOFF:.4g} Å) or atm=False"
        )


def _check_thin_cell(cell, pbc, what="D3", min_distance=MIN_DISTANCE):
    """:func:`ase_electrolyte.atoms_checks._check_thin_cell` with D3's name and distance.

    Checked before the number density and the cutoffs' image count (a 7 x 7 x 0.001 Å cell
    was refused as a cell in nm, a slab with a 0.001 Å vector as a cutoff spanning too many
    images). For D3 it is also an atom's own image closer than 0.1 Å, which the kernels' CN
    passes would take for the atom itself (compute_tensor's structures, whose positions stay
    on the device).
    """
    _check_cell_thickness(cell, pbc, what, min_distance)


def _check_cutoff(name, value):
    """A cutoff (Å) as a float; ValueError unless it is a number above MIN_DISTANCE."""
    value = check_number(f"{name} (Å)", value, above=0)
    if value <= MIN_DISTANCE:
        raise ValueError(
            f"{name} = {value:g} Å holds no pair of atoms: D3 refuses atoms closer than "
            f"{MIN_DISTANCE} Å, so the {name} must exceed that (the "
            + ("coordination numbers" if name == "cn_cutoff" else "energy")
            + " would be exactly 0)")
    return value


#: Default two-body cutoff (Å), the VASP-style value used with SevenNet-0
DEFAULT_CUTOFF = 50.2


def _check_two_body(values, damping, atm, cutoff, smooth, tail):
    """ValueError for a parameter set whose two-body term is off (s6 = s8 = 0; CSO: s6 = a1
    = 0) beside options only that term reads, or with nothing else on.

    Without the ATM term such a D3 adds exactly 0 at the cost of its pair loops (ethanol:
    0.0 eV); with it, ``cutoff``, ``smooth_cutoff`` and ``tail_correction`` act on the
    two-body sum alone and changed nothing (ATM-only ethanol: 7.449e-05 eV for any of them).
    """
    on = values["s8"] != 0.0 or values["s6"] != 0.0 or (
        damping == "cso" and values["a1"] != 0.0)
    if on:
        return
    scales = "s6 = a1 = 0" if damping == "cso" else "s6 = s8 = 0"
    if not atm:
        raise ValueError(
            f"D3({damping}) with {scales} and atm=False adds exactly 0: the two-body term is "
            f"scaled away and the three-body term is off; give non-zero scales or atm=True")
    idle = ([f"cutoff = {cutoff:g} Å"] if cutoff != DEFAULT_CUTOFF else []) + (
        [f"smooth_cutoff = {smooth:g} Å"] if smooth is not None else []) + (
        ["tail_correction=True"] if tail else [])
    if idle:
        raise ValueError(
            f"{', '.join(idle)} act(s) on the two-body term only, which D3({damping}) with "
            f"{scales} scales away: they would change nothing; leave them at their defaults "
            f"or give non-zero scales")


def _host_array(value):
    """``value`` as a numpy array (a torch tensor is copied from its device)."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _tensor_numbers(numbers):
    """compute_tensor's atomic numbers as a 1D int64 array; ValueError for anything else.

    ``Atoms(numbers=...)`` would truncate 11.5 to sodium and take True for hydrogen (also in
    ``[True, 1]``, which numpy reads as integers).
    """
    # a list as given: numpy reads [True, 1] as integers, its bool is seen only in the list
    is_tensor = hasattr(numbers, "detach") and hasattr(numbers, "cpu")
    return atomic_number_values(_host_array(numbers) if is_tensor else numbers)


def _tensor_pbc(pbc):
    """compute_tensor's periodicity as 3 bools: None (False), a bool, or 3 bools."""
    if pbc is None:
        return np.zeros(3, dtype=bool)
    if isinstance(pbc, (bool, np.bool_)):
        return np.full(3, bool(pbc))
    arr = _host_array(pbc)
    if arr.dtype != bool or arr.shape not in ((), (3,)):
        # a string is truthy ("False" would be periodic); 1/0 are refused as check_flag does
        raise ValueError(f"pbc must be True, False or three of them, not {pbc!r}")
    return np.broadcast_to(arr, (3,)).copy()


def _reference_weights(cn, cnref, nref):
    """Gaussian weights of the reference systems, (N, MAXREF), as d3_weights in
    csrc/d3_math.h (k3 = 4, the largest Gaussian factored out)."""
    d = cn[:, None] - cnref
    t = np.where(np.arange(cnref.shape[1]) < nref[:, None], -4.0 * d * d, -np.inf)
    g = np.exp(t - t.max(axis=1, keepdims=True))
    return g / g.sum(axis=1, keepdims=True)


#: Relative accuracy of the tail's integrals of the damped pair terms (scipy's quad_vec)
TAIL_QUADRATURE_RTOL = 1e-11


def _tail_integrals(damping, cutoff, width=0.0, dim=3):
    """The integrals of the damped pair terms that the homogeneous tail takes, per species pair.

    Parameters
    ----------
    damping : callable
        ``damping(r)`` for a distance ``r`` (bohr) returns ``(e, e_switched)``, arrays (P,)
        over the species pairs: the kernels' damped two-body term without C6 (a pair adds
        ``-C6 e``) and its smooth-switched value (:func:`ase_electrolyte.d3.backend.pair_damping`).
    cutoff, width : float
        Two-body cutoff and smooth-cutoff width, bohr.
    dim : {3, 2, 1}
        Periodic dimensions.

    Returns
    -------
    gap : numpy.ndarray, shape (P,)
        ∫ (e - e_switched) r^(d-1) dr over the switching window plus ∫ e r^(d-1) dr from the
        cutoff to infinity (bohr^(d-6)): what the kernels' sum leaves out of a pair of each
        species spread uniformly around an atom, with the pair's own damping (undamped
        C6/r^6 and C8/r^8 were 0.3 % too large for C-C and 25 % for Cs-Cs across a 6-8 Å
        switch).
    edge : numpy.ndarray, shape (P,)
        r_c^d e(r_c) / d (bohr^(d-6)): the impulse of the pairs crossing a hard cutoff per
        unit of the virial's (1/d) trace.
    """
    from scipy.integrate import quad_vec

    def beyond(r):
        return damping(r)[0] * r ** (dim - 1)

    def window(r):
        e, switched = damping(r)
        return (e - switched) * r ** (dim - 1)

    def integral(f, a, b):
        value, _, info = quad_vec(f, a, b, epsabs=0.0, epsrel=TAIL_QUADRATURE_RTOL,
                                  norm="max", limit=2000, full_output=True)
        if info.status != 0 or not np.isfinite(value).all():
            # never a tail of unknown accuracy: quad_vec returns its last estimate silently
            raise CalculationFailed(
                f"D3 tail_correction: the integral of the damped pair terms from {a:.6g} to "
                f"{b:.6g} bohr did not converge ({info.message}); leave tail_correction off "
                f"or use a larger cutoff")
        return value

    gap = integral(beyond, cutoff, np.inf)
    if width > 0.0:
        gap = gap + integral(window, cutoff - width, cutoff)
    edge = damping(cutoff)[0] * cutoff**dim / dim
    return np.asarray(gap, dtype=float), np.asarray(edge, dtype=float)


def _tail_coefficients(measure, integral, dim=3):
    """The homogeneous tail's coefficients per species pair (D3System.tail of csrc/d3_abi.h).

    Beyond where the kernels' sum stops (the cutoff, less the part the smooth switch takes
    away inside it) the atoms are taken as spread uniformly along the periodic directions
    (Allen & Tildesley in 3D): per atom i, E_i = Σ_j K_ij C6_ij with
    K_ij = -(Ω/2M) ∫ (1 - S) e_ij r^(d-1) dr (:func:`_tail_integrals`, e_ij the damped pair
    term of i's and j's species, which holds s6, s8 and C8/C6), j over all atoms (its own
    images included), d the periodic dimensions, M the cell's volume, area or length and
    Ω = 4π, 2π, 2 the measure of the unit sphere in d dimensions. In a slab (d = 2) the
    images of atom j form a sheet whose pairs with i beyond r_c sum to the same integral at
    any height of j below r_c; in a wire (d = 1) the line is taken through i (relative
    error ≈ 0.4 (ρ/r_c)² at a distance ρ from i's axis). The kernels take the coefficients
    to add the tail's dependence on the coordination numbers to forces and virial.

    Parameters
    ----------
    measure : float
        Volume (bohr³), area (bohr²) or length (bohr) of the periodic cell.
    integral : numpy.ndarray
        Per species pair, bohr^(d-6) (``gap`` or ``edge`` of :func:`_tail_integrals`).
    dim : {3, 2, 1}
        Periodic dimensions.

    Returns
    -------
    numpy.ndarray
        Hartree per hartree·bohr⁶, the shape of ``integral``.
    """
    half_sphere = {3: 2.0 * np.pi, 2: np.pi, 1: 1.0}[dim]
    return -half_sphere / measure * np.asarray(integral, dtype=float)


def _tail_correction(numbers, cn, coefficients, impulse=None):
    """Homogeneous estimate of the two-body dispersion beyond the cutoff.

    Per atom i, E_i = Σ_j K_ij C6_ij (:func:`_tail_coefficients`), with the C6_ij of the
    current coordination numbers. The virial of the missing pairs is that of their potential
    along the d periodic directions: E plus the impulse of the pairs crossing a hard cutoff
    (which the kernel's stress leaves out; for undamped C_n/r^n the whole is (n/d) E_n),
    and E alone (the strain derivative of E ∝ 1/M) behind the smooth one. The energy's
    dependence on the coordination numbers enters forces and virial in the kernel (the same
    coefficients, D3System.tail).

    Parameters
    ----------
    numbers : numpy.ndarray of int, shape (N,)
    cn : numpy.ndarray, shape (N,)
        Coordination numbers (the kernel's).
    coefficients : numpy.ndarray, shape (S, S)
        K of the species ``numpy.unique(numbers)``, hartree per hartree·bohr⁶.
    impulse : numpy.ndarray, shape (S, S), optional
        The same for the impulse at a hard cutoff (:func:`_tail_coefficients` of ``edge``);
        None behind a smooth cutoff.

    Returns
    -------
    energies : numpy.ndarray, shape (N,)
        Hartree per atom.
    virial : float
        Hartree: each diagonal element of the virial (dE/dε) along the periodic directions
        is -virial (the tail's pushes in).
    """
    tables = reference_tables()
    uniq, species = np.unique(numbers, return_inverse=True)
    weights = _reference_weights(np.asarray(cn, dtype=float), tables["cnref"][numbers],
                                 tables["nref"][numbers])
    summed = np.zeros((len(uniq), weights.shape[1]))
    np.add.at(summed, species, weights)  # W_B: the weights of species B summed over its atoms
    c6 = tables["c6ref"][np.ix_(uniq, uniq)]  # (A, B, a, b)

    def per_atom(k):
        # atom i of species A: Σ_j k_AB C6_ij = gw_i · Σ_B k_AB C6ref[A, B] W_B
        row = np.einsum("ABab,Bb,AB->Aa", c6, summed, k)
        return np.einsum("ia,ia->i", weights, row[species])

    energies = per_atom(coefficients)
    virial = float(energies.sum())
    if impulse is not None:
        virial += float(per_atom(impulse).sum())
    return energies, virial


def _require_atoms(atoms):
    """TypeError unless ``atoms`` is an ase.Atoms (before ASE's calculate stores it)."""
    from ase import Atoms

    if not isinstance(atoms, Atoms):
        raise TypeError(f"atoms must be an ase.Atoms, not a {type(atoms).__name__}")


def _property_names(properties, implemented, who):
    """``properties`` of a ``get_properties`` call as a list of names: one name given as a
    string is that name (it was iterated letter by letter), and a name not in
    ``implemented`` raises ``PropertyNotImplementedError`` naming it (it was skipped)."""
    if isinstance(properties, str):
        properties = [properties]
    properties = list(properties)
    unknown = [name for name in properties if name not in implemented]
    if unknown:
        raise PropertyNotImplementedError(
            f"{who} implements the properties {', '.join(implemented)}, not "
            f"{', '.join(map(repr, unknown))}")
    return properties


def _tensor_cell(cell):
    """compute_tensor's ``cell`` as a (3, 3) float array in Å, read as ASE reads
    ``Atoms(cell=...)``: a (3, 3) matrix, three lengths or six cell parameters (lengths in Å,
    angles in degrees). Three lengths ended in numpy's "1-dimensional array given. Array must
    be at least two-dimensional"; flags were read as 1 Å."""
    from ase.cell import Cell

    arr = np.asarray(cell)
    flags = _holds_bool(cell, arr)
    if arr.dtype.kind not in "iuf" or flags:
        kind = "bool" if flags else arr.dtype
        raise ValueError(f"cell must be numbers (Å), not {kind} values: {cell!r}")
    if arr.shape not in ((3, 3), (3,), (6,)):
        raise ValueError(f"cell must be a (3, 3) matrix, three lengths or six cell parameters "
                         f"(Å, degrees), not an array of shape {arr.shape}")
    arr = arr.astype(float)
    if not np.isfinite(arr).all():
        raise ValueError("the cell has non-finite entries")
    return np.array(Cell.new(arr).array, dtype=float)


def _tail_frame(cell, pbc):
    """The periodic geometry the tail correction needs, or None for a molecule.

    Returns
    -------
    dict or None
        ``dim`` (periodic dimensions), ``measure`` (volume Å³, area Å² or length Å of the
        periodic cell), ``projector`` (3, 3) onto the span of the periodic vectors,
        ``normals`` (3 - dim, 3) orthonormal directions across it and ``cell`` (3, 3): the
        cell with its non-periodic vectors replaced by those normals (full rank, so that
        fractional coordinates along the periodic vectors are defined for a zero c).
    """
    cell = np.asarray(cell, dtype=float)
    pbc = np.asarray(pbc, dtype=bool)
    lat = cell[pbc]
    dim = len(lat)
    if dim == 0:
        return None
    if dim == 3:
        return {"dim": 3, "measure": abs(float(np.linalg.det(cell))), "projector": np.eye(3),
                "normals": np.zeros((0, 3)), "cell": cell}
    vt = np.linalg.svd(lat)[2]  # rows: the periodic span, then its orthogonal complement
    completed = cell.copy()
    completed[~pbc] = vt[dim:]
    measure = (np.linalg.norm(lat[0]) if dim == 1
               else np.linalg.norm(np.cross(lat[0], lat[1])))
    return {"dim": dim, "measure": float(measure), "projector": vt[:dim].T @ vt[:dim],
            "normals": vt[dim:], "cell": completed}


def _thick_tail(across, frame, reach):
    """``(kind, message)`` of an :class:`InhomogeneousTailWarning` when a slab or wire is
    too thick for its tail; None otherwise.

    ``across`` (N, 3 - dim) are the atoms' coordinates (Å) across the periodic directions;
    ``reach`` (Å) the cutoff less the switch. A slab's sheet tail holds for atoms less than
    ``reach`` apart across it (farther apart, the whole sheet of a pair lies beyond the
    cutoff and sums to less than the correction takes); a wire's line tail to ~3 % for
    atoms within ``reach / 2`` of each other across it.
    """
    # numpy or torch alike (the same reductions): one number comes back from a device
    low, high = across.min(axis=0), across.max(axis=0)
    if not isinstance(low, np.ndarray):  # torch: min/max along a dim give (values, indices)
        low, high = low.values, high.values
    if frame["dim"] == 2:
        thickness = float((high - low).max())
        limit, what = reach, "slab"
    else:
        centre = 0.5 * (low + high)
        thickness = 2.0 * float((((across - centre) ** 2).sum(axis=1) ** 0.5).max())
        limit, what = 0.5 * reach, "wire"
    if thickness <= limit:
        return None
    return f"a thick {what}", (
            f"D3 tail_correction spreads the atoms beyond the cutoff evenly along the "
            f"periodic directions of this {what}, which holds for atoms less than "
            f"{limit:.4g} Å apart across it ({'' if what == 'slab' else 'half '}the cutoff "
            f"less the smooth switch), but it is {thickness:.4g} Å thick: the correction "
            f"overestimates the missing dispersion; use a larger cutoff or leave "
            f"tail_correction off")


class D3(ParametersContract, Calculator):
    r"""Grimme's DFT-D3 dispersion correction (energy, forces, stress, per-atom energies).

    Two-body energy E = -Σ_{i<j, images} Σ_{n=6,8} s_n C_n,ij / r^n · f_damp,n(r), with
    coordination-number dependent C6 (Grimme et al. 2010), optional three-body
    Axilrod–Teller–Muto term, evaluated by a multithreaded C++ kernel (or a CUDA kernel on a
    GPU) in double precision; results agree with simple-dftd3 (the ``dftd3`` package) to
    ~1e-10 relative.

    Parameters
    ----------
    damping : str
        ``"bj"`` (rational/Becke–Johnson, default), ``"zero"``, ``"bjm"`` (modified
        rational), ``"zerom"`` (modified zero), ``"op"`` (optimized power), ``"cso"``; any
        case, and simple-dftd3's names (``"d3bj"``, ``"rational"``, ``"D3(0)"``, ``"mzero"``...:
        :data:`ase_electrolyte.d3.parameters.DAMPING_ALIASES`), recorded as the name above.
    functional : str or None
        Functional whose published parameters are used (default ``"pbe"``), looked up in
        simple-dftd3's parameter data base as simple-dftd3 does: any case, ``-``, ``_``,
        ``/`` and spaces ignored, and the other spellings its library accepts
        (:data:`ase_electrolyte.d3.parameters.ALIASES`: ``"BP86"`` is BP, ``"PBEh"`` PBE0,
        ``"HF/MINIS"``...). ``None`` when ``params`` gives every parameter: a functional
        given beside params that replace every value of its entry is refused (it would
        change nothing, yet be recorded as their source); the default is then recorded as
        ``None``.
    params : dict, optional
        Parameter values replacing the functional's (keys s6, s8, s9, a1, a2, rs6, rs8, alp,
        bet; for CSO also a3, a4). a1, s6, s8, s9, rs6, rs8, alp, bet are dimensionless;
        a2 (and CSO's a4) are in bohr, as published.
    atm : bool
        Add the three-body ATM term (scaled by s9, default 1 from the data base). Parameters
        only the ATM term reads are refused in ``params`` with ``atm=False`` (s9 other than
        0; alp under bj, bjm, op and cso, whose two-body terms do not read it:
        :data:`ase_electrolyte.d3.parameters.THREE_BODY_ALP`), as is ``atm=True`` with s9 = 0.
        A set whose two-body term is scaled away (s6 = s8 = 0; CSO s6 = a1 = 0) is refused
        with ``atm=False`` (it adds exactly 0) and beside a ``cutoff`` other than the
        default, a ``smooth_cutoff`` or ``tail_correction``, which act on that term only.
    cutoff : float
        Two-body cutoff in Å (default 50.2, the VASP-style value used with SevenNet-0).
        Every cutoff must exceed 0.1 Å (``MIN_DISTANCE``; a shorter one holds no pair).
        A pair at exactly a hard cutoff is inside (r <= cutoff, as in simple-dftd3), "exactly"
        in the bohr distances the kernels compare: a pair placed at the cutoff in Å lies
        within a few ulps of it after the conversion and the differences, so that which side
        it falls is round-off (40 C-C pairs set 7.3 Å apart in random places: 31 inside here,
        24 by a hand sum of the Å distances); the energy it moves is the pair's whole term.
        ``smooth_cutoff`` takes every such pair to 0 and makes the count moot. Forces
        and stress are the exact derivative of the energy wherever no pair sits at a cutoff;
        a hard cutoff equal to a lattice vector's length (or to any distance between the
        sites of a crystal) puts a whole shell of pairs, each atom and its own images among
        them, exactly at it, and the energy jumps as soon as a strain moves the shell out
        (9 meV for 64-atom NaCl at 11.28 Å): the stress is then one side's derivative, and a
        barostat or a finite difference of the stress meets the jump. Choose a cutoff off the
        lattice lengths, or ``smooth_cutoff``.
    cn_cutoff : float
        Coordination-number cutoff in Å (default 20.0).
    atm_cutoff : float
        Three-body cutoff in Å (default 40 bohr = 21.17 Å, simple-dftd3's default); another
        value with ``atm=False`` is refused, as the ATM term's parameters are. With
        ``atm`` in a periodic cell, a cutoff whose triple images exceed
        ``MAX_ATM_TRIPLE_IMAGES`` (1e12; e.g. 100 Å around one atom of a 3 Å cell is 2.4e10,
        minutes) is refused before the kernel runs. The three-body cutoff is hard, as
        simple-dftd3's by default (its ``realspace_cutoff`` ``width3`` is 0; D3 has no such
        switch, ``smooth_cutoff`` switches the two-body term only): the energy is not smooth
        there. A triple whose longest side crosses the cutoff drops out, and the energy
        jumps by its term (3 argon atoms 4, 4.1 and 8 Å apart: 3.8·10⁻⁵ eV); triples
        crossing it as the cell strains make the energy jump, so finite differences of the
        stress straddling a jump are off (Rb, Cs, Ba, I in a 6 Å cell with 29-34° angles at
        the default: 9·10⁻⁶ eV/Å³ at strain steps of 10⁻⁵, 3·10⁻¹⁰ at 10⁻⁶), while the
        analytic stress agrees with simple-dftd3's to 10⁻¹².
    smooth_cutoff : float or None
        Width in Å of a polynomial switch that takes the two-body energy smoothly to zero
        between ``cutoff - smooth_cutoff`` and ``cutoff`` (removes the energy jump when
        pairs cross the cutoff in MD); the same switch as simple-dftd3's ``width2`` (equal
        energies). ``None`` (or 0): hard cutoff, as simple-dftd3 by default. At least
        :data:`MIN_SMOOTH_CUTOFF` (0.1 Å): the switch carries the impulse of the pairs
        crossing the cutoff through the large forces of the few pairs inside it, so a
        narrower one makes the stress scatter (58-atom LiPF6/EC/EMC box, 10 Å cutoff, with
        ``tail_correction``, pressure against the hard cutoff's over rattled copies:
        3 ± 10 bar at 0.1 Å, -2 ± 4 at 0.5 Å, -15 ± 55 at 10⁻³ Å) and, as it almost never
        holds a pair, lose that impulse (1e-300 Å: 77 of the 107 bar). 0.5-2 Å is typical.
        Recommended for NPT with a cutoff well below the default 50.2 Å: the analytic stress is
        the derivative of the energy of the pairs inside, so pairs crossing a hard cutoff as
        the cell changes put it off the energy's strain derivative (measured, 38-atom LiPF6/EC
        box, uniaxial strain 10⁻³: a 10 Å hard cutoff 2.7·10⁻⁵ eV/Å³ = 44 bar off the finite
        difference, with ``smooth_cutoff=2`` 3·10⁻⁷ eV/Å³ = 0.4 bar, the rest from the hard
        ``cn_cutoff``; at the default 50.2 Å the hard cutoff is 1.3·10⁻⁷ eV/Å³ = 0.2 bar off
        there, 4.4·10⁻⁶ eV/Å³ = 7 bar in rattled rocksalt LiF, 2·10⁻⁸ with the switch).
    tail_correction : bool
        Add the homogeneous-liquid estimate of the two-body dispersion beyond ``cutoff`` (and of
        what ``smooth_cutoff`` switches off inside it) to the energy, per-atom energies, forces
        and stress of 3D-periodic cells (Allen & Tildesley), from the current coordination
        numbers: E_i = -(2π/V) Σ_j C6_ij ∫ (1 - S) e_ij(r) r² dr from the switch's inner edge
        on, with e_ij each pair's damped term (its own damping, s8 and C8/C6; integrated
        undamped, a 6-8 Å switch was restored 25 % too strongly for Cs-Cs with BJ damping, 0.3-1%
        for light elements). A uniform density exerts no direct force, but the estimate's C6
        follow the coordination numbers, which follow the positions: the kernels add that
        dependence to the chain rule, so forces and stress are the exact derivatives of the
        corrected energy (finite differences: 5·10⁻¹⁰ eV/Å and 3·10⁻¹¹ eV/Å³ in a 59-atom
        liquid-like box at an 8 Å cutoff with a 2 Å switch). Behind a hard cutoff the stress
        also holds the impulse of the pairs at the cutoff (-(2π/3V) Σ C6_ij r_c³ e_ij(r_c); with
        E the missing pairs' full virial, (n/3) E_n/V for undamped C_n/r^n), which the energy's
        strain derivative does not. Off by default, as in simple-dftd3 and VASP. Measured on the
        58-atom LiPF6/EC/EMC box against a 250 Å cutoff: at 50.2 Å hard the energy is 5.4·10⁻⁶
        eV/atom, the pressure 0.88 bar too high and the forces 3.5·10⁻⁵ eV/Å off; with the
        correction 3·10⁻⁸ eV/atom, 0.005 bar and 1.1·10⁻⁷ eV/Å.
        The estimate is for homogeneous liquids (and bulk crystals): a cell with an empty
        layer wider than :data:`TAIL_MAX_EMPTY_LAYER` (6 Å) across any family of its
        lattice planes along the periodic vectors (Miller indices up to
        :data:`TAIL_MAX_MILLER_INDEX`, 3: a slab cut along (110) or in a triclinic cell
        too; a molecule in a box) is corrected with an :class:`InhomogeneousTailWarning`
        before the kernel runs (once per calculator and kind of structure until the options
        change), since there the correction adds the dispersion of the
        periodic images across the vacuum (16-atom LiF slab in a 45 Å cell at 50.2 Å:
        7·10⁻⁶ eV/atom from the isolated slab, uncorrected 7·10⁻⁷).
        Slabs (``pbc`` with one False axis) get the tail of the sheets of their periodic
        images (area A: -(π/A) Σ_j C6_ij ∫ (1 - S) e_ij r dr), exact for atoms closer
        across the slab than the cutoff; wires (two False axes) that of lines through each
        atom (length L: -(1/L) Σ_j C6_ij ∫ (1 - S) e_ij dr), ~3 % for atoms within half the cutoff
        of each other across it; their virial acts along the periodic directions only. A
        thicker slab or wire is corrected with an :class:`InhomogeneousTailWarning`.
        Measured against simple-dftd3 at 200 Å (LiF slab, 30 Å cutoff): 1.7·10⁻⁵
        eV/atom, corrected 1.8·10⁻⁷ (in-plane virial 8·10⁻⁴ → 2·10⁻⁵ eV). Molecules
        (``pbc=False``) get no correction: they have no periodic images.
        A correction carrying more than :data:`TAIL_MAX_SHARE` (10 %) of the dispersion
        energy comes with a :class:`TailShareWarning` (once per calculator until the
        options change): the cutoff then lies within the first neighbour shells, where the
        atoms are not spread evenly (NaCl at a 6 Å cutoff: a 20 % share, 3 % of the energy
        off; at 2 Å, below the Na-Cl distance, the whole energy is the tail's).
    device : str, ase_electrolyte.device.Device or torch.device
        ``"auto"`` (the CUDA kernel on GPU 0 when a GPU is present and the kernel can be
        built or is cached, else the CPU kernel, with one warning saying why), ``"cpu"``,
        ``"cuda"`` or ``"cuda:N"`` (parsed by :func:`ase_electrolyte.device.parse_device`;
        ``parameters["device"]`` holds the device used, ``"cpu"`` or ``"cuda:N"``). The
        CUDA kernel is compiled with nvcc on first use for the GPU's architecture
        (``$ASE_ELECTROLYTE_CUDA_ARCH``, e.g. ``"80;90"``, builds for an explicit list),
        keeps its device buffers between calls and runs on torch's current CUDA stream.
    num_threads : int or None
        CPU threads of the kernel; a number larger than the CPUs this process may use is a
        ceiling, the kernel runs on at most those CPUs. Refused (a number) with a CUDA device,
        whose kernel does not read it. ``None`` (default): the thread budget
        of the model it is summed with, looked up at every calculation, so that one setting
        governs both: ``torch.get_num_threads()`` when torch is loaded (it reads
        ``OMP_NUM_THREADS`` at import and follows ``torch.set_num_threads``, which the screen
        tasks and the forked analysis workers set), else ``OMP_NUM_THREADS``, else every CPU
        this process may use; at most those CPUs (a dask worker started with
        ``OMP_NUM_THREADS=1`` runs one D3 thread, not one per core).
        ``parameters["num_threads"]`` keeps ``None``; :attr:`num_threads` is the count used.
        The results do not depend on the thread count (to ~1e-13 relative).

    Raises
    ------
    ase.calculators.calculator.InputError
        Before the kernel runs: unknown damping/functional/parameters or option, a damping
        parameter outside its valid range, a damping radius <= 0, or a damping that does not
        damp at covalent bond lengths (near a pole; when the calculator is made or set;
        :data:`ase_electrolyte.d3.parameters.RANGES`, ``DAMPING_SLACK``), elements beyond Pu,
        non-finite positions, degenerate cells, atoms (or an atom and a periodic image)
        closer than 0.1 Å, a ``smooth_cutoff`` in (0, 0.1 Å) (:data:`MIN_SMOOTH_CUTOFF`),
        or a cutoff spanning more than 10⁷ periodic images of the cell
        (huge cutoff or nearly singular cell). It is also a ``ValueError``
        (:class:`ase_electrolyte.calculator_errors.InputError`).
    ase.calculators.calculator.CalculationFailed
        The kernel failed (message from the C++/CUDA side), or produced a non-finite energy,
        force or stress (:class:`~ase_electrolyte.calculator_errors.NonFiniteResult`, also a
        ``FloatingPointError``, naming the atoms); never a NaN.
    ase.calculators.calculator.CalculatorSetupError
        An explicit CUDA device whose kernel cannot be built or loaded (a ``RuntimeError``).

    Notes
    -----
    Every option lives in ``calc.parameters`` (ASE's contract) and is also readable as an
    attribute (``calc.cutoff``). ``calc.set(cutoff=10.0)`` checks the options together,
    changes the computation exactly as ``D3(cutoff=10.0)`` would and resets the results;
    ``calc.todict()`` holds every option, so ``D3(**calc.todict())`` is the same calculator
    and ASE trajectories and databases record the damping, functional and cutoffs.

    Units: positions and cutoffs in Å; energies in eV, forces in eV/Å, stress in eV/Å³ (Voigt
    order xx yy zz yz xz xy, ASE sign). Constants are ASE's ``Bohr`` and ``Hartree``, as in
    simple-dftd3's ASE interface. Periodic systems (any triclinic cell, also far smaller than
    the cutoff), partially periodic ones (slabs, wires: positions are wrapped along the
    periodic axes, so results do not depend on which image an atom sits in) and molecules
    (``pbc=False``) are supported; stress is provided when the cell has a volume and the
    system is periodic. Memory is O(N). Molecules larger than every cutoff, slabs and wires
    run in a 3D cell whose extra vectors are orthogonal to the periodic ones and longer than
    the structure by more than the largest cutoff, so that the cell lists of the periodic
    kernels find exactly the structure's pairs and images in O(N) time (the all-pairs loop
    took O(N^2): 12.8 s against 0.33 s for 20000 atoms of a sparse cluster at a 10 Å cutoff,
    equal to 1e-16 relative).

    The reference-system weights of the C6 interpolation,
    :math:`W_a = e^{-4(\mathrm{CN}-\mathrm{CN}_a)^2} / \sum_b e^{-4(\mathrm{CN}-\mathrm{CN}_b)^2}`,
    are evaluated with the largest Gaussian factored out, so they stay exact at the high
    coordination numbers of ionic crystals (LiF, Li₂O, KCl, LiH...), where each Gaussian
    alone underflows.

    Examples
    --------
    >>> from ase.build import molecule
    >>> from ase_electrolyte.d3 import D3
    >>> atoms = molecule("CH3CH2OH")
    >>> atoms.calc = D3(damping="bj", functional="pbe", device="cpu")
    >>> round(atoms.get_potential_energy(), 6)
    -0.115875
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "energies"]
    default_parameters = {
        "damping": "bj",
        "functional": "pbe",
        "params": None,
        "atm": False,
        "cutoff": DEFAULT_CUTOFF,
        "cn_cutoff": 20.0,
        "atm_cutoff": DEFAULT_ATM_CUTOFF,
        "smooth_cutoff": None,
        "tail_correction": False,
        "device": "auto",
        "num_threads": None,
    }

    damping = Option()
    functional = Option()
    params = Option()
    atm = Option()
    cutoff = Option()
    cn_cutoff = Option()
    atm_cutoff = Option()
    tail_correction = Option()
    device = Option()

    def __init__(self, damping="bj", functional="pbe", *, params=None, atm=False,
                 cutoff=DEFAULT_CUTOFF, cn_cutoff=20.0, atm_cutoff=DEFAULT_ATM_CUTOFF,
                 smooth_cutoff=None, tail_correction=False, device="auto", num_threads=None,
                 **kwargs):
        # compute_tensor's last system (numbers, cell, pbc) and cached kernel input
        self._tensor_system = None
        self._tensor_cache = None
        # kinds of InhomogeneousTailWarning given (once each, until the options change)
        self._tail_warned = set()
        ase_keywords = self._split_ase_keywords(kwargs)
        self._check_names(kwargs)
        super().__init__(**ase_keywords)
        self._initialise(dict(
            damping=damping, functional=functional, params=params, atm=atm, cutoff=cutoff,
            cn_cutoff=cn_cutoff, atm_cutoff=atm_cutoff, smooth_cutoff=smooth_cutoff,
            tail_correction=tail_correction, device=device, num_threads=num_threads,
        ))

    def _configure(self, p, old, given):
        """Check the options together, then set the kernel inputs that follow from them."""
        damping = damping_name(p["damping"])
        check_flag("atm", p["atm"])
        atm = bool(p["atm"])
        check_flag("tail_correction", p["tail_correction"])
        method_parameters = resolve_parameters(damping, p["functional"], p["params"], atm)
        functional = p["functional"]
        if functional_is_idle(damping, functional, p["params"]):
            # the constructor passes every option: there the default counts as not chosen
            chosen = "functional" in given and not (
                old is None and functional == self.default_parameters["functional"])
            if chosen:
                raise ValueError(
                    f"params {sorted(map(str, p['params']))} replace every value of the "
                    f"D3({damping}) parameters of functional {functional!r}: it would change "
                    f"nothing (and be recorded as their source); give functional=None with "
                    f"a complete params, or leave out the parameters it should supply")
            # the default functional under a complete params: recorded as no source
            functional = None
        # a bool or a string is no length: check_number refuses them by name. A cutoff up to
        # MIN_DISTANCE holds no pair the calculator accepts: the energy (cutoff 1e-6 Å) or
        # every coordination number was exactly 0 without a word
        cutoff, cn_cutoff, atm_cutoff = (
            _check_cutoff(name, p[name]) for name in ("cutoff", "cn_cutoff", "atm_cutoff"))
        if not atm and atm_cutoff != DEFAULT_ATM_CUTOFF:
            # as the ATM term's parameters (s9, alp) are: the cutoff of a term that is off
            # changed nothing (ethanol or a LiF cell: the same energy for any atm_cutoff)
            raise ValueError(
                f"atm_cutoff = {atm_cutoff:g} Å acts on the three-body ATM term only, which "
                f"atm=False leaves out: it would change nothing; set atm=True or leave "
                f"atm_cutoff at its default ({DEFAULT_ATM_CUTOFF!r} Å, 40 bohr)")
        smooth = check_number("smooth_cutoff (Å)", p["smooth_cutoff"], minimum=0, allow_none=True)
        if smooth == 0:
            smooth = None
        if smooth is not None and smooth < MIN_SMOOTH_CUTOFF:
            raise ValueError(
                f"smooth_cutoff must be 0/None (a hard cutoff) or at least {MIN_SMOOTH_CUTOFF} Å, "
                f"got {smooth!r} Å: a narrower switch samples the impulse of the pairs crossing "
                "the cutoff through a handful of pairs with huge forces, so the stress scatters "
                "(58-atom liquid, 10 Å cutoff: 55 bar at 1e-3 Å, 10 bar at 0.1 Å) and at 1e-300 "
                "Å loses that impulse (77 bar of 107); use a width of 0.5-2 Å")
        if smooth is not None and smooth >= cutoff:
            raise ValueError(
                f"smooth_cutoff ({smooth} Å) must be smaller than cutoff ({cutoff} Å)"
            )
        _check_two_body(method_parameters, damping, atm, cutoff, smooth,
                        bool(p["tail_correction"]))
        num_threads = check_number("num_threads", p["num_threads"], integer=True, minimum=1,
                                   allow_none=True)
        device = p["device"]
        if old is None or "device" in given:
            parsed = parse_device(device)  # the one device vocabulary (also torch.device)
            try:
                device = backend.select_device(str(parsed))
            except RuntimeError as err:
                raise CalculatorSetupError(f"D3: {err}") from err
        if num_threads is not None and str(device).startswith("cuda"):
            # the CUDA kernel (and its host emulation) takes no thread count: the setting
            # was stored, recorded by todict() and changed nothing
            raise ValueError(
                f"num_threads = {num_threads} sets the CPU kernel's threads, but this "
                f"calculator runs the CUDA kernel on {device}, which does not read it; leave "
                f"num_threads at None or use device='cpu'")
        # every option is valid: only now is the calculator changed
        self.method_parameters = method_parameters
        self._tail_warned = set()
        self._tail_cache = {}  # the tail's integrals follow the damping and cutoffs
        return {
            # a copy: the caller's dict changed later must not change what todict() records
            # the table's name ("PBE", "b3-lyp" are "pbe", "b3lyp"): set() of another spelling
            # of the same functional changes nothing, as for the damping
            "damping": damping, "functional": None if functional is None else (
                _table_name(functional) or functional),
            # plain floats and str keys (checked by resolve_parameters): todict() is JSON,
            # numpy scalars given here are not
            "params": None if p["params"] is None else {
                str(key): check_number(f"D3 parameter {key}", value)
                for key, value in p["params"].items()
            },
            "atm": atm, "cutoff": cutoff, "cn_cutoff": cn_cutoff, "atm_cutoff": atm_cutoff,
            "smooth_cutoff": smooth, "tail_correction": bool(p["tail_correction"]),
            "device": device, "num_threads": num_threads,
        }

    @property
    def smooth_cutoff(self):
        """Width (Å) of the smooth two-body cutoff; 0.0 for a hard cutoff."""
        return self.parameters["smooth_cutoff"] or 0.0

    @smooth_cutoff.setter
    def smooth_cutoff(self, value):
        self.set(smooth_cutoff=value)

    @property
    def num_threads(self):
        """CPU threads the kernel runs now: ``num_threads`` as given, at most the CPUs this
        process may use; by default (``None``) torch's intra-op thread count when torch is
        loaded, else ``OMP_NUM_THREADS``, else every usable CPU (see the class's
        ``num_threads``)."""
        if self.parameters["num_threads"] is None:
            return _thread_budget()
        # the kernel takes a C int: 2**32 + 2 wrapped to 2 threads, 1e308 to 0 (all CPUs)
        return min(self.parameters["num_threads"], _usable_cpus())

    @num_threads.setter
    def num_threads(self, value):
        self.set(num_threads=value)

    @staticmethod
    def known_functionals(damping=None):
        """Functionals with tabulated D3 parameters (for one damping if given, in any of the
        spellings ``damping=`` takes; an unknown one raises ValueError)."""
        return known_functionals(damping)

    @staticmethod
    def known_dampings():
        """Names of the available damping functions."""
        return known_dampings()

    def __repr__(self):
        return (f"D3(damping={self.damping!r}, functional={self.functional!r}, atm={self.atm}, "
                f"cutoff={self.cutoff}, cn_cutoff={self.cn_cutoff}, device={self.device!r})")

    def check_elements(self, atoms):
        """Raise InputError (a ValueError) naming any element of ``atoms`` without D3 parameters."""
        max_z = reference_tables()["max_z"]
        with input_errors():
            _check_elements(atoms, range(1, max_z + 1),
                            f"D3 (tabulated for H to {chemical_symbols[max_z]})")

    @applies_direct_edits
    def check_input(self, atoms, overlaps=True):
        """Raise what :meth:`calculate` would refuse in ``atoms``, without running the kernel.

        Elements beyond Pu, non-finite positions or cell, degenerate cells, parallel periodic
        vectors of a slab, cutoffs spanning too many periodic images (also of the ATM term)
        and, with ``overlaps``, atoms closer than 0.1 Å. The
        :class:`~ase_electrolyte.Calculator` runs it before its model, so that a structure
        the dispersion refuses costs no model evaluation.

        Parameters
        ----------
        atoms : ase.Atoms
        overlaps : bool
            Also look for atoms closer than 0.1 Å (a caller that has just looked with the
            same distance passes ``False``).

        Raises
        ------
        ase.calculators.calculator.InputError
            Also a ``ValueError``.
        """
        with input_errors():
            self._prepare(atoms, overlaps)

    def get_properties(self, properties, atoms):
        """Dict of the requested properties for ``atoms`` (one kernel call for all of them).

        ``properties`` is a list of names (one name as a string is that one); ``"stress"``
        is skipped for structures without a periodic 3D cell. A name the calculator does not
        implement raises ``PropertyNotImplementedError`` (``"energy"`` was read letter by
        letter and ``"forcez"`` skipped: both gave an empty dict).
        """
        properties = _property_names(properties, self.implemented_properties, "D3")
        self.get_property("energy", atoms)
        return {name: self.results[name] for name in properties if name in self.results}

    def check_state(self, atoms, tol=1e-15):
        """ASE's changes since the last calculation, after checking that ``atoms`` is an
        ``ase.Atoms`` (a list was stored as the calculated structure and every later call
        failed with "'list' object has no attribute 'cell'")."""
        _require_atoms(atoms)
        return super().check_state(atoms, tol)

    # ------------------------------------------------------------------------------------
    def _frame(self, atoms, translations=False):
        """Checked kernel input that does not depend on the positions (atomic units).

        The species and their tables, the cell mode with its lower-triangular lattice (3D
        periodic) and the rotation into the kernel's frame; positions are only checked for
        being finite. A partially periodic structure or molecule gets its translation list
        with ``translations`` (compute_tensor's all-pairs kernel), else the lattice and
        rotation are left to :meth:`_prepare`, which pads the cell around the positions.
        """
        numbers = np.asarray(atoms.numbers)
        if len(numbers) == 0:
            raise ValueError("D3 needs at least one atom")
        tables = reference_tables()
        self.check_elements(atoms)
        # non-finite positions or cell, zero-length periodic vectors, zero volume
        check_atoms(atoms)
        cell = np.asarray(atoms.cell[:], dtype=float)
        pbc = np.asarray(atoms.pbc, dtype=bool)
        if pbc.any():
            _check_thin_cell(cell, pbc)
        check_number_density(atoms, "D3")
        rmax = max(self.cutoff, self.cn_cutoff, self.atm_cutoff if self.atm else 0.0)
        rotation = np.eye(3)
        if pbc.all():
            _check_work(len(numbers), cell, pbc, rmax)
            lat, rotation = _lower_triangular(cell)
            geometry = {"cell_mode": 1, "trans": np.zeros((1, 3)), "lat": lat / Bohr}
        else:
            if pbc.sum() == 2:
                a, b = cell[pbc]
                if np.linalg.norm(np.cross(a, b)) <= 1e-10 * np.linalg.norm(a) * np.linalg.norm(b):
                    raise ValueError("the two periodic cell vectors are parallel (zero area)")
            if translations and pbc.any():
                trans = _partial_translations(cell / Bohr, pbc, rmax / Bohr, len(numbers))
            elif pbc.any():
                # a cutoff spanning too many images of the periodic vectors, refused as by
                # the translation list (in bohr as there: 1e308 Å is inf); its pair count
                # would refuse slabs the padded cell's lists handle, which count their own
                ntrans = float(np.prod(2 * _partial_reps(cell[pbc] / Bohr, rmax / Bohr) + 1))
                if ntrans > MAX_TRANSLATIONS:
                    _check_work(len(numbers), cell, pbc, rmax, ntrans)
                trans = np.zeros((1, 3))
            else:
                trans = np.zeros((1, 3))
            geometry = {"cell_mode": 0, "trans": trans, "lat": np.zeros((3, 3))}
            if not translations:
                # the padded 3D cell of _prepare (lattice and rotation from the positions)
                geometry["cell_mode"] = 1
        if self.atm:
            ntrans = len(geometry["trans"])
            if not translations and pbc.any() and not pbc.all():
                ntrans = float(np.prod(2 * _partial_reps(cell[pbc], self.atm_cutoff) + 1))
            _check_atm_work(len(numbers), cell, pbc, self.atm_cutoff, ntrans)
        uniq, species = np.unique(numbers, return_inverse=True)
        geometry["species"] = species.astype(np.int32)
        sub = {
            "z": uniq,  # atomic numbers of the species (the tail's cache key)
            "nref": tables["nref"][uniq],
            "cnref": tables["cnref"][uniq],
            "rcov": tables["rcov"][uniq],
            "r4r2": tables["r4r2"][uniq],
            "r0ab": tables["r0ab"][np.ix_(uniq, uniq)],
            "c6ref": tables["c6ref"][np.ix_(uniq, uniq)],
        }
        return geometry, sub, rotation

    def _prepare(self, atoms, overlaps=True):
        """Checked kernel input (atomic units) and the rotation back to the caller's frame;
        ``overlaps``: also refuse atoms closer than ``MIN_DISTANCE``."""
        geometry, sub, rotation = self._frame(atoms)
        positions = np.asarray(atoms.positions, dtype=float)
        pbc = np.asarray(atoms.pbc, dtype=bool)
        if pbc.all():
            geometry["xyz"] = positions @ rotation / Bohr
        else:
            # a molecule, slab or wire runs in a 3D cell padded beyond every cutoff (the cell
            # lists' O(N) instead of all N^2 pairs times the translations: 20000 atoms of a
            # sparse cluster took 12.8 s, padded 0.33 s, equal to 1e-16). Images are found
            # around the wrapped positions, so an atom's image (a whole lattice vector away)
            # gives identical results
            cell = np.asarray(atoms.cell[:], dtype=float)
            if pbc.any():
                positions = _wrap_periodic(positions, cell, pbc)
            basis = _pad_basis(cell, pbc)
            extent = np.ptp(positions @ basis.T, axis=0)
            padded = self._padded(extent, extent, len(positions), cell, pbc, basis)
            if padded is not None:
                lat, rotation = _lower_triangular(padded)
                geometry["lat"] = lat / Bohr
                geometry["xyz"] = positions @ rotation / Bohr
            else:
                geometry.update(cell_mode=0, xyz=positions / Bohr)
        # overlapping atoms make the dispersion energy meaningless (simple-dftd3 refuses too)
        if overlaps:
            check_overlaps(atoms, MIN_DISTANCE, "D3")
        return geometry, sub, rotation

    def _padded(self, extent, padding, natoms, cell, pbc, basis):
        """The padded 3D cell (Å) of a molecule, slab or wire, or None for a molecule that
        every pair of the all-pairs loop counts in (refused above ``MAX_PAIR_IMAGES`` pairs).

        ``extent``: the structure's extent (Å) along each row of ``basis``
        (:func:`_pad_basis`); ``padding``: the extent the padded vectors are sized for (at
        least ``extent``: compute_tensor keeps one cell while a molecule breathes).
        """
        rmax = max(self.cutoff, self.cn_cutoff, self.atm_cutoff if self.atm else 0.0)
        if pbc.any() or rmax < np.linalg.norm(extent):
            padded = _padded_lattice(cell, pbc, basis, padding, rmax)
            # the images of a periodic vector far shorter than the cutoff still count
            _check_work(natoms, padded, np.ones(3, dtype=bool), rmax)
            return padded
        # a molecule within every cutoff (also of 1e308 Å): every pair counts, and the
        # all-pairs loop visits none in vain
        pairs = 0.5 * natoms * (natoms + 1)
        if pairs > MAX_PAIR_IMAGES:
            raise ValueError(
                f"D3: the largest cutoff ({rmax:.4g} Å) spans this whole "
                f"{natoms}-atom molecule: ~{pairs:.3g} atom pairs to visit "
                f"(limit {MAX_PAIR_IMAGES:.0e}, hours of computing); use cutoffs "
                "shorter than the molecule (the defaults)")
        return None

    def _cutoffs_bohr(self, measure=None, dim=3, tables=None):
        """The kernel's cutoffs (bohr) and, with ``tail_correction``, the ``measure`` of the
        periodic cell (volume Å³, area Å² or length Å for ``dim`` 3, 2, 1 periodic
        dimensions) and the species ``tables`` of :meth:`_frame`, the tail coefficients
        (``"tail"``, D3System.tail) whose dE/dCN the kernel adds."""
        cutoffs = {
            "cutoff": self.cutoff / Bohr,
            "cn_cutoff": self.cn_cutoff / Bohr,
            "atm_cutoff": self.atm_cutoff / Bohr,
            "width": self.smooth_cutoff / Bohr,
        }
        if self.tail_correction and measure is not None and tables is not None:
            cutoffs["tail"] = _tail_coefficients(
                measure / Bohr**dim, self._tail_integrals(tables, cutoffs, dim)[0], dim)
        return cutoffs

    def _tail_integrals(self, tables, cutoffs, dim):
        """:func:`_tail_integrals` of the species pairs of ``tables`` (``gap`` and ``edge``,
        each (S, S)), with the damping of this calculator's kernel; kept until the options
        change (they depend on the species, damping, cutoff and switch, not the cell)."""
        key = (tuple(int(z) for z in tables["z"]), dim)
        cache = self.__dict__.setdefault("_tail_cache", {})  # an older pickle's has none
        if key not in cache:
            ns = len(tables["z"])
            zi, zj = (z.ravel() for z in np.meshgrid(np.arange(ns), np.arange(ns),
                                                     indexing="ij"))

            def damping(r):
                return backend.pair_damping(self.device, tables, self.method_parameters,
                                            cutoffs, zi, zj, np.full(zi.shape, r))

            gap, edge = _tail_integrals(damping, cutoffs["cutoff"], cutoffs["width"], dim)
            cache[key] = gap.reshape(ns, ns), edge.reshape(ns, ns)
        return cache[key]

    def _tail_terms(self, tables, frame):
        """The tail's coefficients K and, behind a hard cutoff, its impulse coefficients
        (:func:`_tail_correction`) for the species ``tables`` and :func:`_tail_frame`
        ``frame``."""
        cutoffs = self._cutoffs_bohr()
        gap, edge = self._tail_integrals(tables, cutoffs, frame["dim"])
        measure = frame["measure"] / Bohr ** frame["dim"]
        impulse = None if cutoffs["width"] > 0.0 else _tail_coefficients(
            measure, edge, frame["dim"])
        return _tail_coefficients(measure, gap, frame["dim"]), impulse

    def _run(self, run, *args):
        """``run(*args)`` with the kernel's failures as the calculator's exceptions."""
        try:
            return run(*args)
        except ValueError as err:  # the C++ side refused its input
            raise InputError(str(err)) from err
        except MemoryError:
            raise  # out of memory says more than "calculation failed"
        except RuntimeError as err:
            raise CalculationFailed(str(err)) from err

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        """Evaluate every property in one kernel call (later requests reuse the results)."""
        if atoms is not None:
            _require_atoms(atoms)
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        if "stress" in properties and not (atoms.pbc.any() and atoms.cell.rank == 3):
            # before the kernel: ASE's own "stress not present in this calculation" came only
            # after it, and did not say why
            raise PropertyNotImplementedError(
                f"D3 stress needs a periodic direction and a cell of three vectors (its volume); "
                f"this structure has pbc={atoms.pbc.tolist()} and cell rank {atoms.cell.rank}")
        self._tensor_system = None  # compute_tensor's default system is now self.atoms
        with input_errors():
            geometry, tables, rotation = self._prepare(atoms)
        tail = _tail_frame(atoms.cell[:], atoms.pbc) if self.tail_correction else None
        if tail is not None:
            self._warn_tail(atoms.positions, tail, atoms.pbc)
        cutoffs = self._cutoffs_bohr(*((tail["measure"], tail["dim"], tables) if tail else ()))
        out = self._run(backend.run_kernel, self.device, geometry, tables,
                        self.method_parameters, cutoffs, self.num_threads)
        try:
            backend.check_finite(out, atoms.get_chemical_symbols())
        except FloatingPointError as err:
            raise NonFiniteResult(str(err)) from err
        except ValueError as err:  # coincident atoms (refused above; kept for one contract)
            raise InputError(str(err)) from err
        energies = out["energies"] * Hartree
        gradient = out["gradient"] @ rotation.T
        sigma = rotation @ out["sigma"] @ rotation.T
        if tail is not None:
            extra, virial = _tail_correction(atoms.numbers, out["cn"],
                                             *self._tail_terms(tables, tail))
            self._warn_once([_tail_share(float(out["energies"].sum()), float(extra.sum()))])
            energies = energies + extra * Hartree
            sigma = sigma - virial * tail["projector"]  # sigma is the virial, hartree
        energy = float(energies.sum())
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "energies": energies,
            "forces": -gradient * (Hartree / Bohr),
        }
        if atoms.pbc.any() and atoms.cell.rank == 3:
            stress = sigma * Hartree / atoms.get_volume()
            self.results["stress"] = stress.flat[[0, 4, 8, 5, 2, 1]].copy()

    def _warn_tail(self, positions, frame, pbc):
        """The tail correction's checks of the structure (warnings, before the kernel):
        empty layers across the lattice planes along the periodic vectors, and a slab or
        wire thicker than the tail's approximation holds for. ``positions`` (Å, numpy or a
        torch tensor) and ``frame`` (:func:`_tail_frame`) in the same Cartesian frame."""
        inverse = np.linalg.inv(frame["cell"])
        if isinstance(positions, np.ndarray):
            fractional = positions @ inverse
        else:
            import torch

            fractional = positions @ torch.as_tensor(inverse, device=positions.device)
        found = [_inhomogeneous_tail(fractional, frame["cell"], pbc)]
        if frame["dim"] < 3:
            across = positions @ (frame["normals"].T if isinstance(positions, np.ndarray) else
                                  torch.as_tensor(frame["normals"].T, device=positions.device))
            found.append(_thick_tail(across, frame, self.cutoff - self.smooth_cutoff))
        self._warn_once(found, stacklevel=5)

    def _warn_once(self, found, stacklevel=4):
        """Each ``(kind, message)`` of ``found`` (None entries skipped) as a warning, once
        per calculator and kind until the options change."""
        for kind, message in filter(None, found):
            # once per calculator and kind: along an MD run the widths in the message change
            # every step, and each new text was another warning (and another entry of the
            # warnings registry, which grew without bound)
            warned = self.__dict__.setdefault("_tail_warned", set())  # an older pickle's
            if kind not in warned:
                warned.add(kind)
                category = TailShareWarning if kind == "tail share" else InhomogeneousTailWarning
                warnings.warn(message, category, stacklevel=stacklevel)

    # ------------------------------------------------------------------------------------
    @applies_direct_edits
    def compute_tensor(self, positions, numbers=None, cell=None, pbc=None):
        """Energy, forces and stress for positions that are a torch tensor on the GPU.

        The positions are read where they are, on the calculator's CUDA device, and the results
        are new tensors on that device, queued on torch's current CUDA stream: no copy of the
        positions or of the forces to the host, for an MD loop whose state lives on the GPU.
        The atoms are wrapped and sorted into bins on the device; a molecule, slab or wire
        runs in the 3D cell padded beyond every cutoff that :meth:`calculate` uses (its
        padding sized from the positions' extent, kept while the structure breathes within a
        margin), a molecule that every cutoff spans in the all-pairs loop. The
        species tables, species, cell and bin stencils are kept on the device between calls
        and uploaded again only when they change.

        Parameters
        ----------
        positions : torch.Tensor
            (N, 3) positions in Å, ``torch.float64``, on the calculator's device (``cuda:N``;
            a CPU tensor when the CUDA code runs on the host emulation,
            :func:`ase_electrolyte.d3.backend.set_cuda_host`), without ``requires_grad``.
            Atoms may lie outside the cell.
        numbers : array_like of int, optional
            Atomic numbers (N,): integers (floats only when whole numbers, never bools).
            Default (with ``cell`` and ``pbc``): the system of this calculator's last call,
            ``compute_tensor``'s or an ASE calculation's (``calc.atoms``).
        cell : array_like, optional
            Cell (3, 3) in Å (numpy, ASE ``Cell`` or a tensor on any device), or, as ASE's
            ``Atoms(cell=...)`` reads it, three lengths or six cell parameters. When ``numbers``
            is given: default a zero cell. Otherwise: replaces the last call's cell (NPT).
        pbc : bool or sequence of 3 bool, optional
            Periodicity (bools only: a string or 0/1 is refused). When ``numbers`` is
            given: default False.

        Returns
        -------
        dict of torch.Tensor
            On the positions' device, float64: ``"energy"`` (0-d, eV), ``"energies"`` (N,
            eV), ``"forces"`` (N, 3, eV/Å) and, for a periodic system whose cell has a volume,
            ``"stress"`` (6, eV/Å³, Voigt order xx yy zz yz xz xy, ASE sign); as the ASE
            results of :meth:`calculate`, equal to them to ~1e-10 relative.

        Raises
        ------
        TypeError
            ``positions`` is not a torch tensor, or not float64.
        ase_electrolyte.calculator_errors.InputError
            (a ``ValueError``) Before the kernel runs: a calculator whose device is not CUDA,
            positions on another device, not of shape (N, 3) with N the number of atoms,
            non-finite or beyond ``MAX_COORDINATE`` (10⁸ Å, as :meth:`calculate`), or
            requiring grad; no system given and no ``calc.atoms``; or any
            problem :meth:`calculate` refuses in the species, cell or cutoffs.
            After the kernel: atoms closer than 0.1 Å to another atom or its periodic
            image, named.
        ase.calculators.calculator.CalculationFailed
            The kernel failed, or produced a non-finite result
            (:class:`~ase_electrolyte.calculator_errors.NonFiniteResult`).

        Notes
        -----
        Atoms closer than 0.1 Å (as :meth:`calculate` refuses them) are not looked for on
        the host (that needs the positions there): the kernel's coordination-number passes
        mark them (a duplicated atom too, whose pair the sums would skip as an atom's own
        image) and they are refused after the call, naming them; a periodic cell thinner
        than 0.1 Å is refused before. Checking that
        the positions and the results are finite waits for the GPU twice per call (two
        scalars come back, nothing else); a molecule, slab or wire once more (its extent
        across the non-periodic directions: at most three numbers).

        Examples
        --------
        >>> import torch  # doctest: +SKIP
        >>> from ase.build import bulk
        >>> atoms = bulk("LiF", "rocksalt", a=4.03, cubic=True)  # doctest: +SKIP
        >>> calc = D3(device="cuda")  # doctest: +SKIP
        >>> pos = torch.tensor(atoms.positions, device="cuda")  # doctest: +SKIP
        >>> out = calc.compute_tensor(pos, atoms.numbers, atoms.cell, atoms.pbc)  # doctest: +SKIP
        >>> out["forces"].device  # doctest: +SKIP
        device(type='cuda', index=0)
        """
        import torch

        if not isinstance(positions, torch.Tensor):
            raise TypeError(f"positions must be a torch.Tensor, not {type(positions).__name__}")
        if positions.dtype != torch.float64:
            raise TypeError(f"positions must be torch.float64, not {positions.dtype}")
        with input_errors():
            geometry, tables, frame = self._tensor_frame(positions, numbers, cell, pbc)
        x = positions.detach()
        if frame["wrap"] is not None:
            lat, inv = frame["wrap"]
            x = x - torch.floor(x @ inv) @ lat
        if frame["pad"] is not None:
            with input_errors():
                geometry = self._tensor_padding(geometry, frame, x)
        geometry = dict(geometry, xyz=(x @ frame["to_kernel"]).contiguous())
        tail = frame["tail"] if self.tail_correction else None
        if tail is not None:
            # the positions in the (rotated) kernel frame, against the same cell there
            self._warn_tail(geometry["xyz"] * Bohr, tail, frame["pbc"])
        out = self._run(backend.run_kernel_tensor, self.device, geometry, tables,
                        self.method_parameters,
                        self._cutoffs_bohr(*((tail["measure"], tail["dim"], tables) if tail
                                             else ())))
        finite = (torch.isfinite(out["energies"]).all() & torch.isfinite(out["gradient"]).all()
                  & torch.isfinite(out["sigma"]).all())
        kernel_energy = None
        if tail is not None:
            # one transfer for both: the kernel's energy (the tail's share) and finiteness
            both = torch.stack([finite.to(torch.float64), out["energies"].sum()]).cpu()
            finite, kernel_energy = bool(both[0]), float(both[1])
        if not bool(finite):
            try:
                backend.check_finite({k: v.cpu().numpy() for k, v in out.items()},
                                     [chemical_symbols[z] for z in frame["numbers"]])
            except FloatingPointError as err:
                raise NonFiniteResult(str(err)) from err
            except ValueError as err:  # coincident atoms, which only the kernel sees here
                raise InputError(str(err)) from err
        rotation = frame["rotation"]
        energies = out["energies"] * Hartree
        if tail is not None:
            # N coordination numbers come to the host (the positions and forces stay)
            extra, virial = _tail_correction(frame["numbers"], out["cn"].cpu().numpy(),
                                             *self._tail_terms(tables, tail))
            self._warn_once([_tail_share(kernel_energy, float(extra.sum()))])
            energies = energies + torch.as_tensor(extra * Hartree, device=energies.device)
            out["sigma"] = out["sigma"] - torch.as_tensor(virial * tail["projector"],
                                                          device=energies.device)
        results = {
            "energy": energies.sum(),
            "energies": energies,
            "forces": (out["gradient"] @ rotation.T) * (-Hartree / Bohr),
        }
        if frame["volume"] is not None:
            sigma = rotation @ out["sigma"] @ rotation.T
            stress = sigma * (Hartree / frame["volume"])
            results["stress"] = stress.reshape(9)[[0, 4, 8, 5, 2, 1]]
        return results

    def _tensor_padding(self, geometry, frame, x):
        """compute_tensor's kernel geometry for a molecule, slab or wire at positions ``x``
        (a tensor, Å, wrapped along the periodic vectors): the padded cell of
        :meth:`_prepare`, or the all-pairs loop for a molecule within every cutoff."""
        pad = frame["pad"]
        along = x @ pad["to_extent"]
        # one wait for the device: at most three numbers come back
        extent = (along.amax(dim=0) - along.amin(dim=0)).cpu().numpy()
        # the padding is kept while the structure breathes within a margin, so that the
        # kernel's cell and stencils are not uploaded anew every MD step (a wider padding
        # adds no pair: only images farther than every cutoff)
        margin = 1.0 + 0.05 * extent
        kept = pad["padding"]
        if kept is None or (kept < extent).any() or (kept > extent + 2 * margin).any():
            kept = pad["padding"] = extent + margin
        padded = self._padded(extent, kept, len(frame["numbers"]), pad["cell"], frame["pbc"],
                              pad["basis"])
        if padded is None:
            return dict(geometry, cell_mode=0, lat=np.zeros((3, 3)))
        # lower triangular in the kernel frame (the rotation depends on directions only)
        return dict(geometry, cell_mode=1, lat=np.tril(padded @ pad["rotation"]) / Bohr)

    def _tensor_frame(self, positions, numbers, cell, pbc):
        """Checks of compute_tensor's input (the tensor's type and dtype are checked already);
        the positions-independent kernel input, cached."""
        import torch
        from ase import Atoms

        if not str(self.device).startswith("cuda"):
            raise ValueError(
                f"compute_tensor runs the CUDA kernel, but this calculator has "
                f"device={self.device!r}; create it with device='cuda' (or 'cuda:N')")
        expected = (torch.device("cpu") if backend.cuda_host_mode() is not None
                    else torch.device(self.device))
        if positions.device != expected:
            host = " (the CUDA code runs on the host emulation)" if expected.type == "cpu" else ""
            raise ValueError(f"positions are on {positions.device}, but the D3 kernel runs on "
                             f"{expected}{host}; move them there first")
        if positions.requires_grad:
            raise ValueError("positions require grad: D3.compute_tensor gives forces directly "
                             "and does not build an autograd graph; pass positions.detach()")
        if numbers is None:
            last = self._tensor_system
            if last is None and self.atoms is not None:
                last = (self.atoms.numbers, self.atoms.cell[:], self.atoms.pbc)
            if last is None:
                raise ValueError("compute_tensor needs numbers (and cell, pbc) when the "
                                 "calculator has not computed a system before")
            numbers = last[0]
            cell = last[1] if cell is None else cell
            pbc = last[2] if pbc is None else pbc
        numbers = _tensor_numbers(numbers)
        if isinstance(cell, torch.Tensor):
            cell = cell.detach().cpu().numpy()
        cell = np.zeros((3, 3)) if cell is None else _tensor_cell(cell)
        pbc = _tensor_pbc(pbc)
        if positions.ndim != 2 or positions.shape[1] != 3:
            raise ValueError(f"positions must have shape (N, 3), not {tuple(positions.shape)}")
        if positions.shape[0] != len(numbers):
            raise ValueError(f"positions hold {positions.shape[0]} atoms but numbers "
                             f"{len(numbers)}")
        if not np.isfinite(cell).all():
            raise ValueError("the cell has non-finite entries")
        # one wait for the device: non-finite, or so far out that wrapping into the cell
        # loses every digit of the distances (calculate refuses both through check_atoms)
        if not bool((positions.abs() <= MAX_COORDINATE).all()):
            for fault, rows in (("non-finite positions", ~torch.isfinite(positions)),
                                (f"positions beyond {MAX_COORDINATE:.0e} Å (no molecular "
                                 "structure: positions in Å?)", positions.abs() > MAX_COORDINATE)):
                bad = torch.nonzero(rows.any(dim=1)).flatten()
                if len(bad):
                    raise ValueError(f"{fault}, atom indices {bad[:10].tolist()}"
                                     + (f" ({len(bad)} in all)" if len(bad) > 10 else ""))
        key = (numbers.tobytes(), numbers.dtype.str, cell.tobytes(), pbc.tobytes(),
               self.cutoff, self.cn_cutoff, self.atm_cutoff, self.atm, positions.device)
        cached = self._tensor_cache
        if cached is not None and cached[0] == key:
            self._tensor_system = (numbers, cell, pbc)
            return cached[1]
        atoms = Atoms(numbers=numbers, cell=cell, pbc=pbc)
        geometry, tables, rotation = self._frame(atoms)
        pad = None
        if not pbc.all():
            # a molecule, slab or wire runs in the padded 3D cell as calculate's does (the
            # all-pairs loop over every translation took 7.2 s for a 12000-atom cluster on
            # the host build, the cell lists 1.3 s); the added vectors' directions, and so
            # the kernel frame, depend on the cell only, their lengths on the positions
            basis = _pad_basis(cell, pbc)
            unit = _padded_lattice(cell, pbc, basis, np.zeros(len(basis)), 1.0)
            rotation = _lower_triangular(unit)[1]
            pad = {"cell": cell.copy(), "basis": basis, "rotation": rotation,
                   "to_extent": torch.tensor(basis.T, device=positions.device),
                   "padding": None}
        device = positions.device
        frame = {"numbers": numbers.copy(), "wrap": None, "volume": None, "pbc": pbc.copy(),
                 "pad": pad,
                 "rotation": torch.tensor(rotation, device=device),
                 "to_kernel": torch.tensor(rotation / Bohr, device=device)}
        if pbc.any() and not pbc.all():
            lat = cell[pbc]
            frame["wrap"] = (torch.tensor(lat, device=device),
                             torch.tensor(np.linalg.pinv(lat), device=device))
        if pbc.any() and atoms.cell.rank == 3:
            frame["volume"] = float(atoms.get_volume())
        # the kernel's frame: rows of the cell turned as the positions are
        frame["tail"] = _tail_frame(cell @ rotation, pbc)
        self._tensor_cache = (key, (geometry, tables, frame))
        self._tensor_system = (numbers, cell, pbc)
        return geometry, tables, frame
