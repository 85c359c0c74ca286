"""The errors our ASE calculators raise: ASE's classes, kept catchable as before.

ASE's :class:`ase.calculators.calculator.InputError` is a ``RuntimeError``, while this package
(and code written against it) has always raised ``ValueError`` for a bad option or structure.
:class:`InputError` is both, so ``except InputError`` (ASE's), ``except ValueError`` and
``except RuntimeError`` all catch it. Likewise :class:`NonFiniteResult` is ASE's
:class:`~ase.calculators.calculator.CalculationFailed` and a ``FloatingPointError``.

Examples
--------
>>> from ase.calculators import calculator as ase_calculator
>>> from ase_electrolyte.calculator_errors import InputError
>>> issubclass(InputError, ase_calculator.InputError) and issubclass(InputError, ValueError)
True
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from ase.calculators.calculator import CalculationFailed
from ase.calculators.calculator import InputError as _AseInputError

__all__ = ["InputError", "NonFiniteResult", "CalculationFailed", "input_errors", "check_finite"]


class InputError(_AseInputError, ValueError):
    """A bad calculator option or a structure the calculator refuses (before any evaluation)."""


class NonFiniteResult(CalculationFailed, FloatingPointError):
    """An evaluation gave a NaN or infinite energy, force or stress."""


@contextmanager
def input_errors(prefix=""):
    """Re-raise ``ValueError``/``TypeError`` from option or structure checks as :class:`InputError`.

    The message is kept (with ``prefix`` in front), the original is chained.
    """
    try:
        yield
    except InputError:
        raise
    except (ValueError, TypeError) as err:
        raise InputError(f"{prefix}{err}") from err


def _closest_pair(atoms):
    """``(i, j, distance)`` of the closest two atoms (periodic images included; ``i == j`` for
    an atom and its own image), or ``None`` for a single atom without images.

    Found by the k-d tree search of the overlap check in growing spheres, O(N log N): the
    full distance matrix it replaces (``atoms.get_all_distances(mic=True)``) took 28 s and
    1 GB for 1000 atoms and 14.6 GB for 4000, so a NaN in a production box ended in an
    out-of-memory kill instead of this error.
    """
    from .d3.calculator import _close_pairs

    positions = np.asarray(atoms.positions, dtype=float)
    cell = np.asarray(atoms.cell[:], dtype=float)
    pbc = np.asarray(atoms.pbc, dtype=bool) & (np.linalg.norm(cell, axis=1) > 0)
    if not np.isfinite(positions).all() or not np.isfinite(cell).all():
        return None
    # no pair lies farther apart than the structure's extent plus a periodic cell's diagonal
    reach = float(np.linalg.norm(np.ptp(positions, axis=0)) if len(positions) else 0.0)
    reach += float(np.abs(cell[pbc]).sum())
    radius = 0.5
    while True:
        pairs = _close_pairs(positions, cell, pbc, radius)
        if pairs:
            return min(pairs, key=lambda pair: pair[2])
        if radius > reach:
            return None
        radius *= 2.0


def check_finite(results, atoms, source):
    """Raise :class:`NonFiniteResult` on any non-finite entry of ``results``.

    Models give NaN for coincident atoms (a zero-length edge), never an error: the NaN would
    otherwise be integrated by MD or averaged into an analysis. The message names the closest
    pair of atoms (periodic images included), the usual cause; finding it takes O(N log N)
    time and O(N) memory.
    """
    bad = [key for key, value in results.items() if not np.all(np.isfinite(value))]
    if not bad:
        return
    where = ""
    pair = _closest_pair(atoms)
    if pair is not None:
        i, j, distance = pair
        own = " (its own periodic image)" if i == j else ""
        where = (
            f"; closest atoms {atoms[i].symbol}{i}-{atoms[j].symbol}{j}{own} at "
            f"{distance:.3g} Å"
        )
    raise NonFiniteResult(f"{source} returned non-finite {', '.join(bad)}{where}")
