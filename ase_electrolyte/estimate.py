r"""One reported number: value, one-sigma error, unit, how the error was obtained, verdict.

Every scalar the analyses report is an :class:`Estimate` (after kinisi's ``Distribution``,
scaled down to what a report needs): the value and its standard error in one unit, the method
that produced the error, the number of independent samples behind it, and a validity verdict —
``converged=True`` (valid), or ``False`` with the reasons in ``notes`` (too short, too coarse,
not converged, too few ions). JSON and HTML reports serialise it through :meth:`Estimate.to_dict`
only, so every report says the same thing about a number.

Examples
--------
>>> from ase_electrolyte.estimate import Estimate
>>> sigma = Estimate(1.02, 0.08, "S/m", method="t-scaled standard error over 10 blocks",
...                  n_samples=10)
>>> print(sigma)
1.020 ± 0.080 S/m (valid)
>>> print(sigma.to("mS/cm"))
10.20 ± 0.80 mS/cm (valid)
>>> bad = Estimate(96.0, 21.0, "S/m", method="t-scaled standard error over 5 blocks",
...                n_samples=5, converged=False, notes=("too coarse: 100 fs frames",))
>>> bad.verdict
'too coarse: 100 fs frames'
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, replace
from decimal import Decimal

from .atoms_checks import check_flag
from .units import convert

__all__ = ["Estimate", "estimates_to_dict", "mark_not_valid"]

#: Methods by which an uncertainty is obtained, for ``Estimate.method`` (free text is allowed;
#: these are the phrases the packages use so reports read alike).
METHODS = {
    "blocks": "t-scaled standard error over {n} contiguous blocks",
    "replicas": "t-scaled standard error over {n} independent runs",
    "inefficiency": "statistical inefficiency of the time series (pymbar), t-scaled",
    "propagated": "propagated from the errors of its inputs (first order)",
    "fit": "least-squares fit covariance",
    "ions": "t-scaled standard error over {n} ions",
    "none": "no uncertainty available",
}


@dataclass(frozen=True)
class Estimate:
    """A value with its one-sigma uncertainty, unit, provenance of the error and verdict.

    Parameters
    ----------
    value : float
        The estimate, in ``unit``.
    stderr : float
        One-sigma uncertainty in ``unit`` (``nan`` only when ``method`` says none is
        available; such an estimate cannot be ``converged``).
    unit : str
        A unit known to :func:`ase_electrolyte.units.convert` (``"S/m"``, ``"Å^2/ps"``,
        ``"mPa·s"``, ``"g/cm^3"``, ``"1"`` for dimensionless, ...).
    method : str
        How ``stderr`` was obtained, e.g. ``"t-scaled standard error over 10 blocks"``.
    n_samples : int
        Independent samples (blocks, runs, ions, effective samples) behind ``stderr``.
    converged : bool
        The validity verdict: ``True`` when the number can be presented as a result.
    notes : tuple of str
        Why it is not valid (when ``converged`` is False) and caveats worth reading.

    Raises
    ------
    ValueError
        A non-finite ``value`` marked converged, a negative ``stderr`` (an unknown error is
        ``nan``), a non-finite ``stderr`` marked converged, an unknown unit, or
        ``converged=False`` without a note saying why.
    """

    value: float
    stderr: float
    unit: str
    method: str
    n_samples: int = 0
    converged: bool = True
    notes: tuple = field(default_factory=tuple)

    def __post_init__(self):
        # None, a flag or a string ("1e3" from a hand-edited summary) is no number: refused by
        # name, never float()'s bare TypeError (NaN and inf pass: a missing value or error)
        object.__setattr__(self, "value", _real("value", self.value))
        # -0.0 (a sign flip of a zero spread) would be written "stderr": -0.0 in the JSON form
        object.__setattr__(self, "stderr", _real("stderr", self.stderr) + 0.0)
        object.__setattr__(self, "n_samples", _count(self.n_samples))
        if not isinstance(self.method, str):
            # html.escape and the reports' text would fail on it later
            raise ValueError(f"method must be a text saying how the error was obtained, not "
                             f"{self.method!r}")
        # "no" or "false" (e.g. from a hand-edited summary.json) would be truthy
        check_flag("converged", self.converged)
        object.__setattr__(self, "converged", bool(self.converged))
        notes = (self.notes,) if isinstance(self.notes, str) else tuple(self.notes)
        object.__setattr__(self, "notes", tuple(str(n) for n in notes))
        convert(1.0, self.unit, self.unit)  # unknown units fail here, not in a report
        if self.stderr < 0:
            # printed as "1 ± -0.1"; an unknown error is NaN, never a negative number
            raise ValueError(f"an error must be non-negative, not stderr = {self.stderr} "
                             f"{self.unit} (an unknown error is nan)")
        if self.converged:
            if not math.isfinite(self.value):
                raise ValueError(f"a non-finite value ({self.value}) cannot be a valid estimate")
            if not (math.isfinite(self.stderr) and self.stderr >= 0):
                raise ValueError(
                    f"a valid estimate needs a finite, non-negative error, not stderr = "
                    f"{self.stderr}"
                )
        elif not any(n.strip() for n in self.notes):
            # an empty note made the verdict '' and the report read "1.0 ± 0.1 S/m ()"
            raise ValueError("an estimate that is not valid must say why (notes=...)")

    @classmethod
    def invalid(cls, value, stderr, unit, method, reason, n_samples=0):
        """An estimate marked not valid, with ``reason`` as its verdict."""
        return cls(value, stderr, unit, method, n_samples, converged=False, notes=(reason,))

    @property
    def valid(self):
        """Same as ``converged``: whether the number may be presented as a result."""
        return self.converged

    @property
    def verdict(self):
        """``"valid"``, or the reasons the number is not (the notes, joined)."""
        return "valid" if self.converged else "; ".join(self.notes)

    @property
    def relative_error(self):
        """``stderr / |value|`` (``inf`` for a zero value)."""
        return self.stderr / abs(self.value) if self.value else math.inf

    def to(self, unit):
        """The same estimate in another unit of the same dimension."""
        return replace(self, value=convert(self.value, self.unit, unit),
                       stderr=convert(self.stderr, self.unit, unit), unit=unit)

    def with_notes(self, *notes, converged=None):
        """A copy with ``notes`` appended (and the verdict set when ``converged`` is given)."""
        return replace(self, notes=self.notes + tuple(notes),
                       converged=self.converged if converged is None else converged)

    def to_dict(self):
        """JSON-ready dict: value, stderr, unit, method, n_samples, converged, verdict, notes.

        Non-finite numbers become ``None`` (JSON has no NaN).
        """
        return {
            "value": json_number(self.value),
            "stderr": json_number(self.stderr),
            "unit": self.unit,
            "method": self.method,
            "n_samples": self.n_samples,
            "converged": self.converged,
            "verdict": self.verdict,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`.

        ``None`` (JSON's ``null``) reads as NaN, so an infinite value comes back as a missing
        one. An invalid estimate whose ``notes`` were lost keeps its ``verdict`` as the reason.

        Raises
        ------
        ValueError
            Not a dict, a missing key (named), or content an Estimate refuses.
        """
        if not isinstance(data, dict):
            raise ValueError(f"an estimate's dict form is a dict, not {type(data).__name__}")
        missing = [k for k in ("value", "stderr", "unit", "method", "converged") if k not in data]
        if missing:
            raise ValueError(f"an estimate's dict form lacks {', '.join(missing)}: {data!r}")
        nan = float("nan")
        # a single note as text is one note, not one note per character
        notes = data.get("notes") or ()
        notes = (notes,) if isinstance(notes, str) else tuple(notes)
        verdict = data.get("verdict")
        if data["converged"] is False and not notes and isinstance(verdict, str) and verdict:
            notes = (verdict,)
        return cls(
            nan if data["value"] is None else data["value"],
            nan if data["stderr"] is None else data["stderr"],
            data["unit"], data["method"], data.get("n_samples", 0),
            data["converged"], notes,
        )

    def _identity(self):
        # NaN (a missing value or error) equals NaN here: an estimate read back from its JSON
        # form compared unequal to itself, and two equal ones hashed apart
        return tuple("nan" if isinstance(x, float) and math.isnan(x) else x for x in (
            self.value, self.stderr, self.unit, self.method, self.n_samples, self.converged,
            self.notes))

    def __eq__(self, other):
        if not isinstance(other, Estimate):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self):
        return hash(self._identity())

    def __float__(self):
        return self.value

    def __format__(self, spec):
        if not spec:
            return str(self)
        unit = "" if self.unit == "1" else f" {self.unit}"
        body = self._body(lambda x: _unsigned_zero(format(x, spec)))
        if _hides_error(self.stderr, spec):
            # f"{sigma:.2f}" of 1.23 ± 0.0004 read "1.23 ± 0.00": an error rounded away reads
            # as an exact number, so the spec gives way to the error's own two digits
            body = self.number_text()
        text = f"{body}{unit}"
        # a formatted number that is not valid still says so: f"{sigma:.2f}" must not read as
        # a result
        return text if self.converged else f"{text} ({self.verdict})"

    def __str__(self):
        unit = "" if self.unit == "1" else f" {self.unit}"
        return f"{self.number_text()}{unit} ({self.verdict})"

    def number_text(self):
        """``"1.020 ± 0.080"``: value and error to the error's second significant digit.

        Magnitudes below 10⁻³ or from 10⁶ on share one power of ten,
        ``"(1.38 ± 0.10)e-08"``, so a diffusion coefficient in m²/s is not a row of zeros; a
        missing value or error is written in words (``"no value"``, ``"1.5 ± ? (error
        unknown)"``). The one form of the number the terminal, JSON-derived and HTML reports
        print.
        """
        value, err = self.value, self.stderr
        if not (math.isfinite(value) and math.isfinite(err)):
            return self._body(lambda x: f"{x:.6g}")
        scale = max(abs(value), err)
        exponent = int(math.floor(math.log10(scale))) if scale > 0 else 0
        if -3 <= exponent < 6:
            exponent = 0
        value, err = _scaled(value, exponent), _scaled(err, exponent)
        if err > 0:
            digits = max(0, 1 - int(math.floor(math.log10(err))))
            if digits and round(err, digits) >= 10.0 ** (2 - digits):
                # 0.0996 rounds up to 0.100: two significant digits of it are "0.10"
                digits -= 1
            # at most 9 significant digits of the value; an error below them in its own form
            lead = int(math.floor(math.log10(abs(value)))) if value else 0
            digits = min(digits, max(0, 8 - lead))
            err_text = f"{err:.{digits}f}" if round(err, digits) > 0 else f"{err:.2g}"
            body = f"{_unsigned_zero(f'{value:.{digits}f}')} ± {err_text}"
        else:
            body = f"{_unsigned_zero(f'{value:.6g}')} ± 0"
        return body if exponent == 0 else f"({body})e{exponent:+03d}"

    def _body(self, fmt):
        # a number without a value or an error is written out in words, never as "nan ± nan"
        if not math.isfinite(self.value):
            return "no value"
        if not math.isfinite(self.stderr):
            return f"{fmt(self.value)} ± ? (error unknown)"
        return f"{fmt(self.value)} ± {fmt(self.stderr)}"


