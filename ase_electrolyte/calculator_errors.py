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


def check_finite(results, atoms, source):
    """Raise :class:`NonFiniteResult` on any non-finite entry of ``results``.

    Models give NaN for coincident atoms (a zero-length edge), never an error: the NaN would
    otherwise be integrated by MD or averaged into an analysis. The message names the closest
    pair of atoms, the usual cause.
    """
    bad = [key for key, value in results.items() if not np.all(np.isfinite(value))]
    if not bad:
        return
    where = ""
    if len(atoms) > 1:
        distances = atoms.get_all_distances(mic=bool(atoms.pbc.any()))
        np.fill_diagonal(distances, np.inf)
        i, j = np.unravel_index(np.argmin(distances), distances.shape)
        where = (
            f"; closest atoms {atoms[i].symbol}{i}-{atoms[j].symbol}{j} at "
            f"{distances[i, j]:.3g} Å"
        )
    raise NonFiniteResult(f"{source} returned non-finite {', '.join(bad)}{where}")
