"""A self-contained HTML page of a run: settings, package versions, results and figures.

Written by ``electrolyte demo`` beside ``summary.json``; the PNG figures are embedded, so the one
file can be mailed or archived. Every :class:`~ase_electrolyte.estimate.Estimate` anywhere in
the summary (or its :meth:`~ase_electrolyte.estimate.Estimate.to_dict` form, as in
``summary.json``), of any analysis, is rendered the same way: a row with value ± error (as
:meth:`~ase_electrolyte.estimate.Estimate.number_text` writes it in the terminal too), unit,
verdict and how the error was obtained; an invalid number is shown struck through in red with the
reason, never as a plain result.
"""

from __future__ import annotations

import base64
import html
import importlib.metadata
import json
import math
import platform
from pathlib import Path

from .atomic_file import write_text_atomic

__all__ = ["write_html_report", "package_versions", "check_report_tree", "plain_number_text"]

_PACKAGES = ("ase-electrolyte", "ase", "MDAnalysis", "numpy", "scipy", "torch", "sevenn", "h5py")


def package_versions(packages=_PACKAGES):
    """``{distribution: version}`` of the packages that produced a result (``None``: absent)."""
    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def estimate_of(obj):
    """The Estimate ``obj`` is or stands for, or ``None`` when it is no estimate.

    An :class:`~ase_electrolyte.estimate.Estimate`, or its ``to_dict`` form as in
    ``summary.json``. A dict with a ``value`` and a ``stderr`` that
    :meth:`~ase_electrolyte.estimate.Estimate.from_dict` refuses (a key missing, ``converged``
    not a bool: an edited file, another program's) is returned as an invalid Estimate whose
    verdict says so: its number was shown bare in the HTML report and left out of the
    terminal's lines without a word. The one reading of estimates of both renderers (the HTML
    report and :func:`electrolyte_cli.arguments.print_summary`).
    """
    from .estimate import Estimate

    if isinstance(obj, Estimate):
        return obj
    if not isinstance(obj, dict) or not {"value", "stderr"} <= set(obj):
        return None
    try:
        return Estimate.from_dict(obj)
    except (KeyError, TypeError, ValueError) as err:
        def number(x):
            ok = isinstance(x, (int, float)) and not isinstance(x, bool)
            return float(x) if ok else math.nan

        missing = [k for k in ("unit", "method", "converged") if k not in obj]
        # the dict itself is on the page already: not repeated in the reason
        reason = (f"no {', '.join(missing)}" if missing else " ".join(str(err).split()))
        reason = reason if len(reason) <= 160 else reason[:159] + "…"
        stderr = number(obj.get("stderr"))
        stderr = stderr if stderr >= 0 else math.nan
        value, method = number(obj.get("value")), str(obj.get("method", "unknown"))
        try:
            return Estimate.invalid(value, stderr, str(obj.get("unit", "")), method,
                                    f"not a readable estimate ({reason})")
        except ValueError:
            # a unit the package does not know (named in the reason): shown without one, not a
            # report that fails after every analysis ran
            return Estimate.invalid(value, stderr, "", method,
                                    f"not a readable estimate ({reason})")


#: Significant digits of a plain number (a setting, a count, a fit check) on the page.
PLAIN_DIGITS = 12


def plain_number_text(x):
    """A plain number (a setting, a count: no Estimate) as the reports and the CLI show it.

    To :data:`PLAIN_DIGITS` significant digits: a number typed with up to 12 reads as typed
    (``298.1534``, ``1e-20``, ``300`` for 300.0), one computed in floating point without its
    last bit's noise (``0.1 + 0.2`` read ``0.30000000000000004``). Six digits (``:g``) were
    too few for a value to be typed back: a resume refused with "rerun with --temperature
    298.153" was refused again, the run being at 298.1534.

    Parameters
    ----------
    x : float or int
        A finite number, in whatever unit its label names.

    Returns
    -------
    str

    Examples
    --------
    >>> from ase_electrolyte.html_report import plain_number_text
    >>> plain_number_text(0.1 + 0.2), plain_number_text(298.1534), plain_number_text(300.0)
    ('0.3', '298.1534', '300')
    """
    return f"{x:.{PLAIN_DIGITS}g}"