def mark_not_valid(tree, note):
    """``tree`` with every :class:`Estimate` in it marked not valid, ``note`` added to its notes.

    For numbers that share a cause of doubt found after they were computed (a shell cutoff
    that is not significant, labels of doubtful units): each keeps its own notes and gets this
    one. Dicts, lists and tuples are entered and rebuilt; anything else is returned as it is.
    ``tree`` itself is not changed.

    Examples
    --------
    >>> from ase_electrolyte.estimate import Estimate, mark_not_valid
    >>> cn = Estimate(4.1, 0.1, "", "blocks", n_samples=40)
    >>> marked = mark_not_valid({"Li": [cn]}, "cutoff not significant")
    >>> marked["Li"][0].valid, marked["Li"][0].notes, cn.valid
    (False, ('cutoff not significant',), True)
    """
    if isinstance(tree, Estimate):
        return tree.with_notes(note, converged=False)
    if isinstance(tree, dict):
        return {k: mark_not_valid(v, note) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)) and not hasattr(tree, "_fields"):
        return type(tree)(mark_not_valid(v, note) for v in tree)
    return tree


def _real(name, x):
    """``x`` as a float (NaN and infinities kept), or a ValueError naming the field."""
    scalar = x.item() if hasattr(x, "ndim") and getattr(x, "ndim", None) == 0 else x
    if isinstance(scalar, bool) or not isinstance(scalar, numbers.Real):
        raise ValueError(f"an estimate's {name} must be a number (NaN when unknown), not {x!r}")
    return float(scalar)


