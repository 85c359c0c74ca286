r"""The screened numbers of one task, read from the analyses' ``summary.json``.

A task's analyses write their results with :func:`mda_electrolyte.report.run_analyses`. This
module turns one such summary (and the protocol's density) into the task's *properties*: one
dict per number with the same keys as :meth:`~ase_electrolyte.estimate.Estimate.to_dict`,

``{"value", "stderr", "unit", "method", "n_samples", "converged", "verdict", "notes"}``,

in the table's unit of that property. Two summary formats are read:

* an **Estimate dict** — any dict holding ``"value"``, ``"stderr"`` and ``"converged"`` — is taken
  as it is (its verdict, method and notes kept, converted to the table's unit);
* the older **scalar keys** (``sigma_mS_per_cm`` with ``sigma_err_mS_per_cm``, ``D_m2_per_s``
  per species with ``D_err_m2_per_s`` and ``verdict``, ``fractions`` ...) with the analysis'
  ``verdict``/``valid`` entries, or, where it gives none, the plateau and fit-quality checks.

Estimate dicts the known names below do not cover (parts of a conductivity, transference
numbers, ...) become properties named ``"<analysis>.<key>[.<key>...]"`` in their own unit, so a
new analysis reaches the table without a change here.

Known names: ``density`` (g/cm^3; the ``density`` analysis when it ran, else the protocol's
density Estimate — mean after the detected equilibration, statistical-inefficiency error,
verdict),
``conductivity_gk`` and ``conductivity_eh`` (mS/cm), ``viscosity`` (mPa·s), ``D_<species>``
(m^2/s) and the solvation classes ``SSIP``/``CIP``/``AGG`` (fractions of cations, unit ``"1"``).
A number given to the analyses, not measured (an Estimate dict of
:meth:`~ase_electrolyte.estimate.Estimate.given_value`: a fallback shell cutoff, a viscosity
given to a correction), is no property: averaged over replicas it was a "valid" mean of a
setting, and where some replicas measured it and others fell back to the setting, a mean of
both. It stays in the task's ``summary.json``.
Unlike an :class:`~ase_electrolyte.estimate.Estimate`, a property may be valid with
``stderr`` ``None``: the fractions have no in-run error, and the table's error is the spread over
replicas anyway.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["task_properties", "is_estimate_dict", "replica_property", "known_property"]

# fit quality below which an old-format fit without its own verdict is marked "poor fit"
_MIN_R2 = 0.9

# analysis → (property name, keys that may hold its Estimate dict, table unit)
_SCALARS = {
    "green_kubo_conductivity": ("conductivity_gk", ("sigma", "conductivity", "sigma_S_per_m",
                                                    "sigma_mS_per_cm"), "mS/cm"),
    "einstein_helfand_conductivity": ("conductivity_eh", ("sigma", "conductivity",
                                                          "sigma_S_per_m", "sigma_mS_per_cm"),
                                      "mS/cm"),
    "viscosity": ("viscosity", ("viscosity", "eta", "viscosity_mPa_s"), "mPa·s"),
    "density": ("density", ("density", "density_g_cm3"), "g/cm^3"),
}
# per-species (or per-class) analyses: analysis → (prefix, keys of the {name: value} dict, unit)
_PER_NAME = {
    "diffusion": ("D_", ("D", "D_m2_per_s", "D_A2_per_ps", "diffusivity"), "m^2/s"),
    "solvation_shells": ("", ("fractions",), "1"),
}
# old scalar format: analysis → (value key, error key, unit of both)
_OLD_SCALARS = {
    "green_kubo_conductivity": ("sigma_mS_per_cm", "sigma_err_mS_per_cm", "mS/cm"),
    "einstein_helfand_conductivity": ("sigma_mS_per_cm", "sigma_err_mS_per_cm", "mS/cm"),
    "viscosity": ("viscosity_mPa_s", "viscosity_err_mPa_s", "mPa·s"),
    "density": ("density_g_cm3", "density_err_g_cm3", "g/cm^3"),
}
_NOT_RESULTS = ("skipped", "failed", "refused")
# the solvation classes of the solvation_shells analysis (fractions of cations)
_FRACTIONS = ("SSIP", "CIP", "AGG")


def known_property(name):
    """The table unit and admissible range of a known property name, or ``None``.

    Parameters
    ----------
    name : str
        A property name of the summary table (``density``, ``conductivity_gk``, ``D_Li``,
        ``CIP`` ...).

    Returns
    -------
    tuple or None
        ``(unit, kind)``: ``kind`` ``"positive"`` (density, conductivities, viscosity,
        diffusion coefficients: > 0) or ``"fraction"`` (0 to 1); ``None`` for a name the table
        may hold under its own unit (parts of a conductivity, transference numbers ...).
    """
    for prop, _keys, unit in _SCALARS.values():
        if name == prop:
            return unit, "positive"
    if name.startswith("D_") and len(name) > 2:
        return _PER_NAME["diffusion"][2], "positive"
    if name in _FRACTIONS:
        return _PER_NAME["solvation_shells"][2], "fraction"
    return None


def is_estimate_dict(obj):
    """Whether ``obj`` is an :meth:`~ase_electrolyte.estimate.Estimate.to_dict` dict.

    A dict with value, stderr and converged.
    """
    return isinstance(obj, dict) and {"value", "stderr", "converged"} <= set(obj)


def _is_given(est):
    """Whether an Estimate dict is a given number, by :meth:`.Estimate.from_dict`'s rule: its
    ``given`` flag, or, without one (older files), a method starting with ``"given"`` and an
    error of 0."""
    from ..estimate import given_by_convention

    given = est.get("given")
    if given is not None:
        return given is True or (_is_flag(given) and bool(given))
    return given_by_convention(est)


def _is_measured(obj):
    """An Estimate dict of a measured number (:func:`is_estimate_dict`, not :func:`_is_given`)."""
    return is_estimate_dict(obj) and not _is_given(obj)


def replica_property(value, stderr, unit, *, verdict="valid", method="in-run error of the "
                     "analysis", n_samples=0, notes=(), dof=None, interval_scale=None):
    """One task's number as a dict with the keys of :meth:`.Estimate.to_dict`.

    ``verdict`` ``"valid"`` makes it ``converged``; anything else is the reason it is not. A
    missing or non-finite value is never valid. ``dof``: the degrees of freedom of a t-scaled
    ``stderr`` (an analysis' error over blocks), written as ``"dof"`` when known, as
    :meth:`.Estimate.to_dict` does; a value that is not a finite number >= 1 is dropped (the
    error is then taken as normal), never raised on: a hand-edited summary must not fail the
    task after its simulation. ``interval_scale``: ``"log"`` for a positive coefficient whose
    interval :meth:`.Estimate.interval` takes on log value, ``"gamma"`` for one taken as a
    gamma mean (a D of one trajectory, its error over the ions), written as
    ``"interval_scale"``, as :meth:`.Estimate.to_dict` does; dropped for anything else or a
    value that is not positive.
    """
    # imported here, as units in _from_estimate: estimate pulls in scipy.constants
    from ..estimate import _count, json_number

    # NaN was "cannot convert float NaN to integer", inf an OverflowError, -1 a count of -1
    n_samples = _count(0 if n_samples is None else n_samples)
    value, stderr = json_number(value), json_number(stderr)
    notes = [str(n) for n in notes]
    if value is None:
        verdict = "not finite" if verdict == "valid" else verdict
    converged = verdict == "valid"
    # an Estimate's verdict is its notes joined: prepended, it was every reason twice
    if not converged and verdict not in notes and verdict != "; ".join(notes):
        notes = [verdict] + notes
    out = {
        "value": value,
        "stderr": stderr,
        "unit": unit,
        "method": method,
        "n_samples": n_samples,
        "converged": converged,
        "verdict": "valid" if converged else "; ".join(notes),
        "notes": notes,
    }
    # a number only, as Estimate takes it: text ("4" of a hand-edited file) or a flag is none
    dof = json_number(dof) if isinstance(dof, numbers.Real) and not isinstance(dof, bool) \
        else None
    if dof is not None and dof >= 1:
        # a replica's in-run error over 5 blocks follows t(4): dropped, its interval was the
        # normal one, 30 % too narrow at 95 %
        out["dof"] = dof
    # a replica's D or σ read back from summary.json lost its log scale: its interval came back
    # symmetric, missing low (7 % of replicas at 95 % for D of one ion per species)
    if interval_scale in ("log", "gamma") and value is not None and value > 0:
        out["interval_scale"] = interval_scale
    return out


def _is_number(x):
    """A real number that is no flag (``True`` is no conductivity) and no text."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _is_flag(x):
    """``True``/``False``, Python's or NumPy's (``"no"`` is text, and ``bool("no")`` true)."""
    return isinstance(x, bool) or (type(x).__module__ == "numpy"
                                   and type(x).__name__ in ("bool_", "bool"))


def _estimate_problems(est):
    """Why an Estimate dict's entries are not those of :meth:`.Estimate.to_dict` (``[]``: they
    are), and the dict with each such entry replaced by what is read in its place.

    An analysis' summary written by other code, or edited by hand: ``converged = "no"`` was
    read as converged (``bool("no")``), a ``value`` of ``True`` as 1 S/m, ``"1.2"`` as 1.2, a
    negative ``stderr`` kept as the error of a valid number; ``unit = None`` and
    ``n_samples = -1`` raised a TypeError and a ValueError that failed the task after its
    simulation. Each is now a reason the number is not valid.
    """
    problems, est = [], dict(est)
    for key in ("value", "stderr"):
        x = est.get(key)
        if x is not None and not _is_number(x):
            problems.append(f"{key} {x!r} is not a number")
            est[key] = None
    if _is_number(est.get("stderr")) and est["stderr"] < 0:
        problems.append(f"negative stderr {est['stderr']:g}")
        est["stderr"] = None
    if not isinstance(est.get("unit", "1"), str) or not est.get("unit", "1").strip():
        problems.append(f"unit {est.get('unit')!r} is not a unit")
        est["unit"] = "unknown"
    if not _is_flag(est.get("converged")):
        problems.append(f"converged {est.get('converged')!r} is not True or False")
        est["converged"] = False
    n = est.get("n_samples")
    if n is not None and not (_is_number(n) and math.isfinite(n) and n >= 0):
        problems.append(f"n_samples {n!r} is not a count")
        est["n_samples"] = 0
    return problems, est


def _from_estimate(est, unit):
    """An Estimate dict as a property in ``unit`` (kept in its own unit if not convertible)."""
    # imported here: units pulls in scipy.constants, seconds of start-up on a busy worker
    from ..units import convert

    problems, est = _estimate_problems(est)
    value, stderr, own = est.get("value"), est.get("stderr"), est.get("unit", "1")
    if unit is not None and own != unit:
        try:
            value = None if value is None else convert(float(value), own, unit)
            stderr = None if stderr is None else convert(float(stderr), own, unit)
            own = unit
        except (KeyError, ValueError):
            pass
    notes = list(est.get("notes") or [])
    converged = bool(est.get("converged"))
    verdict = "valid" if converged else (est.get("verdict") or "; ".join(notes) or "not valid")
    if problems:  # before the analysis' own reasons, which they may explain
        notes = problems + ([] if converged else notes or [verdict])
        converged, verdict = False, "; ".join(notes)
    return replica_property(value, stderr, own, verdict=verdict,
                            method=est.get("method") or "analysis", n_samples=est.get("n_samples"),
                            notes=notes if not converged or notes else (), dof=est.get("dof"),
                            interval_scale=est.get("interval_scale"))


def _old_verdict(entry, species=None):
    """An old-format verdict: the analysis' own (``"valid"`` or why not), else its checks."""
    verdict = entry.get("verdict")
    if isinstance(verdict, dict):
        verdict = verdict.get(species)
    if isinstance(verdict, str):
        return "valid" if verdict in ("valid", "ok") else verdict
    if entry.get("valid") is False:
        return "not valid"
    if "plateau_converged" in entry:
        return "valid" if entry["plateau_converged"] else "no plateau"
    r2 = entry.get("r2")
    if isinstance(r2, dict):
        r2 = r2.get(species)
    if r2 is not None:
        return "valid" if r2 >= _MIN_R2 else "poor fit"
    return "valid"


def _estimates(obj, path=()):
    """Every Estimate dict of a measured number in a nested summary entry, with its key path."""
    if is_estimate_dict(obj):
        if not _is_given(obj):
            yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _estimates(v, path + (str(k),))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _estimates(v, path + (str(i),))


def _analysis_properties(name, entry):
    props, used = {}, set()
    if name in _SCALARS:
        prop, keys, unit = _SCALARS[name]
        for key in keys:
            if is_estimate_dict(entry.get(key)):
                if not _is_given(entry[key]):
                    props[prop] = _from_estimate(entry[key], unit)
                used.add((key,))
                break
        else:
            if name in _OLD_SCALARS and _OLD_SCALARS[name][0] in entry:
                key, err, unit = _OLD_SCALARS[name]
                props[prop] = replica_property(entry[key], entry.get(err), unit,
                                               verdict=_old_verdict(entry))
    if name in _PER_NAME:
        prefix, keys, unit = _PER_NAME[name]
        for key in keys:
            values = entry.get(key)
            if not isinstance(values, dict) or not values:
                continue
            if any(is_estimate_dict(v) for v in values.values()):
                for species, est in values.items():
                    if _is_measured(est):
                        props[f"{prefix}{species}"] = _from_estimate(est, unit)
                        used.add((key, str(species)))
                break
            if name == "diffusion" and key == "D_m2_per_s":
                errors = entry.get("D_err_m2_per_s") or {}
                for species, value in values.items():
                    props[f"D_{species}"] = replica_property(
                        value, errors.get(species), unit, verdict=_old_verdict(entry, species))
                break
            if name == "solvation_shells":
                verdict = "fallback cutoff" if "cutoff_note" in entry else "valid"
                for cls, value in values.items():
                    props[cls] = replica_property(value, None, unit, verdict=verdict,
                                                  method="no in-run error")
                break
    for path, est in _estimates(entry):
        if path not in used:
            props.setdefault(".".join((name,) + path), _from_estimate(est, None))
    return props


def task_properties(simulation, summary):
    """The screened numbers of one task, each with its in-run error, unit and verdict.

    Parameters
    ----------
    simulation : dict
        ``density``, the Estimate dict of :func:`ase_electrolyte.md.run_protocol`'s density;
        or, from older tasks, ``density_g_cm3`` with ``density_sem_g_cm3`` (or
        ``density_std_g_cm3``), ``density_verdict`` and ``production_ensemble``.
    summary : dict
        The ``summary.json`` of :func:`mda_electrolyte.report.run_analyses`, in either format
        (module docstring).

    Returns
    -------
    dict
        ``{property: {"value", "stderr", "unit", "method", "n_samples", "converged",
        "verdict", "notes"}}``. An analysis that was skipped, refused or failed gives no
        property (its status is in the task's ``result.json``).
    """
    props = {}
    if is_estimate_dict(simulation.get("density")):
        if not _is_given(simulation["density"]):
            props["density"] = _from_estimate(simulation["density"], "g/cm^3")
    elif simulation.get("density_g_cm3") is not None:
        npt = simulation.get("production_ensemble") == "npt"
        verdict = simulation.get("density_verdict")
        if verdict is None:  # a task of an older version: only the ensemble was checked
            verdict = "valid" if npt else "fixed by NVT/NVE production"
        sem = simulation.get("density_sem_g_cm3", simulation.get("density_std_g_cm3"))
        props["density"] = replica_property(
            simulation["density_g_cm3"], sem, "g/cm^3", verdict=verdict,
            method="statistical inefficiency of the density series (pymbar)",
        )
    for name, entry in (summary or {}).items():
        if not isinstance(entry, dict) or any(k in entry for k in _NOT_RESULTS):
            continue
        props.update(_analysis_properties(name, entry))
    return props
