"""Compiled histogram of all pair distances of a frame, by atom class and intra/intermolecular.

:class:`~mda_electrolyte.rdf.IntraInterRDF` needs, per frame, every pair within ``r_max``
binned by the classes of its two atoms, by whether they share a molecule and by distance. A
general neighbour list (vesin) writes every pair out (about 630 000 per frame for a 7000-atom
electrolyte at 8 Å) and numpy then reads them back several times; that writing and reading is
most of the time. ``csrc/pair_histogram.cpp`` counts the pairs as the search finds them, with
the same double-precision distances and numpy.histogram's bin assignment, so the counts are
those of the vesin path (tested). The search is the package's one compiled neighbour engine,
``ase_electrolyte/csrc/cell_list.h`` (cell lists of a lower-triangular cell with bounding-box
pruning), which the DFT-D3 CPU kernel uses too; another cell is rotated first (distances do
not change).

The kernel is compiled with the C++ compiler on first use (``$CXX``, g++, c++ or clang++) and
kept in the ``mda_electrolyte`` folder of the build cache of :mod:`ase_electrolyte.native_build`
(``$ASE_ELECTROLYTE_CACHE``, else ``~/.cache/ase_electrolyte``), keyed by a hash of the sources
(the shared header included), the flags and the CPU, with its checksum verified on every load.
Without a compiler and a valid cached build, :func:`pair_histogram_kernel` returns ``None`` and
the RDF uses vesin; a compile that fails, or a ``$CXX`` that names no compiler, does the same
with a ``RuntimeWarning`` giving the reason.
"""

from __future__ import annotations

import ctypes
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from ase_electrolyte import native_build
from ase_electrolyte.atoms_checks import check_number
from ase_electrolyte.environment import switch_on

__all__ = ["pair_histogram_kernel", "PairHistogramKernel"]

SOURCE = Path(__file__).parent / "csrc" / "pair_histogram.cpp"
# every file the build reads (all enter the cache key): the shared neighbour engine, then ours
SOURCES = (str(native_build.SHARED_CSRC / "cell_list.h"), SOURCE.name)
FLAGS = ("-O3", "-march=native", "-fopenmp-simd", "-std=c++17", "-shared", "-fPIC", "-pthread")
CACHE_SUBDIR = "mda_electrolyte"
_P = ctypes.c_void_p
#: Most bytes (1 GiB) the threads' private copies of the histogram may take together: beyond
#: it ``num_threads`` or the bins are a mistake, refused.
MAX_THREAD_COPY_BYTES = 2**30
#: Farthest a position may lie from the cell, in cell widths: beyond it wrapping loses the
#: distance's digits (about this times 1e-16 of a width), a unit or unwrapping mistake, refused.
MAX_CELL_WIDTHS = 2.0**24


def _build():
    """Path of the compiled kernel (built into the cache if there is no valid build).

    None where there is no compiler and no valid cached build.
    """
    compiler = native_build.find_cxx(required=False, purpose="the pair-histogram kernel")
    try:
        return native_build.build_library(
            compiler, SOURCES, FLAGS, source_dir=SOURCE.parent, name="pair_histogram",
            subdir=CACHE_SUBDIR, signature=native_build.cpu_signature(),
            what="the pair-histogram kernel")
    except native_build.CompilerNotFoundError:
        return None


