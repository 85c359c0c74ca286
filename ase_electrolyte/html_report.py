"""A self-contained HTML page of a run: settings, package versions, results and figures.

Written by ``electrolyte demo`` beside ``summary.json``; the PNG figures are embedded, so the one
file can be mailed or archived. Results are shown as stored in the summary: numbers with the
uncertainties and validity verdicts the analyses give them.
"""

from __future__ import annotations

import base64
import html
import importlib.metadata
import json
import platform
from pathlib import Path

__all__ = ["write_html_report", "package_versions"]

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


def _table(mapping):
    rows = []
    for key, value in mapping.items():
        if isinstance(value, dict):
            cell = _table(value)
        elif isinstance(value, (list, tuple)) and len(value) > 12:
            cell = html.escape(f"[{len(value)} values]")
        else:
            cell = html.escape(json.dumps(value, default=str) if not isinstance(value, str)
                               else value)
        rows.append(f"<tr><th>{html.escape(str(key))}</th><td>{cell}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def write_html_report(path, *, title, settings, summary, figures=()):
    """Write one HTML file with settings, package versions, the summary and embedded figures.

    Parameters
    ----------
    path : str or os.PathLike
        Output file (``report.html``).
    title : str
    settings : dict
        What was run (composition, model, temperatures, lengths, ...).
    summary : dict
        The analyses' summary (as in ``summary.json``): shown as nested tables.
    figures : iterable of str or os.PathLike
        PNG files to embed, in order.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "report.html")
    >>> p = write_html_report(out, title="t", settings={"T (K)": 298}, summary={"density": 1.2})
    >>> "<th>T (K)</th>" in open(p).read()
    True
    """
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
        "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 6px;"
        "text-align:left;vertical-align:top}img{max-width:100%}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Settings</h2>",
        _table(settings),
        "<h2>Package versions</h2>",
        _table(package_versions()),
        "<h2>Results</h2>",
        "<p>Values as the analyses report them, with their uncertainties and validity "
        "verdicts; an analysis that was skipped or failed says why.</p>",
        _table(summary),
    ]
    figures = [Path(f) for f in figures]
    if figures:
        parts.append("<h2>Figures</h2>")
    for fig in figures:
        data = base64.b64encode(fig.read_bytes()).decode("ascii")
        parts.append(
            f"<figure><img alt='{html.escape(fig.stem)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{html.escape(fig.name)}</figcaption></figure>"
        )
    parts.append("</body></html>")
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text("\n".join(parts), encoding="utf-8")
    tmp.replace(path)
    return path