def _shown_float(x):
    """``x`` as :func:`plain_number_text` shows it, a float again for ``json.dumps`` to write
    in lists; only the page rounds: ``summary.json`` keeps each number exact for the programs
    that read it."""
    return float(plain_number_text(x))


def _low_precision_floats(values, dtype):
    """The floats of a float16/float32 array (or of bfloat16 ones held as float32) in their own
    shortest form: a float32's 0.3 is 0.30000001192092896 as a Python float, its own "0.3"."""
    import numpy as np

    if dtype == "bfloat16":
        import torch

        def same(x, y):
            return torch.tensor(x, dtype=torch.bfloat16).item() == y

        shown = []
        for y in np.asarray(values, dtype=float).ravel().tolist():
            # the fewest digits that read back as the same bfloat16 (3 suffice for any)
            shown.append(y if not math.isfinite(y) else next(
                (float(f"{y:.{d}g}") for d in range(1, 17) if same(float(f"{y:.{d}g}"), y)),
                y))
        return np.array(shown).reshape(np.shape(values))
    return np.array([float(np.format_float_positional(v, unique=True)) if np.isfinite(v)
                     else float(v) for v in np.asarray(values).ravel()]
                    ).reshape(np.shape(values))


def _numpy_of_tensor(value):
    """A torch tensor as a NumPy array, and its dtype's name when NumPy has none (bfloat16).

    ``tensor.tolist()`` gave a float32's 0.1 as 0.10000000149, a float16's as 0.0999755859375;
    complex and bfloat16 tensors need the dtype to be shown in their own precision.
    """
    tensor = value.detach().cpu()
    if str(tensor.dtype) == "torch.bfloat16":
        return tensor.float().numpy(), "bfloat16"
    return tensor.resolve_conj().resolve_neg().numpy(), None


def _is_tensor(value):
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _finite(value):
    """``value`` for display: arrays, tensors and NumPy scalars as lists and numbers, NaN and
    infinities (which ``json.dumps`` writes as ``NaN``/``Infinity``) as ``None``, floats to
    :data:`PLAIN_DIGITS` significant digits (:func:`plain_number_text`), a float16/float32
    (NumPy or torch, real or complex parts) to its own shortest form, a long double or a
    Decimal as a float; a complex number stays complex (finite parts) for :func:`_text`."""
    import numbers

    import numpy as np

    low = None
    if _is_tensor(value):
        value, low = _numpy_of_tensor(value)
    if isinstance(value, (np.ndarray, np.generic)):
        kind, size = value.dtype.kind, value.dtype.itemsize
        if isinstance(value, np.ma.MaskedArray):
            # a masked entry is no number: shown as a missing one (tolist's None)
            mask = np.ma.getmaskarray(value)
            value = np.where(mask, np.nan, value.filled(0)) if kind in "fc" else value.tolist()
            if not isinstance(value, np.ndarray):
                return _finite(value)
        if kind == "f" and (size < 8 or low):
            value = _low_precision_floats(value, low)
        elif kind == "c" and size < 16:
            value = _low_precision_floats(value.real, None) + 1j * _low_precision_floats(
                value.imag, None)
        elif kind in "fc" and size > 8 * (1 + (kind == "c")):
            # long double: .item() keeps it a NumPy scalar, written as its 20-digit string
            value = value.astype(complex if kind == "c" else float)
        value = value.tolist() if isinstance(value, np.ndarray) else value.item()
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return _shown_float(value) if math.isfinite(value) else None
    if isinstance(value, complex):
        if not (math.isfinite(value.real) and math.isfinite(value.imag)):
            return None
        return complex(_shown_float(value.real), _shown_float(value.imag))
    if isinstance(value, numbers.Number):
        try:
            return _finite(float(value))  # Decimal, Fraction
        except (TypeError, ValueError, OverflowError):
            return str(value)
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def _complex_text(z):
    """``0.1+0.2j``: Python's form of a complex number without its parentheses, each part as
    :func:`plain_number_text` shows it (``-0j`` as ``-0j``)."""
    imag = plain_number_text(abs(z.imag)) if z.imag or math.copysign(1, z.imag) > 0 else "0"
    sign = "-" if math.copysign(1, z.imag) < 0 else "+"
    return f"{plain_number_text(z.real)}{sign}{imag}j"