def _count(n):
    """``n_samples`` as an int: a finite, non-negative number (effective samples rounded down)."""
    x = _real("n_samples", n)
    if not (math.isfinite(x) and x >= 0):
        raise ValueError(f"an estimate's n_samples must be a finite number >= 0, not {n!r}")
    return int(x)


def _unsigned_zero(text):
    """``text`` without the sign of a number that reads as zero: ``-0.0001`` to two decimals
    (or ``-0.0``) is printed ``"0.00"``, never ``"-0.00"``."""
    if text.lstrip().startswith("-") and not any(c in "123456789" for c in text.split("e")[0]
                                                 .split("E")[0]):
        return text.replace("-", "", 1)
    return text


def _hides_error(err, spec):
    """Whether ``format(err, spec)`` writes a finite, non-zero error as zero."""
    if not (math.isfinite(err) and err > 0):
        return False
    try:
        shown = float(format(err, spec).strip().replace(",", "").replace("_", "").rstrip("%"))
    except ValueError:  # a spec whose text is no plain number: not judged
        return False
    return shown == 0


def _scaled(x, exponent):
    """``x / 10**exponent`` without overflowing or dividing by zero at the ends of the float
    range (``10.0**-324`` is 0: a subnormal value's ``str`` raised ZeroDivisionError)."""
    return float(Decimal(x).scaleb(-exponent))


