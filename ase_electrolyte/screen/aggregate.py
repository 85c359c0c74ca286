r"""The screening table: mean ± standard error over replicas, verdicts, plots, experiment.

For every (composition, temperature, property) the table holds the mean of the ``n`` *valid*
replicas and the standard error of that mean,

.. math::

    \bar x = \frac1n \sum_{r=1}^n x_r, \qquad
    \mathrm{SE} = t_{n-1}\sqrt{\frac{1}{n(n-1)} \sum_{r=1}^n (x_r - \bar x)^2},

the spread of independent trajectories (as in the papers' averages over independent runs), not
the in-run error bars of single trajectories, t-scaled for its ``n - 1`` degrees of freedom
(:func:`mda_electrolyte.uncertainty.mean_error`; 1.32 for 3 replicas).

A replica whose number is not valid (its analysis' verdict: no Green–Kubo plateau, a
sub-diffusive MSD, a density from too few independent samples, a non-finite value ...) is
**excluded** from the mean and the standard error, counted in ``n_invalid`` and named with its
reason in the row's ``verdict``; such a row, a row with a failed replica, a row of fewer than
five valid replicas (an error from fewer than 4 degrees of freedom is not calibrated,
:data:`mda_electrolyte.uncertainty.MIN_ERROR_DOF`), a row whose replicas are identical (no
spread: the error is unknown), a row some of whose planned replicas have not finished (the
mean of those that ended first is not the plan's) and a row whose box of whole molecules is more
than :data:`CONCENTRATION_TOLERANCE` off the asked composition (its numbers are the box's) are
marked ``valid = False``. The
per-replica numbers, invalid ones included, stay in ``tasks.csv``.
"""

from __future__ import annotations

import json
import math
import numbers
import warnings
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

from ..atomic_file import atomic_path, save_figure
from .engine import PLAN_FILE, TASKS_DIR, check_record
from .plan import (
    _SHORTFALL_MARK,
    PACKING_TOLERANCE,
    PlanError,
    _solvent,
    _spelling,
    box_of,
    mole_shares,
    packed_concentration,
    packing_shortfall,
    record_fingerprints,
    task_seed,
)
from .task import ERROR_FILE, LOST, RESULT_FILE, _read_attempts, read_result

__all__ = ["aggregate", "task_table", "compare_experimental", "read_experimental",
           "summary_estimate", "CONCENTRATION_TOLERANCE"]

KEYS = ["composition", "solvent", "ratio", "salt", "concentration", "units", "temperature_K"]

# figure name → the properties drawn in it (one panel each)
_FIGURES = {
    "density": ["density"],
    "conductivity": ["conductivity_gk", "conductivity_eh"],
    "diffusivity": "D_",
    "solvation": ["SSIP", "CIP", "AGG"],
}


def _task_ids(plan):
    for comp in plan["compositions"]:
        for t in plan["temperatures"]:
            for r in range(int(plan["replicas"])):
                yield comp, float(t), r, _task_id(comp["label"], t, r)


def _task_id(label, temperature, replica):
    """A task's folder under ``tasks/`` (as :meth:`ase_electrolyte.screen.Plan.tasks` names it)."""
    return f"{label}/T{float(temperature):g}K/r{replica}"


def _keys(comp, temperature):
    return {
        "composition": comp["label"],
        "solvent": ",".join(f"{k}:{v:g}" for k, v in comp["solvent"].items()),
        "ratio": comp["ratio"],
        "salt": comp["salt"] or "",
        "concentration": float(comp["concentration"]),
        "units": comp["units"],
        "temperature_K": temperature,
    }


def task_table(outdir):
    """Per-task results of a screening folder: one row per (task, property), and the failures.

    Parameters
    ----------
    outdir : str or os.PathLike
        A folder written by :func:`ase_electrolyte.screen.run_screen`.

    Returns
    -------
    tuple of pandas.DataFrame
        ``(rows, failures)``: ``rows`` has the composition keys, ``temperature_K``, ``replica``,
        ``seed``, ``packed_concentration`` and ``cation_molality`` (of the box the task
        recorded, see :func:`aggregate`; NaN where it recorded none),
        ``measured_temperature_K`` (K: the mean temperature of its production run; NaN where
        it recorded none) and ``measured_temperature_error_K`` (its standard error; NaN where
        none is recorded or the estimate of the mean is not valid: too short), ``cell`` (its
        final box, ``"a b c alpha beta gamma"`` in Å and
        degrees; ``""`` where it recorded none), ``property``, ``unit`` (one per property: the
        table's unit of a known property, else the first unit of :mod:`ase_electrolyte.units`
        its replicas give; a replica's number in another unit is converted to it, and one
        whose unit does not convert is not valid, with no number and a verdict naming its
        unit),
        ``value``, ``error`` (in-run error of that replica), ``error_dof`` (the degrees of
        freedom of that error where the analysis gave them, e.g. blocks − 1; NaN for a normal
        error), ``valid`` and ``verdict``
        (``"valid"`` or the reason); ``failures`` has the keys, ``replica``, ``task`` and
        ``error``. Both have the task's attempt state, :data:`ATTEMPT_COLUMNS`: ``attempt``
        (1 for a task that ran once; NaN where the folder records none, tasks of an earlier
        version), ``start`` (``"fresh"``, ``"resumed"`` from an earlier attempt's frames,
        ``"recomputed"`` from its start; ``""`` where unrecorded) and ``lost_workers`` (the
        workers whose process died running an earlier attempt, ``"; "``-joined; ``""`` for
        none). Tasks not yet run appear in neither.
    """
    import pandas as pd

    outdir = Path(outdir)
    plan = _read_record(outdir)
    fingerprints = record_fingerprints(plan)
    columns = KEYS + ["replica", "seed", "packed_concentration", "cation_molality",
                      "measured_temperature_K", "measured_temperature_error_K", "cell",
                      *ATTEMPT_COLUMNS,
                      "property", "unit", "value", "error", "error_dof", "valid", "verdict"]
    # one list per column, not one dict per (task, property): 14 keys a row held 2 kB per row
    # beside the frame (4.6 times the frame's own size at its peak; 10^5 rows of 10^4 tasks)
    rows = {c: [] for c in columns}
    failures = []
    for comp, temperature, replica, task_id in _task_ids(plan):
        folder = outdir / TASKS_DIR / task_id
        keys = _keys(comp, temperature)
        if (folder / RESULT_FILE).exists():
            result, problem = _read_task_result(outdir, plan, comp["label"], temperature,
                                                replica, fingerprints)
            if result is None:  # a damaged or foreign result counts as a failed replica
                failures.append({**keys, "replica": replica, "task": task_id, "error": problem,
                                 **attempt_state(None, folder)})
                continue
            packed, molality = _packed(result, comp, plan)
            measured, measured_error, cell = _run_conditions(result)
            properties = result["properties"]
            n = len(properties)
            for key, value in keys.items():
                rows[key].extend([value] * n)
            for key, value in (("replica", replica), ("seed", result.get("seed")),
                               ("packed_concentration", packed), ("cation_molality", molality),
                               ("measured_temperature_K", measured),
                               ("measured_temperature_error_K", measured_error), ("cell", cell),
                               *attempt_state(result, folder).items()):
                rows[key].extend([value] * n)
            for name, p in properties.items():
                value, error, valid, verdict = _replica(p)
                rows["property"].append(name)
                rows["unit"].append(_UNIT_SPELLING.get(p["unit"], p["unit"]))
                rows["value"].append(value)
                rows["error"].append(error)
                rows["error_dof"].append(_dof(p.get("dof")))
                rows["valid"].append(valid)
                rows["verdict"].append(verdict)
        elif (folder / ERROR_FILE).exists():
            record = None
            try:
                record = json.loads((folder / ERROR_FILE).read_text())
                error = record["error"]
            except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as err:
                error = f"{folder / ERROR_FILE} is not readable ({type(err).__name__}: {err})"
            failures.append({**keys, "replica": replica, "task": task_id, "error": str(error),
                             **attempt_state(record, folder)})
    _one_unit_per_property(rows)
    return (
        pd.DataFrame(rows, columns=columns),
        pd.DataFrame(failures, columns=KEYS + ["replica", "task", "error", *ATTEMPT_COLUMNS]),
    )


#: The columns of a task's attempt state in ``tasks.csv`` and ``failures.csv``
#: (:func:`attempt_state`).
ATTEMPT_COLUMNS = ("attempt", "start", "lost_workers")


def attempt_state(record, folder):
    """How a task's recorded outcome came about: ``attempt``, ``start`` and ``lost_workers``.

    The ``restart`` of its ``result.json`` or ``error.json`` (``record``); a failure recorded
    by the screen itself (the task's workers died: dask's ``KilledWorker``) has none, and its
    ``attempts.json`` says how often it was started and on which workers it was lost. The
    tables showed a resumed or recomputed replica, or one that cost workers, like any other:
    only the task's own files said so.

    Parameters
    ----------
    record : dict or None
        The task's ``result.json`` or ``error.json`` as read (``None``: not readable).
    folder : pathlib.Path
        The task's folder.

    Returns
    -------
    dict
        ``attempt`` (int, or NaN where nothing records it), ``start`` (``"fresh"``,
        ``"resumed"``, ``"recomputed"``, or ``""`` where unrecorded) and ``lost_workers``
        (names, ``"; "``-joined; ``""`` for none).
    """
    restart = record.get("restart") if isinstance(record, dict) else None
    if isinstance(restart, dict):
        attempt = restart.get("attempt")
        start = restart.get("start")
        lost = restart.get("lost_workers")
    else:
        attempts = _read_attempts(folder)
        attempt = len(attempts) or None
        start = None
        # none of them recorded an outcome: each one's process died running the task
        lost = [a.get("worker") for a in attempts if a.get("outcome") in (None, LOST)]
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        attempt = math.nan
    lost = lost if isinstance(lost, list) else []
    return {"attempt": attempt,
            "start": start if start in ("fresh", "resumed", "recomputed") else "",
            "lost_workers": "; ".join(str(w) for w in lost)}


def _read_task_result(outdir, plan, label, temperature, replica, fingerprints):
    """:func:`~ase_electrolyte.screen.task.read_result` of one task of the folder recorded as
    ``plan``, with every check the folder allows: its task id, the seed the plan gives it, and
    the plan fingerprints its tasks may have run under."""
    task_id = _task_id(label, temperature, replica)
    seed = None
    if "seed" in plan:
        seed = task_seed(plan["seed"], SimpleNamespace(label=label), temperature, replica)
    return read_result(outdir / TASKS_DIR / task_id / RESULT_FILE, task_id, seed, fingerprints)


def _run_conditions(result):
    """``(temperature, error, cell)`` a task's ``result.json`` records of its production run.

    ``temperature``: the mean measured temperature (K; NaN where none is recorded: tasks of an
    earlier version); ``error``: its standard error (K; NaN where none is recorded, the
    temperature is not, or its estimate is not valid); ``cell``: the final box as
    ``"a b c alpha beta gamma"`` (Å, degrees;
    ``""`` where none is recorded or it does not read as six positive numbers).
    """
    simulation = result.get("simulation")
    if not isinstance(simulation, dict):
        return math.nan, math.nan, ""
    entry = simulation.get("temperature")
    value = entry.get("value") if isinstance(entry, dict) else None
    temperature = error = math.nan
    if _positive(value):
        temperature = float(value)
        stderr = entry.get("stderr", entry.get("error"))
        # the error of a mean its own estimate calls not valid (4 independent samples of a
        # 5 fs run) is no yardstick for how far the run was from the set temperature
        if _positive(stderr) and entry.get("converged", True) is True:
            error = float(stderr)
    cell = simulation.get("cell")
    if not (isinstance(cell, list) and len(cell) == 6 and all(_positive(x) for x in cell)):
        return temperature, error, ""
    return temperature, error, " ".join(f"{float(x):.9g}" for x in cell)


def _positive(x):
    """Whether ``x`` (read from JSON) is a finite number > 0 (a flag or text is none)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return False
    try:
        return math.isfinite(float(x)) and x > 0
    except OverflowError:  # an integer beyond the float range
        return False


def _row_dof(row):
    """The dof of a summary row's ``sem`` (NaN: a normal error, or none).

    Its ``dof`` column; a table of an earlier version has none, and its ``sem`` over
    ``n_replicas`` replicas then has ``n_replicas - 1`` (it was t-scaled for them all along).
    """
    if "dof" in row:
        return _dof(row["dof"])
    n = _dof(row.get("n_replicas"))
    try:
        sem = float(row.get("sem"))
    except (TypeError, ValueError):
        sem = math.nan
    return n - 1.0 if n >= 2 and math.isfinite(sem) else math.nan


def _dof(dof):
    """The degrees of freedom a stored property's t-scaled error has (NaN: a normal error)."""
    if isinstance(dof, bool) or not isinstance(dof, numbers.Real):  # text, a flag, None
        return math.nan
    try:
        dof = float(dof)
    except OverflowError:  # an integer beyond the float range
        return math.nan
    return dof if math.isfinite(dof) and dof >= 1 else math.nan


