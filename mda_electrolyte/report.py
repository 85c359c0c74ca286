"""The analyses that ``electrolyte analyze`` runs, and the JSON + PNG report they write.

Each analysis module registers one function with :func:`register_analysis`; the command runs every
registered analysis whose requirements the trajectory meets.

A registered function has the signature ``func(universe, outdir, *, calculator=None,
verbose=False) -> dict``: it runs the analysis on ``universe``, saves its plots as PNG files in
``outdir`` (a :class:`pathlib.Path`) and returns a JSON-serialisable summary with units in the keys
or values.
"""

from __future__ import annotations

import json
import warnings
from importlib import import_module
from pathlib import Path

__all__ = ["register_analysis", "registered_analyses", "run_analyses"]

_REGISTRY: dict = {}

# modules whose import registers their analyses; each analysis issue adds its module here
_ANALYSIS_MODULES: list[str] = [
    "mda_electrolyte.rdf",
    "mda_electrolyte.solvation",
    "mda_electrolyte.conductivity",
    "mda_electrolyte.diffusion",
    "mda_electrolyte.viscosity",
    "mda_electrolyte.density",
    "mda_electrolyte.volume_scan",
    "mda_electrolyte.intra_inter_errors",
]


def register_analysis(name, *, needs=()):
    """Register ``func`` as the analysis ``name`` of ``electrolyte analyze``.

    Parameters
    ----------
    name : str
        Key of the analysis in the JSON summary.
    needs : tuple of str
        Requirements among ``"velocities"``, ``"calculator"``, ``"box"``; an analysis whose
        requirements the trajectory does not meet is skipped with the reason in the summary.
    """

    def decorator(func):
        _REGISTRY[name] = (func, tuple(needs))
        return func

    return decorator


def registered_analyses():
    """Names and requirements of all registered analyses, in registration order."""
    for module in _ANALYSIS_MODULES:
        import_module(module)
    return {name: needs for name, (_, needs) in _REGISTRY.items()}


def _unmet(universe, needs, calculator):
    missing = []
    if "velocities" in needs and not hasattr(universe.trajectory.ts, "velocities"):
        missing.append("velocities")
    if "box" in needs and universe.dimensions is None:
        missing.append("box")
    if "calculator" in needs and calculator is None:
        missing.append("calculator (pass --model)")
    return missing


def run_analyses(universe, outdir, *, calculator=None, only=None, verbose=False,
                 keep_going=False):
    """Run the registered analyses on ``universe`` and write ``outdir/summary.json``.

    Parameters
    ----------
    universe : MDAnalysis.Universe
    outdir : str or pathlib.Path
        Created if needed; receives ``summary.json`` and the PNG plots.
    calculator : ase.calculators.calculator.Calculator, optional
        For the analyses that evaluate a model.
    only : iterable of str, optional
        Names of the analyses to run (default: all).
    verbose : bool
        Show progress bars.
    keep_going : bool
        Record an analysis that raises as ``{"failed": "Error: message"}`` in the summary (and
        warn) and run the others, instead of stopping at the first error.

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    available = registered_analyses()
    names = list(available) if only is None else list(only)
    unknown = sorted(set(names) - set(available))
    if unknown:
        raise ValueError(f"unknown analyses {unknown}; known: {sorted(available)}")
    summary = {}
    for name in names:
        func, needs = _REGISTRY[name]
        missing = _unmet(universe, needs, calculator)
        if missing:
            summary[name] = {"skipped": "needs " + ", ".join(missing)}
            continue
        try:
            summary[name] = func(universe, outdir, calculator=calculator, verbose=verbose)
        except Exception as err:
            if not keep_going:
                raise
            summary[name] = {"failed": f"{type(err).__name__}: {err}"}
            warnings.warn(f"analysis {name!r} failed: {summary[name]['failed']}", stacklevel=2)
    with open(outdir / "summary.json", "w") as fh:
        json.dump(summary, fh, indent=2, default=float)
    return summary
