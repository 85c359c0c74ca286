"""One screening task on a worker: build → simulate → analyse in its own folder.

The folder holds ``task.json`` (what the task is), ``initial.extxyz`` (the packed box), the H5MD
files of :func:`ase_electrolyte.md.run_protocol`, ``analysis/summary.json`` and, last,
``result.json``: written atomically when everything has finished, it is the done-marker. A task
that finds its ``result.json`` returns it without work; one that finds a partial run resumes it
(the box is read back, the protocol continues from the last written frame). A failure is written
to ``error.json`` and returned, so one bad composition does not stop the others.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

from ..atomic_file import atomic_path, write_json_atomic
from .properties import task_properties

__all__ = [
    "run_task", "task_properties", "task_threads", "worker_problems", "read_result",
    "RESULT_FILE", "ERROR_FILE",
]

RESULT_FILE = "result.json"
ERROR_FILE = "error.json"

_CALCULATORS = {}
_CALC_LOCK = threading.Lock()


def write_json(path, data):
    """Write JSON atomically: a reader never sees half a file, a failed writer leaves none."""
    write_json_atomic(path, data, indent=2, default=_json_default)


def read_result(path, task_id=None, seed=None):
    """The content of a task's ``result.json``, or the reason it cannot be used.

    ``result.json`` is written atomically, so a file that does not parse was damaged or edited
    afterwards; one whose task or seed differ from the plan's was copied from another screen.
    Either would be averaged into the table as if this task had produced it.

    Parameters
    ----------
    path : pathlib.Path
        The ``result.json``.
    task_id : str, optional
        The task this folder belongs to (checked when the file names one).
    seed : int, optional
        The seed the plan gives this task (checked when the file records one).

    Returns
    -------
    tuple
        ``(result, None)`` for a usable record, ``(None, reason)`` otherwise.
    """
    try:
        result = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return None, f"{path} is not readable JSON ({err})"
    if not isinstance(result, dict) or not isinstance(result.get("properties"), dict):
        return None, f"{path} is not a task result (no table of properties)"
    for name, prop in result["properties"].items():
        if not isinstance(prop, dict) or not isinstance(prop.get("unit"), str):
            return None, f"{path}: property {name!r} is not a result entry with a unit"
    if task_id is not None and result.get("task", task_id) != task_id:
        return None, f"{path} is the result of task {result['task']!r}, not of {task_id!r}"
    if seed is not None and result.get("seed", seed) != seed:
        return None, (
            f"{path} was run with seed {result['seed']}, but the plan gives this task seed "
            f"{seed}: a result of another plan"
        )
    return result, None


def _json_default(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def make_calculator(model):
    """The ASE calculator of a plan's ``model`` dict (cached per worker thread).

    A worker runs its tasks one after another, so the model is loaded once per worker rather than
    once per task.
    """
    key = (json.dumps(model, sort_keys=True, default=str), threading.get_ident())
    with _CALC_LOCK:
        if key in _CALCULATORS:
            return _CALCULATORS[key]
    device = _worker_device(model["device"])
    if model["kind"] == "calculator":
        from .plan import resolve_function

        calc = resolve_function(model["value"])(**model["options"])
        if model["dispersion"]:
            from ase.calculators.mixing import SumCalculator

            from ..calculator import Calculator

            calc = SumCalculator(
                [calc, Calculator._make_dispersion(model["dispersion"], _torch_device(device))]
            )
    else:
        from ..calculator import Calculator

        calc = Calculator(
            model["value"], dispersion=model["dispersion"], device=device, **model["options"]
        )
    with _CALC_LOCK:
        _CALCULATORS[key] = calc
    return calc


def _check_model_file(model):
    """Refuse a model file whose bytes are not those the plan was read with.

    A file rewritten between reading the plan and running a task (a fine-tuning run writing
    into the same path) would give tasks of one screen different models under one fingerprint.
    """
    if model.get("kind") != "file" or "sha256" not in model:
        return
    from ..native_build import file_sha256

    try:
        now = file_sha256(model["value"])
    except OSError as err:
        raise RuntimeError(f"model file {model['value']} cannot be read on this worker "
                           f"({err.strerror or err})") from None
    if now != model["sha256"]:
        raise RuntimeError(
            f"model file {model['value']} changed since the plan was read (SHA-256 "
            f"{model['sha256'][:12]}… then, {now[:12]}… now); rerun the screen into another "
            "output folder for the new model"
        )


def _torch_device(device):
    from ..models import resolve_device

    return resolve_device(device)


def _worker_device(device):
    """Pin a GPU worker of a local cluster to its own GPU (worker ``i`` → ``cuda:i``)."""
    if device != "auto" and device != "cuda":
        return device
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return device
    if "GPU" not in (worker.state.total_resources or {}):
        return device
    import torch

    n = torch.cuda.device_count()
    if n > 1 and isinstance(worker.name, int):
        torch.cuda.set_device(worker.name % n)
        return f"cuda:{worker.name % n}"
    return device


def worker_problems(probe, model):
    """What would stop this worker from running a plan's tasks (run on every worker first).

    A cluster the engine did not start (a scheduler address, a dask-jobqueue cluster) may run on
    machines that do not share the client's file system or lack the model's package; a task
    would then fail after its queue wait, or write its results where the client never sees them.

    Parameters
    ----------
    probe : str
        A file the client has just written next to the output folder.
    model : dict
        The plan's checked ``model`` (``kind``, ``value``, ...; see
        :meth:`ase_electrolyte.screen.Plan.to_dict`).

    Returns
    -------
    list of str
        One line per problem (empty: the worker can run the plan's tasks).
    """
    problems = []
    if not Path(probe).is_file():
        problems.append(
            f"does not see {str(Path(probe).parent)!r} (the output folder must be on a file "
            "system shared by the client and every worker)"
        )
    kind, value = model["kind"], model["value"]
    if kind == "file" and not Path(value).is_file():
        problems.append(f"has no model file {value!r}")
    elif kind == "name":
        from ..models import _BACKENDS, _NAMED, _installed

        backend = _NAMED[value].backend
        if not _installed(backend):
            problems.append(
                f"lacks the package {_BACKENDS[backend].package!r} of model {value!r}"
            )
    elif kind == "calculator":
        from .plan import resolve_function

        try:
            resolve_function(value)
        except (ImportError, AttributeError, OSError) as err:
            problems.append(f"cannot import the model calculator {value!r} ({err})")
    return problems


def run_task(spec):
    """Run one task described by ``spec`` (a dict made by the screening engine); never raises.

    Parameters
    ----------
    spec : dict
        ``folder``, ``task`` (id, composition, temperature, replica, seed), ``plan`` (the
        :meth:`~ase_electrolyte.screen.Plan.to_dict` content), ``threads`` (torch threads or
        None) and optionally ``workers_per_host`` (see :func:`task_threads`).

    Returns
    -------
    dict
        The content of ``result.json``: ``status`` (``"done"``), ``properties`` and ``timing``
        (``worker``, UNIX ``start``/``end``, the seconds spent in ``imports_s``,
        ``build_s``, ``calculator_s``, ``protocol_s`` and ``analyses_s``, and ``cpu_s``, the
        process' CPU seconds over the task), or, for a failure,
        ``status == "failed"`` and ``error``.
    """
    folder = Path(spec["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / RESULT_FILE
    if done.exists():
        return _finished(done, spec["task"])
    start = time.perf_counter()
    cpu = time.process_time()
    timing = {"worker": _worker_name(), "start": time.time()}
    claim = None
    try:
        try:
            claim, waited = _claim(folder)
            if waited:
                timing["waited_s"] = waited
            if done.exists():  # finished by the copy this one waited for
                return _finished(done, spec["task"])
            result = _run(spec, folder, timing)
        except Exception as err:  # a failed task is recorded, the others go on
            timing["end"] = time.time()
            failure = {
                "task": spec["task"]["id"],
                "status": "failed",
                "error": f"{type(err).__name__}: {err}",
                "traceback": traceback.format_exc(),
                "elapsed_s": time.perf_counter() - start,
                "timing": timing,
            }
            write_json(folder / ERROR_FILE, failure)
            return failure
        result["elapsed_s"] = time.perf_counter() - start
        timing["end"] = time.time()
        # CPU seconds of this process: with the wall time, tells a busy machine from slow code
        timing["cpu_s"] = time.process_time() - cpu
        result["timing"] = timing
        (folder / ERROR_FILE).unlink(missing_ok=True)
        write_json(done, result)  # last, in the claim: its presence means the task finished
        return result
    finally:
        if claim is not None:
            claim.release()


def _finished(done, task):
    """The ``result.json`` of a finished task, marked skipped (a failure if it cannot be used)."""
    result, problem = read_result(done, task["id"], task["seed"])
    if result is None:  # the engine refuses these before submission; never raise here
        return {"task": task["id"], "status": "failed", "error": problem}
    result["skipped"] = True
    return result


#: Seconds between two tries to claim a task folder that another copy of the task holds.
CLAIM_POLL_S = 1.0


def _claim(folder):
    """Claim the task's folder, waiting while another copy of the same task runs in it.

    The scheduler runs a task again when it loses the worker running it, and the rerun of a
    screen whose client went away submits the tasks its workers are still running: the first
    copy may still be alive (a worker cut off from the scheduler, a thread dask cannot stop).
    The second copy waited for nothing before: :func:`~ase_electrolyte.md.run_protocol` refused
    it (the folder is claimed) and the task was reported failed although it finished. Only
    copies of this task write here (one screen at a time per output folder), so the copy
    waits, then reuses the finished result or resumes what the first left.

    Returns
    -------
    tuple
        ``(claim, waited_s)``: the held :class:`~ase_electrolyte.writer_lock.WriterLock`.
    """
    from ..writer_lock import ConcurrentWriterError, WriterLock

    claim = WriterLock(folder, "run folder")
    start = time.perf_counter()
    while True:
        try:
            claim.acquire()
        except ConcurrentWriterError:
            time.sleep(CLAIM_POLL_S)
        else:
            return claim, time.perf_counter() - start


def _worker_name():
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def task_threads(spec):
    """Torch intra-op threads for this task: the engine's choice, else cores / tasks at once.

    With a cluster the engine did not start, ``spec["workers_per_host"]`` counts the worker
    processes on each host; each task then gets the host's cores divided by the tasks that can
    run there at once (dask's nanny starts workers with ``OMP_NUM_THREADS=1``, so torch would
    otherwise use one core per worker, however many the host has).
    """
    if spec.get("threads"):
        return int(spec["threads"])
    per_host = spec.get("workers_per_host")
    if not per_host:
        return None
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    host = worker.address.rsplit(":", 1)[0]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    at_once = per_host.get(host, 1) * max(1, worker.state.nthreads)
    return max(1, (cores or 1) // at_once)


def _run(spec, folder, timing):
    tick = time.perf_counter()
    import ase.io

    from ..build import electrolyte_box
    from ..md import run_protocol

    timing["imports_s"] = time.perf_counter() - tick
    task, plan = spec["task"], spec["plan"]
    comp = task["composition"]
    write_json(folder / "task.json", {"task": task, "fingerprint": plan["fingerprint"]})
    # the model before the box: a model that does not load fails the task before packing
    tick = time.perf_counter()
    _check_model_file(plan["model"])
    calc = make_calculator(plan["model"])
    threads = task_threads(spec)
    # only a model that loaded torch needs its threads set: importing torch for a pure-Python
    # potential costs seconds per worker
    if threads and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
        timing["torch_threads"] = threads
    timing["calculator_s"] = time.perf_counter() - tick
    initial = folder / "initial.extxyz"
    tick = time.perf_counter()
    if initial.exists():
        atoms = ase.io.read(initial)
    else:
        atoms = electrolyte_box(
            comp["solvent"],
            comp["salt"],
            comp["concentration"],
            units=comp["units"],
            n_atoms=plan["n_atoms"],
            ratio=comp["ratio"],
            density=plan["density"],
            seed=task["seed"],
        )
        with atomic_path(initial) as tmp:
            ase.io.write(tmp, atoms, format="extxyz")
    timing["build_s"] = time.perf_counter() - tick
    tick = time.perf_counter()
    result = run_protocol(
        atoms,
        calc,
        folder,
        temperature_K=task["temperature_K"],
        seed=task["seed"],
        progress=False,
        **plan["protocol"],
    )
    timing["protocol_s"] = time.perf_counter() - tick
    tick = time.perf_counter()
    summary = {}
    if plan["analyses"]:
        from mda_electrolyte.bridge import from_ase
        from mda_electrolyte.report import run_analyses

        universe = from_ase(result.files["production"])
        with warnings.catch_warnings():
            # a short trajectory warns a lot; what matters is summarised in the verdicts
            warnings.simplefilter("ignore")
            summary = run_analyses(
                universe,
                folder / "analysis",
                calculator=calc,
                only=plan["analyses"],
                keep_going=True,
            )
    timing["analyses_s"] = time.perf_counter() - tick
    from ..estimate import json_number

    density = result.density
    simulation = {
        "composition_counts": atoms.info.get("composition"),
        "cation_molality": atoms.info.get("cation_molality"),
        "n_atoms": len(atoms),
        # run_protocol reports an Estimate (earlier versions a float with separate error/verdict)
        "density": density.to_dict() if hasattr(density, "to_dict") else None,
        "density_g_cm3": json_number(density),
        "density_std_g_cm3": json_number(result.density_std),
        "density_sem_g_cm3": json_number(result.density_sem),
        "density_verdict": result.density_verdict,
        "production_ensemble": plan["protocol"]["production_ensemble"],
    }
    return {
        "task": task["id"],
        "status": "done",
        "seed": task["seed"],
        "simulation": simulation,
        "analyses": {k: _status(v) for k, v in summary.items()},
        "properties": task_properties(simulation, summary),
    }


def _status(entry):
    if isinstance(entry, dict) and "skipped" in entry:
        return f"skipped: {entry['skipped']}"
    if isinstance(entry, dict) and "failed" in entry:
        return f"failed: {entry['failed']}"
    if isinstance(entry, dict) and "refused" in entry:
        return f"refused: {entry['refused']}"
    return "done"