class PairHistogramKernel:
    """The loaded kernel; call it once per frame.

    Parameters
    ----------
    path : str or pathlib.Path
        The compiled shared library.
    """

    def __init__(self, path):
        self._lib = native_build.load_library(path, "the pair-histogram kernel")
        fn = self._lib.pair_histogram
        fn.argtypes = [ctypes.c_int64, _P, _P, ctypes.c_double, ctypes.c_double,
                       ctypes.c_int64, _P, _P, _P, _P, ctypes.c_int64, _P, ctypes.c_int64,
                       ctypes.c_int, ctypes.c_double, ctypes.c_char_p, ctypes.c_int]
        fn.restype = ctypes.c_int
        self._fn = fn

    def __call__(self, positions, cell, edges, first_code, second_code, mol, row, counts,
                 num_threads=1):
        """Add the pair counts of one frame to ``counts`` (int64, modified in place).

        Parameters
        ----------
        positions : numpy.ndarray, shape (n, 3)
            Coordinates in Å (any image).
        cell : numpy.ndarray, shape (3, 3)
            Lattice vectors as rows, Å; ``edges[-1]`` at most half the smallest face distance.
            A lower-triangular cell (MDAnalysis' ``triclinic_vectors``) is used as it is;
            another is rotated to one together with the positions, which changes distances
            by rounding only (~1e-15 relative).
        edges : numpy.ndarray, shape (nbins + 1,)
            Bin edges in Å, evenly spaced (each within one bin width of
            ``np.linspace(edges[0], edges[-1], nbins + 1)``, e.g. a first edge clipped to 0).
        first_code, second_code, mol : numpy.ndarray of int64, shape (n,)
            The codes are offsets into ``counts`` (>= 0); ``mol`` any molecule labels.
            Pair ``(i, j)`` with ``i < j`` adds to ``counts[first_code[i] + second_code[j]
            + (mol[i] != mol[j]) * row + bin]``: ``bin`` is numpy.histogram's bin on
            ``edges``, or ``nbins`` (the slot after the last bin) for a pair closer than
            ``edges[0]``; none is dropped (cumulative coordination numbers need them).
        row : int
            Offset of the intermolecular row: at least ``nbins`` (the intramolecular row's
            bins), more than ``nbins`` where ``edges[0] > 0``.
        counts : numpy.ndarray of int64
            Left partly updated if a ``ValueError`` is raised.
        num_threads : int
            Threads of the pass (the engine's work split); the counts do not depend on it.
            Each thread but the first counts into its own copy of ``counts``: their bytes
            are limited to :data:`MAX_THREAD_COPY_BYTES`.

        Returns
        -------
        numpy.ndarray
            ``counts``.

        Raises
        ------
        ValueError
            Non-finite coordinates or coordinates more than :data:`MAX_CELL_WIDTHS` cell
            widths from the cell, a cell without volume (or one whose volume overflows),
            ``edges[-1]`` beyond half a face distance, edges not evenly spaced, a ``row``
            that is not a whole number >= ``nbins``, ``edges[0] > 0`` with ``row <= nbins``
            (no slot for the closer pairs), a negative code or one outside ``counts``, or a
            ``num_threads`` below 1 or whose copies of ``counts`` would exceed
            :data:`MAX_THREAD_COPY_BYTES`. All but the code are checked before any counting.

        Examples
        --------
        >>> import numpy as np
        >>> from mda_electrolyte.pair_histogram import pair_histogram_kernel
        >>> kernel = pair_histogram_kernel()
        >>> counts = np.zeros(8, dtype=np.int64)
        >>> if kernel is not None:  # one intermolecular pair at 1.0 Å: bin 1 of the second row
        ...     _ = kernel(np.array([[1.0, 1, 1], [2.0, 1, 1]]), np.eye(3) * 10.0,
        ...                np.linspace(0.0, 4.0, 5), np.zeros(2), np.zeros(2), np.array([0, 1]),
        ...                4, counts)
        ...     assert counts.tolist() == [0, 0, 0, 0, 0, 1, 0, 0]
        """
        positions = np.ascontiguousarray(positions, dtype=np.float64)
        cell = np.ascontiguousarray(cell, dtype=np.float64)
        if positions.ndim != 2 or positions.shape[1] != 3 or cell.shape != (3, 3):
            raise ValueError("positions must have shape (n, 3) and cell shape (3, 3)")
        lower = cell[0, 1] == 0.0 and cell[0, 2] == 0.0 and cell[1, 2] == 0.0
        if not (lower and np.all(np.diag(cell) > 0.0)):
            positions, cell = _lower_triangular(positions, cell)
        edges = np.ascontiguousarray(edges, dtype=np.float64)
        if (edges.ndim != 1 or edges.size < 2 or not np.isfinite(edges).all()
                or not (np.diff(edges) > 0).all()):
            # the kernel bins by the first and last edge (even spacing): a NaN or a repeated
            # edge inside would be ignored without a word
            raise ValueError(f"pair_histogram: edges must be at least 2 finite, increasing "
                             f"values, not {edges[:6].tolist()}")
        nbins = edges.size - 1
        spacing = (edges[-1] - edges[0]) / nbins
        even = edges[0] + spacing * np.arange(edges.size)
        if np.max(np.abs(edges - even)) >= spacing:
            # the kernel guesses a pair's bin from the even spacing and corrects it by one
            # bin against the edges: edges [0, 0.5, 3, 3.5, 4] put a pair at 2 Å in bin 2
            # (2-3 Å of even bins), not in bin 1 (0.5-3 Å), without a word
            raise ValueError(f"pair_histogram: edges must be evenly spaced (within a bin of "
                             f"np.linspace({edges[0]:g}, {edges[-1]:g}, {edges.size})), not "
                             f"{edges[:6].tolist()}{' ...' if edges.size > 6 else ''}")
        # the intermolecular row starts after the intramolecular one: a row of fewer slots
        # than bins put intermolecular pairs into intramolecular bins (row 2 of 4 bins: a
        # pair at 1 Å counted as intramolecular, bin 3), and 4.5 was cut to 4
        row = check_number("pair_histogram: row", row, integer=True, minimum=nbins)
        arrays = []
        for name, value in (("first_code", first_code), ("second_code", second_code),
                            ("mol", mol)):
            value = np.asarray(value)
            # a float array would be truncated: mol 0.5, 0.6, 0.7 made three molecules one
            if value.size and value.dtype.kind not in "iu" and not (
                    value.dtype.kind == "f" and np.isfinite(value).all()
                    and (value == np.round(value)).all()):
                raise ValueError(f"pair_histogram: {name} must hold integers, not "
                                 f"{value.dtype} values such as {value.ravel()[:3].tolist()}")
            value = np.ascontiguousarray(value, dtype=np.int64)
            if name != "mol" and value.size and value.min() < 0:
                # a negative code moved the pair into another class pair's (or the other
                # row's) slots inside counts, not outside it, and was counted there
                raise ValueError(f"pair_histogram: {name} must be >= 0 (offsets into counts), "
                                 f"not {int(value.min())}")
            arrays.append(value)
        if any(a.shape != (len(positions),) for a in arrays):
            raise ValueError("first_code, second_code and mol need one entry per atom")
        if (not isinstance(counts, np.ndarray) or counts.dtype != np.int64
                or not counts.flags.c_contiguous or not counts.flags.writeable):
            raise ValueError("counts must be a contiguous, writeable int64 numpy array")
        if (isinstance(num_threads, bool) or not isinstance(num_threads, (int, np.integer))
                or num_threads < 1):
            raise ValueError(f"pair_histogram: num_threads must be an integer >= 1, "
                             f"not {num_threads!r}")
        copies = (int(num_threads) - 1) * counts.size * 8
        if copies > MAX_THREAD_COPY_BYTES:
            raise ValueError(
                f"pair_histogram: num_threads = {num_threads} would need {copies / 2**30:.1f} "
                f"GiB of private histograms ({counts.size} bins each; limit "
                f"{MAX_THREAD_COPY_BYTES / 2**30:.0f} GiB); use fewer threads or bins")
        error = ctypes.create_string_buffer(256)
        status = self._fn(len(positions), positions.ctypes.data, cell.ctypes.data,
                          float(edges[0]), float(edges[-1]), edges.size - 1, edges.ctypes.data,
                          arrays[0].ctypes.data, arrays[1].ctypes.data, arrays[2].ctypes.data,
                          int(row), counts.ctypes.data, counts.size, int(num_threads),
                          MAX_CELL_WIDTHS, error, len(error))
        if status != 0:
            raise ValueError(error.value.decode() or "pair_histogram failed")
        return counts