def _read_record(outdir):
    """The ``plan.json`` of a screening folder (PlanError when it is not one)."""
    record = outdir / PLAN_FILE
    if not record.exists():
        raise FileNotFoundError(f"{outdir} holds no {PLAN_FILE}: not a screening folder")
    try:
        plan = json.loads(record.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PlanError(f"{record} is not readable JSON ({err})") from None
    if not isinstance(plan, dict) or not {"compositions", "temperatures", "replicas"} <= set(plan):
        raise PlanError(f"{record} is not a screening plan record")
    check_record(plan, record)
    return plan


def _packed(result, comp, plan):
    """``(salt concentration in the composition's units, cation molality)`` a task packed.

    From the molecule counts its ``result.json`` records (the box it simulated, which a small
    box rounds far from the asked concentration); NaN where it records none or they do not
    read.
    """
    simulation = result.get("simulation")
    # a hand-edited or foreign record: its box is not known (was AttributeError of the table)
    counts = simulation.get("composition_counts") if isinstance(simulation, dict) else None
    if not isinstance(counts, dict) or not counts:
        return math.nan, math.nan
    try:
        return packed_concentration(counts, comp["salt"], comp["units"], plan.get("density"))
    except (ValueError, TypeError, KeyError):
        return math.nan, math.nan


def _planned(comp, plan):
    """:func:`_packed` of a composition none of whose tasks recorded a box: the box the plan
    packs (all its tasks failed, or ran before boxes were recorded)."""
    try:
        box = box_of(comp, int(plan["n_atoms"]), plan.get("density"))
        return packed_concentration(box, comp["salt"], comp["units"], plan.get("density"))
    except (ValueError, TypeError, KeyError):
        return math.nan, math.nan


def _shortfall(comp, plan):
    """``[text]`` naming how far the plan's box of ``comp`` is from it
    (:func:`~ase_electrolyte.screen.plan.packing_shortfall`), ``[]`` within tolerance."""
    try:
        text = packing_shortfall(comp, int(plan["n_atoms"]), plan.get("density"),
                                 tolerance=CONCENTRATION_TOLERANCE)
    except (ValueError, TypeError, KeyError):
        return []
    return [text] if text else []


def _box_length(comp, plan, place, masses=None):
    """Side (Å) of the box of one composition and temperature, ``V^(1/3)``: the mass of the
    molecules the plan packs over the mean density its finished replicas give (valid or not: a
    density fixed by an NVT production is the box's all the same).

    Returns ``(length, why)``: ``why`` is ``None``, or, with ``length`` NaN, why it is not
    known. The Yeh–Hummer correction of :func:`compare_experimental` needs it. ``masses``: a
    dict that keeps each composition's mass (or the error packing it) for the next call.
    """
    import numpy as np

    from ..species import get_species
    from ..units import GCM3_TO_AMU_PER_A3

    # plain lists: a pandas selection per place cost 5 ms (50 s for a grid of 10^4 places)
    densities = np.array([v for prop, unit, v in zip(place["property"].tolist(),
                                                     place["unit"].tolist(),
                                                     place["value"].tolist(), strict=True)
                          if prop == "density" and unit == "g/cm^3"], dtype=float)
    densities = densities[np.isfinite(densities) & (densities > 0)]
    if not densities.size:
        return math.nan, "box_length_A unknown: no finished replica gave a density"
    masses = {} if masses is None else masses
    if comp["label"] not in masses:
        try:
            box = box_of(comp, int(plan["n_atoms"]), plan.get("density"))
            masses[comp["label"]] = sum(get_species(name).mass * n for name, n in box)  # amu
        except (ValueError, TypeError, KeyError) as err:
            masses[comp["label"]] = err
    mass = masses[comp["label"]]
    if isinstance(mass, Exception):
        return math.nan, f"box_length_A unknown: the plan's box does not pack ({mass})"
    return float((mass / (densities.mean() * GCM3_TO_AMU_PER_A3)) ** (1.0 / 3.0)), None


def _run_shape(place, set_temperature=math.nan):
    """``(temperature, error, shape, doubts)`` of one composition and temperature's finished
    replicas.

    ``temperature``: the mean of the production temperatures they measured (K; NaN where some
    replica recorded none: a mean over the others is not the temperature of every replica the
    rows average); ``error``: its standard error, K, from the replicas' own standard errors
    (independent runs: ``sqrt(sum e_i^2) / n``; NaN where some replica's is not valid or not
    recorded); ``shape``: ``"cubic"`` when every replica recorded a box and each is a cube
    within :data:`mda_electrolyte.diffusion.CUBIC_TOLERANCE`
    (:func:`~mda_electrolyte.diffusion.check_cubic_box`, the rule the Yeh–Hummer correction of
    the analyses applies), else the first other box as ``"a x b x c Å, angles α, β, γ°"``;
    ``""`` where none recorded its box, ``"not recorded by k/n replicas"`` where some did not
    (tasks of an earlier version mixed in); ``doubts``: replicas that ran away from
    ``set_temperature`` (:data:`TEMPERATURE_TOLERANCE`).
    """
    import numpy as np

    from mda_electrolyte.diffusion import check_cubic_box

    if not len(place):
        return math.nan, math.nan, "", []
    per_replica = {}
    for replica, temperature, error, cell in zip(
            place["replica"].tolist(), place["measured_temperature_K"].tolist(),
            place["measured_temperature_error_K"].tolist(), place["cell"].tolist(),
            strict=True):
        per_replica.setdefault(replica, (float(temperature), float(error), str(cell or "")))
    temperatures = [t for t, _, _ in per_replica.values() if math.isfinite(t)]
    cells = [cell for _, _, cell in per_replica.values() if cell]
    shape = ""
    for cell in cells:
        box = [float(x) for x in cell.split()]
        try:
            check_cubic_box(box, "the box")
        except ValueError:
            shape = (f"{box[0]:.4g} x {box[1]:.4g} x {box[2]:.4g} Å, angles {box[3]:.4g}, "
                     f"{box[4]:.4g}, {box[5]:.4g}°")
            break
        shape = "cubic"
    n = len(per_replica)
    if shape == "cubic" and len(cells) < n:
        # four replicas of an earlier version beside one that recorded a cube: the correction
        # was made for the one, and the D averaged over all five marked valid
        shape = f"not recorded by {n - len(cells)}/{n} replicas"
    doubts = []
    off = [(r, t) for r, (t, e, _) in sorted(per_replica.items())
           if math.isfinite(t) and math.isfinite(e) and math.isfinite(set_temperature)
           and abs(t - set_temperature) > max(TEMPERATURE_TOLERANCE * set_temperature, 4 * e)]
    if off:
        doubts.append(
            f"replica(s) {', '.join(f'r{r}' for r, _ in off)} ran at "
            f"{', '.join(f'{t:.4g}' for _, t in off)} K, not the set {set_temperature:g} K "
            f"(more than {100 * TEMPERATURE_TOLERANCE:g} % and 4 standard errors of their mean "
            "temperature: a thermostat that did not hold it?): their numbers are of another "
            "temperature")
    temperature = float(np.mean(temperatures)) if len(temperatures) == n else math.nan
    errors = [e for t, e, _ in per_replica.values() if math.isfinite(t) and math.isfinite(e)]
    # a mean shown without its error was a number with no uncertainty (screen25)
    error = (math.sqrt(sum(e * e for e in errors)) / n
             if math.isfinite(temperature) and len(errors) == n else math.nan)
    return temperature, error, shape, doubts


#: Relative difference between a replica's measured mean production temperature and the set one
#: beyond which (and beyond 4 standard errors of the measured mean) the replica is taken to have
#: run at another temperature: a correct thermostat's mean differs from the set temperature by
#: its noise and by the 3 degrees of freedom of a fixed centre of mass (1.4 % in 70 atoms), while
#: 3 % (9 K at 300 K) changes a conductivity by about a tenth.
TEMPERATURE_TOLERANCE = 0.03


# result.json of earlier versions spelt units for display, not for units.convert
_UNIT_SPELLING = {"g/cm3": "g/cm^3", "m2/s": "m^2/s", "fraction": "1"}


def _replica(p):
    """``(value, in-run error, valid, verdict)`` of a stored property, either format.

    Current tasks store the keys of :meth:`~ase_electrolyte.estimate.Estimate.to_dict`
    (``stderr``, ``converged``,
    ``verdict`` ``"valid"``); earlier ones ``error`` and ``verdict`` ``"ok"``.
    """
    value = math.nan if p.get("value") is None else float(p["value"])
    err = p.get("stderr", p.get("error"))
    err = math.nan if err is None else float(err)
    if "converged" in p:
        valid = bool(p["converged"])
        verdict = "valid" if valid else str(p.get("verdict") or "not valid")
    else:
        verdict = str(p.get("verdict", "valid"))
        valid = verdict in ("ok", "valid")
        verdict = "valid" if valid else verdict
    if not math.isfinite(value):
        valid, verdict = False, verdict if verdict != "valid" else "not finite"
    return value, err, valid, verdict


def _one_unit_per_property(rows):
    """Every replica's number of a property in the one unit of its rows, in place.

    The unit of a property's rows is the table's unit of a known property, else the first
    unit of :mod:`ase_electrolyte.units` its replicas gave, else (none of them is one) the
    unit of its first replica. A replica's number in another unit is converted to it; one
    whose unit does not convert to it (not a unit of :mod:`ase_electrolyte.units`, e.g. a
    summary's ``"unknown"``, or a unit of another dimension) is kept in that row with no
    number, not valid, its verdict naming its unit and its number. Then a valid number
    outside the property's physical range (:func:`_range_problem`) is marked not valid.

    The rows of a property were told apart by unit: replicas of one folder written by two
    versions of an analysis (``nernst_einstein.conductivity`` in S/m and in mS/cm) made two
    rows of 3 and 2 replicas; a replica in a unit that does not convert (``density`` in
    ``"g per cc"``) made a row of its own, whose mean stood in the table as if measured in it.

    Parameters
    ----------
    rows : dict of list
        :func:`task_table`'s columns as lists; ``property``, ``unit``, ``value``, ``error``,
        ``valid`` and ``verdict`` are read and rewritten.
    """
    from ..units import convert, dimension
    from .properties import known_property

    def convertible(unit):
        try:
            dimension(unit)
        except (ValueError, TypeError):
            return False
        return True

    targets = {}
    for name, unit in zip(rows["property"], rows["unit"], strict=True):
        if name in targets and targets[name][1]:
            continue
        known = known_property(name)
        if known is not None:
            targets[name] = (known[0], True)
        elif convertible(unit):
            targets[name] = (unit, True)
        elif name not in targets:  # the first replica's, unless a later one gives a real unit
            targets[name] = (unit, False)
    for i, (name, unit) in enumerate(zip(rows["property"], rows["unit"], strict=True)):
        target = targets[name][0]
        value, error = rows["value"][i], rows["error"][i]
        if unit != target:
            rows["unit"][i] = target
            try:
                value = float(convert(value, unit, target))
                error = float(convert(error, unit, target))
            except (ValueError, TypeError, KeyError) as err:
                why = (str(err) if convertible(unit) else
                       f"{unit!r} is not a unit of ase_electrolyte.units")
                rows["verdict"][i] = (f"its {name} of {value:g} is given in {unit!r}, which "
                                      f"does not convert to the row's {target!r} ({why}); "
                                      "rewrite its result.json in a known unit or rerun "
                                      "the task")
                rows["value"][i] = rows["error"][i] = math.nan
                rows["valid"][i] = False
                continue
            rows["value"][i], rows["error"][i] = value, error
        problem = _range_problem(name, value) if rows["valid"][i] else None
        if problem:
            # a noisy Green–Kubo integral that ends below zero, marked valid by its
            # analysis, was averaged into the row (a negative viscosity among four
            # positive ones); excluded, the row says why and is not valid
            rows["valid"][i], rows["verdict"][i] = False, f"not physical: {problem}"


def _failure_reasons(errors, total):
    """``"RuntimeError: ... (2/3 replicas)"``: each distinct first line of ``errors``, counted."""
    counts = Counter(
        (str(e).strip().splitlines() or ["no message"])[0][:_MAX_REASON] for e in errors
    )
    return "; ".join(f"{reason} ({k}/{total} replicas)" for reason, k in counts.items())


#: Characters of a failure's message quoted in the summary's verdict (failures.csv has it all).
_MAX_REASON = 300


#: The replicas of a (place, property) that has none, for :func:`_row`.
_NO_REPLICAS = {"valid": (), "value": (), "verdict": (), "error": (), "error_dof": ()}


#: Probability, on each side, below which the scatter of a row's valid replicas is taken to
#: disagree with their in-run error bars (:func:`_scatter_note`): a row of replicas whose
#: errors are right is flagged with probability at most about 2 × 0.001.
SCATTER_P = 0.001

#: Welch's upper P below which :func:`_scatter_note` asks the parametric bootstrap
#: (:func:`_bootstrap_above`) instead: his F law's tail is too light at a few dof per replica.
#: Above it the bootstrap never flagged (Welch's P of 0.01 to 0.05 gave bootstrap P ≥ 0.027
#: over 2 to 20 replicas of 1 to 2 dof, errors right or half their size), and the draws of
#: a table of 10^4 rows stay seconds.
BOOTSTRAP_BELOW = 0.01

#: Most draws of :func:`_bootstrap_above`: 20 000 resolve :data:`SCATTER_P` to about ±20 %.
BOOTSTRAP_DRAWS = 20_000

#: Draws per batch of :func:`_bootstrap_above`; it stops once the decision is certain.
_BOOTSTRAP_BATCH = 1_000

#: Risk :func:`_bootstrap_above` takes, at each batch, of stopping on a P below
#: :data:`SCATTER_P` that all draws would put above it: a row of P = 0.001 to 0.003 (about
#: 0.2 % of honest rows) is then flagged a few per cent more often, and a row far beyond
#: costs 4600 draws, not 6900 at a risk of 0.001 (20 replicas: 30 ms a row).
_BOOTSTRAP_RISK = 0.01


def _standard_errors(errors, dofs):
    """``(standard errors, ν)`` of t-scaled in-run errors ``t_{0.8413}(ν) · s/√m``
    (:func:`mda_electrolyte.uncertainty.mean_error`); a normal error (dof NaN or < 1) has
    ``ν = ∞`` and is its own standard error."""
    import numpy as np
    from scipy import special

    errors, dofs = (np.asarray(a, dtype=float) for a in (errors, dofs))
    nu = np.where(np.isfinite(dofs) & (dofs >= 1), dofs, np.inf)
    # t_{0.8413}(ν): scipy.special's, not a frozen scipy.stats law (a millisecond each, a
    # minute for a table of 10^4 rows)
    scale = np.where(np.isfinite(nu), special.stdtrit(np.where(np.isfinite(nu), nu, 1.0),
                                                      special.ndtr(1.0)), 1.0)
    return errors / scale, nu


def _weighted_chi2(values, se):
    """``Σ w (x − x̄_w)²`` with ``w = 1/se²`` over the last axis (Cochran's χ²)."""
    import numpy as np

    w = se ** -2.0
    mean = np.sum(w * values, axis=-1, keepdims=True) / np.sum(w, axis=-1, keepdims=True)
    return np.sum(w * (values - mean) ** 2, axis=-1)


def _scatter_test(values, errors, dofs):
    """Welch's (1951) test of the replicas' scatter against their in-run errors:
    ``(F, dof1, dof2)``, or ``None`` where it does not apply (fewer than 2 replicas, or an
    error that is not finite and > 0).

    A t-scaled error of ``ν`` dof (``t_{0.8413}(ν) · s/√m``, :func:`mda_electrolyte.
    uncertainty.mean_error`) is turned back into its standard error ``e / t_{0.8413}(ν)``,
    whose weight ``w = m/s²`` is itself estimated; a normal error (dof NaN) counts ``ν = ∞``.
    With the weighted mean ``x̄_w``, ``F = Σ w (x − x̄_w)² / (k − 1) / (1 + 2(k − 2)/(k² − 1)
    Σ (1 − w/W)²/ν)`` follows about F(k − 1, (k² − 1)/(3 Σ (1 − w/W)²/ν)) when every replica
    samples one distribution with its own error; for normal errors it is χ²(k − 1)/(k − 1)
    (Cochran 1954). Taking the estimated weights as known (χ² alone) flagged rows of honest
    errors of 6 dof 3 to 7 times as often as the stated probability; Welch's law still has
    too light an upper tail at few dof and many replicas (at P = 0.001: 3.4 times for 10
    replicas of 6 dof, 16 times for 10 of 2 dof), so :func:`_scatter_note` asks
    :func:`_bootstrap_above` where Welch's P is small.
    """
    import numpy as np

    values = np.asarray(values, dtype=float)
    errors = np.asarray(errors, dtype=float)
    k = len(values)
    if k < 2 or not np.all(np.isfinite(errors) & (errors > 0)):
        return None
    se, nu = _standard_errors(errors, dofs)
    w = se ** -2.0
    chi2 = float(_weighted_chi2(values, se))
    lam = float(np.sum((1.0 - w / np.sum(w)) ** 2 / nu))
    f = chi2 / (k - 1) / (1.0 + 2.0 * (k - 2) / (k * k - 1) * lam)
    return f, k - 1, (k * k - 1) / (3.0 * lam) if lam > 0 else math.inf


def _bootstrap_above(values, errors, dofs, draws=BOOTSTRAP_DRAWS):
    """The parametric bootstrap P of Cochran's χ² with estimated weights (Krishnamoorthy, Lu &
    Mathew 2007): ``(P, draws made, bound)``.

    Each draw takes the replicas' standard errors ``se`` as true: means ``N(0, se²)`` and
    errors ``se² χ²(ν)/ν`` (``ν = ∞``: ``se`` itself), and computes the χ² as from the data;
    ``P = (1 + #(χ²* ≥ χ²))/(1 + draws)``. At P = 0.001 it flags honest rows at most as often
    as stated (10 replicas of 6 dof: 0.0008; of 2 dof: 0.0001), where Welch's F flagged 3.4
    and 16 times as often. The draws stop early, in batches, once more than ``SCATTER_P ·
    (draws + 1)`` exceed (the verdict of all draws is then known) or once the Clopper–Pearson
    bound of P at 99 % confidence is below :data:`SCATTER_P`. ``bound`` is
    true where no draw was needed: since ``χ²* ≤ Σ w*ᵢ x*ᵢ²``, a sum of k independent
    F(1, νᵢ), ``P ≤ Σ P(F(1, νᵢ) ≥ χ²/k)`` and ``P`` is that bound when it is below
    :data:`SCATTER_P`. The
    generator's seed is fixed: the same table gives the same verdicts.
    """
    import numpy as np
    from scipy import special

    values = np.asarray(values, dtype=float)
    se, nu = _standard_errors(errors, dofs)
    k = len(values)
    chi2 = float(_weighted_chi2(values, se))
    finite = np.isfinite(nu)
    tail = np.where(finite, special.fdtrc(1.0, np.where(finite, nu, 1.0), chi2 / k),
                    special.chdtrc(1.0, chi2 / k))
    bound = float(np.sum(tail))
    if bound < SCATTER_P:
        return bound, 0, True
    rng = np.random.default_rng(1951)
    most = int(SCATTER_P * (draws + 1))  # more exceedances than this: not below SCATTER_P
    half = np.where(finite, nu, 2.0) / 2.0
    above = made = 0
    while made < draws and above <= most:
        batch = min(_BOOTSTRAP_BATCH, draws - made)
        x = se * rng.standard_normal((batch, k))
        s = np.where(finite, se * np.sqrt(rng.standard_gamma(half, (batch, k)) / half), se)
        above += int(np.sum(_weighted_chi2(x, s) >= chi2))
        made += batch
        # a row far beyond: stop once P < SCATTER_P at 1 - _BOOTSTRAP_RISK confidence
        # (Clopper–Pearson); 20 replicas of 3 dof cost 70 ms a row for all draws
        if float(special.betaincinv(above + 1, made - above, 1.0 - _BOOTSTRAP_RISK)) \
                < SCATTER_P:
            break
    return (1.0 + above) / (1.0 + made), made, False


def _scatter_note(values, errors, dofs):
    """Whether the replicas' scatter agrees with their in-run error bars: ``(text,
    scatter_too_small)``.

    Welch's F of :func:`_scatter_test` beyond its upper or below its lower :data:`SCATTER_P`
    quantile says they do not: replicas that scatter far more than their error bars say
    (in-run errors too small: correlated samples, a drift, runs of different states) or far
    less (error bars too large, or replicas that are not independent, so that the error over
    them is too small; ``scatter_too_small`` is then true). Where Welch's upper P is below
    :data:`BOOTSTRAP_BELOW` and some error has finite dof, the parametric bootstrap of
    :func:`_bootstrap_above` gives the upper P instead (Welch's lower tail holds its rate:
    0.0008 to 0.0012 for 2 to 20 replicas of 2 to 30 dof). ``text`` is ``"consistent
    (...)"``, ``"not checked: ..."`` or ``"not consistent: ..."``, with the statistic and
    probability.
    """
    from scipy import special

    found = _scatter_test(values, errors, dofs)
    if found is None:
        return ("not checked: a valid replica has no in-run error (none recorded, or not "
                "finite and > 0)"), False
    f, dof1, dof2 = found
    sign, how = "=", ""
    if math.isinf(dof2):
        above, below = float(special.chdtrc(dof1, f * dof1)), float(special.chdtr(dof1, f * dof1))
        said = f"χ² = {f * dof1:.3g} for {dof1} dof"
    else:
        above, below = float(special.fdtrc(dof1, dof2, f)), float(special.fdtr(dof1, dof2, f))
        said = f"Welch's F = {f:.3g} for ({dof1}, {dof2:.3g}) dof"
        if above < BOOTSTRAP_BELOW:
            welch = above
            above, made, bound = _bootstrap_above(values, errors, dofs)
            sign = "≤" if bound else "="
            how = (f" by the parametric bootstrap's bound ({welch:.2g} by Welch's F law)"
                   if bound else f" by a parametric bootstrap of {made} draws ({welch:.2g} "
                                 "by Welch's F law)")
    if above < SCATTER_P:
        return (f"error bars not consistent: the replicas scatter more than their in-run "
                f"errors allow ({said}, P(≥ that) {sign} {above:.2g} < {SCATTER_P:g}{how}): "
                "the in-run errors are too small (correlated samples, a drift) or the "
                "replicas ran different states"), False
    if below < SCATTER_P:
        return (f"error bars not consistent: the replicas scatter less than their in-run "
                f"errors allow ({said}, P(≤ that) = {below:.2g} < {SCATTER_P:g}): the in-run "
                "errors are too large, or the replicas are not independent and the error "
                "over them is too small"), True
    return f"consistent ({said}, P(≥ that) = {above:.2g}{how})", False


def _row(group, n_finished, failures, doubts=(), n_planned=None):
    """Mean, standard error and verdict of one (composition, temperature, property) group.

    ``group``: its replicas' ``valid``, ``value`` and ``verdict`` (columns of a frame, or
    sequences by those names); ``n_finished``: replicas of this composition and temperature
    that finished, with or without this property (an analysis refused or skipped in a replica
    gives none); ``failures``: the error messages of its replicas that failed; ``doubts``:
    reasons that concern every property of this composition and temperature
    (:func:`_place_doubts`); ``n_planned``: the replicas the plan asks for (default: those
    finished or failed).
    """
    import numpy as np

    from mda_electrolyte.uncertainty import few_dof_note, mean_error

    from ..estimate import METHODS

    n_failed = len(failures)
    # plain arrays, not pandas selections: 7 ms a row that way, 70 s for the 10^4 rows of a
    # large folder
    ok = np.asarray(list(group["valid"]), dtype=bool)
    values = np.asarray(list(group["value"]), dtype=float)[ok] if len(ok) else np.empty(0)
    size = len(ok)
    n = len(values)
    mean = float(values.mean()) if n else math.nan
    # t-scaled for its n - 1 degrees of freedom, as every error over independent runs here
    sem = float(mean_error(values)[1]) if n > 1 else math.nan
    bad = Counter(v for v, good in zip(list(group["verdict"]), ok, strict=True) if not good)
    total = max(n_finished, size)
    notes = [
        f"excluded: {reason} ({k}/{total} replicas)" for reason, k in sorted(bad.items())
    ]
    if total > size:
        notes.append(
            f"no value from {total - size}/{total} replicas (analysis skipped, refused or "
            "failed there: see their result.json)"
        )
    if n == 0:
        notes.insert(0, "no valid replica")
    elif n == 1:
        notes.insert(0, "single valid replica: no standard error")
    elif np.ptp(values) == 0:
        # identical replicas (a setting, not a sampled number): an error of 0 is no error bar
        sem = math.nan
        notes.insert(0, f"no spread: all {n} valid replicas give {mean:g}, so the error is "
                        "unknown")
    elif few := few_dof_note(n - 1, "valid replicas", "the error over replicas"):
        notes.insert(0, few)
    error_bars = "not checked: fewer than 2 valid replicas that differ"
    if n > 1 and math.isfinite(sem):
        error_bars, too_small = _scatter_note(
            values,
            np.asarray(list(group.get("error", [math.nan] * size)), dtype=float)[ok],
            np.asarray(list(group.get("error_dof", [math.nan] * size)), dtype=float)[ok])
        if too_small:
            # the row's error is the replicas' scatter: one far below what each replica's
            # own error allows is no error bar of the mean if the replicas are not
            # independent, so the row is not valid; a scatter far above them leaves the
            # row's error (that scatter) standing and says the replicas' own are too small
            notes.append(error_bars)
    if n_failed:
        # why, not only how many: the row of a composition that failed everywhere has nothing
        # else to say
        reasons = _failure_reasons(failures, n_failed + n_finished)
        notes.append(f"{n_failed} replica(s) failed: {reasons}")
    n_planned = max(int(n_planned or 0), n_finished + n_failed)
    if n_planned > n_finished + n_failed:
        # five of eight planned replicas made a row valid while the other three were queued,
        # running, or lost with a killed screen: a mean over the replicas that happened to end
        # first is not the plan's
        notes.append(
            f"{n_planned - n_finished - n_failed}/{n_planned} planned replicas not finished "
            "(not run yet, still running, or stopped without a record): run the screen again "
            "to complete them")
    notes.extend(doubts)
    return {
        "mean": mean,
        "sem": sem,
        # the error over n replicas is t-scaled for n - 1 degrees of freedom: without them an
        # interval from it took normal quantiles, 2.59 instead of 3.26 errors at 95 % for 3
        "dof": float(n - 1) if math.isfinite(sem) else math.nan,
        "n_replicas": n,
        "n_invalid": int(total - n),  # excluded or without a value
        "n_failed": int(n_failed),
        "n_planned": int(n_planned),
        "valid": not notes,
        "verdict": "; ".join(notes) or "valid",
        "method": METHODS["replicas"].format(n=n) if n > 1 else METHODS["none"],
        "error_bars": error_bars,
    }


def _place_doubts(place, units):
    """The packed concentration of one composition and temperature, and doubts on all its rows.

    ``place``: the task table's rows of its finished replicas. Returns ``(packed, doubts)``:
    ``packed`` is ``(salt concentration in units, cation molality)`` that its replicas
    recorded (``None`` where none did); ``doubts`` names

    * replicas that packed different boxes (results of another version or plan in the folder:
      the rows would average several electrolytes), and
    * replicas whose every number is identical to another's although their seeds differ and
      some number does vary over the replicas: the seed did not reach the simulation (a
      copied task folder, a model or protocol that ignores it), so they are one sample counted
      several times and the error over replicas is too small.
    """
    doubts = []
    if not len(place):
        return None, doubts
    # plain lists: pandas' groupby per composition cost 7 ms each (a minute for 10^4)
    records = list(zip(place["replica"].tolist(), place["seed"].tolist(),
                       place["property"].tolist(), place["value"].astype(float).tolist(),
                       place["packed_concentration"].astype(float).tolist(),
                       place["cation_molality"].astype(float).tolist(), strict=True))
    boxes = {}
    for replica, _seed, _prop, _value, conc, molality in records:
        if math.isfinite(conc) and math.isfinite(molality):
            boxes.setdefault(replica, (conc, molality))
    packed = next(iter(boxes.values()), None)
    distinct = sorted({round(conc, 9) for conc, _ in boxes.values()})
    if len(distinct) > 1:
        doubts.append(
            f"replicas packed different boxes ({', '.join(f'{x:.4g}' for x in distinct)} "
            f"{units}): results of another version or plan are mixed in; delete the odd "
            "task folders and run the screen again")
    # each finished replica's numbers, as one comparable tuple; exactly: two runs of one
    # simulation agree to the last bit, and rounding would merge diffusion coefficients of
    # 1e-10 m^2/s
    numbers, seeds, seen = {}, {}, {}
    for replica, seed, prop, value, _conc, _molality in records:
        value = None if math.isnan(value) else value
        numbers.setdefault(replica, []).append((str(prop), value))
        seeds.setdefault(replica, seed)
        seen.setdefault(prop, set()).add(value)
    varies = {prop for prop, values in seen.items() if len(values) > 1}
    same = {}
    for replica in sorted(numbers):
        vector = tuple(sorted(numbers[replica], key=str))
        if any(prop in varies for prop, _ in vector):
            same.setdefault(vector, []).append(replica)
    for group in same.values():
        if len(group) > 1 and len({seeds[r] for r in group}) > 1:
            doubts.append(
                f"replicas {', '.join(f'r{r}' for r in group)} (seeds "
                f"{', '.join(str(seeds[r]) for r in group)}) give identical results: one "
                "sample counted several times (the seed did not reach the simulation?), so the "
                "error over replicas is too small")
    return packed, doubts


def aggregate(outdir, *, experimental=None, plots=True):
    """Aggregate a screening folder into ``summary.csv``/``summary.parquet`` (and plots).

    Parameters
    ----------
    outdir : str or os.PathLike
        A folder written by :func:`ase_electrolyte.screen.run_screen`.
    experimental : str or os.PathLike, optional
        CSV of measured values, see :func:`compare_experimental`; adds ``comparison.csv``,
        ``errors.csv`` and parity plots.
    plots : bool
        Draw ``plots/density.png``, ``plots/conductivity.png``, ``plots/diffusivity.png`` and
        ``plots/solvation.png``: mean ± standard error against the packed concentration
        (one line per solvent, salt and temperature, along the concentration), or against
        the composition when every series has a single concentration; rows that are not
        valid are drawn as open markers, which the legend names. Figures of an earlier call
        that this one does not draw (``plots=False``, a property no longer in the table) are
        removed, and so are ``comparison.csv``, ``errors.csv`` and the parity plots of an
        earlier call when this one has no ``experimental``: they would stand beside this
        table as if made from it.

    Returns
    -------
    pandas.DataFrame
        One row per (composition, temperature, property): the composition keys
        (``composition``, ``solvent``, ``ratio``, ``salt``, ``concentration`` (nominal, as
        the plan asks it), ``units``), ``packed_concentration`` (the salt concentration, in
        ``units``, of the molecules the tasks packed: in a small box far from the nominal
        one; molar at the plan's density), ``cation_molality`` (mol of cations per kg of
        solvent in that box), ``box_length_A`` (Å: side of the cubic box, the mass of the
        packed molecules over the mean density of the finished replicas; NaN without a
        density; the Yeh–Hummer correction of :func:`compare_experimental` uses it),
        ``temperature_K``, ``measured_temperature_K`` and ``measured_temperature_error_K`` (K:
        the mean of the replicas' measured production temperatures and its standard error from
        theirs; NaN where a replica recorded none, or, for the error, where one's is not
        valid), ``box_shape``, ``property``, ``unit`` (as
        :mod:`ase_electrolyte.units` spells it),
        ``mean`` and ``sem`` (over the valid replicas only, t-scaled; NaN below two or without
        spread),
        ``n_replicas`` (valid replicas averaged), ``n_invalid`` (finished replicas excluded:
        not valid, or no value), ``n_failed`` (tasks that failed), ``n_planned`` (replicas the
        plan asks for: those neither finished nor failed are queued, running, or were lost
        with a killed screen), ``valid`` (at least five valid replicas that differ, none
        excluded or failed, every planned replica finished, a scatter of the replicas not far
        below what their in-run errors allow (``error_bars``), and a box within
        :data:`CONCENTRATION_TOLERANCE` of the asked composition), ``verdict``
        (``"valid"``, or every reason with its count: ``"excluded: no plateau (1/3
        replicas)"``, ``"single valid replica: no standard error"``, ``"too few valid
        replicas: 2 degrees of freedom ..."``, ``"no valid replica"``, ``"error bars not
        consistent: the replicas scatter less than their in-run errors allow ..."``, failed
        replicas with each distinct error and its count: ``"2 replica(s)
        failed: RuntimeError: ... (2/3 replicas)"``, ``"3/8 planned replicas not finished
        ..."``, a box that is not the asked composition (``"the box of
        70 atoms holds 3.79 mol/kg of LiPF6, not the 3 mol/kg asked (+26 %) ... (n_atoms = 465
        or more packs it within 5 %)"``,
        :func:`~ase_electrolyte.screen.plan.packing_shortfall`), replicas that
        packed different boxes, replicas whose every number repeats another's although their
        seeds differ: one sample counted twice), ``method``, ``error_bars`` (whether the
        valid replicas' scatter agrees with their in-run errors, Welch's (1951) test at
        :data:`SCATTER_P` on each side, its upper P from a parametric bootstrap where Welch's
        is below :data:`BOOTSTRAP_BELOW`: ``"consistent (χ² = ...)"``, ``"error bars not
        consistent: the replicas scatter more than their in-run errors allow ..."`` (the
        replicas' own errors in ``tasks.csv`` are too small; the row's error, their scatter,
        stands) or ``"... less ..."`` (also in the verdict), or ``"not checked: ..."``) and
        ``attempts`` (its replicas
        that did not run once from a fresh start: ``"r1 resumed, attempt 2, lost on
        tcp://...; r2 failed recomputed, attempt 3"``, resumed from an earlier attempt's
        frames or recomputed from the start, and the workers lost running them; ``""`` when
        every replica ran once; each task's own in ``tasks.csv``/``failures.csv``).
        A composition and temperature whose tasks all failed, or none of whose tasks has
        ended (queued, running, lost with a killed screen), keeps a row per property (``""``
        when no task of the screen gave any), with no number and the failures, or the
        replicas not finished, as its verdict. ``n_planned`` counts the replicas of the plan
        last run into the folder (``plan.json``'s ``planned``; its other keys keep every
        composition, temperature and replica any plan there asked for), and at least those
        finished or failed: a replica an earlier, larger plan finished stays in the mean, one
        it saw fail stays a failure, one it never ran is not counted. A composition or
        temperature no longer in the plan keeps the rows of its finished or failed tasks. Also
        writes ``tasks.csv`` (every replica's number, invalid ones included, with its verdict)
        and ``failures.csv``.
    """
    import pandas as pd

    outdir = Path(outdir)
    rows, failures = task_table(outdir)
    plan = _read_record(outdir)
    fingerprints = record_fingerprints(plan)
    compositions = {c["label"]: c for c in plan["compositions"]}
    columns = KEYS[:-1] + ["packed_concentration", "cation_molality", "box_length_A",
                           "temperature_K", "measured_temperature_K",
                           "measured_temperature_error_K", "box_shape",
                           "property", "unit", "mean", "sem", "dof", "n_replicas", "n_invalid",
                           "n_failed", "n_planned", "valid", "verdict", "method", "error_bars",
                           "attempts"]
    restarts = _restarts(rows, failures)
    by_place = {tuple(key): group for key, group in rows.groupby(KEYS, sort=False, dropna=False)}
    finished = rows.groupby(KEYS, sort=False, dropna=False)["replica"].nunique()
    planned, n_planned = _planned_places(plan)
    failed = {tuple(key): list(group["error"])
              for key, group in failures.groupby(KEYS, sort=False, dropna=False)}
    # each (place, property, unit)'s replicas as plain lists: a pandas group per row cost
    # 2-7 ms of _row's time each
    groups = {}
    replica_columns = ["valid", "value", "verdict", "error", "error_dof"]
    for *key, valid, value, verdict, error, error_dof in zip(
            *(rows[c].tolist() for c in KEYS + ["property", "unit"] + replica_columns),
            strict=True):
        cell = groups.setdefault(tuple(key), {c: [] for c in replica_columns})
        for c, x in zip(replica_columns, (valid, value, verdict, error, error_dof),
                        strict=True):
            cell[c].append(x)
    # every (composition, temperature) with a finished or failed task, against every property
    # some task gave: a composition whose tasks all failed (packing impossible, an element the
    # model lacks, an MD that blew up) was missing from the table, its reason only in
    # failures.csv; now its rows say why, with no number
    properties = list(dict.fromkeys(key[len(KEYS):] for key in groups)) or [("", "")]
    # and every (composition, temperature) of the plan last run into the folder: one none of
    # whose replicas had ended (all queued, running, or lost with a killed screen) was missing
    # from the table, as if it had never been asked for
    places = list(dict.fromkeys(list(planned) + [
        tuple(k) for k in finished.index.to_frame().itertuples(index=False)] + list(failed)))
    empty = rows.iloc[:0]
    table, plan_boxes, masses, shortfalls = [], {}, {}, {}
    for where in places:
        n_finished = int(finished.get(where, 0))
        n_finished += _finished_without_numbers(
            outdir, plan, where, n_finished + len(failed.get(where, [])), fingerprints)
        place = by_place.get(where, empty)
        packed, doubts = _place_doubts(place, where[KEYS.index("units")])
        if where[0] not in shortfalls:
            # a row at 3.0 mol/kg whose 70-atom box packs 3.79 was valid, its numbers read as
            # 3.0 mol/kg's with the packed value only a column beside them
            shortfalls[where[0]] = _shortfall(compositions[where[0]], plan)
        doubts = doubts + shortfalls[where[0]]
        if packed is None:
            # one per composition, whatever its temperatures: 2 ms each (of a 10^4 grid, 20 s)
            if where[0] not in plan_boxes:
                plan_boxes[where[0]] = _planned(compositions[where[0]], plan)
            packed = plan_boxes[where[0]]
        length, unknown = _box_length(compositions[where[0]], plan, place, masses)
        measured, measured_error, shape, hot = _run_shape(
            place, float(where[KEYS.index("temperature_K")]))
        # an empty number of the table is never left unexplained: a CSV reader saw a bare
        # empty box_length_A (NaN) beside a row marked valid
        gaps = []
        if not (math.isfinite(packed[0]) and math.isfinite(packed[1])):
            gaps.append("packed_concentration unknown: no replica recorded its box and the "
                        "plan's box does not pack")
        if unknown and n_finished:  # else the verdict says no replica finished
            gaps.append(unknown)
        for prop in properties:
            group = groups.get(where + prop, _NO_REPLICAS)
            table.append({**dict(zip(KEYS + ["property", "unit"], where + prop, strict=True)),
                          "packed_concentration": packed[0], "cation_molality": packed[1],
                          "box_length_A": length, "measured_temperature_K": measured,
                          "measured_temperature_error_K": measured_error,
                          "box_shape": shape,
                          **_row(group, n_finished, failed.get(where, []),
                                 doubts + hot + gaps,
                                 n_planned if where in planned else 0),
                          "attempts": restarts.get(where, "")})
    summary = pd.DataFrame(table, columns=columns)
    summary = summary.sort_values(KEYS + ["property"], kind="stable").reset_index(drop=True)
    # the four tables together or none: a full disk at summary.parquet left a new summary.csv
    # (and tasks.csv) beside the summary.parquet of an earlier call
    _write_tables({outdir / "tasks.csv": rows, outdir / "failures.csv": failures,
                   outdir / "summary.csv": summary, outdir / "summary.parquet": summary})
    try:
        written = plot_summary(summary, outdir / "plots") if plots and len(summary) else []
    except BaseException:
        # the figures of an earlier call not yet redrawn would stand beside the new table
        for name in _FIGURES:
            (outdir / "plots" / f"{name}.png").unlink(missing_ok=True)
        _remove_comparison(outdir)
        raise
    # what an earlier call drew or compared and this one did not would stand beside this
    # table as if made from it (a rerun with more replicas, without plots or experiment)
    written = {Path(path).resolve() for path in written}
    for name in _FIGURES:
        figure = outdir / "plots" / f"{name}.png"
        if figure.resolve() not in written:
            figure.unlink(missing_ok=True)
    if experimental is not None:
        compare_experimental(summary, experimental, outdir, plots=plots)
    else:
        _remove_comparison(outdir)
    return summary


def _restarts(rows, failures):
    """Place (the summary's keys) -> how its finished or failed replicas that did not run
    once from a fresh start came about (``"r1 resumed, attempt 2, lost on tcp://...; r2
    failed, recomputed, attempt 3"``); places all of whose replicas ran once are left out."""
    said = {}
    for frame, failed in ((rows, False), (failures, True)):
        if not len(frame):
            continue
        tasks = frame.drop_duplicates(KEYS + ["replica"])
        for *where, replica, attempt, start, lost in zip(
                *(tasks[c].tolist() for c in KEYS + ["replica", *ATTEMPT_COLUMNS]), strict=True):
            # a row without a state (NaN in a column of text) says nothing either way
            start = start if isinstance(start, str) else ""
            lost = lost if isinstance(lost, str) else ""
            if start == "fresh" and attempt == 1 and not lost:
                continue
            if not start and not lost and not (isinstance(attempt, numbers.Real)
                                               and attempt > 1):
                continue  # a task of an earlier version: nothing recorded either way
            parts = [f"r{replica}"] + ["failed"] * failed + [start] * bool(start)
            if isinstance(attempt, numbers.Real) and math.isfinite(attempt):
                parts[-1] += f", attempt {int(attempt)}"
            if lost:
                parts[-1] += f", lost on {lost}"
            said.setdefault(tuple(where), []).append(" ".join(parts))
    return {where: "; ".join(texts) for where, texts in said.items()}


def summary_estimate(row):
    """One row of :func:`aggregate`'s table (or of ``comparison.csv``) as an
    :class:`~ase_electrolyte.estimate.Estimate`.

    Its ``dof`` is the row's (replicas − 1 for a mean over replicas; Welch–Satterthwaite where
    errors were combined, as for a Yeh–Hummer corrected D), so that
    :meth:`~ase_electrolyte.estimate.Estimate.interval` takes the quantiles of t: the 95 %
    interval of a mean over 5 replicas is ±2.51 of its (t-scaled) errors, not ±1.96.

    Parameters
    ----------
    row : mapping
        A row (``pandas.Series`` or dict) with ``mean``, ``sem``, ``unit``, ``valid`` and
        ``verdict``; ``dof``, ``method`` and ``n_replicas`` where the table has them (a
        table of an earlier version has no ``dof``: its ``sem`` over ``n_replicas`` has
        ``n_replicas - 1``). A row of ``summary.csv`` read with :mod:`csv` (every cell text,
        NaN an empty cell, ``valid`` ``"True"`` or ``"False"``) reads as the table's own.

    Returns
    -------
    Estimate
        Value ``mean`` and error ``sem`` (NaN where the row has none) in ``unit``; converged
        as the row is valid, with its verdict as the note otherwise.

    Raises
    ------
    ValueError
        A row that lacks one of the needed columns (named), whose ``valid`` is no flag, or
        whose ``unit`` is not one of :mod:`ase_electrolyte.units` (a property whose replicas
        gave none, ``"unknown"``), or whose numbers :class:`~ase_electrolyte.estimate.Estimate`
        refuses; the message names the row's composition, temperature and property.
    """
    try:
        return _summary_estimate(row)
    except ValueError as err:
        # "unknown unit 'g per cc'" alone did not say which of a table's rows gave it
        raise ValueError(f"summary row {_row_name(row)}: {err}") from err


def _summary_estimate(row):
    from ..estimate import METHODS, Estimate

    missing = [k for k in ("mean", "sem", "unit", "valid", "verdict") if k not in row]
    if missing:
        raise ValueError(f"a summary row needs {', '.join(missing)}: not a row of the "
                         "screening table")
    # a row of summary.csv read as text (csv.DictReader): its numbers are text
    row = {k: _csv_number(row[k]) if k in ("mean", "sem", "dof", "n_replicas") else row[k]
           for k in row.keys()}
    dof = _row_dof(row)
    valid = _row_valid(row["valid"])
    mean, sem = float(row["mean"]), float(row["sem"])
    n = _dof(row.get("n_replicas"))  # a count >= 1, or NaN
    n = 0 if math.isnan(n) else int(n)
    converged = valid and math.isfinite(mean) and math.isfinite(sem)
    notes = () if converged else (str(row["verdict"]) if not valid else "no value or error",)
    method = row.get("method")
    method = method if isinstance(method, str) and method else METHODS["replicas"].format(n=n)
    # a table of an earlier version spelt some units for display ("g/cm3")
    unit = _UNIT_SPELLING.get(str(row["unit"]), str(row["unit"]))
    return Estimate(mean, sem, unit, method, n_samples=n, converged=converged, notes=notes,
                    dof=None if math.isnan(dof) else dof)


def _row_name(row):
    """``"composition EC_LiPF6_1, 298.15 K, density"``: which row of the table ``row`` is,
    from the keys it has."""
    parts = [f"composition {row['composition']}" if "composition" in row else ""]
    temperature = _csv_number(row["temperature_K"]) if "temperature_K" in row else None
    if isinstance(temperature, numbers.Real) and math.isfinite(temperature):
        parts.append(f"{float(temperature):g} K")
    parts.append(str(row["property"]) if "property" in row else "")
    return ", ".join(p for p in parts if p) or "(without composition or property)"


def _csv_number(value):
    """A number of a summary row as the table wrote it: text (a row of ``summary.csv`` read
    with :mod:`csv`, where NaN is an empty cell) read as a float (NaN where it is none: a
    ``sem`` of ``""`` was "could not convert string to float"), anything else as it is."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return math.nan
    return value


def _row_valid(value):
    """A summary row's ``valid`` as a bool, or a ``ValueError`` naming it.

    ``bool(value)`` took the text ``"False"`` of a row of ``summary.csv`` read with
    :mod:`csv` for true, as it did NaN (an empty cell read with pandas): a row the table marks
    not valid became a converged Estimate without its verdict.
    """
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise ValueError(f"a summary row's valid must be True or False (as the table writes it), "
                     f"not {value!r}")


def _remove_comparison(outdir):
    """Remove the files :func:`compare_experimental` writes into ``outdir``."""
    for stale in [outdir / "comparison.csv", outdir / "errors.csv",
                  *(outdir / "plots").glob("parity_*.png")]:
        stale.unlink(missing_ok=True)


def _planned_places(plan):
    """The (composition, temperature) keys the plan last run into the folder asks for, and its
    replicas per place.

    ``plan.json`` records the union of every plan run into the folder (compositions,
    temperatures, the most replicas), so that no finished task is forgotten; what the latest
    plan asks for is its ``planned`` entry. A rerun with 5 replicas after one with 8 reported
    "3/8 planned replicas not finished" for replicas no plan asked for any more, and a
    composition dropped from the plan would be reported as not run for ever. A record of an
    earlier version (no ``planned``) plans its union.
    """
    latest = plan.get("planned")
    if not isinstance(latest, dict):
        latest = {"compositions": [c["label"] for c in plan["compositions"]],
                  "temperatures": plan["temperatures"], "replicas": plan["replicas"]}
    labels = set(latest.get("compositions") or ())
    temperatures = {float(t) for t in latest.get("temperatures") or ()}
    places = {}
    for comp in plan["compositions"]:
        if comp["label"] not in labels:
            continue
        for t in plan["temperatures"]:
            if float(t) in temperatures:
                places[tuple(_keys(comp, float(t)).values())] = None
    return places, int(latest.get("replicas") or 0)


def _finished_without_numbers(outdir, plan, where, n_accounted, fingerprints):
    """Replicas of a composition and temperature whose ``result.json`` holds no property.

    ``plan``: the folder's record (its ``replicas``: the most a plan run into the folder asked
    for); ``where``: the summary's keys of the place; ``n_accounted``: its replicas with a
    number or a failure. Such a replica finished (it is no planned replica still to run), but
    no row of :func:`task_table` shows it; only looked for when some replica is unaccounted
    for. A result :func:`task_table` counts as a failure (another task's, seed's or plan's) is
    not counted again here.
    """
    n_recorded = int(plan["replicas"])
    if n_accounted >= n_recorded:
        return 0
    label, temperature = where[0], where[KEYS.index("temperature_K")]
    count = 0
    for replica in range(n_recorded):
        result, _ = _read_task_result(outdir, plan, label, temperature, replica, fingerprints)
        count += result is not None and not result["properties"]
    return count


def _series(summary):
    return summary.groupby(["solvent", "ratio", "salt", "units", "temperature_K"], sort=False)


def _write_table(frame, path):
    """Write ``frame`` as CSV or Parquet (by the suffix of ``path``), whole or not at all.

    A rerun that fails midway (full disk, size limit) keeps the previous complete table.
    """
    _write_tables({path: frame})


def _write_tables(frames):
    """Write ``{path: frame}``, each as :func:`_write_table` would, all or none: every file is
    written to its temporary name first and the renames follow the last write."""
    import contextlib

    with contextlib.ExitStack() as stack:
        for path, frame in frames.items():
            tmp = stack.enter_context(atomic_path(path))
            if path.suffix == ".parquet":
                frame.to_parquet(tmp, index=False)
            else:
                frame.to_csv(tmp, index=False)


#: Legend entry of the open markers of :func:`plot_summary`.
OPEN_MARKER_LABEL = "open marker: not valid (verdict in summary.csv)"
#: Legend entry of the crosses of :func:`plot_summary` along a panel's bottom edge.
NO_NUMBER_LABEL = "x at the bottom: no number (not run, failed or not valid: see summary.csv)"


def plot_summary(summary, folder):
    """Draw the figures of :func:`aggregate` into ``folder``; returns the files written.

    Rows that are not valid are drawn as open markers (their mean, where there is one, with its
    error bar); the legend of a figure with such a row says so (:data:`OPEN_MARKER_LABEL`).
    A row without a mean (a composition not run yet, whose replicas all failed, or none of
    whose numbers is valid) is drawn as a cross on the panel's bottom edge at its
    concentration (:data:`NO_NUMBER_LABEL`): it was absent from the figure, as if never planned.
    """
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from mda_electrolyte.plotting import user_text_literally

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # concentration on x only when some series has several; else one point per composition
    by_concentration = any(len(g["concentration"].unique()) > 1 for _, g in _series(summary))
    labels = list(dict.fromkeys(summary["composition"]))
    written = []
    # solvent, salt and composition names are the plan's: '$' in one is no mathtext
    with user_text_literally():
        for figure, wanted in _FIGURES.items():
            props = list(dict.fromkeys(summary["property"]))
            props = [p for p in props if p.startswith(wanted)] if isinstance(wanted, str) else [
                p for p in wanted if p in props
            ]
            if not props:
                continue
            fig, axes = plt.subplots(
                1, len(props), figsize=(4.2 * len(props), 3.6), squeeze=False, layout="constrained"
            )
            any_doubtful = any_missing = False
            for ax, prop in zip(axes[0], props, strict=True):
                part = summary[summary["property"] == prop]
                for (solvent, ratio, salt, _units, temp), g in _series(part):
                    # where the box packed it: in a small box far from the asked concentration
                    # (the table keeps both); the asked one where no box is known
                    x = _packed_x(g) if by_concentration else np.array([
                        labels.index(c) for c in g["composition"]
                    ])
                    # along x: the table's order is the labels' ("10molal" before "2molal"), and
                    # the line zigzagged between the points
                    order = np.argsort(x, kind="stable")
                    x, g = np.asarray(x)[order], g.iloc[order]
                    line = ax.errorbar(
                        x,
                        g["mean"],
                        yerr=g["sem"].fillna(0.0),
                        marker="o",
                        capsize=3,
                        label=f"{salt} in {solvent} ({ratio}), {temp:g} K" if salt else
                        f"{solvent} ({ratio}), {temp:g} K",
                    )
                    # rows that are not valid: open markers over the line's filled ones
                    doubtful = ~g["valid"].to_numpy(dtype=bool)
                    if doubtful.any():
                        any_doubtful = True
                        ax.plot(np.asarray(x)[doubtful], g["mean"].to_numpy()[doubtful], "o",
                                mfc="white", mec=line[0].get_color())
                    missing = ~np.isfinite(g["mean"].to_numpy(dtype=float))
                    if missing.any():
                        any_missing = True
                        # x in data, y in axes units: on the bottom edge whatever the y range
                        ax.plot(np.asarray(x, dtype=float)[missing],
                                np.full(int(missing.sum()), 0.03), "x",
                                color=line[0].get_color(), clip_on=False,
                                transform=ax.get_xaxis_transform())
                unit = part["unit"].iloc[0]
                ax.set_ylabel(f"{prop} / {unit}")
                if by_concentration:
                    ax.set_xlabel(f"salt concentration as packed / {part['units'].iloc[0]}")
                else:
                    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=7)
                ax.set_title(prop)
            handles, names = axes[0][0].get_legend_handles_labels()
            if any_doubtful:
                # an open marker meant nothing to a reader of the figure alone
                handles.append(Line2D([], [], color="0.4", marker="o", mfc="white", mec="0.4",
                                      linestyle="none"))
                names.append(OPEN_MARKER_LABEL)
            if any_missing:
                handles.append(Line2D([], [], color="0.4", marker="x", linestyle="none"))
                names.append(NO_NUMBER_LABEL)
            axes[0][0].legend(handles, names, fontsize=7)
            written.append(save_figure(fig, folder / f"{figure}.png", dpi=120))
    return written


def _packed_x(rows):
    """The packed concentration of summary ``rows``, the nominal one where it is not known."""
    import numpy as np

    if "packed_concentration" not in rows:  # a table of an earlier version
        return rows["concentration"].to_numpy(dtype=float)
    packed = rows["packed_concentration"].to_numpy(dtype=float)
    return np.where(np.isfinite(packed), packed, rows["concentration"].to_numpy(dtype=float))


def _composition_key(shares, ratio, salt, concentration, units, temperature):
    # as in plan.composition_key: a measurement given by mass matches the screen's composition
    # given by moles or by volume
    mix, ratio = mole_shares(shares, ratio)
    mix = tuple(sorted((k, round(v, 6)) for k, v in mix.items()))
    return (mix, ratio, salt or "", round(float(concentration), 9), units, float(temperature))


_EXP_REQUIRED = ("solvent", "salt", "concentration", "property", "value")
_EXP_OPTIONAL = ("ratio", "units", "temperature_K", "error", "unit")


def _exp_column(name):
    """A header of the experimental table as its known column (``Solvent`` is ``solvent``,
    ``Temperature_K`` is ``temperature_K``: a spreadsheet's capitals were refused as unknown
    columns), else as written, stripped."""
    name = str(name).strip()
    return next((k for k in _EXP_REQUIRED + _EXP_OPTIONAL if k.casefold() == name.casefold()),
                name)


def _check_csv_shape(path):
    """The header and the number of fields per row of an experimental table (PlanError)."""
    import csv

    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f, skipinitialspace=True) if r]
    except (UnicodeDecodeError, csv.Error) as err:
        raise PlanError(f"experimental table {path}: not a readable CSV ({err})") from None
    if not rows:
        return  # empty: pandas' message below names it
    header = [_exp_column(c) for c in rows[0]]
    known = _EXP_REQUIRED + _EXP_OPTIONAL
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise PlanError(f"experimental table {path}: column(s) {twice} given twice")
    for c in header:
        if c in known:
            continue
        base = c.split("(")[0].split("[")[0].split("/")[0].strip().lower()
        # each column's unit has its own place: 'concentration (mol/kg)' was told to give it
        # in the 'unit' column (that of value and error), 'temperature (K)' was unknown
        if base in ("temperature", "temperature_k", "t"):
            raise PlanError(
                f"experimental table {path}: column {c!r}: name it 'temperature_K' and give "
                "kelvin (25 °C = 298.15 K)")
        if base == "concentration":
            raise PlanError(
                f"experimental table {path}: column {c!r}: name it 'concentration' and give "
                "its unit in a 'units' column (molal for mol/kg, molar for mol/L)")
        match = next((k for k in known if k.lower() == base), None)
        if match in ("value", "error"):
            raise PlanError(
                f"experimental table {path}: column {c!r}: name it {match!r} and give the unit "
                "of value and error in a 'unit' column (e.g. unit = g/cm^3, mS/cm, mPa·s)"
            )
        if match is not None:
            raise PlanError(f"experimental table {path}: column {c!r}: name it {match!r}")
    if len(rows) == 1:
        raise PlanError(f"experimental table {path}: a header but no rows")
    for n, row in enumerate(rows[1:], start=1):
        if len(row) != len(header):
            raise PlanError(
                f"experimental table {path}, row {n}: {len(row)} fields, the header has "
                f"{len(header)} ({', '.join(header)}); quote a solvent with commas "
                '("EC:3,EMC:7") and give every column, empty where unknown'
            )


def _check_property_name(name, where):
    """Refuse a property name no summary row can have, before the screen runs.

    A summary's names are those of :func:`~ase_electrolyte.screen.properties.known_property`
    (``D_`` followed by a library species' name: a plan's species are the library's) and
    ``"<analysis>.<key>"`` for the other Estimates. A row of another name (``Density``,
    ``D_li``, ``densty``, ``conductivity``) was compared with nothing, which a warning said
    only after the last simulation.
    """
    from ..species import get_species
    from .properties import _FRACTIONS, _SCALARS

    if "." in name:
        return
    if name.startswith(("D_", "d_")) and len(name) > 2:
        try:
            species = get_species(name[2:]).name
        except ValueError:
            raise PlanError(f"{where}: property {name!r}: {name[2:]!r} is no species of the "
                            "library, which a screen's molecules are; a diffusion coefficient "
                            "is D_<species>, e.g. D_Li, D_PF6, D_EC") from None
        if name == f"D_{species}":
            return
        raise PlanError(f"{where}: property {name!r} is not a name of the summary: did you "
                        f"mean 'D_{species}'? (species as the library names them)")
    names = [prop for prop, _, _ in _SCALARS.values()] + list(_FRACTIONS)
    if name in names:
        return
    import difflib

    lower = {n.lower(): n for n in names}
    close = ([lower[name.lower()]] if name.lower() in lower else
             [lower[c] for c in difflib.get_close_matches(name.lower(), list(lower), n=2,
                                                          cutoff=0.6)]
             or [n for n in names if n.lower().startswith(name.lower())])
    hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
    raise PlanError(
        f"{where}: property {name!r} is not a name of the summary, so it would be compared "
        f"with nothing; {hint}the summary's names: {', '.join(names)}, D_<species> and "
        "<analysis>.<key> for the analyses' other numbers")


def _check_known_property(name, value, unit, where, noted=None):
    """A measured value of a property the table knows: its unit's dimension and its range.

    Returns the doubt on its unit (``None``: none): a density, diffusion coefficient,
    viscosity or conductivity (also an ``<analysis>.<key>`` number given with its unit) far
    from a liquid electrolyte's
    (:func:`~ase_electrolyte.units.doubts_in_unit`: 1200 in g/cm³ is kg/m³, 10⁻⁵ in m²/s is
    cm²/s), also warned of, with ``noted`` in front (``where`` without it); a refusal
    (PlanError) starts with ``where``.
    """
    from ..units import convert, dimension, doubts_in_unit
    from .properties import known_property

    known = known_property(name)
    if known is None:
        if unit is None:  # in the summary's unit, not known before it is read
            return None
        # an analysis' other number ("green_kubo_conductivity.conductivity_self") in a unit
        # the row gives is judged in it: 1e5 "S/m" passed without a word
        known = (unit, None)
    table_unit, kind = known
    if unit is not None:
        if dimension(unit) != dimension(table_unit):
            raise PlanError(
                f"{where}: unit {unit!r} is a {dimension(unit)}, but {name} is a "
                f"{dimension(table_unit)} (the table gives it in {table_unit})"
            )
        value = float(convert(value, unit, table_unit))
    problem = _range_problem(name, value)
    if problem:
        unit_text = "" if table_unit == "1" else f" {table_unit}"
        raise PlanError(f"{where}: {problem}, got {value:g}{unit_text}")
    # a measured 1200 "g/cm³" (kg/m³ under the wrong unit) was compared as it stood: a 99.9 %
    # deviation in the MAE of valid rows, without a word; so were D = 1e-5 "m²/s" (cm²/s), a
    # viscosity of 0.003 "mPa·s" (Pa·s) and σ = 1e6 "mS/cm": every dimension with a rule of
    # the package is judged by it
    doubts = doubts_in_unit(value, table_unit, density_measured=False)
    if not doubts:
        return None
    doubt = f"{where if noted is None else noted}: {doubts[0]}"
    warnings.warn(doubt, stacklevel=3)
    return doubt


def _range_problem(name, value):
    """Why ``value`` (in the table's unit) cannot be property ``name`` (``None``: it can).

    Density, conductivities, viscosity and diffusion coefficients are positive, the solvation
    classes fractions of the cations (0 to 1); other names are not judged.
    """
    from .properties import known_property

    known = known_property(name)
    if known is None:
        return None
    if known[1] == "positive" and not value > 0:
        return f"{name} must be > 0"
    if known[1] == "fraction" and not 0 <= value <= 1:
        return f"{name} is a fraction of the cations (0 to 1)"
    return None


def _exp_number(text, what, **bounds):
    from ..atoms_checks import check_number

    try:
        return check_number(what, float(text), **bounds)
    except ValueError:
        need = " (finite" + "".join(
            f", {'>' if k == 'above' else '>='} {v:g}" for k, v in bounds.items()) + ")"
        raise PlanError(f"{what} must be a number{need}, not {text!r}") from None


def _exp_temperature(text, where):
    """A table's ``temperature_K`` checked as the plan's temperatures are (a row at -10 is
    told its reading in °C, one at 25 is doubted): a number in K, or a PlanError."""
    from .plan import _temperature

    try:
        value = float(text)
    except ValueError:
        value = text  # "298 K" is told the number to give
    return _temperature(value, where)


def read_experimental(path, temperatures=None):
    """Read and check the measured values of :func:`compare_experimental`.

    Every row is checked, so that a bad table fails when the screen starts rather than after
    its last simulation: the columns (missing and unknown ones, e.g. ``temperature`` for
    ``temperature_K``), the species and salt, numbers that are numbers and finite, ``ratio``,
    ``units`` and ``unit`` spellings, and the same measurement given twice (in any spelling of
    its composition: ``EMC:7,EC:3`` is ``EC:30,EMC:70``). A row with more or fewer fields than
    the header (an unquoted ``"EC:3,EMC:7"`` shifted every later field), a column named twice,
    a unit written into a header (``value (g/cm3)``: it goes into the ``unit`` column;
    ``concentration (mol/kg)`` into ``units``; ``temperature (K)`` is ``temperature_K``) and a
    header without rows are refused; a header in other capitals (``Solvent``,
    ``Temperature_K``) is its column. For the properties the table knows
    (:func:`~ase_electrolyte.screen.properties.known_property`: ``density``, the
    conductivities, ``viscosity``, ``D_<species>``, the solvation fractions) the ``unit`` must
    be one of that property's dimension and the value in its range (> 0, or 0 to 1 for a
    fraction): else the mistake surfaced only after the last simulation, or entered the MAE.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV (columns: see :func:`compare_experimental`).
    temperatures : sequence of float, optional
        The plan's temperatures: with more than one, every row needs ``temperature_K``.

    Returns
    -------
    list of dict
        One per row: ``row`` (1-based data row), ``key`` (what the summary is matched on),
        ``property``, ``value``, ``error`` (NaN if not given), ``unit`` (None if not given),
        ``doubt`` (why its unit is doubted, warned of too: a density, diffusion coefficient,
        viscosity or conductivity far from a liquid electrolyte's; ``None`` for none; a
        comparison with it is not valid) and ``text`` (the row, for messages).

    Raises
    ------
    PlanError
        Naming the file, the row and the problem.
    """
    import pandas as pd

    from ..species import get_salt
    from ..units import dimension

    path = Path(path)
    if not path.is_file():
        raise PlanError(f"experimental table {path} does not exist")
    _check_csv_shape(path)
    try:
        # strings throughout: a value such as '1.2 g/cm3' is named below, not turned into NaN
        exp = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise PlanError(f"experimental table {path}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise PlanError(f"experimental table {path}: not a readable CSV ({err})") from None
    exp.columns = [_exp_column(c) for c in exp.columns]
    missing = sorted(set(_EXP_REQUIRED) - set(exp.columns))
    if missing:
        raise PlanError(f"experimental table {path}: missing column(s) {missing}")
    unknown = sorted(set(exp.columns) - set(_EXP_REQUIRED) - set(_EXP_OPTIONAL))
    if unknown:
        raise PlanError(
            f"experimental table {path}: unknown column(s) {unknown}; known: "
            f"{list(_EXP_REQUIRED + _EXP_OPTIONAL)}"
        )
    temperatures = None if temperatures is None else sorted(float(t) for t in temperatures)
    out, seen = [], {}
    for n, e in enumerate(exp.to_dict("records"), start=1):
        e = {k: str(v).strip() for k, v in e.items()}
        # a refusal names the file as every other refusal of it does (a missing column named
        # the path, a bad row the bare name: two tables of one name in two folders, or a
        # plan's table resolved beside the plan, were told apart by one of them only)
        where = f"experimental table {path}, row {n}"
        shares = _solvent(e["solvent"], where)
        salt = None
        if e["salt"]:
            try:
                salt = get_salt(e["salt"]).name
            except ValueError as err:
                raise PlanError(f"{where}: {err}") from None
        concentration = _exp_number(e["concentration"], f"{where}: concentration", minimum=0)
        if (concentration > 0) != (salt is not None):
            raise PlanError(
                f"{where}: concentration {concentration:g} "
                + ("without a salt" if salt is None else f"of {salt} must be > 0")
            )
        # the plan's spellings: a row in mol/kg is matched with a composition in molal
        ratio = _spelling(e.get("ratio") or "mass", "ratio", where)
        units = _spelling(e.get("units") or "molal", "units", where)
        if e.get("temperature_K"):
            temperature = _exp_temperature(e["temperature_K"], where)
        elif temperatures is not None and len(temperatures) != 1:
            raise PlanError(
                f"{where}: give temperature_K, the plan has {len(temperatures)} temperatures"
            )
        else:
            temperature = None if temperatures is None else temperatures[0]
        if not e["property"]:
            raise PlanError(f"{where}: no property name")
        _check_property_name(e["property"], where)
        value = _exp_number(e["value"], f"{where}: value")
        error = _exp_number(e["error"], f"{where}: error", minimum=0) if e.get("error") \
            else math.nan
        unit = e.get("unit") or None
        if unit is not None:
            try:
                dimension(unit)
            except ValueError as err:
                raise PlanError(f"{where}: {err}") from None
        # a doubt is kept in the results and warned of as compare_experimental's notes are,
        # under the file's name (a results folder is read elsewhere; the path is the reader's)
        doubt = _check_known_property(e["property"], value, unit, where,
                                      f"experimental table {path.name}, row {n}")
        key = None if temperature is None else _composition_key(
            shares, ratio, salt, concentration, units, temperature) + (e["property"],)
        # without a temperature the key is completed against the summary's single one
        dedup = _composition_key(shares, ratio, salt, concentration, units, temperature or 0.0) \
            + (e["property"],)
        if dedup in seen:
            raise PlanError(
                f"{where} repeats row {seen[dedup]} (the same composition, temperature and "
                f"property: {e['solvent']}, {salt or 'no salt'} {concentration:g} {units}, "
                f"{e['property']}); give each measurement once (average them first)"
            )
        seen[dedup] = n
        out.append({
            "row": n, "key": key, "shares": shares, "ratio": ratio, "salt": salt,
            "concentration": concentration, "units": units, "property": e["property"],
            "value": value, "error": error, "unit": unit, "doubt": doubt,
            "text": f"row {n} ({e['solvent']}, {salt or 'no salt'} {concentration:g} {units}, "
                    f"{'' if temperature is None else f'{temperature:g} K, '}{e['property']})",
        })
    return out


def compare_experimental(summary, experimental, outdir, *, plots=True):
    r"""Compare the screened means with measured values: parity plots, MAE and % errors.

    Parameters
    ----------
    summary : pandas.DataFrame
        The table of :func:`aggregate`.
    experimental : str or os.PathLike
        CSV with columns ``solvent`` (``"EC:3,EMC:7"``), ``salt`` (empty for a pure solvent),
        ``concentration``, ``property`` (names as in the summary: ``density``,
        ``conductivity_gk``, ``D_Li`` ...), ``value`` and optionally ``unit`` (of ``value`` and
        ``error``, converted to the summary's unit of that property; default: that unit),
        ``ratio`` (default ``mass``), ``units`` (default ``molal``), ``temperature_K`` (needed
        when the plan has several temperatures) and ``error``. Solvent shares are compared as
        fractions, so ``EC:30,EMC:70`` and ``EMC:7,EC:3`` match ``EC:3,EMC:7``; salt names as
        in :func:`ase_electrolyte.species.get_salt`. Checked by :func:`read_experimental`.
    outdir : str or os.PathLike
        Receives ``comparison.csv`` (one row per matched value: mean, sem (of a diffusion
        coefficient: corrected to the infinite system, see the notes),
        ``mean_periodic_box`` (the summary's mean), ``finite_size_correction`` (the
        Yeh–Hummer term added to a ``D_<species>``, in its unit; NaN for other properties or
        where it could not be made), ``packed_concentration`` (of the simulated box),
        ``experiment_concentration`` (where the measured value is taken), experiment,
        deviation, absolute and percentage deviation), ``errors.csv`` and
        ``plots/parity_<property>.png``.
    plots : bool

    Notes
    -----
    A measurement is matched by its nominal concentration, but the box holds the packed one
    (its integer molecule counts: 3.0 molal of LiPF6 in 70 atoms of EC is 3.79 molal). Where
    they differ, the measured value is taken at the packed concentration by linear
    interpolation between the table's two measurements of the same electrolyte, temperature
    and property that bracket it (their errors combined as independent); where none bracket
    it, a box more than :data:`CONCENTRATION_TOLERANCE` (relative) from the measurement is not
    compared: its row is marked not valid, with both concentrations in its verdict, and left
    out of the errors.

    A self-diffusion coefficient of a periodic box of side L is smaller than the infinite
    system's, which is measured, by ``ξ k_B T / (6 π η L)`` (Yeh & Hummer 2004, ξ =
    2.837297; 20–40 % of D in a box of a few hundred atoms). A ``D_<species>`` is therefore
    compared after adding it, with the summary's mean ``viscosity`` at the same composition
    and temperature and its ``box_length_A``; its error (first order in η's) is combined with
    D's. Without a viscosity row (add ``"viscosity"`` to the plan's analyses), with one
    without a value or not valid, or without a box side, the row is marked not valid with
    the reason and left out of the errors.

    Returns
    -------
    pandas.DataFrame
        ``errors.csv``: per property, over the matched rows whose summary row is valid,
        ``n``, ``n_excluded`` (matched rows not valid: in ``comparison.csv``, not in the
        errors; ``comparison.csv`` gives each ``deviation`` its ``deviation_error``, the
        simulation's ``sem`` and the measured error combined), ``MAE`` (mean absolute error
        in the property's unit, :math:`\frac1n\sum|x_\mathrm{sim} - x_\mathrm{exp}|`),
        ``MAPE_percent``
        (:math:`\frac{100}{n}\sum|x_\mathrm{sim} - x_\mathrm{exp}|/|x_\mathrm{exp}|`, over the
        rows with a non-zero measured value) and ``mean_signed_error``, each with its t-scaled
        standard error over the compared rows (``MAE_error``, ``MAPE_percent_error``,
        ``mean_signed_error_error``; NaN below two rows; ``dof`` of the first and last,
        ``MAPE_n`` and ``MAPE_dof`` of the MAPE's rows, which leave out measured zeros),
        ``valid`` and ``verdict`` (not valid with no or one compared row, fewer than five, the
        MAPE over fewer than five, or matched rows left out) and ``method``.

    Raises
    ------
    PlanError
        A table :func:`read_experimental` refuses, or a ``unit`` of another dimension than the
        summary's unit of that property.

    Warns
    -----
    UserWarning
        Rows that match no screened composition, temperature and property (named, first five).
    """
    outdir = Path(outdir)
    try:
        return _compare(summary, experimental, outdir, plots)
    except BaseException:
        # a table refused here (a unit of another dimension than the summary's, found only
        # against it) left the comparison of an earlier call beside the new summary, as if
        # made from it
        _remove_comparison(outdir)
        raise


def _compare(summary, experimental, outdir, plots):
    """:func:`compare_experimental` itself."""
    import numpy as np
    import pandas as pd

    from mda_electrolyte.uncertainty import few_dof_note

    from ..estimate import METHODS

    temperatures = sorted(summary["temperature_K"].unique()) if len(summary) else None
    rows = read_experimental(experimental, temperatures)
    # the measurements of one electrolyte, temperature and property along the concentration
    series = {}
    for e in rows:
        if e["key"] is not None:
            series.setdefault(_along_concentration(e["key"]), []).append(e)
    # positions, not index labels: a summary concatenated from two screens (pd.concat keeps
    # both indices) returned a frame for one label, and float() of it was a TypeError
    index = {}
    for i, (_, r) in enumerate(summary.iterrows()):
        shares = {k: float(v) for k, v in (x.split(":") for x in r["solvent"].split(","))}
        # a summary read back from summary.csv has NaN for a pure solvent's empty salt
        salt = r["salt"] if isinstance(r["salt"], str) else ""
        key = _composition_key(
            shares, r["ratio"], salt, r["concentration"], r["units"], r["temperature_K"]
        )
        index.setdefault(key + (r["property"],), []).append(i)
    # the viscosity of each composition and temperature: D is corrected with it (Yeh–Hummer)
    viscosities = {(r["composition"], float(r["temperature_K"])): r
                   for _, r in summary.iterrows() if r["property"] == "viscosity"}
    matched, unmatched, used = [], [], set()
    pairs = [(m, pos) for m in rows for pos in index.get(m["key"], [None])]
    for e, pos in pairs:
        if pos is None:
            unmatched.append(e)
            continue
        s = summary.iloc[pos]
        twice = None
        if len(index[e["key"]]) > 1:
            # one electrolyte under several labels (a folder of an earlier version, summaries
            # of two screens concatenated): the measurement was compared with the last row
            # only, in silence
            labels = sorted({str(summary.iloc[i]["composition"]) for i in index[e["key"]]})
            twice = (f"the summary holds this composition, temperature and property "
                     f"{len(index[e['key']])} times ({', '.join(labels)}): which row the "
                     "measurement belongs to is not known; not compared (compare each screen's "
                     "summary on its own)")
        packed = float(s.get("packed_concentration", math.nan))
        at, value, error, note, by = _measured_at(e, series, packed, s["unit"],
                                                  Path(experimental).name)
        used.update(by)
        # a measurement whose unit is in doubt is shown, not counted in the errors
        doubted = "; ".join(f"measured value in doubt: {m['doubt']}" for m in rows
                            if m["row"] in by and m.get("doubt")) or None
        mean, sem, correction, size_note = float(s["mean"]), float(s["sem"]), math.nan, None
        dof = _row_dof(s)
        dof = None if math.isnan(dof) else dof
        if _is_diffusion(s["property"]):
            mean, sem, dof, correction, size_note = _yeh_hummer(
                s, viscosities.get((s["composition"], float(s["temperature_K"]))))
        dev = mean - value
        valid, verdict = bool(s["valid"]), str(s["verdict"])
        if at == packed and math.isfinite(packed):
            # the measurement is taken at the box's own concentration: that the box is not the
            # asked one does not concern this comparison (unless its solvent is off too)
            kept = [part for part in verdict.split("; ")
                    if _SHORTFALL_MARK not in part or "solvent " in part]
            if len(kept) < len(verdict.split("; ")):
                verdict = "; ".join(kept) or "valid"
                valid = verdict == "valid"
        for why in (size_note, note, twice, doubted):
            if why:
                valid, verdict = False, why if verdict == "valid" else f"{verdict}; {why}"
        matched.append(
            {
                **{k: s[k] for k in KEYS},
                # the box's concentration, and the one the measured value is taken at: the
                # packed one where measurements bracket it, else the nominal one
                "packed_concentration": packed,
                "experiment_concentration": at,
                "property": s["property"],
                "unit": s["unit"],
                # a diffusion coefficient: corrected to the infinite system (Yeh–Hummer)
                "mean": mean,
                "sem": sem,
                "dof": math.nan if dof is None else dof,
                "mean_periodic_box": s["mean"],
                "finite_size_correction": correction,
                "valid": valid,
                "verdict": verdict,
                "experiment": value,
                "experiment_error": error,
                "deviation": dev,
                # the simulation's error over replicas and the measurement's, combined
                "deviation_error": _combined_error(sem, error),
                "deviation_dof": _combined_dof(sem, dof, error),
                "abs_deviation": abs(dev),
                "percent_deviation": 100.0 * dev / value if value else math.nan,
            }
        )
    # a measurement at no screened concentration may still serve an interpolation
    unmatched = [e["text"] for e in unmatched if e["row"] not in used]
    if unmatched:
        warnings.warn(
            f"experimental table {Path(experimental).name}: {len(unmatched)} of {len(rows)} "
            f"row(s) match no screened composition, temperature and property, so are not "
            f"compared: {'; '.join(unmatched[:5])}{' ...' if len(unmatched) > 5 else ''}",
            stacklevel=2,
        )
    comparison = pd.DataFrame(matched)
    _write_table(comparison, outdir / "comparison.csv")
    columns = ["property", "unit", "n", "n_excluded", "MAE", "MAE_error", "MAPE_percent",
               "MAPE_percent_error", "MAPE_n", "MAPE_dof", "mean_signed_error",
               "mean_signed_error_error", "dof", "valid", "verdict", "method"]
    errors = []
    if not comparison.empty:
        for (prop, unit), g in comparison.groupby(["property", "unit"], sort=False):
            # rows that are not valid are shown in comparison.csv but kept out of the errors
            ok = g[g["valid"]]
            # a measured zero has no percentage deviation; it still counts in the MAE
            percent = ok["percent_deviation"].dropna()
            mae, mae_err = _mean_and_error(ok["abs_deviation"])
            mape, mape_err = _mean_and_error(np.abs(percent))
            mse, mse_err = _mean_and_error(ok["deviation"])
            notes = []
            if len(ok) == 0:
                notes.append("no valid row to compare")
            elif len(ok) == 1:
                notes.append("one compared row: no error over rows")
            elif few := few_dof_note(len(ok) - 1, "compared rows", "the error over rows"):
                notes.append(few)
            if len(g) > len(ok):
                notes.append(f"{len(g) - len(ok)} matched row(s) not valid, left out")
            if not notes and len(percent) < len(ok):
                # the MAPE's error rests on the rows with a non-zero measured value only: with
                # one zero among 5 rows it had 3 degrees of freedom, and was called valid with 4
                few = (few_dof_note(len(percent) - 1, "rows with a non-zero measured value",
                                    "the MAPE's error") if len(percent) > 1
                       else f"the MAPE is over {len(percent)} row(s): no error over rows")
                if few:
                    notes.append(f"the MAPE: {few}")
            errors.append({
                "property": prop,
                "unit": unit,
                "n": len(ok),
                "n_excluded": len(g) - len(ok),
                "MAE": mae,
                "MAE_error": mae_err,
                "MAPE_percent": mape,
                "MAPE_percent_error": mape_err,
                # the MAPE's own rows and dof: a measured zero has no percentage deviation
                "MAPE_n": len(percent),
                "MAPE_dof": float(len(percent) - 1) if len(percent) > 1 else math.nan,
                "mean_signed_error": mse,
                "mean_signed_error_error": mse_err,
                # of the three errors: t-scaled over the compared rows
                "dof": float(len(ok) - 1) if len(ok) > 1 else math.nan,
                "valid": not notes,
                "verdict": "; ".join(notes) or "valid",
                "method": (f"t-scaled standard error over {len(ok)} compared rows"
                           if len(ok) > 1 else METHODS["none"]),
            })
    errors = pd.DataFrame(errors, columns=columns)
    _write_table(errors, outdir / "errors.csv")
    # parity plots of an earlier comparison would stand beside this one's as if they were its
    for old in (outdir / "plots").glob("parity_*.png"):
        old.unlink(missing_ok=True)
    if plots and not comparison.empty:
        _parity_plots(comparison, errors, outdir / "plots")
    return errors


#: Relative difference between the packed and the measured concentration up to which a
#: measurement is compared with the box as it is (a box's integer molecule counts round the
#: asked concentration: a few per cent in a box of a thousand atoms). Beyond it, the measured
#: value is interpolated to the packed concentration where measurements bracket it, else the
#: comparison is marked not valid and left out of the errors.
CONCENTRATION_TOLERANCE = PACKING_TOLERANCE


def warn_uncorrectable_diffusion(rows, analyses, name):
    """Warn, when a screen starts, that its measured D will not be compared.

    ``rows``: :func:`read_experimental`'s rows; ``analyses``: the plan's. Measured
    self-diffusion coefficients are compared with the simulated ones after the Yeh–Hummer
    correction, which needs the viscosity; without the ``viscosity`` analysis every such row
    ends not valid, which was said only after the last simulation.
    """
    measured = sorted({e["property"] for e in rows if _is_diffusion(e["property"])})
    if measured and "viscosity" not in analyses:
        warnings.warn(
            f"experimental table {name}: {', '.join(measured)} will not be compared: "
            "a periodic box's D needs the Yeh–Hummer finite-size correction, which needs the "
            "viscosity, and the plan's analyses do not include 'viscosity'",
            stacklevel=3,
        )


def _is_diffusion(name):
    """Whether a property of the table is a self-diffusion coefficient (``D_<species>``)."""
    from .properties import known_property

    return name.startswith("D_") and known_property(name) is not None


def _yeh_hummer(row, eta):
    """``(mean, sem, dof, correction, note)`` of a summary row of D, corrected to the infinite
    system.

    A diffusion coefficient from a periodic cubic box of side L is smaller than the infinite
    system's by ``ξ k_B T / (6 π η L)`` (Yeh & Hummer 2004;
    :func:`mda_electrolyte.diffusion.yeh_hummer_correction`): 20–40 % in boxes of a few
    hundred atoms. It is added with the mean viscosity ``eta`` (the summary row of
    ``viscosity`` at the same composition and temperature), the row's ``box_length_A`` and the
    temperature its replicas measured (``measured_temperature_K``; a short run's thermostat
    mean is not the set temperature); its error, first order in η's standard error, is
    combined with D's, and so are their degrees of freedom (Welch–Satterthwaite,
    :func:`~ase_electrolyte.estimate.propagated_dof`). ``note`` (``None`` where the
    correction holds) says why the row is not comparable: no viscosity, no box side, a box
    that is not a cube (``box_shape``: ξ is the cubic lattice sum, Kikugawa et al. 2015), a
    box shape or measured temperature the replicas did not record, or a viscosity that is not
    valid. ``correction`` is in the row's unit (NaN where not made).
    """
    from mda_electrolyte.diffusion import yeh_hummer_correction

    from ..estimate import propagated_dof
    from ..units import convert

    mean, sem, dof = float(row["mean"]), float(row["sem"]), _row_dof(row)
    dof = None if math.isnan(dof) else dof
    if not math.isfinite(mean):  # no D to correct: the row's verdict says why
        return mean, sem, dof, math.nan, None
    prefix = ("D of the periodic box, not corrected to the infinite system (Yeh–Hummer, "
              "which needs the viscosity)")
    if eta is None:
        return mean, sem, dof, math.nan, (
            f"{prefix}: no viscosity at this composition and temperature (add 'viscosity' to "
            "the plan's analyses); not compared")
    eta_mean = float(eta["mean"])
    if not (math.isfinite(eta_mean) and eta_mean > 0):
        return mean, sem, dof, math.nan, (
            f"{prefix}: the viscosity has no value ({eta['verdict']}); not compared")
    length = float(row.get("box_length_A", math.nan))
    if not (math.isfinite(length) and length > 0):
        return mean, sem, dof, math.nan, (
            f"{prefix}: the box side is not known (no density); not compared")
    shape = row.get("box_shape")
    shape = "" if not isinstance(shape, str) else shape
    if shape != "cubic":
        if not shape:
            why = ("its replicas recorded no box (tasks of an earlier version): whether it is "
                   "the cube the correction holds for is not known")
        elif shape.startswith("not recorded"):
            why = (f"its box was {shape} (tasks of an earlier version mixed in): whether "
                   "theirs is the cube the correction holds for is not known")
        else:
            why = (f"the box is not cubic ({shape}): ξ = 2.837297 is the cubic box's lattice "
                   "sum, and an elongated or triclinic box's correction differs by direction "
                   "(Kikugawa et al. 2015)")
        return mean, sem, dof, math.nan, f"D of the periodic box, not corrected: {why}; not " \
            "compared"
    temperature = float(row.get("measured_temperature_K", math.nan))
    if not (math.isfinite(temperature) and temperature > 0):
        return mean, sem, dof, math.nan, (
            "D of the periodic box, not corrected: its replicas recorded no measured "
            "temperature (tasks of an earlier version), or not all of them did (the mean of "
            "some is not every replica's), which the correction needs; not compared")
    try:
        eta_mpas = float(convert(eta_mean, eta["unit"], "mPa·s"))
        correction = float(convert(
            yeh_hummer_correction(temperature, eta_mpas, length), "Å^2/ps", row["unit"]))
    except ValueError as err:  # a unit of another dimension: named, not compared
        return mean, sem, dof, math.nan, f"{prefix}: {err}; not compared"
    # the correction scales as 1/η: its relative error is η's
    eta_sem = float(eta["sem"])
    term = correction * eta_sem / eta_mean
    if math.isfinite(sem) and math.isfinite(eta_sem):
        eta_dof = _row_dof(eta)
        dof = propagated_dof([(sem, dof), (term, None if math.isnan(eta_dof) else eta_dof)])
        sem = float(math.hypot(sem, term))
    else:
        sem, dof = math.nan, None
    note = None
    if not bool(eta["valid"]):
        note = (f"the viscosity of its Yeh–Hummer correction is not valid ({eta['verdict']}); "
                "not compared")
    elif math.isfinite(eta_sem):
        from ..estimate import Estimate

        eta_dof = _row_dof(eta)
        row_eta = Estimate(eta_mean, eta_sem, eta["unit"], "the viscosity row",
                           dof=None if math.isnan(eta_dof) else eta_dof)
        if row_eta.reaches_zero():
            # the rule of Diffusion's own Yeh–Hummer term: 1/η is unbounded there
            note = (f"the viscosity of its Yeh–Hummer correction, {row_eta.number_text()}, has a "
                    "95 % interval reaching zero, where 1/η and the correction are unbounded "
                    "(Fieller 1954); not compared")
    return mean + correction, sem, dof, correction, note


def _along_concentration(key):
    """An experimental key (:func:`_composition_key` + property) without its concentration."""
    return key[:3] + key[4:]


def _measured_at(e, series, packed, unit, name):
    """``(concentration, value, error, note, rows)`` of measurement ``e`` where the box was
    packed; ``rows``: the numbers of the table's rows the value was taken from.

    ``e`` (a row of :func:`read_experimental`) was matched by its nominal concentration; the
    simulated box holds ``packed``. Where it differs, the measured value is taken at ``packed``
    by linear interpolation between the two measurements of ``series`` (same electrolyte,
    temperature and property) that bracket it, with their errors combined as independent; with
    none bracketing it, beyond :data:`CONCENTRATION_TOLERANCE`, ``note`` says why the row is
    not comparable (``None`` otherwise). ``value`` and ``error`` are in ``unit``.
    """
    nominal = float(e["concentration"])
    value, error = _in_unit(e, unit, name)
    if not math.isfinite(packed) or math.isclose(packed, nominal, rel_tol=1e-9, abs_tol=1e-12):
        return nominal, value, error, None, (e["row"],)
    known = sorted(((float(m["concentration"]), m) for m in
                    series.get(_along_concentration(e["key"]), [])), key=lambda x: x[0])
    below = [x for x in known if x[0] <= packed]
    above = [x for x in known if x[0] >= packed]
    if below and above:
        (c0, m0), (c1, m1) = below[-1], above[0]
        v0, e0 = _in_unit(m0, unit, name)
        if c1 == c0:
            return c0, v0, e0, None, (m0["row"],)
        v1, e1 = _in_unit(m1, unit, name)
        w = (packed - c0) / (c1 - c0)
        return (packed, (1 - w) * v0 + w * v1,
                float(math.hypot((1 - w) * e0, w * e1)), None, (m0["row"], m1["row"]))
    off = (packed - nominal) / nominal if nominal else math.inf
    if abs(off) <= CONCENTRATION_TOLERANCE:
        return nominal, value, error, None, (e["row"],)
    return nominal, value, error, (
        f"the box holds {packed:.4g} {e['units']}, {100 * off:+.0f} % from the measured "
        f"{nominal:g} {e['units']}, and no measurements bracket it: not compared (give "
        "measurements on both sides of the packed concentration, or pack a larger box)"), (
        e["row"],)


def _in_unit(e, unit, name):
    """A measurement's ``(value, error)`` in ``unit`` (PlanError for another dimension)."""
    from ..units import convert

    value, error = e["value"], e["error"]
    if e["unit"] is None or e["unit"] == unit:
        return value, error
    try:
        return float(convert(value, e["unit"], unit)), float(convert(error, e["unit"], unit))
    except ValueError as err:
        raise PlanError(
            f"experimental table {name}, {e['text']}: {err} (the table gives "
            f"{e['property']} in {unit})"
        ) from None


def _combined_error(sem, experiment_error):
    """``hypot`` of the simulation's and the measurement's errors (a missing one counts 0;
    NaN when the simulation has none)."""
    exp = 0.0 if experiment_error is None or not math.isfinite(float(experiment_error)) \
        else float(experiment_error)
    return float(math.hypot(float(sem), exp)) if math.isfinite(float(sem)) else math.nan


def _combined_dof(sem, dof, experiment_error):
    """Welch–Satterthwaite degrees of freedom of :func:`_combined_error`: the simulation's
    error of ``dof`` (replicas − 1) with a measured error taken as normal; NaN for a normal
    total or no simulation error."""
    from ..estimate import propagated_dof

    if not math.isfinite(float(sem)):
        return math.nan
    exp = 0.0 if experiment_error is None or not math.isfinite(float(experiment_error)) \
        else float(experiment_error)
    total = propagated_dof([(float(sem), dof), (exp, None)])
    return math.nan if total is None else total


def _mean_and_error(values):
    """Mean of the compared rows' deviations and its t-scaled standard error (NaN below 2)."""
    import numpy as np

    from mda_electrolyte.uncertainty import mean_error

    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return math.nan, math.nan
    if values.size == 1:
        return float(values[0]), math.nan
    mean, err, _ = mean_error(values)
    return float(mean), float(err)


def _parity_plots(comparison, errors, folder):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    for prop, g in comparison.groupby("property", sort=False):
        err = errors[errors["property"] == prop].iloc[0]
        fig, ax = plt.subplots(figsize=(4, 4), layout="constrained")
        ok = g["valid"].to_numpy(dtype=bool)
        ax.errorbar(g["experiment"][ok], g["mean"][ok], yerr=g["sem"][ok].fillna(0.0), fmt="o",
                    capsize=3, label="valid")
        if not ok.all():
            ax.errorbar(g["experiment"][~ok], g["mean"][~ok], yerr=g["sem"][~ok].fillna(0.0),
                        fmt="o", mfc="white", capsize=3, label="not valid (not in the MAE)")
            ax.legend(fontsize=7)
        lo = float(min(g["experiment"].min(), g["mean"].min()))
        hi = float(max(g["experiment"].max(), g["mean"].max()))
        pad = 0.05 * (hi - lo or abs(hi) or 1.0)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "k--", lw=1)
        unit = g["unit"].iloc[0]
        ax.set_xlabel(f"experiment / {unit}")
        ax.set_ylabel(f"simulation / {unit}")
        # the MAE with its error and verdict, as in errors.csv: no bare number on the figure
        mae_err = f"{err['MAE_error']:.2g}" if math.isfinite(err["MAE_error"]) else "?"
        verdict = str(err["verdict"])
        ax.set_title(f"{prop}: MAE {err['MAE']:.3g} ± {mae_err} {unit}\n"
                     f"({verdict if len(verdict) <= 60 else verdict[:57] + '...'})",
                     fontsize=8)
        save_figure(fig, folder / f"parity_{prop}.png", dpi=120)
