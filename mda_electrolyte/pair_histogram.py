"""Compiled histogram of all pair distances of a frame, by atom class and intra/intermolecular.

:class:`~mda_electrolyte.rdf.IntraInterRDF` needs, per frame, every pair within ``r_max``
binned by the classes of its two atoms, by whether they share a molecule and by distance. A
general neighbour list (vesin) writes every pair out (about 630 000 per frame for a 7000-atom
electrolyte at 8 Å) and numpy then reads them back several times; that writing and reading is
most of the time. ``csrc/pair_histogram.cpp`` does the search (cell lists for any triclinic cell)
and the counting in one pass, with the same double-precision distances and numpy.histogram's
bin assignment, so the counts are those of the vesin path (tested).

The kernel is compiled with the C++ compiler on first use (``$CXX``, g++, c++ or clang++) and
kept in the ``mda_electrolyte`` folder of the build cache of :mod:`ase_electrolyte.native_build`
(``$ASE_ELECTROLYTE_CACHE``, else ``~/.cache/ase_electrolyte``), keyed by a hash of the source,
the flags and the CPU, with its checksum verified on every load. Without a compiler and a
valid cached build, :func:`pair_histogram_kernel` returns ``None`` and the RDF uses vesin; a
compile that fails does the same with a ``RuntimeWarning`` giving the compiler's error.
"""

from __future__ import annotations

import ctypes
import os
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from ase_electrolyte import native_build

__all__ = ["pair_histogram_kernel", "PairHistogramKernel"]

SOURCE = Path(__file__).parent / "csrc" / "pair_histogram.cpp"
FLAGS = ("-O3", "-march=native", "-std=c++17", "-shared", "-fPIC")
CACHE_SUBDIR = "mda_electrolyte"
_P = ctypes.c_void_p


def _build():
    """Path of the compiled kernel (built into the cache if there is no valid build).

    None where there is no compiler and no valid cached build.
    """
    compiler = native_build.find_cxx(required=False)
    try:
        return native_build.build_library(
            compiler, (SOURCE.name,), FLAGS, source_dir=SOURCE.parent, name="pair_histogram",
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
        fn.argtypes = [ctypes.c_int64, _P, _P, _P, ctypes.c_double, ctypes.c_double,
                       ctypes.c_int64, _P, _P, _P, _P, ctypes.c_int64, _P, ctypes.c_int64,
                       ctypes.c_char_p, ctypes.c_int]
        fn.restype = ctypes.c_int
        self._fn = fn

    def __call__(self, positions, cell, edges, first_code, second_code, mol, row, counts):
        """Add the pair counts of one frame to ``counts`` (int64, modified in place).

        Parameters
        ----------
        positions : numpy.ndarray, shape (n, 3)
            Coordinates in Å (any image).
        cell : numpy.ndarray, shape (3, 3)
            Lattice vectors as rows, Å; ``edges[-1]`` at most half the smallest face distance.
        edges : numpy.ndarray, shape (nbins + 1,)
            Bin edges in Å, evenly spaced.
        first_code, second_code, mol : numpy.ndarray of int64, shape (n,)
            Pair ``(i, j)`` with ``i < j`` adds to ``counts[first_code[i] + second_code[j]
            + (mol[i] != mol[j]) * row + bin]``.
        row : int
        counts : numpy.ndarray of int64
        """
        positions = np.ascontiguousarray(positions, dtype=np.float64)
        cell = np.ascontiguousarray(cell, dtype=np.float64)
        inverse = np.ascontiguousarray(np.linalg.inv(cell))
        edges = np.ascontiguousarray(edges, dtype=np.float64)
        arrays = [np.ascontiguousarray(a, dtype=np.int64) for a in (first_code, second_code, mol)]
        if counts.dtype != np.int64 or not counts.flags.c_contiguous:
            raise ValueError("counts must be a contiguous int64 array")
        error = ctypes.create_string_buffer(256)
        status = self._fn(len(positions), positions.ctypes.data, cell.ctypes.data,
                          inverse.ctypes.data, float(edges[0]), float(edges[-1]),
                          edges.size - 1, edges.ctypes.data, arrays[0].ctypes.data,
                          arrays[1].ctypes.data, arrays[2].ctypes.data, int(row),
                          counts.ctypes.data, counts.size, error, len(error))
        if status != 0:
            raise ValueError(error.value.decode() or "pair_histogram failed")
        return counts


@lru_cache(maxsize=1)
def pair_histogram_kernel():
    """The compiled kernel, built on first use; ``None`` where it cannot be built."""
    if os.environ.get("MDA_ELECTROLYTE_NO_KERNEL"):
        return None
    try:
        path = _build()
        return None if path is None else PairHistogramKernel(path)
    except (native_build.NativeBuildError, OSError) as err:
        # the vesin path gives the same counts, only slower: say why, do not fail
        warnings.warn(f"the compiled pair histogram is not used ({err}); the RDF uses vesin",
                      RuntimeWarning, stacklevel=2)
        return None