def _text(value):
    """A value made by :func:`_finite` as the page writes it: numbers and lists as JSON does
    (``null`` for a missing or non-finite number), a complex number as ``0.1+0.2j`` (JSON
    has none: it read ``"(0.10000000149011612+0.20000000298023224j)"``), any other object by
    its ``str``."""
    if isinstance(value, complex):
        return _complex_text(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=False)}: {_text(v)}"
                               for k, v in value.items()) + "}"
    # ensure_ascii=False: "é" or "±" in a list was written as \u00e9
    return json.dumps(value, default=str, ensure_ascii=False)


#: Most numbers of one list or array written out in a table cell; longer ones are summarised.
MAX_LISTED = 12


def _size(value):
    """Numbers in a list, tuple or array (nested ones counted through); 0 for anything else."""
    if hasattr(value, "shape") and hasattr(value, "size"):
        return math.prod(tuple(value.shape))  # a torch tensor's size is a method
    if isinstance(value, (list, tuple)):
        total = 0
        for v in value:
            total += _size(v) if isinstance(v, (list, tuple)) or hasattr(v, "shape") else 1
            if total > MAX_LISTED:
                break
        return max(total, len(value))
    return 0


def _shape(values):
    """The shape of a nested list (its length alone when ragged or not numbers)."""
    import numpy as np

    try:
        return np.shape(values)
    except ValueError:
        return (len(values),)


#: Largest figure file embedded, bytes: a page holds each figure whole, in base64 (a third
#: more), in memory while it is written and in every browser that opens it; a figure of the
#: analyses is tens of kilobytes.
MAX_FIGURE_BYTES = 64 * 2**20