def _lower_triangular(positions, cell):
    """Positions and cell rotated (or reflected) so that the cell is lower triangular with a
    positive diagonal; the engine's grid needs it, and pair distances are unchanged."""
    if not np.all(np.isfinite(cell)) or abs(np.linalg.det(cell)) == 0.0:
        raise ValueError("the cell has no volume or non-finite entries")
    q, u = np.linalg.qr(cell.T)
    signs = np.where(np.diag(u) < 0, -1.0, 1.0)
    q = q * signs
    lower = (u * signs[:, None]).T
    # exact zeros above the diagonal (QR leaves them zero up to rounding)
    lower = np.ascontiguousarray(np.tril(lower))
    return np.ascontiguousarray(positions @ q), lower


@lru_cache(maxsize=1)
def pair_histogram_kernel():
    """The compiled kernel, built on first use; ``None`` where it cannot be built."""
    # "=0" keeps the kernel (it turned it off: any value did)
    if switch_on("MDA_ELECTROLYTE_NO_KERNEL"):
        return None
    try:
        path = _build()
        return None if path is None else PairHistogramKernel(path)
    except (native_build.NativeBuildError, OSError) as err:
        # the vesin path gives the same counts, only slower: say why, do not fail
        warnings.warn(f"the compiled pair histogram is not used ({err}); the RDF uses vesin",
                      RuntimeWarning, stacklevel=2)
        return None
