"""The analyses that ``electrolyte analyze`` runs, and the JSON + PNG report they write.

Each analysis module registers one function with :func:`register_analysis`; the command runs every
registered analysis whose requirements the trajectory meets.

A registered function has the signature ``func(universe, outdir, *, calculator=None,
verbose=False) -> dict``: it runs the analysis on ``universe``, saves its plots as PNG files in
``outdir`` (a :class:`pathlib.Path`: a hidden folder that :func:`run_analyses` publishes once every
analysis has run; a path to it in the summary is written as the published one) and returns a
JSON-serialisable summary with units in the keys or values. Every reported number is an
:class:`~ase_electrolyte.estimate.Estimate` (value, one-sigma error, unit, how the error was
obtained, validity verdict); ``summary.json`` is written through
:func:`~ase_electrolyte.estimate.estimates_to_dict` only, so an Estimate anywhere in a summary, of
any analysis, is serialised the same way.

Analyses that read the same trajectory share one pass through :func:`shared` (the transport
analyses share one :class:`~mda_electrolyte.ion_collection.IonCollection`; the viscosity takes
its ``pressure_tensor_observable``).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import shutil
import tempfile
import warnings
from contextvars import ContextVar
from importlib import import_module
from pathlib import Path
from typing import NamedTuple

from ase_electrolyte.atomic_file import is_read_only, write_json_atomic
from ase_electrolyte.estimate import estimates_to_dict
from ase_electrolyte.html_report import check_report_tree

from .plotting import check_axes, estimates_of, same_unit, user_text_literally

__all__ = ["register_analysis", "registered_analyses", "run_analyses", "shared", "shared_value",
           "estimate_label", "mark_invalid", "clear_outputs", "check_outputs", "report_files",
           "unmet_requirements", "unmet_file_requirements", "INPUT_KEY", "staged_outputs",
           "analysis_names", "check_replaceable", "declared_analyses",
           "check_temperature_settings", "TemperatureSettings"]

_REGISTRY: dict = {}
# values computed once per run_analyses call (e.g. the transport collection of the trajectory),
# in a context variable: one module dict was shared by the calls of every thread (dask workers
# with several threads), and one call's start or end cleared the values another was using
_SHARED = ContextVar("mda_electrolyte.report shared values", default=None)

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
        Requirements among ``"velocities"``, ``"forces"``, ``"calculator"``, ``"box"`` and
        ``"observables"`` (the per-step observables of a ``run_md`` H5MD file: density,
        pressure tensor, charge current) and ``"real masses"`` (dynamics integrated with the
        atoms' real masses: not a stage whose hydrogen mass was raised for a longer time step,
        whose transport is that of heavier molecules), ``"charged species"`` (residues with a
        net formal or partial charge: :func:`mda_electrolyte.conductivity.charged_species`)
        and ``"shell cations"`` (single-atom Li/Na/K residues, with element symbols and the
        formal charges that tell anions from solvents: the solvation shells' centres); an
        analysis whose requirements the trajectory does not meet is skipped with the reason
        in the summary, and
        ``electrolyte analyze --only`` refuses it before any work (``"observables"`` before the
        trajectory is read: :func:`unmet_file_requirements`).

    Raises
    ------
    ValueError
        An empty name, :data:`INPUT_KEY` (the summary's record of what was analysed), or a
        requirement that is not one of those (``"velocity"`` was kept and never checked: the
        analysis ran on frames without velocities); ``needs="box"`` is refused, not read
        letter by letter.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string, not {name!r}")
    if name == INPUT_KEY:
        raise ValueError(f"name {name!r} is the summary's record of what was analysed; give "
                         "the analysis another name")
    if isinstance(needs, (str, bytes)) or not all(n in REQUIREMENTS for n in needs):
        raise ValueError(f"needs of analysis {name!r} must be a tuple of requirements among "
                         f"{REQUIREMENTS}, not {needs!r}")

    def decorator(func):
        _REGISTRY[name] = (func, tuple(needs))
        return func

    return decorator


#: Key of the summary's record of what was analysed (:func:`run_analyses`' ``source``).
INPUT_KEY = "input"


def registered_analyses():
    """Names and requirements of all registered analyses: the package's in the order of their
    modules (:func:`declared_analyses`' order), each module's in its registration order, then
    the others (a user's own) in theirs.

    The registry's own order is that of the first imports, which any earlier import changes
    (``from mda_electrolyte import diffusion`` put diffusion first): the analyses ran and
    ``electrolyte analyze --list`` listed them in another order than its reading of the
    sources.
    """
    for module in _ANALYSIS_MODULES:
        import_module(module)
    rank = {module: k for k, module in enumerate(_ANALYSIS_MODULES)}
    ordered = sorted(_REGISTRY.items(), key=lambda item: rank.get(
        getattr(item[1][0], "__module__", None), len(rank)))
    return {name: needs for name, (_, needs) in ordered}


def declared_analyses():
    """:func:`registered_analyses` without importing the analysis modules: their
    ``@register_analysis(name, needs=...)`` decorators read from their source.

    The names and needs are known only once the modules (MDAnalysis, seconds on a loaded
    machine) are imported: ``electrolyte analyze --only nosuch``, or ``-o`` a folder of other
    files, waited for them to be refused. The decorators stay the one table: a module already
    imported is taken from the registry, and one whose decorator the source does not spell
    with literals is imported.
    """
    import sys

    declared = {}
    for module in _ANALYSIS_MODULES:
        if module in sys.modules:
            declared.update({name: needs for name, (func, needs) in _REGISTRY.items()
                             if func.__module__ == module})
            continue
        in_source = _source_registrations(module)
        if in_source is None:
            return registered_analyses()
        declared.update(in_source)
    # those registered by other modules (the user's own)
    declared.update({name: needs for name, (_, needs) in _REGISTRY.items()
                     if name not in declared})
    return declared


@functools.lru_cache(maxsize=None)
def _source_registrations(module):
    """``{name: needs}`` of the ``@register_analysis`` decorators in the source of ``module``
    (not imported), in their order; ``None`` where one is not spelled with literals."""
    import ast
    import importlib.util

    declared = {}
    try:
        spec = importlib.util.find_spec(module)
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        for node in tree.body:
            for call in getattr(node, "decorator_list", ()):
                if getattr(getattr(call, "func", None), "id", None) != "register_analysis":
                    continue
                needs = [ast.literal_eval(k.value) for k in call.keywords if k.arg == "needs"]
                declared[ast.literal_eval(call.args[0])] = tuple(*needs)
    except (AttributeError, IndexError, OSError, SyntaxError, TypeError, ValueError):
        return None
    return declared


def _analysis_key(name):
    """The reading of an analysis name: Unicode-normalised, any case, a run of spaces,
    hyphens (the report's "Green–Kubo" dash too), underscores or slashes as one ``_``."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKC", str(name)).lower()
    return re.sub(r"[\s_\-\u2010-\u2015\u2212/]+", "_", text).strip("_")


#: Names a chemist types for an analysis (read as :func:`analysis_names` reads any name: any
#: case, spaces, hyphens and underscores alike), each with the analyses it can mean. One that
#: means several is refused naming them all: ``--only conductivity`` is not guessed.
ANALYSIS_ALIASES = {
    **dict.fromkeys(["rdf", "rdfs", "g(r)", "radial distribution function",
                     "radial distribution functions", "intra inter rdfs"], ("intra_inter_rdf",)),
    **dict.fromkeys(["shells", "shell", "solvation", "solvation shell", "solvation structure",
                     "coordination", "coordination number", "coordination numbers"],
                    ("solvation_shells",)),
    **dict.fromkeys(["gk", "green kubo", "gk conductivity"], ("green_kubo_conductivity",)),
    **dict.fromkeys(["eh", "einstein helfand", "eh conductivity"],
                    ("einstein_helfand_conductivity",)),
    **dict.fromkeys(["ne", "nernst einstein conductivity"], ("nernst_einstein",)),
    **dict.fromkeys(["msd", "diffusivity", "diffusion coefficient", "diffusion coefficients",
                     "self diffusion", "self-diffusion coefficient"], ("diffusion",)),
    **dict.fromkeys(["eta", "shear viscosity"], ("viscosity",)),
    **dict.fromkeys(["rho", "densities"], ("density",)),
    **dict.fromkeys(["volume scan", "rigid scan", "scan"], ("rigid_volume_scan",)),
    **dict.fromkeys(["errors", "force errors", "intra inter force errors",
                     "error decomposition"], ("intra_inter_errors",)),
    **dict.fromkeys(["conductivity", "ionic conductivity", "sigma"],
                    ("green_kubo_conductivity", "einstein_helfand_conductivity",
                     "nernst_einstein")),
    "einstein": ("einstein_helfand_conductivity", "nernst_einstein"),
    "intra inter": ("intra_inter_rdf", "intra_inter_errors"),
}


def analysis_names(names):
    """``names`` as registered analyses' names, each once, in the order given.

    One reading for :func:`run_analyses`' ``only``, a screening plan's ``analyses`` and the
    ``electrolyte analyze --only`` option: any case, and spaces, hyphens (or dashes),
    underscores and slashes alike, so that the words a user reads in a report or a figure
    title name the analysis (``"Green-Kubo conductivity"``, ``"Green–Kubo conductivity"``
    and ``" GREEN_KUBO_CONDUCTIVITY "`` are ``green_kubo_conductivity``; ``"Diffusion"`` is
    ``diffusion``), and the short names of ``ANALYSIS_ALIASES`` (``"RDF"`` is
    ``intra_inter_rdf``, ``"MSD"`` is ``diffusion``, ``"shells"`` is ``solvation_shells``).

    Raises
    ------
    ValueError
        A name no analysis has, with the closest registered name or alias; a name that means
        several analyses (``"conductivity"``), naming each of them.
    TypeError
        ``names`` is a string (one name is ``[name]``) or holds something else than strings.

    Examples
    --------
    >>> from mda_electrolyte.report import analysis_names
    >>> analysis_names(["Green-Kubo conductivity", "Solvation shells", "diffusion"])
    ['green_kubo_conductivity', 'solvation_shells', 'diffusion']
    >>> analysis_names(["RDF", "msd", "GK"])
    ['intra_inter_rdf', 'diffusion', 'green_kubo_conductivity']
    """
    from ase_electrolyte.option_words import close_option

    if isinstance(names, (str, bytes)):
        raise TypeError(f"names must be a list of analysis names, not the string {names!r}")
    names = list(names)
    odd = [n for n in names if not isinstance(n, str)]
    if odd:
        raise TypeError(f"analysis names are strings, not {odd[0]!r} "
                        f"({type(odd[0]).__name__})")
    # read from the analysis modules' source: a name no analysis has is refused in an
    # instant, not once MDAnalysis and every analysis module have been imported
    known = declared_analyses()
    # the registered names first: an analysis registered under an alias's words keeps them
    by_key = {_analysis_key(alias): meant for alias, meant in ANALYSIS_ALIASES.items()
              if all(name in known for name in meant)}
    by_key.update({_analysis_key(name): (name,) for name in known})
    meanings = [by_key.get(_analysis_key(name), ()) for name in names]
    several = list(dict.fromkeys((name, meant) for name, meant in zip(names, meanings, strict=True)
                                 if len(meant) > 1))
    if several:
        said = "; ".join(f"{name!r} means any of {', '.join(meant)}"
                         for name, meant in several)
        raise ValueError(f"{said}: give the one meant (or each of them)")
    unknown = list(dict.fromkeys(name for name, meant in zip(names, meanings, strict=True)
                                 if not meant))
    if unknown:
        close = [by_key[c] for c in (close_option(_analysis_key(n), by_key, cutoff=0.6)
                                     for n in unknown) if c]
        close = [name for meant in close for name in meant]
        hint = f" (did you mean {', '.join(map(repr, dict.fromkeys(close)))}?)" if close else ""
        raise ValueError(f"unknown analyses {sorted(unknown)}{hint}; known: {sorted(known)} "
                         "(any case; spaces, hyphens and underscores alike; short names such "
                         "as rdf, msd, gk, eh, shells)")
    return list(dict.fromkeys(meant[0] for meant in meanings))


def shared(key, factory):
    """``factory()`` computed once per :func:`run_analyses` call and shared by its analyses.

    An exception of ``factory`` is kept too, so an analysis that needs the same value fails the
    same way without a second pass over the trajectory. Each call of :func:`run_analyses` (in
    any thread) has its own values; outside one, ``factory()`` is computed and nothing is kept
    (a value kept by ``id(universe)`` would outlive its Universe and be taken for the next one
    at that address).
    """
    values = _SHARED.get()
    if values is None:
        return factory()
    if key not in values:
        try:
            values[key] = (True, factory())
        except Exception as err:  # noqa: BLE001 - re-raised to every caller
            values[key] = (False, err)
    ok, value = values[key]
    if not ok:
        raise value
    return value


class TemperatureSettings(NamedTuple):
    """The temperature of a :func:`run_analyses` call's transport analyses.

    ``temperature`` (K): used as given by every analysis that divides by k_B T (Green–Kubo,
    Einstein–Helfand and Nernst–Einstein conductivities, the viscosity), bypassing the
    velocities' kinetic temperature. Else that kinetic temperature, whose degrees of freedom
    ``constraints`` (holonomic constraints of the run) and ``com_removed`` (centre of mass
    kept at rest) count (:func:`mda_electrolyte.conductivity.kinetic_temperature`); ``None``:
    the count an H5MD file of run_md states, else none and at rest.

    Examples
    --------
    Rigid water from another code (3 constraints per molecule), checked before any analysis:

    >>> import MDAnalysis as mda
    >>> from mda_electrolyte.report import check_temperature_settings
    >>> u = mda.Universe.empty(6, n_residues=2, atom_resindex=[0, 0, 0, 1, 1, 1],
    ...                        trajectory=True)
    >>> u.add_TopologyAttr("masses", [16.0, 1.0, 1.0] * 2)
    >>> check_temperature_settings(u, None, 6, True)
    TemperatureSettings(temperature=None, constraints=6, com_removed=True)
    """

    temperature: float | None = None
    constraints: int | None = None
    com_removed: bool | None = None


_TEMPERATURE_KEY = ("temperature settings",)

#: The analyses that divide by k_B T, which :class:`TemperatureSettings` are for.
TEMPERATURE_ANALYSES = ("green_kubo_conductivity", "einstein_helfand_conductivity",
                        "nernst_einstein", "viscosity")


def check_temperature_used(names, settings, flags=None):
    """Refuse :class:`TemperatureSettings` given for analyses ``names`` none of which divides
    by k_B T (:data:`TEMPERATURE_ANALYSES`): they would be ignored without a word. ``flags``:
    how the message names each setting (default ``temperature=`` ...)."""
    flags = flags or {name: f"{name}=" for name in TemperatureSettings._fields}
    given = [flags[name] for name, value in zip(settings._fields, settings, strict=True)
             if value is not None]
    if given and not set(names) & set(TEMPERATURE_ANALYSES):
        raise ValueError(f"{' and '.join(given)} appl{'y' if len(given) > 1 else 'ies'} to "
                         f"the analyses that divide by k_B T "
                         f"({', '.join(TEMPERATURE_ANALYSES)}); the analyses asked for "
                         f"({', '.join(names)}) are none of them: leave them out, or ask for "
                         "one of those")


def check_temperature_runs(universe, names, settings, calculator, flags=None):
    """Refuse :class:`TemperatureSettings` that no analysis of ``names`` able to run on
    ``universe`` would use: asked for none of :data:`TEMPERATURE_ANALYSES`
    (:func:`check_temperature_used`), or every one asked for skipped for what the trajectory
    lacks (:func:`unmet_requirements`: no charged species, no velocities, no observables).

    Without ``only``, ``electrolyte analyze water.extxyz --temperature 300`` skipped each
    analysis that divides by k_B T and ran the others with the temperature unused, without a
    word. Judged from the topology and the file alone, before any analysis runs.

    Parameters
    ----------
    universe : MDAnalysis.Universe
    names : list of str
        The registered analyses to run.
    settings : TemperatureSettings
    calculator : object or None
        The model of the analyses that need one (any object stands for it).
    flags : dict, optional
        How the message names each setting (default ``temperature=`` ...).

    Raises
    ------
    ValueError
        Naming the settings and why each analysis that would use them cannot run.
    """
    check_temperature_used(names, settings, flags)
    flags = flags or {name: f"{name}=" for name in TemperatureSettings._fields}
    given = [flags[name] for name, value in zip(settings._fields, settings, strict=True)
             if value is not None]
    if not given:
        return
    available = registered_analyses()
    lacking = []
    for name in names:
        if name not in TEMPERATURE_ANALYSES or name not in available:
            continue
        missing = unmet_requirements(universe, available[name], calculator)
        if not missing:
            return
        lacking.append(f"{name} needs {', '.join(missing)}")
    raise ValueError(f"{' and '.join(given)} appl{'y' if len(given) > 1 else 'ies'} to the "
                     f"analyses that divide by k_B T, and none of them can run on this "
                     f"trajectory ({'; '.join(lacking)}): {'they' if len(given) > 1 else 'it'} "
                     "would change nothing; leave "
                     f"{'them' if len(given) > 1 else 'it'} out")


def temperature_settings():
    """The :class:`TemperatureSettings` of the :func:`run_analyses` call running (none given
    outside one)."""
    return shared_value(_TEMPERATURE_KEY) or TemperatureSettings()


def check_temperature_settings(universe, temperature, constraints, com_removed):
    """:class:`TemperatureSettings` of run_analyses' arguments, refused before any analysis:
    not a temperature in K, not a whole number of constraints, not a flag, a count that
    contradicts the file's statement or leaves no degree of freedom, or a temperature given
    beside a count it would not use.

    Parameters
    ----------
    universe : MDAnalysis.Universe
        The trajectory analysed (its masses, and the count an H5MD file of run_md states).
    temperature : float or None
        Temperature to use as given, K.
    constraints : int or None
        Holonomic constraints of the run (rigid bonds and angles).
    com_removed : bool or None
        Whether the run kept the centre of mass at rest.

    Returns
    -------
    TemperatureSettings
        The checked settings.

    Raises
    ------
    ValueError
        Naming the setting and the fix, without reading a frame.
    """
    from .carriers import check_temperature
    from .conductivity import _checked_count

    temperature = check_temperature(temperature, allow_none=True)
    constraints, com_removed = _checked_count(constraints, com_removed)
    counted = constraints is not None or com_removed is not None
    if temperature is not None and counted:
        raise ValueError("temperature= is used as given, so constraints= and com_removed=, "
                         "which count the velocities' kinetic temperature, would change "
                         "nothing: give the temperature or the count, not both")
    if counted:
        from .conductivity import _universe_temperature_count

        _universe_temperature_count(universe, constraints, com_removed, probe=False)
    return TemperatureSettings(temperature, constraints, com_removed)


def shared_value(key):
    """What :func:`shared` computed for ``key`` in this :func:`run_analyses` call, or ``None``
    (not computed yet, or its factory failed, or outside a call): for an analysis that can use
    a shared value but should not start its computation."""
    ok, value = (_SHARED.get() or {}).get(key, (False, None))
    return value if ok else None


def estimate_label(est, reason=True):
    """``"1.02 ± 0.08 S/m"``, with ``"(NOT VALID: reason)"`` (or ``"(NOT VALID)"``) appended
    for an invalid number, and ``"(given)"`` for a number given, not measured
    (:meth:`~ase_electrolyte.estimate.Estimate.given_value`)."""
    import math

    from ase_electrolyte.atoms_checks import check_flag
    from ase_electrolyte.estimate import Estimate
    from ase_electrolyte.html_report import plain_number_text

    check_flag("reason", reason)
    if est is None:
        return "n/a"
    if not isinstance(est, Estimate):
        raise TypeError(f"estimate_label needs an Estimate (or None), not {est!r:.80}")
    unit = "" if same_unit(est.unit, "1") else f" {est.unit}"
    # a non-finite value or error is never drawn as "nan": only an invalid Estimate has one
    if not math.isfinite(est.value):
        text = "n/a"
    elif not math.isfinite(est.stderr):
        text = f"{est.value:.4g}{unit}, no error"
    elif est.given and est.stderr == 0:
        # a setting used as it is: "2.6 ± 0 Å" read as a measurement without scatter (the
        # terminal, the HTML report and str() write "2.6 Å")
        text = f"{plain_number_text(est.value)}{unit}"
    else:
        # the terminal's and the HTML report's form of the number
        text = f"{est.number_text()}{unit}"
    if est.given:
        # a setting drawn beside the results read as one of them
        text = f"{text} (given)"
    if est.valid:
        return text
    return f"{text} (NOT VALID: {est.verdict})" if reason else f"{text} (NOT VALID)"


#: Reasons a :func:`mark_invalid` stamp spells out; further ones are counted.
MAX_STAMP_REASONS = 3
#: Lines of reasons a :func:`mark_invalid` stamp holds (:data:`STAMP_WIDTH` characters each).
MAX_STAMP_LINES = 8
#: Characters per line of a :func:`mark_invalid` stamp.
STAMP_WIDTH = 60


def mark_invalid(ax, *estimates):
    """Mark a plot whose headline numbers are not valid: red title and a diagonal stamp.

    The stamp names each distinct reason once (the shares of ten shell labels that all have
    "too few ions" say it once), the first :data:`MAX_STAMP_REASONS` of them in full and the
    rest as a count, so the stamp stays readable over the data. It holds at most
    :data:`MAX_STAMP_LINES` lines of reasons: a reason cut there ends in "…" and the stamp
    says the reasons are in full in ``summary.json``. Three reasons of a solvation shell's
    number (hundreds of characters each) made a stamp of 30 lines, which covered the panel
    beside it, the axis labels and the figure's edges.
    """
    check_axes(ax)
    # an Estimate's dict (summary.json) is read as one; a bare number is refused by name
    estimates = estimates_of(estimates, "mark_invalid's estimates", allow_none=True)
    bad = [e for e in estimates if e is not None and not e.valid]
    if not bad:
        return ax
    reasons = list(dict.fromkeys(note for e in bad for note in e.notes))
    lines, shown, cut = _stamp_lines(reasons)
    more = len(reasons) - shown
    if more:
        lines.append(f"and {more} more reason{'s' if more > 1 else ''} (see summary.json)")
    elif cut:
        lines.append("(in full in summary.json)")
    ax.title.set_color("tab:red")
    # a reason may quote a name the user chose (a species, a file): shown as typed
    ax.text(0.5, 0.5, "NOT VALID\n" + "\n".join(lines), transform=ax.transAxes, ha="center",
            va="center", color="tab:red", alpha=0.6, fontsize=9, rotation=20, parse_math=False)
    return ax


def _stamp_lines(reasons):
    """``(lines, shown, cut)``: the wrapped lines of the first reasons that fit the stamp, how
    many reasons they show, and whether the last of them was cut."""
    import textwrap

    lines = []
    shown = 0
    for reason in reasons[:MAX_STAMP_REASONS]:
        room = MAX_STAMP_LINES - len(lines)
        if room <= 0:
            break
        wrapped = textwrap.wrap(reason, STAMP_WIDTH) or [""]
        shown += 1
        if len(wrapped) > room:
            lines += wrapped[:room - 1] + [_cut_line(" ".join(wrapped[room - 1:]))]
            return lines, shown, True
        lines += wrapped
    return lines, shown, False


def _cut_line(text):
    """The first :data:`STAMP_WIDTH` characters of ``text`` (at a word's end where one is
    near), ending in "…"."""
    if len(text) <= STAMP_WIDTH:
        return text
    head = text[:STAMP_WIDTH - 1]
    space = head.rfind(" ")
    return (head[:space] if space > STAMP_WIDTH // 2 else head).rstrip() + " …"


#: What an analysis may need (:func:`register_analysis`), each checked by
#: :func:`unmet_requirements`.
REQUIREMENTS = ("velocities", "forces", "box", "calculator", "observables", "real masses",
                "charged species", "shell cations")

#: How a missing ``"observables"`` requirement is named.
_OBSERVABLES = "observables (a run_md H5MD file)"


def _raised_hydrogen_mass(universe):
    """The hydrogen mass (amu) a run_md H5MD file's dynamics integrated with, when raised
    (the 2 fs pre-equilibration of Ju et al. 2025: 3 amu); ``None`` for real masses or
    another file."""
    from ase_electrolyte.trajectory import h5md_info

    from .observables import is_h5md_path

    path = getattr(universe.trajectory, "filename", None)
    if not is_h5md_path(path):
        return None
    try:
        run_info = h5md_info(path)["run_info"] or {}
    except (OSError, KeyError, ValueError):
        return None
    raised = run_info.get("hydrogen_mass") if isinstance(run_info, dict) else None
    if raised is not None and not _has_hydrogen(path):
        # files of a box without hydrogen written before run_md refused a hydrogen_mass there
        # record the protocol's 3 amu that never acted: their masses are the real ones
        return None
    return raised


def _has_hydrogen(path):
    """Whether the particles of the H5MD file ``path`` (atomic numbers, H5MD's ``species``)
    include hydrogen; ``True`` where they cannot be read (the recorded mass then stands)."""
    import numpy as np

    from ase_electrolyte.trajectory import open_h5md, particle_group

    try:
        with open_h5md(path) as f:
            return bool(np.any(np.asarray(f[particle_group(f)]["species"][()]) == 1))
    except (OSError, KeyError, ValueError):
        return True


def unmet_file_requirements(path, needs):
    """What the trajectory file ``path`` lacks of an analysis' ``needs``, known from its name
    before it is read (empty when none).

    Only ``"observables"`` can be judged so: they are in an H5MD file alone. ``electrolyte
    analyze --only density file.extxyz`` read the whole file and then skipped the density.

    Returns
    -------
    list of str
        ``["observables (a run_md H5MD file)"]`` or ``[]``.
    """
    from .observables import is_h5md_path

    return [_OBSERVABLES] if "observables" in needs and not is_h5md_path(path) else []


def unmet_requirements(universe, needs, calculator):
    """What ``universe`` and ``calculator`` lack of an analysis' ``needs`` (empty when none).

    Returns
    -------
    list of str
        Among ``"velocities"``, ``"forces"``, ``"box"``, ``"calculator (pass --model)"``,
        ``"observables (a run_md H5MD file)"``, ``"real masses (...)"``, ``"charged species
        (...)"`` and ``"shell cations (...)"``: the topology's needs are known from it alone,
        before any analysis runs (an ``--only`` shells analysis of a file without Li was
        skipped after the others had run).
    """
    missing = []
    if "observables" in needs:
        missing += unmet_file_requirements(getattr(universe.trajectory, "filename", None),
                                           needs)
    if "real masses" in needs:
        heavy = _raised_hydrogen_mass(universe)
        if heavy is not None:
            # transport of heavier molecules: slower diffusion, other conductivity and viscosity
            missing.append(f"real masses (this run integrated hydrogen at {heavy:g} amu: "
                           "analyse the production stage)")
    if "velocities" in needs and not hasattr(universe.trajectory.ts, "velocities"):
        missing.append("velocities")
    if "forces" in needs and not universe.trajectory.ts.has_forces:
        # the reference a model's errors are measured against
        missing.append("forces")
    if "box" in needs and universe.dimensions is None:
        missing.append("box")
    if "calculator" in needs and calculator is None:
        missing.append("calculator (pass --model)")
    if "charged species" in needs:
        missing += _unmet_charged_species(universe)
    if "shell cations" in needs:
        missing += _unmet_shell_cations(universe)
    return missing


def _unmet_charged_species(universe):
    """``["charged species (reason)"]`` when the topology has none, else ``[]``."""
    import warnings

    from .conductivity import charged_species

    try:
        with warnings.catch_warnings():
            # its doubt of rounded charges is said by the analysis that uses them, once
            warnings.simplefilter("ignore")
            charged_species(universe)
    except ValueError as err:
        return [f"charged species ({err})"]
    return []


def _unmet_shell_cations(universe):
    """``["shell cations (reason)"]`` when the topology has no centre for the solvation
    shells (single-atom Li/Na/K residues) or cannot tell their anions from solvents."""
    from .atom_categories import element_symbols
    from .solvation import SHELL_CATIONS

    shown = "/".join(SHELL_CATIONS)
    if not hasattr(universe.atoms, "elements"):
        return [f"shell cations (single-atom {shown} residues; the topology has no element "
                "symbols)"]
    import numpy as np

    atoms = universe.atoms
    symbols = np.asarray(element_symbols(atoms.elements))
    # the atoms alone in their residue, as the shells analysis picks its centres
    alone = np.bincount(atoms.resindices, minlength=len(universe.residues))[atoms.resindices] == 1
    if not np.isin(symbols[alone], SHELL_CATIONS).any():
        return [f"shell cations (single-atom {shown} residues; the topology has none)"]
    if not hasattr(universe.atoms, "formalcharges"):
        return ["shell cations (the topology has no formal charges to tell anions from "
                "solvents)"]
    # a column that records nothing (a PDB's blank charges read 0): the shells analysis skips
    # such a topology, so --only solvation_shells is refused here, before the other analyses
    from .solvation import _uncharged_cations_note

    note = _uncharged_cations_note(atoms[alone & np.isin(symbols, SHELL_CATIONS)])
    if note:
        return [f"shell cations ({note})"]
    return []


def run_analyses(universe, outdir, *, calculator=None, only=None, verbose=False,
                 keep_going=False, source=None, temperature=None, constraints=None,
                 com_removed=None):
    """Run the registered analyses on ``universe`` and write ``outdir/summary.json``.

    Parameters
    ----------
    universe : MDAnalysis.Universe
    outdir : str or pathlib.Path
        Created if needed; receives ``summary.json`` and the PNG plots. All or nothing: the
        analyses write into a hidden folder inside it (:data:`STAGING_PREFIX`), whose files
        replace those of an earlier run (one rename each, ``summary.json`` last) only once
        every analysis has run and the summary is written; then the earlier run's files of
        analyses that did not run now, or failed, are removed. A run that fails or is
        interrupted leaves the earlier outputs as they were (a ``KeyboardInterrupt`` carries a
        note saying so). A folder where one of these files goes is refused before any analysis
        runs (:func:`check_outputs`). One run per folder: the run claims ``outdir``
        (:class:`~ase_electrolyte.writer_lock.WriterLock`), and a second run into it while
        the first runs is refused at once. The hidden folder's name records the process and
        host of its run: one left by a run killed outright (SIGKILL, out of memory) is
        removed by the next run, also when its process id has been taken by another program
        since, and so is one of an earlier version (``.analyses-<random>``); one of another
        host is removed once unchanged for :data:`OTHER_HOST_STAGING_AGE_S`, and named in a
        ``RuntimeWarning`` until then.
    calculator : ase.calculators.calculator.Calculator, optional
        For the analyses that evaluate a model.
    only : iterable of str, optional
        Names of the analyses to run (default: all).
    verbose : bool
        Show progress bars.
    keep_going : bool
        Record an analysis that raises as ``{"failed": "Error: message"}`` in the summary (and
        warn) and run the others, instead of stopping at the first error (whose exception
        then carries a note naming the analysis). A full disk or a file-size limit
        (:func:`no_room`) stops the run all the same.
    source : dict, optional
        What was analysed (``electrolyte analyze``: the file, its frames and whether the run
        that wrote it had finished), written first in the summary under :data:`INPUT_KEY`:
        the summary of the frames an interrupted run had written read as that of a whole run.
    temperature : float, optional
        K, used as given by the analyses that divide by k_B T (conductivities, viscosity;
        their summaries say ``"temperature_K (given)"``); default: the velocities' kinetic
        temperature (``"temperature_K (kinetic)"``, its method saying how it was counted).
        Given to such an analysis, the summary's :data:`INPUT_KEY` record holds it as a
        setting beside the run's measured temperature and their comparison
        (:func:`given_temperature_record`).
    constraints : int, optional
        Holonomic constraints of the run that wrote the trajectory (3 per rigid water, 1 per
        constrained bond), which the kinetic temperature's N_dof = 3N − N_constraints − 3
        leaves out; default: what an H5MD file of run_md states, else 0 (the kinetic
        temperature and the numbers divided by it not valid where bonds keep their lengths
        as constraints keep them: :func:`mda_electrolyte.conductivity.rigid_bonds`).
    com_removed : bool, optional
        Whether the run kept the centre of mass at rest (default: the file's statement, else
        True). ``constraints`` and ``com_removed`` are refused where they contradict the
        file's statement, and beside ``temperature``; all three are checked before any
        analysis (:class:`TemperatureSettings`).

    Returns
    -------
    dict
        The summary as written to ``summary.json``: every
        :class:`~ase_electrolyte.estimate.Estimate` an analysis returned is its
        :meth:`~ase_electrolyte.estimate.Estimate.to_dict` (``Estimate.from_dict`` restores it).
    """
    from collections.abc import Iterable

    import MDAnalysis as mda

    from ase_electrolyte.atomic_file import check_output_path
    from ase_electrolyte.atoms_checks import check_flag
    from ase_electrolyte.writer_lock import WriterLock

    if not isinstance(universe, mda.Universe):
        raise TypeError(f"universe must be an MDAnalysis Universe, not "
                        f"{type(universe).__name__}")
    check_flag("verbose", verbose)
    check_flag("keep_going", keep_going)
    if source is not None and not isinstance(source, dict):
        raise TypeError(f"source must be a dict describing the input, not "
                        f"{type(source).__name__}")
    # a folder, not a file or a path under one: found before any analysis (FileExistsError)
    outdir = check_output_path(outdir, "outdir", folder=True)
    available = registered_analyses()
    if only is not None:
        if isinstance(only, (str, bytes)) or not isinstance(only, Iterable):
            # a string was read letter by letter ("unknown analyses ['d', 'e', ...]")
            raise TypeError(f"only must be a list of analysis names, not {only!r}")
        only = list(only)
        if not all(isinstance(name, str) for name in only):
            raise TypeError(f"only must be a list of analysis names (strings), not {only!r}")
    # a count the file contradicts was refused only inside the analyses, after the others ran
    settings = check_temperature_settings(universe, temperature, constraints, com_removed)
    # a name given twice runs once (its summary entry would be overwritten by the same run)
    names = list(available) if only is None else analysis_names(only)
    if only is not None and not names:
        # an empty summary written as the result of nothing asked for
        raise ValueError(f"only names no analysis; give names among {sorted(available)}, or "
                         "None for all")
    # used by none of the analyses that can run here (skipped for want of charged species or
    # velocities): refused, not ignored
    check_temperature_runs(universe, names, settings, calculator)
    # a folder where summary.json or a figure goes failed the write after every analysis ran
    check_outputs(outdir, report_files(names), links_removed=True)
    # every file of every analysis: those not run now are removed as an earlier run's
    check_replaceable(outdir, report_files(available))
    outdir.mkdir(parents=True, exist_ok=True)
    # one run per folder: two concurrent runs published their files into it interleaved (the
    # summary of one beside the figures of the other), and neither could tell a staging folder
    # of a killed run from one of a running run whose pid had been reused. Refused at once
    # (ConcurrentWriterError), nested within the claim electrolyte analyze takes first
    with WriterLock(outdir, "analysis output folder"):
        return _run_claimed(universe, outdir, names, available, calculator, verbose,
                            keep_going, source, settings)


def given_temperature_record(universe, temperature):
    """The input record of a temperature given to :func:`run_analyses`: the setting, the run's
    own measured temperature where it has one, and whether they agree.

    Returns
    -------
    dict
        ``"settings"``: ``{"temperature_K": temperature}``, a given
        :class:`~ase_electrolyte.estimate.Estimate` (K, no error, not a result), not valid
        where the temperature is no liquid's (``"unit doubted: ..."``, the rule of
        :func:`~mda_electrolyte.carriers.doubted_unit_notes`: 25 K given for 25 °C was stored
        as a plain, unquestioned setting while every number divided by it was marked);
        ``"run_temperature"``: an :class:`~ase_electrolyte.estimate.Estimate`
        (K) of the run's ``temperature`` observable (an H5MD file of run_md), else of the
        velocities' kinetic temperature, absent where the frames hold neither;
        ``"temperature_check"``: a sentence comparing the two by the transport analyses'
        bounds (:data:`~mda_electrolyte.carriers.TEMPERATURE_MISMATCH` and
        :data:`~mda_electrolyte.carriers.TEMPERATURE_MISMATCH_SIGMAS`).

    Examples
    --------
    >>> import MDAnalysis as mda
    >>> from mda_electrolyte.report import given_temperature_record
    >>> u = mda.Universe.empty(3, trajectory=True)
    >>> print(given_temperature_record(u, 300)["settings"]["temperature_K"])
    300 K (given)
    >>> given_temperature_record(u, 25)["settings"]["temperature_K"].valid
    False
    """
    import math

    from ase_electrolyte.atoms_checks import check_number
    from ase_electrolyte.html_report import plain_number_text

    from .carriers import (
        TEMPERATURE_MISMATCH,
        TEMPERATURE_MISMATCH_SIGMAS,
        given_temperature,
        recorded_temperature,
    )

    temperature = check_number("temperature (K)", temperature, above=0.0)
    setting = given_temperature(temperature, TEMPERATURE_SOURCE)
    record = {"settings": {"temperature_K": setting}}
    # as typed: six digits read --temperature 298.1534 as "the 298.153 K given"
    typed = plain_number_text(temperature)
    measured = _measured_temperature(universe, recorded_temperature(universe))
    if measured is None:
        return record
    record["run_temperature"] = measured
    # the run's temperature in the one form of a number (Estimate.number_text): an unknown
    # error was written "± 0 K" (one frame's kinetic temperature read as exact), a missing
    # value "nan K", and the digits differed from the same Estimate's in the report
    if not (math.isfinite(measured.value) and measured.value > 0):
        shown = (f"{measured.number_text()} K" if math.isfinite(measured.value)
                 else "without a value")
        record["temperature_check"] = (f"the {typed} K given could not be compared: "
                                       f"the run's temperature is {shown}")
        return record
    err = measured.stderr if math.isfinite(measured.stderr) else 0.0
    gap = temperature - measured.value
    off = (abs(gap) > TEMPERATURE_MISMATCH * measured.value
           and abs(gap) > TEMPERATURE_MISMATCH_SIGMAS * err)
    said = (f"the {typed} K given is {abs(gap) / measured.value:.1%} "
            f"{'above' if gap > 0 else 'below'} the run's {measured.number_text()} K")
    bounds = f"{TEMPERATURE_MISMATCH:.0%} and {TEMPERATURE_MISMATCH_SIGMAS:g} standard errors"
    if not measured.valid:
        # a measurement that is not valid judges no setting (too few samples, a count in doubt)
        record["temperature_check"] = (f"{said}, a measurement that is not valid, so no "
                                       f"verdict on the setting: {measured.verdict}")
    elif off:
        record["temperature_check"] = (f"{said}: more than {bounds}, so the numbers divided "
                                       "by k_B T are of another temperature than the run's")
    else:
        record["temperature_check"] = (f"{said}: they agree (within {TEMPERATURE_MISMATCH:.0%} "
                                       f"or {TEMPERATURE_MISMATCH_SIGMAS:g} standard errors)")
    return record


#: Where the temperature of :func:`given_temperature_record` was given.
TEMPERATURE_SOURCE = "temperature=, electrolyte analyze --temperature"


def _measured_temperature(universe, recorded):
    """The run's temperature (an Estimate, K): the mean of its ``recorded`` temperature
    observable, else the velocities' kinetic temperature, else ``None``."""
    import numpy as np

    from ase_electrolyte.md import series_estimate

    if recorded is not None and np.size(recorded) >= 2 and np.all(np.isfinite(recorded)):
        return series_estimate(np.asarray(recorded, dtype=np.float64), "K",
                               where="the run's recorded temperature", detect=False)[0]
    if not hasattr(universe.trajectory.ts, "velocities"):
        return None
    from .conductivity import kinetic_temperature

    try:
        return kinetic_temperature(universe)
    except ValueError:
        # velocities all zero (not written): no temperature to show beside the setting
        return None


def _run_claimed(universe, outdir, names, available, calculator, verbose, keep_going, source,
                 settings):
    """:func:`run_analyses` once its arguments are checked and ``outdir`` is claimed."""
    summary = {} if source is None else {INPUT_KEY: dict(source)}
    # all or nothing (staged_outputs): the earlier run's summary and figures were removed
    # before the first analysis, and a rerun that failed (a bad input found late, Ctrl-C, a
    # full disk) lost them with nothing in their place
    with staged_outputs(outdir, report_files(available), last="summary.json") as staging:
        # the run's own settings, beside its shared values: the transport collection and
        # each analysis that divides by k_B T read them (temperature_settings)
        token = _SHARED.set({_TEMPERATURE_KEY: (True, settings)})
        try:
            _run(universe, staging, names, summary, calculator, verbose, keep_going)
        finally:
            _SHARED.reset(token)
        if settings.temperature is not None and set(names) & set(TEMPERATURE_ANALYSES):
            # a setting, beside what was analysed: shown as a result ("300 ± 0 K (valid)"),
            # it read as a measured temperature, and the run's own was not shown beside it
            summary.setdefault(INPUT_KEY, {}).update(
                given_temperature_record(universe, settings.temperature))
        # a summary that holds itself failed with RecursionError in the serialiser: named
        check_report_tree(summary, "summary")
        # one serialised form, returned and written alike: JSON-ready, Estimates as their dicts
        summary = _plain_numbers_to_json(estimates_to_dict(summary), moved=(staging, outdir))
        write_json_atomic(staging / "summary.json", summary, indent=2, default=_json_default)
        # a figure an analysis saved before it failed would show a result the summary says
        # it does not have
        failed = [name for name in names
                  if isinstance(summary.get(name), dict) and "failed" in summary[name]]
        clear_outputs(staging, [f for f in report_files(failed) if f != "summary.json"])
    return summary


@contextlib.contextmanager
def staged_outputs(outdir, known, *, last, what="run_analyses"):
    """Publish the files a run writes into ``outdir`` all at once, or not at all.

    The block writes every output into the hidden folder it is given, inside ``outdir``
    (named :data:`STAGING_PREFIX`, the process id and host, then random letters). When the
    block ends without an exception, each file replaces its namesake in ``outdir`` by one
    rename (a reader sees the old file or the new one; a symbolic link at an output name is
    replaced, not written through), the file ``last`` (the summary that names the others)
    after all the rest; then the files among ``known`` that the run did not write (an
    earlier run's figures of parts not run now) are removed. When the block raises (a model
    that fails mid-run, a full disk at a figure, Ctrl-C), ``outdir`` keeps the earlier run's
    files as they were. The hidden folder is removed either way; an ``OSError`` that names a
    file in it names the file in ``outdir`` instead (the user knows ``outdir/rdf.png``); a
    ``KeyboardInterrupt`` carries a note saying whether the earlier outputs are untouched.

    Staging folders that killed runs left in ``outdir`` are removed first (those of this host
    at once; another host's once unchanged for :data:`OTHER_HOST_STAGING_AGE_S`, named in a
    ``RuntimeWarning`` until then). The caller must hold ``outdir``
    (:class:`~ase_electrolyte.writer_lock.WriterLock`): no other run on this host then writes
    into it, so every staging folder of this host there is a killed run's.

    :func:`run_analyses` (``summary.json``) and :func:`~mda_electrolyte.diagnose.diagnose`
    (``diagnose.json``) publish their outputs with it.

    Parameters
    ----------
    outdir : pathlib.Path
        The output folder: it exists and the caller holds its claim.
    known : iterable of str
        Names, relative to ``outdir``, of every file a run of this kind may write: those the
        run does not write now are removed as an earlier run's.
    last : str
        Name, relative to ``outdir``, of the file published last.
    what : str
        The writer that warnings and notes name.

    Yields
    ------
    pathlib.Path
        The staging folder.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from ase_electrolyte.writer_lock import WriterLock
    >>> from mda_electrolyte.report import staged_outputs
    >>> out = Path(tempfile.mkdtemp())
    >>> (out / "old.png").write_text("an earlier run's figure")
    23
    >>> with WriterLock(out, "example folder"):
    ...     with staged_outputs(out, ["old.png", "new.csv", "summary.json"],
    ...                         last="summary.json") as staging:
    ...         _ = (staging / "new.csv").write_text("1,2")
    ...         _ = (staging / "summary.json").write_text("{}")
    >>> sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    ['new.csv', 'summary.json']
    """
    _remove_stale_staging(outdir, what)
    try:
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(), dir=outdir))
    except OSError as err:
        # named by the output folder, not by the random name it tried there
        err.filename = os.fspath(outdir)
        raise
    publishing = False
    try:
        yield staging
        publishing = True
        _publish(staging, outdir, known, last)
    except BaseException as err:
        _name_published_file(err, staging, outdir)
        if isinstance(err, KeyboardInterrupt):
            # said by the electrolyte command too: "interrupted" alone left the user to wonder
            # whether the earlier summary and figures were lost
            err.add_note(
                f"{what}: stopped while its outputs replaced the earlier ones in {outdir}: "
                "the earlier outputs were put back, nothing of this run is kept"
                if publishing and not _not_put_back(err) else
                f"{what}: stopped while its outputs replaced the earlier ones in {outdir}"
                if publishing else
                f"{what}: stopped before publishing; the earlier outputs in {outdir} are "
                "untouched")
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


#: Name prefix of the hidden folder :func:`run_analyses` writes a run into before publishing it;
#: the process id and host of the run follow (``.analyses-<pid>@<host>.<random>``).
STAGING_PREFIX = ".analyses-"

#: Seconds a staging folder of another host's run must have gone unchanged (the folder and
#: everything in it) before :func:`run_analyses` removes it: 7 days. Whether such a run is still
#: alive cannot be asked from here (its process is on another machine, and a claim holds
#: across the hosts of a shared file system only where ``flock`` does), while a live run writes
#: a figure into its folder as each analysis ends.
OTHER_HOST_STAGING_AGE_S = 7 * 24 * 3600


def _host():
    """This machine's name as it goes into a staging folder's name (letters, digits, '.-')."""
    import re
    import socket

    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())[:64] or "_"


def _staging_prefix():
    return f"{STAGING_PREFIX}{os.getpid()}@{_host()}."


def _remove_stale_staging(outdir, what="run_analyses"):
    """Remove the staging folders of :func:`run_analyses` in ``outdir`` whose run has ended
    without removing its own: a run killed outright (SIGKILL, out of memory, a lost node).

    Called with ``outdir`` claimed (:class:`~ase_electrolyte.writer_lock.WriterLock`): no other
    run on this host writes into it, so every staging folder of this host is stale whatever
    its process id names now (a killed run's pid taken by another program had kept its folder
    for good), and so is one of an earlier version, whose name records no owner
    (``.analyses-<random>``: never removed before). Another host's folder (a claim holds
    across the hosts of a shared file system only where it supports ``flock`` across them,
    which cannot be told from here) is removed once nothing in it has changed for
    :data:`OTHER_HOST_STAGING_AGE_S`; a younger one is kept and named in a warning with its
    age (they were kept for good without a word). Left as they are: this process' own
    folders, anything that is not a folder (a symbolic link) and any other name. Failing
    removals are left too (a stale folder harms nothing but room).

    Parameters
    ----------
    outdir : str or os.PathLike
        An output folder of :func:`run_analyses`, claimed by the caller.
    what : str
        The writer the warning names (``diagnose`` stages its outputs the same way).

    Returns
    -------
    list of pathlib.Path
        The folders removed.
    """
    import time

    host = _host()
    removed = []
    kept = []
    try:
        entries = list(os.scandir(outdir))
    except OSError:
        return removed
    for entry in entries:
        owner = _staging_owner(entry.name)
        if owner is None or (owner[1] == host and owner[0] == os.getpid()):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
        except OSError:
            continue
        if owner[1] not in (host, None):
            age = time.time() - _newest_change(entry.path)
            if age < OTHER_HOST_STAGING_AGE_S:
                kept.append((entry.name, owner[1], age))
                continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.lexists(entry.path):
            removed.append(Path(entry.path))
    if kept:
        kept.sort()
        shown = ", ".join(f"{name} (host {other}, unchanged for {_age_text(age)})"
                          for name, other, age in kept[:3])
        more = f" and {len(kept) - 3} more" if len(kept) > 3 else ""
        warnings.warn(
            f"{what}: {len(kept)} staging folder(s) of analysis runs on other hosts in "
            f"{outdir}: {shown}{more}; kept, as such a run may still be writing (removed once "
            f"unchanged for {OTHER_HOST_STAGING_AGE_S // 86400} days): remove them yourself if "
            "no analysis on those hosts writes into this folder", RuntimeWarning, stacklevel=6)
    return removed


def _newest_change(path):
    """The latest modification time (s since the epoch) of the folder ``path`` and everything
    in it, symbolic links not followed; an entry that cannot be read counts as changed now."""
    import time

    try:
        newest = os.lstat(path).st_mtime
    except OSError:
        return time.time()
    for root, dirs, files in os.walk(path, onerror=lambda err: None):
        for name in (*dirs, *files):
            try:
                newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
            except OSError:
                return time.time()
    return newest


def _age_text(seconds):
    """A duration in the unit a reader takes in at once (min, h or days)."""
    seconds = max(seconds, 0.0)
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _staging_owner(name):
    """``(pid, host)`` of a staging folder's name, ``(None, None)`` for an earlier version's
    (``.analyses-`` and :func:`tempfile.mkdtemp`'s 8 random characters), ``None`` for a name
    that is no staging folder's."""
    import re

    match = re.fullmatch(re.escape(STAGING_PREFIX) + r"(\d+)@(.+)\.[a-z0-9_]+", name)
    if match is not None:
        return int(match.group(1)), match.group(2)
    if re.fullmatch(re.escape(STAGING_PREFIX) + r"[a-z0-9_]{8}", name):
        return None, None
    return None


def _publish(staging, outdir, known, last):
    """Move every file of ``staging`` to ``outdir`` (``last`` last), and the files among
    ``known`` that this run did not write (an earlier run's figures of analyses not run,
    failed or skipped now) out of it: all of them or, on an error or Ctrl-C, none.

    Each file is replaced by one rename (a reader sees the old file or the new one); a
    symbolic link at an output name is replaced, not written through (:func:`check_outputs`).
    The earlier run's files are first moved aside into the staging folder, ``last`` (the
    summary) before any new file arrives: a publish stopped between two renames left the new
    figures beside the earlier run's summary, which described other numbers. Stopped by an
    exception, the new files are taken out and the earlier ones put back; killed outright, the
    folder holds some new files and no ``last``, which says no run there is complete (the next
    run removes the staging folder with the earlier files).
    """
    files = sorted((p for p in staging.rglob("*") if p.is_file() or p.is_symlink()),
                   key=lambda p: (p.relative_to(staging) == Path(last), str(p)))
    # made read-only while the run ran: refused before the first rename, so that nothing
    # of this run is published over or beside the protected file
    # staged files may lie in sub-folders of outdir (staged_outputs' names are checked there)
    relatives = [p.relative_to(staging).as_posix() for p in files]
    _refuse_protected(outdir, dict.fromkeys([*known, *relatives]))
    new = set(relatives)
    # the earlier summary first: from its removal on, no summary describes the folder's files
    earlier = [last] + [name for name in (*relatives, *known) if name != last]
    aside = Path(tempfile.mkdtemp(prefix=".earlier-", dir=staging))
    moved, written = [], []
    try:
        for name in dict.fromkeys(earlier):
            target = outdir / name
            if not (target.is_file() or target.is_symlink()):
                continue
            if name not in new and name not in known:
                continue
            saved = aside / name
            saved.parent.mkdir(parents=True, exist_ok=True)
            os.replace(target, saved)
            moved.append((target, saved))
        for path, relative in zip(files, relatives, strict=True):
            target = outdir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            written.append(target)
    except BaseException as err:
        failed = _put_back(written, moved)
        if failed:
            err.add_note(f"the earlier outputs could not all be put back in {outdir} "
                         f"({'; '.join(failed)}); they are in {aside} until the next run")
        raise


def _not_put_back(err):
    return any("could not all be put back" in note for note in getattr(err, "__notes__", ())
               if isinstance(note, str))


def _put_back(written, moved):
    """Undo a stopped :func:`_publish`: remove the files it published, rename the earlier ones
    back; what could not be done, as text."""
    failed = []
    for target in reversed(written):
        try:
            target.unlink(missing_ok=True)  # one never published is already gone
        except OSError as err:
            failed.append(f"{target}: {err.strerror or err}")
    for target, saved in reversed(moved):
        try:
            os.replace(saved, target)
        except OSError as err:
            failed.append(f"{target}: {err.strerror or err}")
    return failed


def _name_published_file(err, staging, outdir):
    """Name in ``err`` the output file, not its place in the hidden staging folder: the user
    knows ``outdir/rdf.png``, never ``outdir/.analyses-x1y2/rdf.png`` (gone by then)."""
    if not isinstance(err, OSError):
        return
    for attribute in ("filename", "filename2"):
        value = getattr(err, attribute, None)
        if value is None:
            continue
        try:
            relative = Path(os.fsdecode(value)).relative_to(staging)
        except (TypeError, ValueError):
            continue
        with contextlib.suppress(AttributeError, TypeError):
            setattr(err, attribute, os.fspath(outdir / relative))


def report_files(names):
    """The files :func:`run_analyses` writes (or removes as stale) for the analyses ``names``.

    Parameters
    ----------
    names : iterable of str
        Names of registered analyses.

    Returns
    -------
    list of str
        ``summary.json``, then each analysis' ``<name>.png`` and ``<name>.csv``.
    """
    return ["summary.json"] + [f"{name}{suffix}" for name in names
                               for suffix in (".png", ".csv")]


def _file_names(names):
    """``names`` as a list of bare file names, or a ValueError."""
    # a string would be iterated letter by letter (removing files "s", "u", ...); a name with
    # a folder in it ("../x", "/x") would remove a file outside outdir
    if isinstance(names, (str, bytes)) or not all(
            isinstance(n, str) and n and Path(n).name == n and n not in (".", "..")
            for n in names):
        raise ValueError(f"names must be a list of file names inside outdir, not {names!r}")
    return list(names)


def check_outputs(outdir, names, *, links_removed=False):
    """Refuse, before any work, a file ``names`` of ``outdir`` that no run can write.

    A folder of that name (or a symbolic link to one), or a link that loops, failed the write
    only when the file was written: a summary after every analysis had run, a simulation's
    record after the whole protocol. The files themselves are not touched.

    Parameters
    ----------
    outdir : str or os.PathLike
        The output folder (it need not exist yet).
    names : list of str
        File names inside ``outdir``.
    links_removed : bool
        The run removes a symbolic link of these names before it writes
        (:func:`clear_outputs`) instead of writing through it: a link is no obstacle.

    Raises
    ------
    ValueError
        Naming the first such path and what to do.
    """
    from ase_electrolyte.atomic_file import broken_link
    from ase_electrolyte.atoms_checks import check_flag

    check_flag("links_removed", links_removed)
    for name in _file_names(names):
        path = Path(outdir) / name
        if links_removed and path.is_symlink():
            continue
        if broken_link(path) == "loops":
            raise ValueError(f"{path} is a symbolic link that loops, where the run writes its "
                             f"file {name}; remove it, or give another output folder")
        if path.is_dir():
            raise ValueError(f"{path} is a folder, where the run writes its file {name}; move "
                             "or remove it, or give another output folder")


def check_replaceable(outdir, names):
    """Refuse, before any work, a file ``names`` of ``outdir`` that its owner made read-only.

    A rerun replaces its files by renames and removes the earlier run's files it does not write
    now; both need only the folder's write permission, so a summary or figure the user had
    protected (``chmod a-w``) was replaced or deleted without a word. A symbolic link at one of
    the names is no obstacle: the link itself is replaced or removed, never the file it points
    to.

    Parameters
    ----------
    outdir : str or os.PathLike
        The output folder (it need not exist yet).
    names : list of str
        File names inside ``outdir`` that the run replaces or removes where they exist.

    Raises
    ------
    PermissionError
        Naming the first read-only file, that nothing was changed, and what to do.
    """
    _refuse_protected(outdir, _file_names(names))


def _refuse_protected(outdir, relative_paths):
    """PermissionError naming the first of ``relative_paths`` (inside ``outdir``, checked by
    the caller) that is a read-only file."""
    for name in relative_paths:
        path = Path(outdir) / name
        # as atomic_path judges a read-only target; a link is replaced, not what it points to
        if path.is_file() and not path.is_symlink() and is_read_only(path):
            raise PermissionError(
                errno.EACCES,
                f"{path} is read-only: a run into {outdir} would replace or remove it, so "
                "nothing there was changed; give it write permission (chmod u+w) to let a "
                "rerun replace it, or write to another path")


def clear_outputs(outdir, names):
    """Remove the files (or symbolic links) ``names`` of an earlier run from ``outdir``.

    A rerun into the same folder must not leave the figures or the summary of the earlier run
    beside the new ones: a stale plot or number would read as the new result.
    :func:`run_analyses` removes them once its own outputs are in place.

    Raises
    ------
    PermissionError
        One of the files is read-only (:func:`check_replaceable`); none is removed then.
    """
    names = _file_names(names)
    check_replaceable(outdir, names)
    for name in names:
        path = Path(outdir) / name
        if path.is_file() or path.is_symlink():
            path.unlink()


def _plain_numbers_to_json(summary, moved=None):
    """``summary`` with every NaN or infinite plain number (outside an Estimate) as ``None``.

    ``moved``: ``(staging, outdir)``, the folder the analyses wrote into and the one it is
    published as; a path or text naming a file in the first names it in the second (a summary
    that named ``outdir/.analyses-x1y2/rdf.png`` named a file that is gone).

    JSON has no NaN, and :func:`~ase_electrolyte.atomic_file.write_json_atomic` refuses one; a
    diagnostic of one analysis that is not a number (an R² of a flat MSD, a ratio 0/0) must
    not cost every analysis its summary after the whole run. It is written as absent, as
    :meth:`~ase_electrolyte.estimate.Estimate.to_dict` writes a missing value, and each such
    key is named in a warning (the analysis should have reported it as an invalid Estimate).
    """
    import math
    import numbers
    import os

    import numpy as np

    from ase_electrolyte.estimate import Estimate

    found = []
    if moved is not None:
        written_in, published_in = (os.fspath(folder) for folder in moved)

    def relocated(text):
        return text if moved is None else text.replace(written_in, published_in)

    def clean(obj, where):
        if isinstance(obj, Estimate):
            # one in a container estimates_to_dict does not enter (a set): json's default
            # wrote float(estimate), its bare value, an invalid one as a result
            return clean(obj.to_dict(), where)
        if isinstance(obj, np.ndarray):
            obj = obj.tolist()
        elif isinstance(obj, np.generic):
            obj = obj.item()
        elif (hasattr(obj, "tolist") and hasattr(obj, "shape")
              and not isinstance(obj, (str, bytes))):
            # a torch tensor (a 0-d NaN one failed the write of the whole summary; an array
            # was written as its repr, "tensor([1., inf])"), a masked array
            obj = obj.tolist()
        elif isinstance(obj, numbers.Number) and not isinstance(obj, (int, float, complex)):
            # Decimal("NaN") reached json as float nan and failed the write of every analysis
            try:
                obj = float(obj)
            except (TypeError, ValueError, OverflowError):
                return str(obj)
        if isinstance(obj, float):
            if math.isfinite(obj):
                return obj
            found.append(where)
            return None
        if isinstance(obj, dict):
            return {_json_key(k): clean(v, f"{where}.{k}") for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [clean(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, (set, frozenset)):
            return [clean(v, f"{where}[{i}]") for i, v in enumerate(sorted(obj, key=str))]
        if isinstance(obj, str):
            return relocated(obj)
        if isinstance(obj, (os.PathLike, bytes)):  # a file an analysis wrote, a name read
            return relocated(os.fsdecode(obj))
        if isinstance(obj, complex):  # never a reported number; its text, not a lost summary
            return str(obj)
        return obj

    summary = {name: clean(value, name) for name, value in summary.items()}
    if found:
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        warnings.warn(f"summary: {len(found)} plain number(s) that are not numbers (NaN or "
                      f"infinite) written as null: {shown}", RuntimeWarning, stacklevel=3)
    return summary


def _json_key(key):
    """A summary key as JSON text: a pair ``("Li", "O")`` as ``"Li-O"``, a number as json writes
    it, anything else as its text (json refused them after every analysis had run,
    and the summary of all of them was lost)."""
    import json

    import numpy as np

    if isinstance(key, np.generic):
        key = key.item()
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return json.dumps(key)  # as json.dump writes them: the returned summary is the stored
    if isinstance(key, tuple):
        return "-".join(str(k) for k in key)
    return str(key)


def _json_default(obj):
    """JSON form of what an analysis' summary may hold besides numbers, text and containers.

    Any object as a number if it is one, else as its text (an unknown object failed the write
    after every analysis had run).
    """
    import math

    import numpy as np

    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.integer, np.bool_)):
        return obj.item()
    try:
        number = float(obj)
    except (TypeError, ValueError, OverflowError):
        return str(obj)
    # a NaN here failed the (strict) write of the whole summary: absent, as clean() writes one
    return number if math.isfinite(number) else None


#: Why a write found no room, by errno name: an environment fault, not an analysis' failure.
NO_ROOM = {"EFBIG": "a file-size limit (ulimit -f) was reached",
           "ENOSPC": "the disk is full",
           "EDQUOT": "the disk quota is used up"}


def no_room(err):
    """What :data:`NO_ROOM` says of ``err``, or ``None`` when it is no full disk or size limit."""
    import errno

    if not isinstance(err, OSError):
        return None
    return next((text for name, text in NO_ROOM.items()
                 if err.errno is not None and err.errno == getattr(errno, name, None)), None)


def _run(universe, outdir, names, summary, calculator, verbose, keep_going):
    for name in names:
        func, needs = _REGISTRY[name]
        missing = unmet_requirements(universe, needs, calculator)
        if missing:
            summary[name] = {"skipped": "needs " + ", ".join(missing)}
            continue
        try:
            # the figures it draws and saves show species and file names as typed: a "$" in
            # one read as mathtext and failed the save ("Expected end of text")
            with user_text_literally():
                summary[name] = func(universe, outdir, calculator=calculator, verbose=verbose)
        except Exception as err:
            if not keep_going or no_room(err):
                # a full disk is no failure of the analysis: the next ones would lose their
                # results the same way, and the run ended "done" with each recorded as failed.
                # The error named no analysis ("error: cannot compute ..."), and the results of
                # those before it were lost without a word of keep_going
                # keep_going is no remedy for a full disk (it stops there too): advised only
                # for a failure of the analysis itself
                err.add_note(f"analysis {name!r} failed" + (
                    "" if keep_going or no_room(err) else "; keep_going=True (electrolyte "
                    "analyze --keep-going) records a failing analysis and runs the others"))
                raise
            summary[name] = {"failed": f"{type(err).__name__}: {err}"}
            warnings.warn(f"analysis {name!r} failed: {summary[name]['failed']}", stacklevel=3)
