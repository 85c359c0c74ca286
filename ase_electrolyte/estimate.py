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
>>> blocks = Estimate(1.02, 0.08, "S/m", method="t-scaled standard error over 10 blocks",
...                   n_samples=10, dof=9)
>>> [round(x, 3) for x in blocks.interval(0.95)]  # t(9): 2.26/1.06 standard errors
[0.849, 1.191]
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
from .units import convert, dimension

__all__ = ["Estimate", "estimates_to_dict", "mark_not_valid", "propagated_dof"]

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
    "given": "given",
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
    dof : float or None
        Degrees of freedom of the Student-t distribution the error follows, when it was
        estimated from the scatter of few samples: ``n - 1`` for a mean over ``n`` blocks,
        segments, runs or ions, points minus parameters for a fit. ``stderr`` is then the
        t-scaled one-sigma error (the half-width of the 68.27 % interval,
        :func:`mda_electrolyte.uncertainty.t_factor`), and :meth:`interval` widens it with
        the quantiles of t(``dof``). ``None`` (the default): the error is taken as normal
        (many samples, propagated, given).
    interval_scale : {"linear", "log", "gamma"}
        The scale on which :meth:`interval` is symmetric. ``"linear"`` (the default):
        ``value ± half``. ``"log"``, for a quantity positive by nature whose sampling
        distribution is right-skewed (a Green–Kubo or Einstein–Helfand conductivity, a
        diffusion coefficient, a viscosity: means of few quadratic forms of a current):
        ``value · exp(± half / value)``, the delta-method interval of ``log value``, which
        reaches further above the value than below it. ``stderr`` is the same one-sigma error
        on either scale. A ``"log"`` estimate needs a positive value (NaN allowed).
        ``"gamma"``, for a mean of a few positive values that are themselves strongly skewed
        (each ion's MSD slope over one trajectory: relative spread about 0.8, skewness about
        1.5): the interval of a gamma-distributed mean of relative error ``r = half / (value ·
        z_q)``, ``(value · ν / χ²_q(ν), value · ν / χ²_{1-q}(ν))`` with ``ν = 2 / r²``. Such a
        mean is itself left-skewed on the log scale, where a symmetric interval still missed
        mostly on one side. Needs a positive value, as ``"log"``.
    given : bool
        Whether the number was given (a setting such as ``electrolyte analyze --temperature``,
        or an input a user supplied with its error), not measured by the package: it is
        shown as given, never as a result. Made by :meth:`given_value`; ``False`` (the
        default) for every measured number.

    Raises
    ------
    ValueError
        A non-finite ``value`` marked converged, a negative ``stderr`` (an unknown error is
        ``nan``), a non-finite ``stderr`` marked converged, an unknown unit, or
        ``converged=False`` without a note saying why, a ``dof`` that is not a number
        of at least 1, or an ``interval_scale`` other than ``"linear"``, ``"log"`` and
        ``"gamma"`` (or ``"log"``/``"gamma"`` with a value that is not positive), or a
        ``given`` that is no flag, or given with a value that is not finite.
    """

    value: float
    stderr: float
    unit: str
    method: str
    n_samples: int = 0
    converged: bool = True
    notes: tuple = field(default_factory=tuple)
    dof: float | None = None
    interval_scale: str = "linear"
    given: bool = False

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
        check_flag("given", self.given)
        object.__setattr__(self, "given", bool(self.given))
        if self.given and not math.isfinite(self.value):
            # a setting without a value is no setting: the caller's input was not checked
            raise ValueError(f"a given value must be a finite number, not {self.value}")
        notes = (self.notes,) if isinstance(self.notes, str) else tuple(self.notes)
        object.__setattr__(self, "notes", tuple(str(n) for n in notes))
        if not (type(self.unit) is str and self.unit in _KNOWN_UNITS):
            # unknown units fail here, not in a report (a unit once known is not looked up again:
            # analyses make many estimates in few units)
            dimension(self.unit)
            _KNOWN_UNITS.add(self.unit)
        if self.dof is not None:
            try:
                dof = _real("dof", self.dof)
            except ValueError:
                dof = math.nan
            if not (dof >= 1 and math.isfinite(dof)):
                # t(0) has no quantiles; an infinite dof is the normal case, written None
                raise ValueError(f"an estimate's dof (degrees of freedom of its error) must be "
                                 f"a finite number >= 1, or None for a normal error, not "
                                 f"{self.dof!r}")
            object.__setattr__(self, "dof", dof)
        if not (isinstance(self.interval_scale, str) and self.interval_scale in _INTERVAL_SCALES):
            raise ValueError(f"an estimate's interval_scale is one of "
                             f"{', '.join(_INTERVAL_SCALES)}, not {self.interval_scale!r}")
        if self.interval_scale in ("log", "gamma") and not (self.value > 0
                                                            or math.isnan(self.value)):
            # the interval value · exp(± half / value) has no meaning at or below zero
            raise ValueError(f"an estimate on the log scale needs a positive value, not "
                             f"{self.value} {self.unit} (interval_scale='linear' for a signed "
                             f"quantity)")
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
    def given_value(cls, value, unit, stderr=0.0, *, source=None):
        """A number given to the package (a setting, or an input with its error), not measured.

        The one way a given number is made: reports show it as given, never as a result
        with a verdict of its own (:attr:`given`), whatever its method text says.

        Parameters
        ----------
        value : float
            The number, in ``unit`` (finite).
        unit : str
            Its unit.
        stderr : float
            Its one-sigma error in ``unit`` as given (0 for a setting used as it is).
        source : str, optional
            Where it was given (``"temperature=, electrolyte analyze --temperature"``),
            written in the method after ``"given"``.

        Examples
        --------
        >>> from ase_electrolyte.estimate import Estimate
        >>> t = Estimate.given_value(300, "K", source="electrolyte analyze --temperature")
        >>> t.given, t.method, t.stderr
        (True, 'given (electrolyte analyze --temperature)', 0.0)
        >>> Estimate.from_dict(t.to_dict()) == t
        True
        """
        if source is not None and not (isinstance(source, str) and source.strip()):
            raise ValueError(f"source says where a value was given, as a text, not {source!r}")
        method = METHODS["given"] + ("" if source is None else f" ({source.strip()})")
        return cls(value, stderr, unit, method, given=True)

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

    def interval(self, level=0.95, *, allow_invalid=False):
        """Two-sided confidence interval ``(low, high)`` in ``unit`` at ``level``.

        With ``dof`` known the half-width is ``stderr · t_q(dof) / t_0.8413(dof)`` with
        ``q = (1 + level) / 2``: ``stderr`` is already the t-scaled one-sigma error, so a 95 %
        interval over 10 blocks is 2.26 / 1.06 = 2.13 standard errors wide on each side, not the
        normal 1.96. Without ``dof`` the normal quantile ``z_q`` is used (``stderr · 1.96`` at
        95 %). With ``interval_scale="log"`` the same half-width is taken on ``log value``:
        ``(value · exp(-half / value), value · exp(half / value))``; with ``"gamma"`` it is the
        interval of a gamma-distributed mean of that relative error (see the class's
        ``interval_scale``).

        Parameters
        ----------
        level : float
            Coverage, strictly between 0 and 1.
        allow_invalid : bool
            Also give the interval of an estimate that is not valid (its bounds lose the verdict,
            so this is refused by default).

        Returns
        -------
        (float, float)

        Raises
        ------
        ValueError
            A level outside (0, 1), an unknown error (``stderr`` NaN) or value, an estimate
            that is not valid (named with its verdict) unless ``allow_invalid``, or bounds
            beyond the float range.
        """
        from .atoms_checks import check_number

        check_flag("allow_invalid", allow_invalid)
        given = level
        try:
            level = check_number("level", level)
        except ValueError:
            level = math.nan
        if not 0.0 < level < 1.0:
            # 1 (or 95 for a percentage) would be an infinite interval, 0 an empty one
            raise ValueError(f"an interval's level is a coverage strictly between 0 and 1 "
                             f"(95 % is 0.95), not {given!r}")
        if not (self.converged or allow_invalid):
            raise ValueError(f"{self} is not valid ({self.verdict}): its interval is no result "
                             "(allow_invalid=True to have it anyway)")
        if not (math.isfinite(self.value) and math.isfinite(self.stderr)):
            raise ValueError(f"{self} has no interval: its value or error is unknown")
        half = self.stderr * _sigma_multiple(level, self.dof)
        if self.interval_scale == "log":
            # a mean of few skewed positive segment values that came out low also scatters
            # little: symmetric intervals missed mostly on the low side (see the module text)
            spread = half / self.value
            low = self.value * math.exp(-spread)
            high = self.value * math.exp(spread) if spread < 700.0 else math.inf
        elif self.interval_scale == "gamma":
            from scipy import stats

            q = 0.5 * (1.0 + level)
            # the half-width's relative error at one normal sigma: a gamma mean of shape ν/2
            # has relative spread sqrt(2/ν)
            relative = half / (self.value * stats.norm.ppf(q))
            nu = 2.0 / relative**2 if relative > 0 else math.inf
            if math.isinf(nu):
                low = high = self.value
            else:
                low = self.value * nu / stats.chi2.ppf(q, nu)
                lower_quantile = stats.chi2.ppf(1.0 - q, nu)
                high = self.value * nu / lower_quantile if lower_quantile > 0 else math.inf
        else:
            low, high = self.value - half, self.value + half
        if not (math.isfinite(low) and math.isfinite(high)):
            # 1e308 ± 1e308 at 99 %: bounds beyond the float range are no interval
            raise ValueError(f"the {level:.4g} interval of {self} overflows the float range")
        return low, high

    def reaches_zero(self, level=0.95):
        """Whether the symmetric (linear-scale) ``level`` interval of the value reaches zero
        or beyond, whatever ``interval_scale`` says.

        A quantity divided by this one (``1/η`` in the Yeh–Hummer term) then has no bounded
        interval (Fieller 1954), and its first-order error means nothing: η = 0.9 ± 5 mPa·s
        gave a Yeh–Hummer term of 0.017 ± 0.096 Å²/ps. The half-width is :meth:`interval`'s
        (t-scaled with ``dof``); an unknown value or error reaches zero (nothing bounds it).

        Parameters
        ----------
        level : float
            Coverage, strictly between 0 and 1.

        Returns
        -------
        bool
        """
        if not (math.isfinite(self.value) and math.isfinite(self.stderr)):
            return True
        low, high = replace(self, interval_scale="linear").interval(level, allow_invalid=True)
        return low <= 0.0 <= high

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

        Non-finite numbers become ``None`` (JSON has no NaN). ``dof`` is written only when
        known, ``interval_scale`` only when it is not ``"linear"`` and ``given`` only when true, so
        the dict of a normal, symmetric, measured error is the same as before they existed.
        """
        out = {
            "value": json_number(self.value),
            "stderr": json_number(self.stderr),
            "unit": self.unit,
            "method": self.method,
            "n_samples": self.n_samples,
            "converged": self.converged,
            "verdict": self.verdict,
            "notes": list(self.notes),
        }
        if self.dof is not None:
            out["dof"] = self.dof
        if self.interval_scale != "linear":
            out["interval_scale"] = self.interval_scale
        if self.given:
            out["given"] = True
        return out

    @classmethod
    def from_dict(cls, data):
        """Inverse of :meth:`to_dict`.

        ``None`` (JSON's ``null``) reads as NaN, so an infinite value comes back as a missing
        one. An invalid estimate whose ``notes`` were lost keeps its ``verdict`` as the reason.
        A dict without ``"given"`` (written before it existed) is given when its method starts
        with ``"given"`` and its error is 0, the reading reports made of such files then.

        Raises
        ------
        ValueError
            Not a dict, a missing key (named), content an Estimate refuses, or a ``verdict``
            that contradicts ``converged`` (a reason beside ``converged: true``; "valid"
            beside ``converged: false`` and no notes to say why not).
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
        if verdict is not None and not isinstance(verdict, str):
            raise ValueError(f"an estimate's verdict is a text, not {verdict!r}")
        # converged and verdict say the same thing twice: a file edited in one of them (or
        # another program's) must not come back valid with a verdict saying why it is not, nor
        # not valid with no reason but "valid"
        said_valid = verdict is not None and verdict.strip() == "valid"
        if (data["converged"] is True and verdict is not None and not said_valid) or (
                data["converged"] is False and said_valid and not notes):
            raise ValueError(
                f"an estimate's dict form contradicts itself: converged is "
                f"{data['converged']} but its verdict is {verdict!r}")
        if data["converged"] is False and not notes and verdict:
            notes = (verdict,)
        given = data.get("given")
        if given is None:
            given = given_by_convention(data)
        return cls(
            nan if data["value"] is None else data["value"],
            nan if data["stderr"] is None else data["stderr"],
            data["unit"], data["method"], data.get("n_samples", 0),
            data["converged"], notes, data.get("dof"),
            data.get("interval_scale", "linear"), given,
        )

    def _identity(self):
        # NaN (a missing value or error) equals NaN here: an estimate read back from its JSON
        # form compared unequal to itself, and two equal ones hashed apart
        return tuple("nan" if isinstance(x, float) and math.isnan(x) else x for x in (
            self.value, self.stderr, self.unit, self.method, self.n_samples, self.converged,
            self.notes, self.dof, self.interval_scale, self.given))

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
        # a result; nor may a number given
        if self.given:
            return f"{text} ({self._shown_verdict()})"
        return text if self.converged else f"{text} ({self.verdict})"

    def __str__(self):
        unit = "" if self.unit == "1" else f" {self.unit}"
        body = (self._body(lambda x: f"{x:g}").removesuffix(" ± 0")
                if self.given and self.stderr == 0 else self.number_text())
        return f"{body}{unit} ({self._shown_verdict()})"

    def _shown_verdict(self):
        # a setting's "valid" read as a measured number that had passed its checks
        if not self.given:
            return self.verdict
        return "given" if self.converged else f"given; {self.verdict}"

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


def propagated_dof(terms):
    """Welch–Satterthwaite degrees of freedom of an error propagated from independent errors.

    ``σ² = Σ a_k²`` for the terms ``a_k`` (each input's error times the derivative of the
    result with respect to it) has ``ν = (Σ a_k²)² / Σ (a_k⁴ / ν_k)`` degrees of freedom, so
    that :meth:`Estimate.interval` of a Nernst–Einstein conductivity from D's of 5 blocks each
    uses t quantiles, not the normal ones.

    Parameters
    ----------
    terms : iterable of (float, float or None)
        ``(a_k, ν_k)``; ``ν_k`` ``None`` for a normal error (infinitely many degrees of freedom).

    Returns
    -------
    float or None
        ``None`` when every term is normal (or all ``a_k`` are zero), else at least 1.

    Raises
    ------
    ValueError
        A ``ν_k`` below 1 (or NaN).

    Examples
    --------
    >>> from ase_electrolyte.estimate import propagated_dof
    >>> propagated_dof([(1.0, 4), (1.0, 4)])  # two equal errors of 4 dof each
    8.0
    >>> propagated_dof([(1.0, None), (0.1, 4)]) is None
    False
    """
    terms = [(float(a), dof) for a, dof in terms]
    for _, dof in terms:
        # a dof of 0 divided by zero (ZeroDivisionError); t(0.5) has no one-sigma quantile
        if dof is not None and (isinstance(dof, (bool, str)) or not float(dof) >= 1):
            raise ValueError(f"propagated_dof: each term's degrees of freedom are a number >= 1 "
                             f"(None for a normal error), not {dof!r}")
    if all(dof is None for _, dof in terms):
        return None
    # ν is the same for all a_k scaled alike: scaled by the largest, a_k⁴ neither underflows
    # (errors of 1e-200 gave the fewest dof, 4, not 8) nor overflows (1e200: OverflowError)
    largest = max((abs(a) for a, _ in terms if math.isfinite(a)), default=0.0)
    if largest > 0:
        terms = [(a / largest, dof) for a, dof in terms]
    total = sum(a * a for a, _ in terms)
    spread = sum(a**4 / dof for a, dof in terms if dof is not None)
    if not (math.isfinite(total) and math.isfinite(spread)) or spread <= 0:
        # zero errors of few dof (or a non-finite one): nothing to weigh; the fewest dof stand
        known = [dof for _, dof in terms if dof is not None]
        return float(min(known))
    return max(1.0, total * total / spread)


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
    if isinstance(x, float) or type(x) is int:
        # the common cases (numpy.float64 is a float), without the numbers.Real ABC check;
        # bool is an int subclass, not int itself, and is refused below
        return float(x)
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


#: Units an Estimate was already made in (each checked once by :func:`units.dimension`).
_KNOWN_UNITS = set()

#: The scales :meth:`Estimate.interval` can be symmetric on.
_INTERVAL_SCALES = ("linear", "log", "gamma")

_ONE_SIGMA_QUANTILE = 0.5 * (1.0 + math.erf(1.0 / math.sqrt(2.0)))  # 0.8413


def _sigma_multiple(level, dof):
    """Half-width of the two-sided ``level`` interval in units of the one-sigma error: the
    normal quantile, or for a t-scaled error of ``dof`` degrees of freedom the ratio of the
    t quantiles at ``level`` and at one sigma."""
    from scipy import stats

    q = 0.5 * (1.0 + level)
    if dof is None:
        return float(stats.norm.ppf(q))
    return float(stats.t.ppf(q, dof) / stats.t.ppf(_ONE_SIGMA_QUANTILE, dof))


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


def given_by_convention(data):
    """Whether an Estimate dict without a ``"given"`` entry (a file written before the flag)
    is a given setting: its method starts with ``"given"`` and its error is 0, the convention
    that told settings from results then. The one rule :meth:`Estimate.from_dict` and the
    screening table (:mod:`ase_electrolyte.screen.properties`) read such files by.

    Parameters
    ----------
    data : dict
        The keys of :meth:`Estimate.to_dict`.

    Returns
    -------
    bool
    """
    method = data.get("method")
    return (isinstance(method, str) and method.startswith("given")
            and data.get("stderr") == 0 and data.get("value") is not None)


def json_number(x):
    """``float(x)`` when it is a finite number, else ``None`` (JSON's ``null``; JSON has no NaN).

    For the plain numbers written beside Estimates (whose :meth:`Estimate.to_dict` does the
    same): a number that is not one is written as absent, never as a bare ``NaN`` token. A
    flag (``True``, ``numpy.bool_``) or text (``"1.2"``) is no number either: ``float()``
    reads them as 1.0 and 1.2, which made a flag read back from a file a measured value.

    Examples
    --------
    >>> from ase_electrolyte.estimate import json_number
    >>> json_number(1.5), json_number(float("nan")), json_number(True), json_number("1.2")
    (1.5, None, None, None)
    """
    if isinstance(x, (bool, str, bytes)) or getattr(getattr(x, "dtype", None), "kind", "") == "b":
        return None
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