def json_number(x):
    """``float(x)`` when it is a finite number, else ``None`` (JSON's ``null``; JSON has no NaN).

    For the plain numbers written beside Estimates (whose :meth:`Estimate.to_dict` does the
    same): a number that is not one is written as absent, never as a bare ``NaN`` token.
    """
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _is_object_array(obj):
    """Whether ``obj`` is a NumPy object array (masked ones too), without importing NumPy for
    summaries that hold none."""
    import sys

    np = sys.modules.get("numpy")
    return np is not None and isinstance(obj, np.ndarray) and obj.dtype == object


def estimates_to_dict(obj):
    """Replace every :class:`Estimate` in a nested dict/list by its :meth:`~Estimate.to_dict`.

    The one serialiser the JSON and HTML reports use.

    Raises
    ------
    ValueError
        A dict or list that contains itself, or nesting too deep or too wide to be written
        (:func:`~ase_electrolyte.html_report.check_report_tree`); the path is named. Before,
        a dict holding itself ended in RecursionError.
    """
    from .html_report import check_report_tree  # the one walk that names such trees

    check_report_tree(obj, "estimates")
    return _estimates_to_dict(obj)


def _estimates_to_dict(obj):
    if isinstance(obj, Estimate):
        return obj.to_dict()
    if isinstance(obj, dict):
        return {k: _estimates_to_dict(v) for k, v in obj.items()}
    if _is_object_array(obj):
        # json would write an Estimate in it as its bare float value: a number without its
        # error and verdict
        obj = obj.tolist()
    if isinstance(obj, (list, tuple)):
        return [_estimates_to_dict(v) for v in obj]
    return obj