def _figure(path):
    """The bytes of a PNG figure, or a ValueError naming a missing, too large or non-PNG file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"figure {path} does not exist or is not a file; the report "
                                "was not written")
    size = path.stat().st_size
    if size > MAX_FIGURE_BYTES:
        # read whole and base64-encoded in memory before: gigabytes for a mistaken file
        raise ValueError(f"figure {path} is {size / 2**20:.0f} MiB, more than the "
                         f"{MAX_FIGURE_BYTES / 2**20:.0f} MiB a report embeds; save it at a lower "
                         "dpi; the report was not written")
    data = path.read_bytes()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError(f"figure {path} is not a PNG image; the report was not written")
    return data


def _plain(value):
    """``value`` with the containers of NumPy, torch and the standard library as lists where the
    page must see inside them (for Estimates).

    An object array or a set (of Estimates) was written as JSON text, an invalid number
    unmarked; a torch tensor failed the page; ``Decimal("NaN")`` read ``"NaN"``. Numeric arrays,
    tensors and scalars are left to :func:`_finite`, which knows their precision; large ones
    are summarised by their shape.
    """
    import numbers

    import numpy as np

    if isinstance(value, (set, frozenset)):
        # an Estimate in a set was written as its repr, an invalid value unmarked; sorted by
        # text, as summary.json writes a set (mda_electrolyte.report)
        return sorted(value, key=str)
    if isinstance(value, np.ndarray) and value.dtype == object:
        return value.tolist()
    if isinstance(value, numbers.Number) and not isinstance(
            value, (int, float, complex, np.generic)):
        try:
            return float(value)  # Decimal, Fraction
        except (TypeError, ValueError, OverflowError):
            return str(value)
    return value


def _key_text(key):
    """A dict key as its row's heading: a number as :func:`_finite` shows it (``298.15``, a
    computed ``0.30000000000000004`` as ``0.3``), anything else by its ``str``."""
    import numbers

    import numpy as np

    if isinstance(key, (numbers.Number, np.generic)) and not isinstance(key, (str, bool)):
        return _text(_finite(key))
    return str(key)


#: Deepest nesting of dicts and lists a report holds (an analysis' summary is about 5 deep).
MAX_NESTING = 100
#: Most containers (dicts, lists, ...) a report walks: a list that holds one list twice, 60
#: times over, is 60 objects but 2⁶⁰ rows.
MAX_CONTAINERS = 100_000


def check_report_tree(obj, name="summary"):
    """Refuse a report's dicts and lists that no page or JSON file can be written of, by name.

    A dict that contains itself failed the report with RecursionError (after every analysis
    had run); so did nesting deeper than the interpreter's recursion limit. A structure that
    shares one list many times over would be written out once per path, without bound.

    Parameters
    ----------
    obj : object
        The settings or summary (dicts, lists, tuples, sets, object arrays; any leaves).
    name : str
        How the error names it (``"summary"``, ``"settings"``).

    Raises
    ------
    ValueError
        A container that holds itself or one of the containers around it (the path is named),
        nesting deeper than :data:`MAX_NESTING`, or more than :data:`MAX_CONTAINERS`
        containers in all.
    """
    import numpy as np

    def children(value):
        if isinstance(value, dict):
            return [(f"[{k!r}]", v) for k, v in value.items()]
        if isinstance(value, np.ndarray):
            return ([(f"[{i}]", v) for i, v in enumerate(value.ravel().tolist())]
                    if value.dtype == object else None)
        if isinstance(value, (list, tuple, set, frozenset)):
            return [(f"[{i}]", v) for i, v in enumerate(value)]
        return None

    count = 0
    # depth first without recursion; an entry None closes the container on top of the path
    stack, open_ids, path = [(name, obj)], [], []
    while stack:
        entry = stack.pop()
        if entry is None:
            open_ids.pop()
            path.pop()
            continue
        label, value = entry
        inner = children(value)
        if inner is None:
            continue
        shown = path if len(path) < 8 else [*path[:4], "…", *path[-2:]]
        where = "".join(shown) + label
        if id(value) in open_ids:
            raise ValueError(f"{where} holds the container it is in (a dict or list that "
                             "contains itself); a report of it would never end: remove that "
                             "reference")
        if len(open_ids) >= MAX_NESTING:
            raise ValueError(f"{where} is nested more than {MAX_NESTING} dicts or lists deep; "
                             "flatten it before writing the report")
        count += 1
        if count > MAX_CONTAINERS:
            raise ValueError(f"{name} holds more than {MAX_CONTAINERS} dicts and lists (one "
                             "list shared many times over counts each time it is written); "
                             "give a smaller summary")
        open_ids.append(id(value))
        path.append(label)
        stack.append(None)
        stack.extend(reversed(inner))


def _holds_estimate(value, depth=0):
    """Whether ``value`` is, or holds in its dicts, lists and tuples, an Estimate (or its dict)."""
    if estimate_of(value) is not None:
        return True
    if depth > 20:  # a self-referencing or absurdly deep container: shown as text
        return False
    items = value.values() if isinstance(value, dict) else value
    return isinstance(value, (dict, list, tuple)) and any(
        _holds_estimate(v, depth + 1) for v in items)


def _estimate_row(key, est):
    # the terminal's form of the number (error to two significant digits, one power of ten
    # for tiny or huge magnitudes, a missing value or error in words)
    value = est.number_text()
    if est.given and est.stderr == 0:
        # a setting used as it is: "300 ± 0" read as a measurement that had no scatter
        # as typed, as a plain setting is (plain_number_text): six digits read 298.1534 as
        # 298.153
        value = plain_number_text(est.value)
    cls = "valid" if est.valid else "invalid"
    verdict = est.verdict
    if est.given:
        # a setting (--temperature) in the verdict column's green "valid" read as a measured
        # temperature that had passed its checks
        cls = "given"
        verdict = "given, not a result" + ("" if est.valid else f"; {est.verdict}")
    if not est.valid:
        value = f"<s>{html.escape(value)}</s>"
    else:
        value = html.escape(value)
    # a setting, or an exact ratio of counts, has no samples: "(n = 0)" after it read as a
    # count of nothing
    sampled = est.n_samples or not (est.given or est.method.startswith("exact"))
    count = f" (n = {est.n_samples})" if sampled else ""
    # "1" marks a dimensionless number, which the terminal shows without a unit
    unit = "" if est.unit == "1" else est.unit
    return (f"<tr class='{cls}'><th>{html.escape(str(key))}</th><td>{value}</td>"
            f"<td>{html.escape(unit)}</td><td>{html.escape(verdict)}</td>"
            f"<td>{html.escape(est.method)}{count}</td></tr>")


def _estimate_table(items):
    head = ("<tr><th></th><th>value ± error</th><th>unit</th><th>verdict</th>"
            "<th>error from</th></tr>")
    return ("<table class='estimates'>" + head
            + "".join(_estimate_row(k, e) for k, e in items) + "</table>")


#: The keys of an analysis' summary that stand for no result (mda_electrolyte.report).
_NO_RESULT = ("failed", "refused", "skipped")


def no_result_of(value):
    """``(kind, reason, context)`` of an analysis' summary that is a failure, refusal or skip.

    ``context``: the summary's other entries, which say what was asked (a refused transport
    analysis keeps its ``ions``); a reason beside a number is a result's note, not this. Only
    a summary of one entry was read as one: ``{"refused": ..., "ions": ...}`` was a plain
    table whose "refused" row read as a setting, where the terminal said "refused (...)".
    """
    if not isinstance(value, dict):
        return None
    # the gravest first (failed, refused, skipped); the others stay in the context
    kinds = [k for k in _NO_RESULT if isinstance(value.get(k), str)]
    if not kinds:
        return None
    context = {k: v for k, v in value.items() if k != kinds[0]}
    if any(_holds_number(v) for v in context.values()):
        return None  # numbers beside it: a result, shown as one (each Estimate's verdict)
    return kinds[0], value[kinds[0]], context


def _holds_number(value, depth=0):
    """Whether ``value`` is, or holds in its dicts, lists and tuples, a number or an Estimate."""
    import numbers

    if _holds_estimate(value) or (isinstance(value, numbers.Number)
                                  and not isinstance(value, bool)):
        return True
    if depth > 20 or not isinstance(value, (dict, list, tuple)):
        return False
    items = value.values() if isinstance(value, dict) else value
    return any(_holds_number(v, depth + 1) for v in items)


def _estimates_in(value, depth=0):
    """The Estimates (or their dicts) ``value`` is or holds in its dicts, lists and tuples."""
    est = estimate_of(value)
    if est is not None:
        yield est
    elif depth <= 20 and isinstance(value, (dict, list, tuple)):
        for inner in (value.values() if isinstance(value, dict) else value):
            yield from _estimates_in(_plain(inner), depth + 1)


def _figure_caption(fig, summary):
    """The caption of figure ``fig``: its file name and, for the figure of an analysis (its
    summary's ``plot`` or ``png``), that analysis' verdict.

    The caption was the file name alone: below the figure of a conductivity that was not
    valid the page said nothing of it (the figure's own stamp excepted), where the table
    above struck the number through.
    """
    for name, section in summary.items():
        # the analyses name their figure under "plot" or "png"
        if not isinstance(section, dict) or not any(
                isinstance(section.get(key), str) and Path(section[key]).name == fig.name
                for key in ("plot", "png")):
            continue
        # the settings given beside its numbers are none of its results
        found = [e for e in _estimates_in(section) if not e.given]
        bad = [e for e in found if not e.valid]
        if bad:
            reason = bad[0].notes[0] if bad[0].notes else bad[0].verdict
            return (f"{fig.name} ({name}): NOT VALID, {len(bad)} of {len(found)} numbers "
                    f"not valid ({reason})")
        if found:
            return f"{fig.name} ({name}): {len(found)} numbers, all valid"
    return fig.name


def _table(mapping):
    rows = []
    for key, value in mapping.items():
        value = _plain(value)
        est = estimate_of(value)
        outcome = no_result_of(value)
        if outcome is not None:
            # an analysis that gave no number: its reason in red, never a blank row
            kind, reason, context = outcome
            cell = (f"<p class='no-result'><strong>{html.escape(kind.upper())}</strong>: "
                    f"{html.escape(str(reason))}</p>") + (_table(context) if context else "")
        elif est is not None:
            cell = _estimate_table([("", est)])
        elif isinstance(value, dict) and value and all(
            estimate_of(v) is not None for v in value.values()
        ):
            cell = _estimate_table([(k, estimate_of(v)) for k, v in value.items()])
        elif isinstance(value, dict):
            cell = _table(value)
        elif isinstance(value, (list, tuple)) and value and all(
            estimate_of(v) is not None for v in value
        ):
            # a list of Estimates (one per temperature, per replica ...) was written as JSON
            # text: an invalid number not struck through, a dict form as raw keys
            cell = _estimate_table([(f"[{i}]", estimate_of(v)) for i, v in enumerate(value)])
        elif isinstance(value, (list, tuple)) and any(_holds_estimate(v) for v in value):
            # an Estimate among other items, in a list of dicts or of lists was written as
            # JSON text: "5.00 ± 0.10 S/m (too short)" as a plain result, a dict form as raw
            # keys. One row per item, each Estimate as a row of its own (struck when invalid)
            cell = _table({f"[{i}]": v for i, v in enumerate(value)})
        elif _size(value) > MAX_LISTED:
            # a NumPy array or a nested list of 10⁶ numbers was written out in full (megabytes)
            shape = getattr(value, "shape", None) or _shape(value)
            cell = html.escape(f"[{' × '.join(str(n) for n in shape)} values]")
        elif isinstance(value, str):
            cell = html.escape(value)
        elif value is not None and _finite(value) is None:
            cell = "–"  # never "NaN" on the page (NumPy's non-finite scalars too, not "null")
        else:
            shown = _finite(value)
            # a path, a date ... alone in its cell reads as itself, not as a quoted string
            plain = shown is None or isinstance(shown, (bool, int, float, complex, list, tuple))
            cell = html.escape(_text(shown) if plain else str(shown))
        rows.append(f"<tr><th>{html.escape(_key_text(key))}</th><td>{cell}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def write_html_report(path, *, title, settings, summary, figures=()):
    """Write one HTML file with settings, package versions, the summary and embedded figures.

    Parameters
    ----------
    path : str or os.PathLike
        Output file (``report.html``).
    title : str
    settings : dict
        What was run (composition, model, temperatures, lengths, ...). A plain number is shown
        to :data:`PLAIN_DIGITS` significant digits (a float16, bfloat16 or float32 of NumPy or
        torch to its own shortest form): as typed, without the last bit's noise of a computed
        one (``0.30000000000000004``); a complex number as ``0.1+0.2j``, a non-finite one as
        ``–``, a path or date by its ``str``; every text escaped.
    summary : dict
        The analyses' summary (as in ``summary.json``, or with Estimate objects): nested tables,
        every Estimate as a row of value ± error, unit, verdict and method; plain numbers as in
        ``settings`` (only the page rounds them; the caller's dicts stay as they are).
    figures : iterable of str or os.PathLike, optional
        PNG files to embed, in order (``None``: none), each at most
        :data:`MAX_FIGURE_BYTES`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    TypeError
        A title that is not a string, settings or summary that are not dicts, figures that are
        not an iterable of paths.
    ValueError
        Settings or a summary that holds itself, is nested absurdly deep or is too large to
        write (:func:`check_report_tree`); nothing is written.
    FileNotFoundError, ValueError
        A figure that is missing, not a file, too large or not a PNG image; an empty ``path``
        or one that is a folder; nothing is written (an earlier report at ``path`` stays as it
        was).

    Examples
    --------
    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "report.html")
    >>> p = write_html_report(out, title="t", settings={"T (K)": 298}, summary={"density": 1.2})
    >>> "<th>T (K)</th>" in open(p).read()
    True
    """
    from collections.abc import Iterable, Mapping

    from .atomic_file import check_output_path

    if isinstance(path, str) and not path.strip():
        # Path("") is the current folder: "report . is a folder"
        raise ValueError("path is empty; give the report's file name (e.g. report.html)")
    check_output_path(path, "report")  # a folder, or under a file: before the page is built
    if not isinstance(title, str):
        raise TypeError(f"title must be a string, not {type(title).__name__}")
    for name, value in (("settings", settings), ("summary", summary)):
        if not isinstance(value, Mapping):
            raise TypeError(f"{name} must be a dict, not {type(value).__name__}")
    check_report_tree(settings, "settings")
    check_report_tree(summary, "summary")
    # one path is one figure, not one figure per character ("figure f does not exist")
    if figures is None:
        figures = []
    elif isinstance(figures, (str, bytes)) or hasattr(figures, "__fspath__"):
        figures = [figures]
    elif not isinstance(figures, Iterable):
        raise TypeError(f"figures must be an iterable of PNG file paths, not "
                        f"{type(figures).__name__}")
    figures = list(figures)
    for f in figures:
        if not isinstance(f, (str, bytes)) and not hasattr(f, "__fspath__"):
            raise TypeError(f"figures must be PNG file paths, not {type(f).__name__} ({f!r})")
    # every figure read (and refused when missing or not a PNG) before anything is written
    figures = [(Path(f), _figure(f)) for f in figures]
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
        "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 6px;"
        "text-align:left;vertical-align:top}img{max-width:100%}"
        "tr.invalid td{color:#b00}tr.valid td:nth-child(4){color:#070}"
        ".no-result{color:#b00;margin:0}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Settings</h2>",
        _table(settings),
        "<h2>Package versions</h2>",
        _table(package_versions()),
        "<h2>Results</h2>",
        "<p>Values as the analyses report them: value ± one-sigma error, unit, validity verdict "
        "and how the error was obtained; an invalid number is struck through with the reason. "
        "An analysis that was skipped, refused or failed says why.</p>",
        _table(summary),
    ]
    if figures:
        parts.append("<h2>Figures</h2>")
    for fig, raw in figures:
        data = base64.b64encode(raw).decode("ascii")
        parts.append(
            f"<figure><img alt='{html.escape(fig.stem)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{html.escape(_figure_caption(fig, summary))}</figcaption></figure>"
        )
    parts.append("</body></html>")
    # a name read from a non-UTF-8 file name (surrogate escapes) failed the UTF-8 write after
    # all the work: written as \udcXX instead
    page = "\n".join(parts).encode("utf-8", "backslashreplace").decode("utf-8")
    # whole or not at all: a failed rewrite keeps the previous page, and leaves no .part file
    return write_text_atomic(path, page)
