"""Run a screening plan on dask.distributed: one task per (composition, temperature, replica)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic_file import atomic_path, check_output_path
from ..environment import _usable_cpus
from ..writer_lock import ConcurrentWriterError, WriterLock, _holder
from .plan import (
    MAX_TASKS,
    PlanError,
    _load_plan,
    box_of,
    check_distinct,
    composition_key,
    counted,
    fingerprint_of,
    record_fingerprints,
    spelled_as_recorded,
)
from .task import (
    ERROR_FILE,
    RESULT_FILE,
    TASK_FILE,
    read_result,
    run_task,
    worker_problems,
    write_json,
)

__all__ = ["run_screen", "ScreenResult", "local_cluster_size", "start_local_cluster",
           "check_workers"]

PLAN_FILE = "plan.json"
TASKS_DIR = "tasks"


@dataclass
class ScreenResult:
    """What :func:`run_screen` did and produced.

    Attributes
    ----------
    outdir : pathlib.Path
    summary : pandas.DataFrame
        The aggregated table (also ``summary.csv`` and ``summary.parquet``), see
        :func:`ase_electrolyte.screen.aggregate`.
    n_tasks, n_skipped, n_done, n_failed : int
        Tasks of the plan; found finished (skipped: before this call, or by another copy of
        the task while this call waited for it); finished by this call; failed.
    failures : dict
        Task id → error message of the failed tasks (also in their ``error.json``).
    timed_out : list
        Ids of the failed tasks that were stopped at the plan's ``task_timeout_s`` (their
        partial runs are kept; the next call resumes them).
    wall_s : float
        Seconds spent in :func:`run_screen`.
    task_s : dict
        Task id → seconds the task itself ran (for the tasks of this call).
    task_timing : dict
        Task id → the task's ``timing`` (worker, UNIX start and end, seconds per phase).
    restarted : dict
        Task id → how the tasks of this call that had been attempted before (or found an
        earlier run's frames in their folder) started (the
        ``restart`` of their ``result.json`` or ``error.json``): ``attempt``, ``start``
        (``"resumed"`` from an earlier attempt's frames, or ``"recomputed"``), the
        ``lost_workers`` whose process died running it (a worker killed, or this screen's
        process) and the ``trajectories`` that were kept. Each is also printed as a line.
    timing : dict
        Seconds of each part of this call: ``setup`` (plan checks, output folder),
        ``cluster`` (starting a local cluster), ``tasks`` (first submission to last result),
        ``aggregate`` (the table and plots); ``submitted`` and ``collected`` are the UNIX times
        of the first submission and of the last result received.
    """

    outdir: Path
    summary: object = None
    n_tasks: int = 0
    n_skipped: int = 0
    n_done: int = 0
    n_failed: int = 0
    failures: dict = field(default_factory=dict)
    timed_out: list = field(default_factory=list)
    wall_s: float = 0.0
    task_s: dict = field(default_factory=dict)
    task_timing: dict = field(default_factory=dict)
    restarted: dict = field(default_factory=dict)
    timing: dict = field(default_factory=dict)


def local_cluster_size(device="auto", n_workers=None):
    """Workers, threads per task and GPU use of the :class:`~distributed.LocalCluster` to start.

    One worker per GPU when the model runs on GPUs (``device`` not ``"cpu"`` and torch sees
    CUDA devices), each asking the tasks for one ``GPU`` resource; otherwise one worker per core
    on machines of up to 4 cores and one worker per 4 cores above (torch's intra-op threads
    scale poorly past a few cores on electrolyte boxes of ~1000 atoms).

    Parameters
    ----------
    device : str
        The plan's model device (``"cpu"``: no GPU is used).
    n_workers : int, optional
        Workers asked for, checked as :func:`check_workers` checks them (``2.5`` and ``-1``
        were returned as the worker count, ``1.0`` made the threads per task a float).

    Returns
    -------
    tuple
        ``(n_workers, threads_per_task, n_gpus)``, whole numbers.
    """
    n_workers = check_workers(n_workers)
    n_gpus = 0
    if device != "cpu":
        import torch

        n_gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    cores = _usable_cpus()
    cores = cores or 1
    if n_gpus:
        workers = n_workers or n_gpus
        return workers, max(1, cores // workers), n_gpus
    per = 1 if cores <= 4 else 4
    workers = n_workers or max(1, cores // per)
    return workers, max(1, cores // workers), 0


def start_local_cluster(n_workers, *, gpu=False):
    """The :class:`distributed.LocalCluster` that :func:`run_screen` starts: process workers.

    One thread per worker process; no memory limit (MD holds little memory, and the nanny would
    kill on estimates); each worker offers one ``GPU`` resource when ``gpu``. Dask's
    statistical profiler is off in the workers: it samples the task thread's stack every
    10 ms, and in these GIL-bound MD loops it cost 15–25 % of a task's CPU time (measured with
    ``benchmarks/bench_screen.py``'s per-task CPU seconds). The dashboard's profile page is
    therefore empty; the task stream and progress still work. The event loop's latency check
    (every 20 ms) and system monitor (every 0.5 s) run every 1 s and 5 s: each wake takes the
    GIL from the task's thread (a one-worker cluster ran the same four Lennard-Jones tasks in
    1.06–1.27× their serial time before, 0.95–1.03× after). The nanny's
    ``MALLOC_TRIM_THRESHOLD_=65536`` is not set in the workers: it makes glibc map and unmap
    every large tensor, and an MLIP's force call took 2.3× as long (page faults). The workers
    ignore Ctrl-C (SIGINT), which reaches the whole process group: the calling process takes
    it and closes the cluster (each worker's event loop died of it with dask's tracebacks).

    Parameters
    ----------
    n_workers : int or None
        Worker processes, a whole number from 1 to the cores this process may use (checked
        as :func:`check_workers` checks them, before any process starts: ``0`` and ``-1``
        started a cluster of no worker, on which a screen waits for ever, ``True`` one worker
        after a "Nanny failed to start" error, ``1.5`` and ``"2"`` were dask's ``TypeError``);
        ``None``: as many as :func:`local_cluster_size` gives.
    gpu : bool
        Whether each worker offers one ``GPU`` resource (a flag: ``"no"`` is refused).

    Returns
    -------
    distributed.LocalCluster
    """
    from ..atoms_checks import check_flag

    check_flag("gpu", gpu)
    gpu = bool(gpu)
    n_workers = check_workers(n_workers)
    if n_workers is None:
        n_workers = local_cluster_size("auto" if gpu else "cpu")[0]
    import dask
    from distributed import LocalCluster

    quiet = {
        "distributed.worker.profile.enabled": False,
        "distributed.admin.tick.interval": "1s",
        "distributed.admin.system-monitor.interval": "5s",
        # dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also fixes
        # glibc's mmap threshold at 128 kB: every large torch tensor is then a fresh mmap and
        # page faults (SevenNet-0 ran 2.3x slower, most of it system time); None unsets it
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    }
    # distributed writes its pre-spawn variables into this process' environment as well (and
    # workers inherit it): a cluster started earlier in the process would pass the trim
    # threshold on; the caller's environment is restored afterwards
    before = dict(os.environ)
    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    # the workers start with Ctrl-C ignored (an ignored signal stays ignored through fork and
    # exec): a Ctrl-C reaches the whole process group, and each worker's event loop died of it
    # with dask's tracebacks ("KeyboardInterrupt ... asyncio/runners.py _on_sigint",
    # CancelledError, CommClosedError) printed over the command's one line. This process
    # takes the interrupt and closes its cluster, whose nannies stop the workers. Here it is
    # blocked while they start, so that one pressed meanwhile is held (Linux keeps a blocked
    # signal pending even while it is ignored), then raised once the handler is back and the
    # cluster is closed
    restore = None
    if threading.current_thread() is threading.main_thread() and hasattr(signal,
                                                                         "pthread_sigmask"):
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        restore = (mask, signal.signal(signal.SIGINT, signal.SIG_IGN))
    cluster = None
    try:
        with dask.config.set(quiet):
            cluster = LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                memory_limit=0,
                resources={"GPU": 1} if gpu else None,
                dashboard_address=":0",
                silence_logs=40,
            )
    finally:
        for key in set(os.environ) - set(before):
            del os.environ[key]
        for key, value in before.items():
            if os.environ.get(key) != value:
                os.environ[key] = value
        if restore is not None:
            mask, handler = restore
            try:
                signal.signal(signal.SIGINT, handler)
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            except BaseException:
                # a Ctrl-C held while the workers started: the cluster is not returned, so it
                # is closed here
                if cluster is not None:
                    cluster.close()
                raise
    return cluster


class _CallerWarnings:
    """Worker plugin: a worker sends each text of its warnings once to the process that started
    it (event topic ``_WARNING_TOPIC``, shown there by :func:`_show_warnings_as_caller`).

    The workers of the cluster :func:`run_screen` starts printed to the caller's terminal in
    Python's default two-line form (``file:line: UserWarning: ...`` and the source line),
    beside the ``electrolyte screen: warning: ...`` lines of the command, a text once per
    worker and place in the code. A warning that cannot be sent (a worker closing) is written
    here with ``formatwarning``, the caller's: a module's function or a closure over them,
    which dask sends by value. A worker given it also ignores Ctrl-C, as
    :func:`start_local_cluster` starts them (one the nanny restarts did not inherit that): the
    caller's process takes it and closes the cluster; and its tqdm bars take no
    multiprocessing lock (a semaphore a stopped worker leaks).
    """

    name = "electrolyte-caller-warnings"
    idempotent = True

    def __init__(self, formatwarning):
        self.formatwarning = formatwarning

    def setup(self, worker=None):
        import sys

        formatwarning = self.formatwarning
        shown = set()

        def showwarning(message, category, filename, lineno, file=None, line=None):
            key = (category, str(message))
            if key in shown:
                return
            shown.add(key)
            if worker is not None and file is None:
                # to the caller, which shows each text once over all workers and its own (the
                # plan's interval warning was said by the command, then again by each task)
                try:
                    worker.log_event(_WARNING_TOPIC, {
                        "message": str(message), "filename": str(filename),
                        "lineno": int(lineno), "category": (category.__module__,
                                                            category.__qualname__)})
                    return
                except Exception:  # noqa: BLE001 - a worker closing: shown here instead
                    pass
            text = formatwarning(message, category, filename, lineno, line)
            try:
                (file or sys.stderr).write(text)
            except (OSError, ValueError, AttributeError):
                pass  # a closed or missing stream: the warning is lost, as Python's own would be

        warnings.formatwarning = formatwarning
        warnings.showwarning = showwarning
        # a worker the nanny restarts did not inherit start_local_cluster's blocked Ctrl-C: the
        # caller's process takes it and closes the cluster (see there)
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:
            pass  # not the worker's main thread: its Ctrl-C stays as it is
        # tqdm's first bar in a process makes a multiprocessing lock, a named semaphore the
        # resource tracker records: a worker stopped by its nanny never releases it, and after
        # a Ctrl-C the command ended with "resource_tracker: There appear to be 2 leaked
        # semaphore objects" (one per worker: e3nn's code generation draws a bar in the first
        # SevenNet evaluation). A worker's bars share no lock with another process; its threads
        # keep tqdm's thread lock
        try:
            from tqdm.std import TqdmDefaultWriteLock
        except ImportError:
            return
        if not hasattr(TqdmDefaultWriteLock, "mp_lock"):
            TqdmDefaultWriteLock.mp_lock = None


#: The dask event topic on which the workers of :func:`run_screen`'s own cluster send their
#: warnings to the calling process.
_WARNING_TOPIC = "electrolyte-warning"


def _show_warnings_as_caller(client):
    """Make the workers of ``client`` (this call's own local cluster) send their warnings to
    this process, which shows them as its own (:class:`_CallerWarnings`).

    Returns
    -------
    callable
        Shows the warnings sent and not yet shown (call it before closing the client: an event
        on its way is otherwise lost).
    """
    import threading as _threading

    from distributed.diagnostics.plugin import WorkerPlugin

    seen = set()
    lock = _threading.Lock()

    def show(event):
        stamp, msg = event
        try:
            key = (stamp, msg["message"], msg["filename"], msg["lineno"])
            module, name = msg["category"]
        except (KeyError, TypeError, ValueError):
            return
        with lock:
            if key in seen:
                return
            seen.add(key)
        category = UserWarning
        try:
            import importlib

            found = importlib.import_module(module)
            for part in name.split("."):
                found = getattr(found, part)
            if isinstance(found, type) and issubclass(found, Warning):
                category = found
        except Exception:  # noqa: BLE001 - a category this process cannot import
            pass
        warnings.showwarning(category(msg["message"]), category, msg["filename"],
                             msg["lineno"])

    def flush():
        try:
            events = client.get_events(_WARNING_TOPIC)
        except Exception:  # noqa: BLE001 - a scheduler already gone: nothing more to show
            return
        for event in events:
            show(event)

    client.subscribe_topic(_WARNING_TOPIC, show)
    plugin = type("CallerWarnings", (_CallerWarnings, WorkerPlugin), {})(warnings.formatwarning)
    client.register_plugin(plugin)
    return flush


def _claim_outdir(outdir):
    """Make the output folder and claim it for this call: one screen at a time per folder.

    Two screens into one folder at once would each fail the tasks the other is running (their
    run folders are claimed by :func:`~ase_electrolyte.md.run_protocol`) and report them as
    failures although they finish; the second is refused here instead, before anything is
    recorded or submitted.

    Returns
    -------
    tuple
        ``(lock, made)``: the held :class:`~ase_electrolyte.writer_lock.WriterLock` and the
        folders this call made (for :func:`_prepare_outdir`'s ``undo``).
    """
    try:
        check_output_path(outdir, "output folder", folder=True)
    except ValueError as err:
        raise PlanError(str(err)) from None
    made = [p for p in (outdir, *outdir.parents) if not p.exists()]
    outdir.mkdir(parents=True, exist_ok=True)
    lock = WriterLock(outdir, "screening folder")
    try:
        lock.acquire()
    except ConcurrentWriterError:
        raise PlanError(
            f"another screen is running into {outdir} ({_holder(lock.path)}, lock "
            f"{lock.path}); nothing was submitted: wait for it to finish (a rerun then reuses "
            "its results) or choose another output folder"
        ) from None
    return lock, made


def _prepare_outdir(plan, outdir, made=None):
    """Refuse a folder of another plan; record this one.

    ``made``: the folders the caller made for ``outdir`` (:func:`_claim_outdir`), removed by
    ``undo``; by default those this call makes.

    Returns
    -------
    callable
        ``undo()``, which puts the folder back as it was (the previous record, or no record and
        none of the folders this call made), for a call that fails before any submission.
    """
    try:
        check_output_path(outdir, "output folder", folder=True)
    except ValueError as err:
        raise PlanError(str(err)) from None
    if made is None:
        made = [p for p in (outdir, *outdir.parents) if not p.exists()]
    outdir.mkdir(parents=True, exist_ok=True)
    record = outdir / PLAN_FILE
    before = record.read_bytes() if record.is_file() else None

    def undo():
        if before is None:
            record.unlink(missing_ok=True)
        elif not record.is_file() or record.read_bytes() != before:
            with atomic_path(record) as tmp:
                tmp.write_bytes(before)
        _remove_made(made)

    _record_plan(plan, outdir, record)
    return undo


def _as_recorded(plan, outdir):
    """``plan`` as :func:`.plan.spelled_as_recorded` spells it for the folder's ``plan.json``
    (``plan`` itself without a readable record: :func:`_record_plan` names its fault)."""
    try:
        record = json.loads((outdir / PLAN_FILE).read_text())
    except (OSError, ValueError):
        return plan
    return spelled_as_recorded(plan, record)


def _other_plan_check(outdir):
    """A check of a plan's :meth:`~.plan.Plan.invariant` against ``outdir``'s recorded plan, for
    :func:`.plan._load_plan` to make before the plan's compositions are checked.

    A rerun into the folder of another plan (other seed, box, protocol, model or analyses) was
    refused only after the plan's packing check had built every task's conformers (about 0.1 s
    a task: 4 s for 40 tasks). Only what no spelling changes is compared (the analyses as a
    set, the dispersion by :func:`~ase_electrolyte.calculator.parse_dispersion`, the model file's
    hash and the device left out): a folder this check passes still has :func:`_record_plan`'s
    full check, under the folder's lock, and a record it cannot read is left to that one.
    """
    from ..calculator import parse_dispersion

    def dumped(value):
        return json.dumps(value, sort_keys=True, default=str)

    def dispersion(model):
        try:
            return parse_dispersion(model.get("dispersion"))
        except (ValueError, TypeError, AttributeError):
            return model.get("dispersion")

    def check(invariant):
        try:
            record = Path(outdir).resolve() / PLAN_FILE
            old = json.loads(record.read_text())
            check_record(old, record)
        except (OSError, ValueError, TypeError):
            return
        if not isinstance(old, dict):
            return
        diff = [k for k in ("seed", "n_atoms", "density", "protocol")
                if k in old and dumped(old[k]) != dumped(invariant[k])]
        analyses = old.get("analyses")
        if isinstance(analyses, list) and sorted(map(str, analyses)) != sorted(
                map(str, invariant["analyses"])):
            diff.append("analyses")
        model = old.get("model")
        if isinstance(model, dict):
            def kept(m):
                return dumped({k: v for k, v in m.items()
                               if k not in ("device", "sha256", "dispersion")})
            new = invariant["model"]
            if kept(model) != kept(new) or dispersion(model) != dispersion(new):
                diff.append("model")
        if diff:
            raise PlanError(
                f"{record.parent} holds results of a different plan ({old.get('name')!r}; "
                f"differs in {', '.join(diff)}); choose another output folder"
            )

    return check


def _remove_made(made):
    """Remove the folders a call made, the deepest first; one that now holds anything stays."""
    for folder in made:
        try:
            folder.rmdir()
        except OSError:
            break


def _record_plan(plan, outdir, record):
    """The checks and the writing of :func:`_prepare_outdir`."""
    if record.exists():
        try:
            old = json.loads(record.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError, IsADirectoryError):
            raise PlanError(
                f"{record} is not readable JSON; choose another output folder"
            ) from None
        if not isinstance(old, dict):
            raise PlanError(f"{record} is not a screening plan record; choose another folder")
        check_record(old, record)
        if old.get("fingerprint") != plan.fingerprint() and not _recorded_before_hash(old, plan):
            diff = _differences(old, plan)
            raise PlanError(
                f"{outdir} holds results of a different plan ({old.get('name')!r}; differs in "
                f"{', '.join(diff) or 'its settings'}); choose another output folder"
            )
        # a label's finished tasks are reused: under it the folder must hold the same
        # electrolyte, or the new composition would be answered with the old one's results
        stored = {c.get("label"): c for c in old.get("compositions", [])}
        for c in plan.compositions:
            before = stored.get(c.label)
            if before is not None and composition_key(before) != composition_key(c):
                raise PlanError(
                    f"{outdir} holds composition {c.label!r} as {before.get('solvent')} "
                    f"({before.get('ratio')}), {before.get('salt')} {before.get('concentration')} "
                    # every digit: 1.0000001 and 1.0 molal were both written "1" here, a
                    # refusal of the composition as itself
                    f"{before.get('units')}; this plan gives it {c.solvent} ({c.ratio}), "
                    f"{c.salt} {c.concentration!r} {c.units}: give it another label or choose "
                    "another output folder"
                )
        # a label of the folder in another case is the same folder on a case-insensitive file
        # system (macOS, Windows): its finished tasks would answer the new composition
        folded = {str(label).casefold(): label for label in stored}
        for c in plan.compositions:
            other = folded.get(c.label.casefold())
            if other is not None and other != c.label:
                raise PlanError(
                    f"{outdir} holds composition {other!r}; this plan's {c.label!r} differs in "
                    "case only (one task folder on a case-insensitive file system): give it "
                    "another label or choose another output folder"
                )
        _check_against_folder(plan, stored)
        _check_temperature_folders(plan, old.get("temperatures", []), outdir)
        # compositions, temperatures and replicas may grow: record the union
        known = set(stored)
        merged = plan.to_dict()
        merged["compositions"] = old.get("compositions", []) + [
            c for c in merged["compositions"] if c["label"] not in known
        ]
        merged["temperatures"] = sorted(set(old.get("temperatures", [])) | set(plan.temperatures))
        merged["replicas"] = max(int(old.get("replicas", 0)), plan.replicas)
        write_json(record, merged)
        return
    if (outdir / TASKS_DIR).exists():
        raise PlanError(f"{outdir} holds task folders but no {PLAN_FILE}; choose another folder")
    write_json(record, plan.to_dict())


def _check_temperature_folders(plan, recorded, outdir):
    """Refuse a temperature of ``plan`` that shares a task folder with another recorded one.

    Task folders are told apart by ``T{t:g}K`` (6 significant digits): a rerun at 300.0000001 K
    into a folder of 300 K reused the 300 K tasks, and the record then held both
    temperatures, so that the table counted every replica twice, in two rows at "300 K", each
    valid.
    """
    folders = {}
    for t in recorded:
        try:
            folders.setdefault(f"T{float(t):g}K", float(t))
        except (TypeError, ValueError):  # check_record refuses these
            continue
    for t in plan.temperatures:
        other = folders.get(f"T{t:g}K")
        if other is not None and other != float(t):
            raise PlanError(
                f"{outdir} holds temperature {other:.10g} K (task folders T{t:g}K); this plan's "
                f"{t:.10g} K would share them (temperatures are told apart to 6 significant "
                f"digits): give {other:.10g} K, or choose another output folder")


def check_record(record, path):
    """Refuse a ``plan.json`` record whose content cannot be a screening folder's.

    The record is written atomically by :func:`run_screen`; one edited by hand or damaged
    was used as it was: ``compositions`` entries without their keys or ``replicas = "5"`` were a
    ``KeyError``/``ValueError`` traceback of the table or of a rerun, ``temperatures = "300"``
    was read as the temperatures 3, 0 and 0 (an empty table, no word), ``replicas = -1`` as
    none, and ``replicas = 1e9`` made the table look for a billion task folders per
    composition (it never returned).

    Parameters
    ----------
    record : object
        The parsed JSON.
    path : pathlib.Path
        The file, for the message.

    Raises
    ------
    PlanError
        Naming the file and the entry.
    """
    import math

    def refuse(what):
        raise PlanError(f"{path}: {what}: not a usable screening plan record (edited or "
                        "damaged?); restore it or choose another output folder")

    def number(x):
        return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

    def whole(x, what):
        if not (isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= MAX_TASKS):
            refuse(f"{what} {x!r} is not a whole number from 1 to {MAX_TASKS}")

    def temperatures(x, what):
        if not (isinstance(x, list) and x and all(number(t) and t > 0 for t in x)):
            refuse(f"{what} {x!r} is not a list of temperatures > 0 (K)")
        # two that share a task folder (recorded before reruns were checked for it): the table
        # counted each replica there in two rows
        folders = {}
        for t in x:
            other = folders.setdefault(f"T{float(t):g}K", t)
            if other != t:
                refuse(f"{what} {other!r} and {t!r} K share the task folders T{float(t):g}K "
                       "(remove one)")

    if not isinstance(record, dict):
        refuse(f"it holds a {type(record).__name__}, not a table of keys")
    missing = sorted({"compositions", "temperatures", "replicas"} - set(record))
    if missing:
        refuse(f"no {', '.join(missing)}")
    whole(record["replicas"], "replicas")
    temperatures(record["temperatures"], "temperatures")
    compositions = record["compositions"]
    if not isinstance(compositions, list):
        refuse(f"compositions {compositions!r} is not a list")
    labels = set()
    for k, c in enumerate(compositions, start=1):
        if not isinstance(c, dict):
            refuse(f"composition {k} is {c!r}, not a table")
        lacks = sorted({"label", "solvent", "ratio", "salt", "concentration", "units"} - set(c))
        if lacks:
            refuse(f"composition {k} has no {', '.join(lacks)}")
        solvent = c["solvent"]
        if not (isinstance(c["label"], str) and c["label"]) or c["label"] in labels:
            refuse(f"composition {k}: label {c['label']!r} is not a text of its own")
        labels.add(c["label"])
        if not (isinstance(solvent, dict) and solvent and all(
                isinstance(name, str) and number(share) and share > 0
                for name, share in solvent.items())):
            refuse(f"composition {k} ({c['label']}): solvent {solvent!r} is not a table of "
                   "shares > 0")
        if not (number(c["concentration"]) and c["concentration"] >= 0):
            refuse(f"composition {k} ({c['label']}): concentration {c['concentration']!r} is "
                   "not a number >= 0")
        if not (c["salt"] is None or isinstance(c["salt"], str)) or not all(
                isinstance(c[key], str) for key in ("ratio", "units")):
            refuse(f"composition {k} ({c['label']}): salt, ratio and units must be texts")
    n_tasks = len(compositions) * len(record["temperatures"]) * record["replicas"]
    if n_tasks > MAX_TASKS:
        refuse(f"{n_tasks} tasks recorded, more than a plan may hold ({MAX_TASKS})")
    planned = record.get("planned")
    if planned is not None:
        if not (isinstance(planned, dict) and isinstance(planned.get("compositions"), list)
                and all(isinstance(x, str) for x in planned["compositions"])):
            refuse(f"planned {planned!r} is not a table of composition labels, temperatures "
                   "and replicas")
        whole(planned.get("replicas"), "planned replicas")
        temperatures(planned.get("temperatures"), "planned temperatures")


def _check_against_folder(plan, stored):
    """Refuse new compositions of ``plan`` that are, or pack the same box as, one the folder holds.

    ``stored``: the ``plan.json`` records of the folder's compositions, by label. A plan that
    adds 1.05 molal to a folder of 1.0 molal at 300 atoms packed the same molecules under a
    second label (the plan's own check sees one plan only), and the table showed one
    electrolyte at two concentrations. Compositions the folder already records are not
    compared again: a rerun of a folder filled before this check is not refused.
    """
    new = [c for c in plan.compositions if c.label not in stored]
    held = [c for label, c in stored.items() if label not in {x.label for x in plan.compositions}]
    if not new or not held:  # the plan's own compositions were compared when it was loaded
        return
    usable, boxes = [], []
    for c in held:
        try:
            composition_key(c)
            boxes.append(box_of(c, plan.n_atoms, plan.density))
        except (ValueError, KeyError, TypeError, AttributeError, ZeroDivisionError):
            # a record this version cannot pack: no task of it runs, nothing to compare
            continue
        usable.append(c)
    boxes += [box_of(c, plan.n_atoms, plan.density) for c in new]
    check_distinct(usable + new, boxes, plan.n_atoms, held=len(usable))


def _check_finished(outdir, tasks, fingerprints=None):
    """Refuse finished tasks whose ``result.json`` is damaged or belongs to another plan.

    They would be skipped (their file marks them done) and then break, or silently enter, the
    table; refused here, before any submission, naming every such file. ``fingerprints``: the
    plan fingerprints the tasks may have run under (:func:`.plan.record_fingerprints`).
    """
    problems = []
    for task in tasks:
        _, problem = read_result(outdir / TASKS_DIR / task.id / RESULT_FILE, task.id, task.seed,
                                 fingerprints)
        if problem:
            problems.append(problem)
    if problems:
        raise PlanError(
            f"{len(problems)} finished task(s) hold a result that cannot be used: "
            f"{_first_problems(problems)}. Delete those {RESULT_FILE} files to run the tasks "
            "again"
        )


def _first_problems(problems):
    """The first five of ``problems`` joined, and how many more there are."""
    return "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5
                                      else "")


def _check_unfinished(outdir, tasks, fingerprints):
    """Refuse unfinished task folders whose ``task.json`` records another plan or task.

    A task that has not finished resumes what its folder holds: the packed
    ``initial.extxyz`` and the H5MD stages. A task folder copied from a screen of another
    model, protocol or box (merging two screens by hand), or from another replica, before its
    task finished was taken as this task's: its ``task.json`` was overwritten with this plan's
    fingerprint and its box and frames run on, so the result was another plan's (or a copy of
    another replica's start) recorded as this one's. Refused here, before any submission,
    naming each folder; a folder without a readable ``task.json`` (nothing run yet, or an
    earlier version) is left to the task.
    """
    problems = []
    for task in tasks:
        path = outdir / TASKS_DIR / task.id / TASK_FILE
        try:
            record = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            # none, or damaged: the task writes its own; as read_result, nothing to judge by
            continue
        ran = record.get("task") if isinstance(record, dict) else None
        ran = ran if isinstance(ran, dict) else {}
        fingerprint = record.get("fingerprint") if isinstance(record, dict) else None
        if fingerprints and isinstance(fingerprint, str) and fingerprint not in fingerprints:
            problems.append(f"{path} records plan {fingerprint}, not this folder's "
                            f"{' or '.join(sorted(fingerprints))} (another model, protocol, "
                            "box or analyses)")
        elif ran.get("id", task.id) != task.id or ran.get("seed", task.seed) != task.seed:
            problems.append(f"{path} records task {ran.get('id')!r} with seed "
                            f"{ran.get('seed')!r}, not {task.id!r} with seed {task.seed}")
    if problems:
        raise PlanError(
            f"{len(problems)} unfinished task folder(s) hold a partial run that is not this "
            f"task's (copied from another screen or task?), which the task would resume: "
            f"{_first_problems(problems)}. Delete those task folders to run the tasks again")


def _recorded_before_hash(old, plan):
    """Whether ``old`` is this plan as recorded before calculator files were hashed.

    Such a record has no ``sha256`` for its ``file.py:function`` calculator: its folder is
    taken on as before (its results cannot be checked against the file), and recorded with
    the file's hash from now on.
    """
    model = old.get("model")
    if not isinstance(model, dict) or model.get("kind") != "calculator" or "sha256" in model:
        return False
    invariant = plan.invariant()
    invariant["model"] = {k: v for k, v in invariant["model"].items() if k != "sha256"}
    return old.get("fingerprint") == fingerprint_of(invariant)


def _differences(old, plan):
    new = plan.to_dict()
    keys = ["seed", "n_atoms", "density", "protocol", "analyses"]
    diff = [
        k
        for k in keys
        if json.dumps(old.get(k), sort_keys=True) != json.dumps(new[k], sort_keys=True)
    ]
    old_model = {k: v for k, v in (old.get("model") or {}).items() if k != "device"}
    new_model = {k: v for k, v in new["model"].items() if k != "device"}
    if old_model != new_model:
        same_file = old_model.get("value") == new_model.get("value") and (
            {k: v for k, v in old_model.items() if k != "sha256"}
            == {k: v for k, v in new_model.items() if k != "sha256"}
        )
        diff.append("the content of model file " + new_model["value"] if same_file else "model")
    return diff


def _all_workers(client):
    """``client.scheduler_info()["workers"]`` of every worker of the cluster.

    distributed 2025.7 to 2026.6 (``scheduler_info(n_workers=5)``, dask/distributed#9045,
    undone by #9308) gave the first five workers only: a cluster of 16 workers on one 16-core
    host was counted as 5 workers per host, and each task ran 3 threads (48 on 16 cores);
    a GPU offered by the sixth worker onwards alone was not seen. All are asked for where the
    method takes ``n_workers`` (earlier versions gave all, and pass unknown keywords on to the
    scheduler, which refuses them).
    """
    import inspect

    info = client.scheduler_info
    try:
        takes = "n_workers" in inspect.signature(info).parameters
    except (TypeError, ValueError):  # no signature to read (a C callable, a proxy)
        takes = False
    return (info(n_workers=-1) if takes else info())["workers"]


def _workers_per_host(client):
    """Worker processes per host of a cluster (the engine did not size it)."""
    hosts = {}
    for address in _all_workers(client):
        host = address.rsplit(":", 1)[0]
        hosts[host] = hosts.get(host, 0) + 1
    return hosts


def _spec(plan, task, outdir, threads, plan_dict, workers_per_host=None):
    comp = task.composition
    return {
        "folder": str(outdir / TASKS_DIR / task.id),
        "task": {
            "id": task.id,
            "composition": {
                "solvent": dict(comp.solvent),
                "ratio": comp.ratio,
                "salt": comp.salt,
                "concentration": comp.concentration,
                "units": comp.units,
                "label": comp.label,
            },
            "temperature_K": task.temperature_K,
            "replica": task.replica,
            "seed": task.seed,
        },
        "plan": plan_dict,
        "threads": threads,
        "workers_per_host": workers_per_host,
    }


def run_screen(
    plan,
    outdir,
    client=None,
    *,
    scheduler=None,
    n_workers=None,
    experimental=None,
    progress=True,
    poll_s=2.0,
    plots=True,
):
    """Run every task of a screening plan on dask.distributed, then aggregate the results.

    Each (composition, temperature, replica) is one task that builds its box, runs
    :func:`ase_electrolyte.md.run_protocol` and the plan's analyses in
    ``outdir/tasks/<composition>/T<T>K/r<replica>/``. Finished tasks (their ``result.json``
    exists) are not submitted again; an interrupted one resumes from its last written frame. A
    task whose worker dies is rescheduled by the dask scheduler and, through the atomic
    ``result.json``, appears exactly once; a task that raises is recorded (``error.json``) and the
    others go on.

    The workers of the local cluster it starts (neither ``client`` nor ``scheduler``) send
    their warnings to this process, which shows them as its own (``warnings.showwarning``, with
    their category; the ``electrolyte screen`` command's one line, each text once over the
    command and all workers); those of a running scheduler print where they run.

    Parameters
    ----------
    plan : str, os.PathLike, dict or Plan
        See :func:`ase_electrolyte.screen.load_plan`; checked before anything is submitted.
    outdir : str or os.PathLike
        Output folder. It may hold an earlier run of the same plan (or of the same plan with more
        compositions, temperatures or replicas); one of a different plan (other seed, protocol,
        model, box size or analyses), or one whose composition label stands for another
        electrolyte than in this plan, is refused.
    client : distributed.Client, optional
        An existing client (local or remote cluster).
    scheduler : str, optional
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"`` (ignored with ``client``).
        With neither, a :class:`distributed.LocalCluster` sized by :func:`local_cluster_size` is
        started for this call and closed after it.
    n_workers : int, optional
        Workers of the local cluster (1 to the cores this process may use; not with
        ``client`` or ``scheduler``).
    experimental : str or os.PathLike, optional
        Measured values to compare with (overrides the plan's ``experimental``).
    progress : bool
        Print the dashboard link and live counts of queued/running/done/failed tasks.
    poll_s : float
        Seconds between progress lines (> 0).
    plots : bool
        Draw the figures of :func:`ase_electrolyte.screen.aggregate`.

    Returns
    -------
    ScreenResult

    Raises
    ------
    PlanError
        A bad plan, an output folder of another plan or of a screen still running into it, a
        scheduler that cannot be reached (or an address where another service answers) or
        workers that cannot run the plan, before any submission; the output folder is then
        left as it was (no ``plan.json`` of a plan that never ran). A folder whose recorded
        plan has another seed, box, protocol, model or analyses is refused before the plan's
        compositions are checked (with a ``density``, about 0.1 s a task).
    ValueError
        ``n_workers``, ``poll_s``, ``progress`` or ``plots`` out of range or of another type,
        or ``n_workers`` with a client or scheduler, before the plan is read.
    RuntimeError
        The scheduler went away (or cancelled the tasks) while the tasks ran; the finished
        tasks are kept and the same call resumes the others.

    Warns
    -----
    UserWarning
        A plan read here whose box at its ``n_atoms`` does not hold a composition within 5 %
        (:func:`~ase_electrolyte.screen.load_plan`), before anything is submitted.

    Examples
    --------
    >>> from ase_electrolyte.screen import run_screen
    >>> result = run_screen("examples/screen_plan.toml", "screen_results/")  # doctest: +SKIP
    >>> result.summary[["composition", "property", "mean", "sem", "verdict"]]  # doctest: +SKIP
    """
    start = time.perf_counter()
    # as an int: 1.0 passed the check and reached LocalCluster, and the threads per task, a float
    n_workers = _check_arguments(client, scheduler, n_workers, poll_s, progress, plots)
    plan = _load_plan(plan, before_compositions=_other_plan_check(outdir))
    outdir = Path(outdir).resolve()
    if experimental is not None:
        # the table module (scipy.stats, a second on a loaded machine) only for what needs it:
        # a plan's refusal came after it
        from .aggregate import read_experimental, warn_uncorrectable_diffusion

        # its content too: a bad row found by aggregate() would come after every simulation
        rows = read_experimental(experimental, plan.temperatures)
        warn_uncorrectable_diffusion(rows, plan.analyses, Path(experimental).name)
    lock, made = _claim_outdir(outdir)
    rollback = []  # the undo of a call that fails before any submission, run after the release
    try:
        try:
            plan = _as_recorded(plan, outdir)
            undo = _prepare_outdir(plan, outdir, made)
        except BaseException:
            rollback.append(lambda: _remove_made(made))
            raise
        return _run_claimed(plan, outdir, client, scheduler, n_workers, experimental, progress,
                            poll_s, plots, start, undo, rollback)
    finally:
        lock.release()  # first: its lock file is in the folder the undo may remove
        for step in rollback:
            step()


def _check_arguments(client, scheduler, n_workers, poll_s, progress, plots):
    """Refuse arguments of :func:`run_screen` that would fail, or hang, once tasks are queued.

    ``n_workers=-1`` started a local cluster of no worker, and the screen waited for ever;
    ``n_workers=0`` was taken for the default; ``poll_s=nan`` was a ``KeyError`` of dask's,
    reported as a lost scheduler after the tasks had been submitted; ``poll_s=0`` polled the
    scheduler without a pause.
    """
    from ..atoms_checks import check_flag, check_number

    check_flag("progress", progress)
    check_flag("plots", plots)
    check_number("poll_s", poll_s, above=0)
    return check_workers(n_workers, client is not None or scheduler is not None)


def check_workers(n_workers, connected=False, name="n_workers"):
    """Refuse a worker count for the local cluster that cannot be right.

    Parameters
    ----------
    n_workers : int or None
        Worker processes of the local cluster (``None``: sized by :func:`local_cluster_size`).
    connected : bool
        Whether a running cluster (a client or a scheduler address) is given: its workers are
        used, and a count would be ignored without a word.
    name : str
        The argument as the message names it (``--workers`` on the command line).

    Returns
    -------
    int or None
        ``n_workers`` as an int (``2.0`` and ``np.int64(2)`` as ``2``), or ``None``.

    Raises
    ------
    ValueError
        Not a whole number from 1 to the cores this process may use, or given with a running
        cluster.
    """
    from ..atoms_checks import check_number

    if n_workers is None:
        return None
    if connected:
        raise ValueError(f"{name} sizes the local cluster; with a client or a scheduler the "
                         "running cluster's workers are used: leave one of them out")
    cores = _usable_cpus()
    # each worker is a process running MD: more than the cores only share them, and a typo
    # (100000 of them were started on a 16-core machine) starts that many processes
    return int(check_number(
        f"{name} (worker processes, at most the {cores} cores this process may use)",
        n_workers, integer=True, minimum=1, maximum=cores or 1))


def _run_claimed(plan, outdir, client, scheduler, n_workers, experimental, progress, poll_s,
                 plots, start, undo, rollback):
    """:func:`run_screen` with the output folder claimed and the plan recorded.

    Where it fails before any submission, ``undo`` (of :func:`_prepare_outdir`) is appended to
    ``rollback``, which the caller runs once the claim is given back.
    """
    from distributed import Client

    from .aggregate import aggregate

    tasks = plan.tasks()
    todo = [t for t in tasks if not (outdir / TASKS_DIR / t.id / RESULT_FILE).exists()]
    try:
        fingerprints = record_fingerprints(plan.to_dict())
        _check_finished(outdir, [t for t in tasks if t not in todo], fingerprints)
        _check_unfinished(outdir, todo, fingerprints)
    except BaseException:
        rollback.append(undo)
        raise
    result = ScreenResult(outdir=outdir, n_tasks=len(tasks), n_skipped=len(tasks) - len(todo))
    result.timing["setup"] = time.perf_counter() - start
    say = (lambda *a: print(*a, flush=True)) if progress else (lambda *a: None)
    say(
        f"screen {plan.name!r}: {counted(len(tasks), 'task')} "
        f"({counted(len(plan.compositions), 'composition')} × "
        f"{counted(len(plan.temperatures), 'temperature')} × "
        f"{counted(plan.replicas, 'replica')}); {result.n_skipped} already done"
    )

    # counted where it stopped: 'interrupted; run the same command again' said neither how
    # many tasks had finished nor what becomes of those that were running
    cluster = None
    try:
        if todo:
            cluster = own_client = flush_warnings = None
            threads = None
            gpu = False
            per_host = None
            tick = time.perf_counter()
            try:
                try:
                    if client is None and scheduler is not None:
                        client = own_client = _connect(Client, scheduler)
                    if client is None:
                        workers, threads, n_gpus = local_cluster_size(plan.model["device"],
                                                                      n_workers)
                        gpu = n_gpus > 0
                        cluster = start_local_cluster(workers, gpu=gpu)
                        client = own_client = Client(cluster)
                        # its workers' warnings are shown here, in this process' form
                        flush_warnings = _show_warnings_as_caller(client)
                    else:
                        status = getattr(client, "status", "running")
                        if status != "running":  # scheduler_info() then raised KeyError 'workers'
                            raise PlanError(
                                f"the dask client given is {status}, not running; nothing was "
                                "submitted: pass a connected client (or the scheduler's address)"
                            )
                        _check_workers(client, plan, outdir, say)
                        # a GPU is asked for only where some worker offers one, else the tasks
                        # would wait forever
                        offered = [w.get("resources", {})
                                   for w in _all_workers(client).values()]
                        gpu = (plan.model["device"] != "cpu"
                               and any("GPU" in r for r in offered))
                        per_host = _workers_per_host(client)
                except BaseException:
                    # nothing ran: leave no trace of this call (no record of a plan that never ran,
                    # which a corrected plan into the same folder would meet as another plan's)
                    rollback.append(undo)
                    raise
                result.timing["cluster"] = time.perf_counter() - tick
                say(f"dask dashboard: {client.dashboard_link}")
                tick = time.perf_counter()
                _submit_and_wait(
                    client, plan, todo, outdir, threads, gpu, result, say, poll_s, per_host
                )
                result.timing["tasks"] = time.perf_counter() - tick
            finally:
                try:
                    if flush_warnings is not None:
                        flush_warnings()  # those still on their way
                finally:
                    if own_client is not None:
                        own_client.close()
                    if cluster is not None:
                        cluster.close()
    except KeyboardInterrupt as err:  # Terminated (SIGTERM) is one
        if cluster is not None:
            # this call's own workers are closed with it: their open attempts were stopped by
            # the user, not lost (the rerun said "lost on tcp://127.0.0.1:..." of a Ctrl-C)
            _mark_interrupted(outdir, todo, err)
        err.add_note(interrupted_note(result, outdir, err))
        raise
    try:
        tick = time.perf_counter()
        result.summary = aggregate(
            outdir, experimental=experimental or plan.experimental, plots=plots
        )
    except KeyboardInterrupt as err:
        err.add_note(interrupted_note(result, outdir, err, aggregating=True))
        raise
    result.timing["aggregate"] = time.perf_counter() - tick
    result.wall_s = time.perf_counter() - start
    table = result.summary
    n_valid = int(table["valid"].sum()) if len(table) else 0
    say(
        f"screen finished: {result.n_done} done, {result.n_skipped} skipped, {result.n_failed} "
        f"failed in {result.wall_s:.0f} s; table {outdir / 'summary.csv'} ({n_valid} of "
        f"{len(table)} rows valid; see their verdicts)"
    )
    for task_id, error in result.failures.items():
        say(f"  FAILED {task_id}: {error}")
    return result


def _mark_interrupted(outdir, todo, err):
    """Record the open attempts of the unfinished tasks of ``todo`` as stopped by ``err``
    (once the screen's own cluster, whose workers ran them, is closed); a log, so a folder
    that cannot be written keeps them open (the next attempt then calls them lost)."""
    from ..termination import Terminated
    from .task import ATTEMPTS_FILE, INTERRUPTED, _read_attempts

    how = "SIGTERM" if isinstance(err, Terminated) else "Ctrl-C"
    for task in todo:
        folder = outdir / TASKS_DIR / task.id
        if (folder / RESULT_FILE).exists() or (folder / ERROR_FILE).exists():
            continue
        attempts = _read_attempts(folder)
        opened = [a for a in attempts if a.get("outcome") is None]
        if not opened:
            continue
        for attempt in opened:
            attempt.update(end=time.time(), outcome=f"{INTERRUPTED} ({how})")
        # a log of the attempts, written while the screen stops: a write that fails (a full
        # disk) leaves the attempt open, which the next screen reads as one that ended
        # unrecorded; the interrupt itself must still reach the user
        with contextlib.suppress(OSError):
            write_json(folder / ATTEMPTS_FILE, attempts)


def interrupted_note(result, outdir, err=None, aggregating=False):
    """The note an interrupted :func:`run_screen` adds to its ``KeyboardInterrupt`` (``err``;
    a :class:`~ase_electrolyte.termination.Terminated` reads "terminated (SIGTERM)"): how many
    tasks had finished (before this call and in it), failed and were left, and what a rerun
    does with them.

    Examples
    --------
    >>> r = ScreenResult(outdir=Path("out"), n_tasks=8, n_skipped=2, n_done=1, n_failed=1)
    >>> r._running = 2
    >>> print(interrupted_note(r, Path("out")))  # doctest: +NORMALIZE_WHITESPACE
    run_screen: interrupted; 3 of 8 tasks finished (2 before this run, 1 in it), 1
    failed, 4 not finished (2 were running: their partial runs are kept and resume from their
    last frame); the table out/summary.csv was not updated; a rerun with the same arguments
    runs the unfinished and the failed tasks only, then writes the table
    """
    from ..termination import Terminated

    what = "terminated (SIGTERM)" if isinstance(err, Terminated) else "interrupted"
    if aggregating:
        return (f"run_screen: {what}; it was writing the table: all {result.n_tasks} tasks "
                f"had ended ({result.n_skipped + result.n_done} finished, {result.n_failed} "
                f"failed); {outdir / 'summary.csv'} and its companions are as before this run; "
                "a rerun with the same arguments writes the table without running any "
                "finished task again")
    finished = result.n_skipped + result.n_done
    left = result.n_tasks - finished - result.n_failed
    running = min(int(getattr(result, "_running", 0) or 0), left)
    kept = ("" if not running else
            " (1 was running: its partial run is kept and resumes from its last frame)"
            if running == 1 else
            f" ({running} were running: their partial runs are kept and resume from their "
            "last frame)")
    return (f"run_screen: {what}; {finished} of {counted(result.n_tasks, 'task')} "
            f"finished ({result.n_skipped} before this run, {result.n_done} in it), "
            f"{result.n_failed} failed, {left} not finished{kept}; the table "
            f"{outdir / 'summary.csv'} was not updated; a rerun with the same arguments runs "
            "the unfinished and the failed tasks only, then writes the table")


def drift_lines(task_id, out):
    """The lines :func:`run_screen` prints of a finished task whose MD stage drifts too much.

    A task records the drift of each MD stage's conserved energy with its verdict
    (``simulation.energy_drift`` of its ``result.json``, meV/atom/ps,
    :func:`ase_electrolyte.md.energy_drift`); one "too large" means that stage's time step is
    too long for the model, or the model's forces are no gradient of its energy, and was
    noticed only by a reader of that file. "too short" (a plan's short stages) is left to the
    record: said of every task of such a plan, it would drown the progress lines.

    Examples
    --------
    >>> drift_lines("c0-T300-r0", {"simulation": {"energy_drift": {"production": {
    ...     "verdict": "too large: the time step 1 fs is too long"}}}})
    ['  c0-T300-r0: energy drift (production): too large: the time step 1 fs is too long']
    """
    drifts = (out.get("simulation") or {}).get("energy_drift") or {}
    return [f"  {task_id}: energy drift ({stage}): {d['verdict']}"
            for stage, d in drifts.items()
            if isinstance(d, dict) and str(d.get("verdict", "")).startswith("too large")]


def restart_line(task_id, restart):
    """The line :func:`run_screen` prints of a task that had been attempted before: the
    workers lost running it, by name, and whether its MD was resumed or run again."""
    lost = restart.get("lost_workers") or []
    failed = [a for a in restart.get("earlier_attempts", [])
              if str(a.get("outcome", "")).startswith("failed")]
    stopped = [a for a in restart.get("earlier_attempts", [])
               if str(a.get("outcome", "")).startswith("interrupted")]
    before = []
    if lost:
        before.append(f"lost on {', '.join(map(str, lost))}")
    if failed:
        before.append(f"{counted(len(failed), 'earlier attempt')} failed")
    if stopped:
        before.append(f"{counted(len(stopped), 'earlier attempt')} interrupted")
    kept = restart.get("trajectories") or {}
    if restart.get("start") == "resumed":
        how = "resumed: " + ", ".join(
            f"{name} reused (complete)" if k.get("complete")
            else f"{name} from step {k.get('last_step')}"
            for name, k in kept.items() if k.get("n_frames"))
    else:
        how = "recomputed from its start (no frame was kept)"
    before = "; ".join(before) or "earlier attempt unrecorded"
    return f"  {task_id}: attempt {restart.get('attempt')} ({before}); {how}"


def progress_line(queued, running, done, done_elsewhere, failed):
    """The progress line :func:`run_screen` prints while its tasks run.

    ``done`` counts the tasks this screen ran to the end, ``done_elsewhere`` those found
    finished when their turn came (another copy of the task finished them: a worker still
    running them for an earlier screen whose client went away); both are done.

    Examples
    --------
    >>> progress_line(2, 1, 3, 0, 0)
    '  queued 2 | running 1 | done 3 | failed 0'
    >>> progress_line(0, 0, 3, 2, 1)
    '  queued 0 | running 0 | done 5 (2 by another copy of the task) | failed 1'
    """
    done_text = f"{done + done_elsewhere}"
    if done_elsewhere:
        done_text += f" ({done_elsewhere} by another copy of the task)"
    return f"  queued {queued} | running {running} | done {done_text} | failed {failed}"


def _check_address(scheduler):
    """PlanError for a scheduler address that no scheduler can have: a port outside 1-65535, a
    host name that does not resolve. distributed retried both for its whole connect timeout
    (30 s) before saying so; a refused connection is left to it (a scheduler that is still
    starting is reached on a retry)."""
    import socket

    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    try:
        scheme, location = parse_address(scheduler)
        if scheme not in ("tcp", "tls"):
            return
        host, port = parse_host_port(location)
    except (ValueError, TypeError):
        return  # the client's own refusal names it
    if not 0 < int(port) < 65536:
        raise PlanError(
            f"cannot reach the dask scheduler at {scheduler!r}: port {port} is no TCP port "
            "(1-65535); nothing was submitted: correct its address"
        )
    try:
        socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        if err.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            raise PlanError(
                f"cannot reach the dask scheduler at {scheduler!r}: host {host!r} is not known "
                f"({err.strerror}); nothing was submitted: correct its address"
            ) from None
        # a resolver that is down for now: distributed retries it


#: Seconds a service that accepts the connection has to answer dask's handshake.
HANDSHAKE_S = 10.0


def _check_answers(scheduler, handshake_s=None):
    """PlanError for an address where something listens that is no dask scheduler.

    distributed waits for the scheduler's handshake without a time limit: an address of
    another service (the dashboard's port 8787, a web or SSH server) hung the call forever, or
    its first bytes, read as a message length, raised a ``MemoryError`` ("Unable to allocate
    3 EiB"). A plain TCP connection is tried first; where nothing listens, the client's own
    retries decide (a scheduler that is still starting is reached on one of them). TLS
    addresses are left to the client (the handshake needs its security settings).
    """
    import asyncio
    import concurrent.futures
    import socket

    from distributed.comm import connect, parse_address
    from distributed.comm.addressing import parse_host_port

    handshake_s = HANDSHAKE_S if handshake_s is None else handshake_s
    try:
        scheme, location = parse_address(scheduler)
        if scheme != "tcp":
            return
        host, port = parse_host_port(location)
        with socket.create_connection((host, int(port)), timeout=handshake_s):
            pass
    except (ValueError, TypeError, OSError):
        return  # a bad address is refused by the client; nothing listens: its retries decide

    async def handshake():
        # distributed retries a service that hangs up until its own timeout: at the outer
        # limit too, a loaded machine's scheduling picked which error came first (a flaky
        # "no dask handshake" for a refusal); half the limit keeps them apart
        comm = await connect(scheduler, timeout=0.5 * handshake_s)
        await comm.close()

    async def limited():
        await asyncio.wait_for(handshake(), handshake_s)

    # in a thread of its own: the caller may be inside an event loop (a notebook)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        try:
            pool.submit(asyncio.run, limited()).result()
        except (TimeoutError, asyncio.TimeoutError):
            why = f"no dask handshake within {handshake_s:g} s"
        except Exception as err:  # noqa: BLE001 - whatever the other service's bytes broke
            why = f"its answer is not dask's ({type(err).__name__}: {str(err)[:120]})"
        else:
            return
    raise PlanError(
        f"cannot use {scheduler!r} as the dask scheduler: something listens there, but {why}; "
        "is it another service (the dashboard's port is 8787, the scheduler's 8786 by "
        "default)? Nothing was submitted: correct the address"
    )


def _connect(client_class, scheduler):
    """A client of the scheduler at ``scheduler``; PlanError naming it when it cannot be reached."""
    if isinstance(scheduler, str):
        _check_address(scheduler)
        _check_answers(scheduler)
    try:
        return client_class(scheduler)
    except (OSError, TimeoutError, ValueError, TypeError) as err:
        # distributed's own words ("Timed out trying to connect to ... after 30 s") named
        # neither the option nor that nothing was submitted
        raise PlanError(
            f"cannot reach the dask scheduler at {scheduler!r} ({type(err).__name__}: {err}); "
            "nothing was submitted: start the scheduler or correct its address"
        ) from None


def _check_workers(client, plan, outdir, say):
    """Refuse a cluster whose workers cannot run the plan, before anything is submitted.

    Every connected worker runs :func:`~ase_electrolyte.screen.task.worker_problems` on a probe
    file written into ``outdir``: a worker that does not see it (no shared file system), lacks
    the model's package or file, or cannot import ``ase_electrolyte`` itself is named in a
    :class:`PlanError`. Workers that join later (an adaptive or dask-jobqueue cluster) are not
    checked here; a task that finishes where the client cannot read its result is recorded as
    failed (see :func:`_submit_and_wait`).
    """
    import uuid

    workers = client.scheduler_info()["workers"]
    if not workers:
        say("no worker connected yet: the tasks wait in the scheduler's queue for workers")
        return
    probe = outdir / f".probe-{uuid.uuid4().hex}"
    probe.write_text("written by the client; every worker must see it\n")
    try:
        answers = client.run(worker_problems, str(probe), plan.model, on_error="return")
    finally:
        probe.unlink(missing_ok=True)
    lines = []
    for worker, answer in sorted(answers.items()):
        if isinstance(answer, BaseException):
            lines.append(
                f"{worker} cannot run ase_electrolyte ({type(answer).__name__}: {answer}); "
                "install it on the workers"
            )
        else:
            lines.extend(f"{worker} {problem}" for problem in answer)
    if lines:
        shown = "; ".join(lines[:4]) + (f"; and {len(lines) - 4} more" if len(lines) > 4 else "")
        raise PlanError(
            f"{len(lines)} problem(s) on the workers of {client.scheduler.address}, nothing "
            f"submitted: {shown}"
        )


def _lost(client, err, result, n_submitted):
    """The RuntimeError of a screen whose scheduler went away (or cancelled its tasks).

    distributed's own words were a traceback of ``FuturesCancelledError`` or
    ``CommClosedError`` that said neither what was kept nor how to go on.
    """
    try:
        address = client.scheduler.address
    except AttributeError:
        address = "?"
    return RuntimeError(
        f"lost the dask scheduler at {address} ({type(err).__name__}: {_first_reason(err)}) with "
        f"{n_submitted - result.n_done - result.n_failed} of {n_submitted} submitted tasks "
        f"unfinished ({result.n_done} done, {result.n_failed} failed); the finished tasks are "
        f"kept in {result.outdir}: run the same screen again (with a running scheduler) to "
        "resume the others"
    )


def _task_error(err):
    """The recorded error of a task whose future raised (the task itself never raises).

    distributed's ``KilledWorker`` said that the workers died and to read their logs: neither
    the usual cause nor what the task folder keeps.
    """
    text = f"{type(err).__name__}: {' '.join(str(err).split())}"
    if type(err).__name__ == "KilledWorker":
        # the worker by name early: the table's verdict quotes the first 300 characters
        last = getattr(getattr(err, "last_worker", None), "address", None)
        if last is None:
            found = re.search(r"last worker that attempt\w* to run the task was (\S+?)\.?\s",
                              text + " ")
            last = found.group(1) if found else None
        named = f"; the last was {last}" if last else ""
        text = (
            "KilledWorker: every worker that ran this task died while running it (most often out "
            "of memory: the worker's memory_limit or the machine's; else a crash in native "
            f"code){named}; its partial run is kept and the next run of the screen resumes it "
            "(task_timeout_s runs each task in a process of its own, whose death its worker "
            f"survives). dask: {text[len('KilledWorker: '):]}"
        )
    return text


def _first_reason(err):
    """The line of a (multi-line) distributed error that says why: its reason, or its first."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return next((x for x in lines if "reason:" in x), lines[0] if lines else "no message")


def _record_lost_task(folder, task_id, out):
    """Write the ``error.json`` of a task whose future raised; never raises.

    The task may never have started, so never made its folder: dask counts a task queued on a
    worker as processing there, and a worker that dies with it queued counts towards its
    ``KilledWorker`` as much as one that dies running it. Writing into the missing folder
    raised ``FileNotFoundError`` and ended the screen with a traceback and no table, the
    other tasks' results uncollected. A folder that cannot be written (a full disk) leaves the
    failure in the screen's result and ``failures.csv`` alone.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / ERROR_FILE, {"task": task_id, **out})
    except OSError as err:
        out["error"] += f" (its {ERROR_FILE} could not be written: {err})"


#: What a task reads of the plan (:func:`~ase_electrolyte.screen.task.run_task`).
_TASK_PLAN_KEYS = ("fingerprint", "model", "n_atoms", "density", "protocol", "analyses",
                   "task_timeout_s")


def _submit_and_wait(client, plan, todo, outdir, threads, gpu, result, say, poll_s, per_host):
    import asyncio
    from concurrent.futures import CancelledError

    from distributed import wait

    # not the compositions list: every spec carried it, 9.5 kB a task for a grid of 100
    # compositions (95 MB sent to the scheduler for 10⁴ tasks)
    whole = plan.to_dict()
    plan_dict = {k: whole[k] for k in _TASK_PLAN_KEYS}
    fingerprint = plan.fingerprint()
    specs = [_spec(plan, task, outdir, threads, plan_dict, per_host) for task in todo]
    # a fixed key per task and plan: resubmitting the same task joins the running one
    keys = [f"electrolyte-screen-{fingerprint}-{task.id}" for task in todo]
    result.timing["submitted"] = time.time()
    # one call for every task: a submit per task cost 8 ms of the client's time each (80 s
    # for 10⁴ tasks, and as long again for the scheduler, before the last one was queued)
    submitted = client.map(run_task, specs, key=keys, pure=False,
                           resources={"GPU": 1} if gpu else None)
    # a key this client still holds from an earlier call in the same session (a notebook's
    # rerun) came back with that call's error at once: a task whose workers had died was
    # reported failed again without running
    stale = [f for f in submitted if f.status == "error"]
    if stale:
        client.retry(stale)
    futures = dict(zip(submitted, todo, strict=True))
    pending = set(futures)
    last = None
    # tasks found finished when they started: another copy of the task (a rerun's, a worker
    # cut off from an earlier screen) finished them; they were counted nowhere in the line
    skipped_before = result.n_skipped
    while pending:
        try:
            finished, pending = wait(pending, timeout=poll_s, return_when="FIRST_COMPLETED")
        except (TimeoutError, asyncio.TimeoutError):  # distinct types before Python 3.11
            finished = set()
        except Exception as err:  # noqa: BLE001 - the scheduler went away, named below
            raise _lost(client, err, result, len(futures)) from None
        for fut in finished:
            task = futures[fut]
            try:
                out = fut.result()
            except CancelledError as err:
                # cancelled, not failed: the task itself may well finish (no error.json)
                raise _lost(client, err, result, len(futures)) from None
            except Exception as err:  # the worker died too often (KilledWorker) or similar
                out = {"status": "failed", "error": _task_error(err)}
                _record_lost_task(outdir / TASKS_DIR / task.id, task.id, out)
            fut.release()  # read: a rerun in this session must not get it back
            if out.get("status") == "done" and not (
                outdir / TASKS_DIR / task.id / RESULT_FILE
            ).exists():
                # a worker that joined after the check, on a file system the client cannot see
                out = {
                    "status": "failed",
                    "error": f"finished on {out.get('timing', {}).get('worker')}, but its "
                    f"{RESULT_FILE} is not visible here: the output folder must be on a file "
                    "system shared by the client and every worker",
                }
            restart = out.get("restart")
            # a folder of an earlier version has frames but no attempts.json: attempt 1, resumed
            if (isinstance(restart, dict) and restart.get("start", "fresh") != "fresh"
                    and not out.get("skipped")):
                result.restarted[task.id] = restart
                say(restart_line(task.id, restart))
            if out.get("status") == "done":
                if out.get("skipped"):
                    result.n_skipped += 1
                else:
                    result.n_done += 1
                    result.task_s[task.id] = out.get("elapsed_s")
                    result.task_timing[task.id] = out.get("timing")
                    for line in drift_lines(task.id, out):
                        say(line)
            else:
                result.n_failed += 1
                result.failures[task.id] = out.get("error")
                if out.get("timed_out"):
                    result.timed_out.append(task.id)
        if pending:
            keys = {f.key for f in pending}
            # a worker's "processing" set also holds tasks waiting there for a free thread
            try:
                nthreads, processing = client.nthreads(), client.processing()
            except Exception as err:  # noqa: BLE001 - the scheduler went away, named below
                raise _lost(client, err, result, len(futures)) from None
            running = sum(
                min(sum(1 for k in ks if k in keys), nthreads.get(w, 1))
                for w, ks in processing.items()
            )
        else:
            running = 0
            result.timing["collected"] = time.time()
        counts = (len(pending) - running, running, result.n_done,
                  result.n_skipped - skipped_before, result.n_failed)
        result._running = running
        if counts != last:
            say(progress_line(*counts))
            last = counts
