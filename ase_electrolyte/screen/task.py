"""One screening task on a worker: build → simulate → analyse in its own folder.

The folder holds ``task.json`` (what the task is), ``initial.extxyz`` (the packed box), the H5MD
files of :func:`ase_electrolyte.md.run_protocol`, ``analysis/summary.json`` and, last,
``result.json``: written atomically when everything has finished, it is the done-marker. A task
that finds its ``result.json`` returns it without work; one that finds a partial run resumes it
(the box is read back, the protocol continues from the last written frame). A failure is written
to ``error.json`` and returned, so one bad composition does not stop the others. Each attempt
at the task is logged in ``attempts.json`` (its worker, start, end and outcome); one whose process
died (a worker killed, the screen's process killed) has no outcome there, and the next attempt
marks it lost. The result (or failure) records under ``restart`` which attempt it is, the workers
lost before it, and whether it started fresh, resumed an earlier attempt's frames or recomputed
them from the start.

With the plan's ``task_timeout_s`` a task runs in a process of its own, started by the worker's
thread: dask cannot stop a running thread, and a task that hung (a stalled GPU, a model stuck in
native code) held its worker for good. At the limit the task's process raises
:class:`TaskTimeout` in its main thread (a timer signal): :func:`~ase_electrolyte.md.run_md`
closes its trajectory as not complete, ``error.json`` names the limit, and the process ends. The
timer raises it again every 0.5 s until the task stops (not while the stop
is being handled: its cleanup runs to its end): Python drops an exception raised where nothing
can receive it (in a ``__del__`` or a weakref callback: "Exception ignored in ..."), and a
model's ``except BaseException`` may swallow one. A process that does not
stop within :data:`TIMEOUT_GRACE_S` (stuck in native code, the signal never handled) is killed
with its process group. The H5MD files count only complete frames (see
:mod:`ase_electrolyte.trajectory`), so either way the partial run stays readable, and the next
run of the screen resumes it. Its output, beyond the result, goes to ``task.log``.

A dask worker's ``memory_limit`` sees its own process only, not the task's: a task that grew
without bound in its own process was stopped by nothing short of the system's out-of-memory
killer. The task's process is therefore given what the limit leaves (the limit less the
worker's own resident memory, :func:`memory_budget`) and stopped, as at its time limit, when
its resident memory exceeds that (checked every 0.1 s); its
``error.json`` names both numbers (``TaskMemoryLimit``). Resident memory, as dask measures it:
an address-space limit (``RLIMIT_AS``) counts reservations that are no memory (thread stacks,
allocators' arenas, CUDA's mappings) and would refuse tasks that fit. On a CPU device a hard
limit of twice the budget (at least 1 GiB) on the
process' writable data
(``RLIMIT_DATA``) also refuses at once a single allocation too large for the machine, which
the check would see only once filled; its ``MemoryError`` is named the same way. Only host
memory is budgeted: a task on a GPU (``"cuda"``, or ``"auto"`` where a GPU driver is present)
gets no such hard limit, which would count the CUDA context's address-space reservations.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

from ..atomic_file import atomic_path, write_json_atomic
from ..environment import _usable_cpus
from .properties import task_properties

__all__ = [
    "run_task", "task_properties", "task_threads", "worker_problems", "read_result",
    "memory_budget", "RESULT_FILE", "ERROR_FILE", "LOG_FILE", "LOG_MAX_BYTES", "TaskTimeout",
    "TIMEOUT_GRACE_S",
]

RESULT_FILE = "result.json"
ERROR_FILE = "error.json"
#: What a task run in its own process (``task_timeout_s``) prints, and its traceback if it dies;
#: each attempt appends a header line and its output, and the file keeps the last
#: :data:`LOG_MAX_BYTES` of all attempts.
LOG_FILE = "task.log"
#: Bytes of ``task.log`` kept: its tail, where the last attempt's end and traceback are. A model
#: that prints a warning per MD step filled it without bound (its task resumed attempt after
#: attempt into the same file); between two trims it may grow to twice this.
LOG_MAX_BYTES = 256 * 1024
#: Seconds a task past its ``task_timeout_s`` has to stop by itself (close its trajectory, write
#: ``error.json``) before its process group is killed.
TIMEOUT_GRACE_S = 10.0
# the worker waits this much longer than the task's own deadline before killing it: the task's
# process stops itself first, with its files closed and its error.json written
_KILL_SLACK_S = 5.0
# starts a task process' outcome on its standard output (JSON never holds a raw control
# character, so the mark cannot occur inside it)
_OUTCOME_MARK = b"\n\x1eelectrolyte task outcome\n"
#: Seconds between the timer's repeats of :class:`TaskTimeout` past the limit (a stop that was
#: dropped, raised inside a ``__del__``, let a task run on to its end or to the kill).
_RESTOP_S = 0.5
#: Seconds between two looks at the resident memory of a task's process (with a memory budget):
#: what it may grow past the budget before it is stopped is what it allocates in this time.
_MEMORY_CHECK_S = 0.1
#: The hard limit on a CPU task's writable data (``RLIMIT_DATA``), in memory budgets: above the
#: budget, which the resident-memory check enforces, by what address space counts beyond
#: resident memory (thread stacks, untouched allocations).
_MEMORY_BACKSTOP = 2.0
#: The least hard limit (bytes): a process that cannot allocate at all dies without a word
#: (a worker whose own memory fills its limit leaves its task nothing); with this much it lives
#: until the resident-memory check stops it, named.
_MEMORY_FLOOR = 2**30


class TaskTimeout(BaseException):
    """Raised in a task's own process when it runs past the plan's ``task_timeout_s``.

    A :class:`BaseException`, as :class:`KeyboardInterrupt`: the task's ``except Exception``
    and the MD loop's error handling must not take it for a failure of the model; it passes
    through them (the trajectory is closed, not marked complete) to the process' top.

    Examples
    --------
    >>> from ase_electrolyte.screen.task import TaskTimeout
    >>> try:
    ...     try:
    ...         raise TaskTimeout("task_timeout_s")
    ...     except Exception:  # what a model's or an analysis' error handling catches
    ...         print("caught as a failure")
    ... except TaskTimeout as stop:
    ...     print("stopped:", stop)
    stopped: task_timeout_s
    """

_CALCULATORS = {}
_CALC_LOCK = threading.Lock()


def write_json(path, data):
    """Write JSON atomically: a reader never sees half a file, a failed writer leaves none."""
    write_json_atomic(path, data, indent=2, default=_json_default)


def read_result(path, task_id=None, seed=None, fingerprints=None):
    """The content of a task's ``result.json``, or the reason it cannot be used.

    ``result.json`` is written atomically, so a file that does not parse was damaged or edited
    afterwards; one whose task, seed or plan differ from the folder's was copied from another
    screen. Either would be averaged into the table as if this task had produced it.

    Parameters
    ----------
    path : pathlib.Path
        The ``result.json``.
    task_id : str, optional
        The task this folder belongs to (checked when the file names one).
    seed : int, optional
        The seed the plan gives this task (checked when the file records one).
    fingerprints : set of str, optional
        The plan fingerprints the folder's tasks may have run under
        (:func:`~ase_electrolyte.screen.plan.record_fingerprints`), checked against the
        ``task.json`` beside ``path`` where it records one: a task folder copied from a screen
        of another model, protocol or analyses but the same seed has the same task seed.

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
        problem = _entry_problem(prop)
        if problem:
            # float() of a text raised in the table after every task had run, and True or the
            # text "no" as converged entered the mean as 1.0 or as valid
            return None, f"{path}: property {name!r}: {problem}"
    if task_id is not None and result.get("task", task_id) != task_id:
        return None, f"{path} is the result of task {result['task']!r}, not of {task_id!r}"
    if seed is not None and result.get("seed", seed) != seed:
        return None, (
            f"{path} was run with seed {result['seed']}, but the plan gives this task seed "
            f"{seed}: a result of another plan"
        )
    ran_under = _task_fingerprint(path.parent / TASK_FILE) if fingerprints else None
    if ran_under is not None and ran_under not in fingerprints:
        return None, (
            f"{path} was run under plan {ran_under} ({TASK_FILE}), not this folder's "
            f"{' or '.join(sorted(fingerprints))}: a task folder copied from a screen of "
            "another model, protocol, box or analyses"
        )
    return result, None


#: What a task is, written first into its folder: ``{"task": ..., "fingerprint": ...}``.
TASK_FILE = "task.json"


def _task_fingerprint(path):
    """The plan fingerprint a ``task.json`` records (``None``: none, or not readable: the
    result is judged by its own content then)."""
    try:
        fingerprint = json.loads(path.read_text()).get("fingerprint")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return None
    return fingerprint if isinstance(fingerprint, str) else None


def _entry_problem(prop):
    """What makes a stored property unreadable as a number with its verdict (``None``: nothing).

    A task writes ``value`` and ``stderr`` (``error`` in earlier versions) as JSON numbers or
    ``null``, ``converged`` as a flag, ``verdict`` as text (:meth:`.Estimate.to_dict`).
    """
    for key in ("value", "stderr", "error"):
        number = prop.get(key)
        if number is not None and (isinstance(number, bool)
                                   or not isinstance(number, (int, float))):
            return f"{key} {number!r} is not a number"
        if key != "value" and number is not None and number < 0:
            # a negative in-run error entered tasks.csv as the replica's and the check of the
            # replicas' scatter against their errors; an Estimate refuses one
            return f"{key} {number!r} is negative (an error is >= 0; an unknown one is null)"
    if "converged" in prop and not isinstance(prop["converged"], bool):
        return f"converged {prop['converged']!r} is not true or false"
    if prop.get("verdict") is not None and not isinstance(prop["verdict"], str):
        return f"verdict {prop['verdict']!r} is not a text"
    return None


def _json_default(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def make_calculator(model):
    """The ASE calculator of a plan's ``model`` dict (cached per worker thread).

    A worker runs its tasks one after another, so the model is loaded once per worker rather than
    once per task. Each worker thread keeps the model of its last task only: a worker kept from
    one screen to the next (a running scheduler, a notebook's cluster) held every model it had
    ever loaded, an MLIP's weights and GPU memory each, until it ran out.
    """
    key = json.dumps(model, sort_keys=True, default=str)
    thread = threading.get_ident()
    with _CALC_LOCK:
        cached = _CALCULATORS.get(thread)
        if cached is not None and cached[0] == key:
            return cached[1]
        # released before the next model loads: both would be held at once
        _CALCULATORS.pop(thread, None)
    del cached
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
        _CALCULATORS[thread] = (key, calc)
    return calc


def _check_model_file(model):
    """Refuse a model file whose bytes are not those the plan was read with.

    A file rewritten between reading the plan and running a task (a fine-tuning run writing
    into the same path) would give tasks of one screen different models under one fingerprint.
    """
    from .plan import model_path

    path = model_path(model)
    if path is None or "sha256" not in model:
        return
    from ..native_build import file_sha256

    try:
        now = file_sha256(path)
    except OSError as err:
        raise RuntimeError(f"model file {path} cannot be read on this worker "
                           f"({err.strerror or err})") from None
    if now != model["sha256"]:
        raise RuntimeError(
            f"model file {path} changed since the plan was read (SHA-256 "
            f"{model['sha256'][:12]}… then, {now[:12]}… now); rerun the screen into another "
            "output folder for the new model"
        )


def _torch_device(device):
    from ..models import resolve_device

    return resolve_device(device)


def _worker_device(device, pin=True):
    """Pin a GPU worker of a local cluster to its own GPU (worker ``i`` → ``cuda:i``).

    ``pin=False`` only names the device (for a task run in its own process: the worker that
    starts it need not hold a CUDA context of its own).
    """
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
        if pin:
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
        ``folder``, ``task`` (id, composition, temperature, replica, seed), ``plan`` (of
        :meth:`~ase_electrolyte.screen.Plan.to_dict`: ``fingerprint``, ``model``, ``n_atoms``,
        ``density``, ``protocol``, ``analyses`` and ``task_timeout_s``), ``threads`` (torch
        threads or None) and optionally ``workers_per_host`` (see :func:`task_threads`).

    Returns
    -------
    dict
        The content of ``result.json``: ``status`` (``"done"``), ``properties`` and ``timing``
        (``worker``, UNIX ``start``/``end``, the seconds spent in ``imports_s``,
        ``build_s``, ``calculator_s``, ``protocol_s`` and ``analyses_s``, and ``cpu_s``, the
        process' CPU seconds over the task), or, for a failure,
        ``status == "failed"`` and ``error``; a task stopped at the plan's ``task_timeout_s``
        also has ``timed_out`` (true) and ``task_timeout_s``, one stopped past its memory
        budget (:func:`memory_budget`) ``memory_budget_bytes``.

    Notes
    -----
    With ``spec["plan"]["task_timeout_s"]`` the task runs in a child process of the calling
    thread (see the module notes); the model is then loaded once per task, not once per worker
    (seconds for an MLIP, against the minutes to hours of its MD).
    """
    limit = spec["plan"].get("task_timeout_s")
    if limit:
        return _run_limited(spec, float(limit))
    folder, done, finished = _folder_and_finished(spec)
    if finished is not None:
        return finished
    start = time.perf_counter()
    cpu = time.process_time()
    timing = {"worker": spec.get("worker") or _worker_name(), "start": time.time()}
    claim = identity = restart = None
    try:
        try:
            claim, waited = _claim(folder)
            identity = _folder_identity(folder)
            if waited:
                timing["waited_s"] = waited
            if done.exists():  # finished by the copy this one waited for
                return _finished(done, spec["task"])
            restart = _open_attempt(folder, timing)
            result = _run(spec, folder, timing)
        except Exception as err:  # a failed task is recorded, the others go on
            timing["end"] = time.time()
            failure = {
                "task": spec["task"]["id"],
                "status": "failed",
                "error": _failure_text(err),
                "traceback": traceback.format_exc(),
                "elapsed_s": time.perf_counter() - start,
                "timing": timing,
            }
            if restart is not None:
                failure["restart"] = restart
            return _record(folder, identity, ERROR_FILE, failure)
        result["restart"] = restart
        result["elapsed_s"] = time.perf_counter() - start
        timing["end"] = time.time()
        # CPU seconds of this process: with the wall time, tells a busy machine from slow code
        timing["cpu_s"] = time.process_time() - cpu
        result["timing"] = timing
        if _folder_gone(folder, identity) is None:
            (folder / ERROR_FILE).unlink(missing_ok=True)
        # last, in the claim: its presence means the task finished
        return _record(folder, identity, RESULT_FILE, result)
    finally:
        if claim is not None:
            claim.release()


def _failure_text(err):
    """The recorded error of a task that raised ``err``: an allocation refused at the hard
    memory limit of its process (see the module notes) is named as that limit."""
    text = f"{type(err).__name__}: {err}"
    hard = _MEMORY.get("hard")
    if hard and _out_of_memory(err):
        return (f"TaskMemoryLimit: an allocation was refused at the task's hard memory limit of "
                f"{_gib(hard)} (the larger of {_MEMORY_BACKSTOP:g} times its budget and "
                f"{_gib(_MEMORY_FLOOR)}; its budget: the {_gib(_MEMORY['budget'])} "
                f"{_MEMORY['why']}); its partial run stays in its folder: give the workers a "
                f"larger memory_limit, or the plan a smaller box or model ({text})")
    return text


def _out_of_memory(err):
    """Whether ``err`` (or what it was raised from) is a refused allocation."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        # numpy and Python raise MemoryError; torch's CPU allocator a RuntimeError
        if isinstance(err, MemoryError) or (
                isinstance(err, RuntimeError) and ("can't allocate memory" in str(err)
                                                   or "bad_alloc" in str(err))):
            return True
        err = err.__cause__ or err.__context__
    return False


def _gib(n):
    return f"{n / 2**30:.2f} GiB"


#: The memory budget of this task process (``budget``, ``hard``: bytes; ``why``: its origin).
_MEMORY = {}


def memory_budget():
    """What the calling dask worker's ``memory_limit`` leaves a task run in its own process.

    dask's limit holds the worker's process to it (its nanny restarts a worker past it), but a
    task run in a child process (the plan's ``task_timeout_s``) is not counted in it.

    Returns
    -------
    tuple or None
        ``(budget, limit, own)`` in bytes: the limit less the worker's own resident memory
        (at least 0), the limit, the worker's resident memory; ``None`` outside a worker or
        for a worker without a limit.

    Examples
    --------
    >>> from ase_electrolyte.screen.task import memory_budget
    >>> memory_budget() is None  # not in a dask worker
    True
    """
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return None
    limit = getattr(getattr(worker, "memory_manager", None), "memory_limit", None)
    if not limit:
        return None
    import psutil

    own = psutil.Process().memory_info().rss
    return max(0, int(limit) - own), int(limit), own


def _timeout_message(limit):
    """The first line of a timed-out task's error (the table groups failures by it)."""
    return (
        f"TaskTimeout: stopped at the plan's task_timeout_s = {limit:g} s; its partial run stays "
        "in its folder and the next run of the screen resumes it (raise task_timeout_s to let "
        "it finish)"
    )


def _folder_and_finished(spec):
    """The task's folder (made if missing), its result file, and the result it holds when the
    task has finished (``None`` when not)."""
    folder = Path(spec["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / RESULT_FILE
    return folder, done, (_finished(done, spec["task"]) if done.exists() else None)


def _run_limited(spec, limit):
    """:func:`run_task` in a child process that is stopped at ``limit`` seconds."""
    import subprocess

    folder, done, finished = _folder_and_finished(spec)
    if finished is not None:
        return finished
    identity = _folder_identity(folder)
    start = time.perf_counter()
    began = time.time()
    deadline = began + limit
    plan = dict(spec["plan"], task_timeout_s=None)
    plan["model"] = dict(plan["model"], device=_worker_device(plan["model"]["device"], pin=False))
    # what only the worker's process knows (its dask worker, its host's other workers)
    child = dict(spec, plan=plan, threads=task_threads(spec), worker=_worker_name(),
                 limit=limit, deadline=deadline, grace=TIMEOUT_GRACE_S, log_max=LOG_MAX_BYTES,
                 memory=memory_budget())
    # the worker's import path: a model module it loaded (an uploaded file, a path entry
    # added at run time) is found by the task's process as well
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    killed = False
    # what earlier attempts left, cut to its tail before this one appends (and the task's
    # process keeps it so while it runs, see _watch)
    _trim_log(folder / LOG_FILE)
    with open(folder / LOG_FILE, "ab") as log:  # noqa: SIM117 - closed and cut in its finally
        log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} task {spec['task']['id']} on "
                  f"{child['worker']}, task_timeout_s = {limit:g}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            # standard output goes to task.log before anything is imported (a banner printed
            # on import would corrupt the outcome); the outcome has its own copy of the pipe
            [sys.executable, "-c", "import os; outcome = os.dup(1); os.dup2(2, 1); "
             "from ase_electrolyte.screen.task import _child_main; _child_main(outcome)"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env,
            start_new_session=True,  # its own process group: PACKMOL and the like go with it
        )
        text = json.dumps(child, default=_json_default).encode()
        try:
            out, _ = proc.communicate(
                text, timeout=max(0.0, deadline + TIMEOUT_GRACE_S + _KILL_SLACK_S - time.time())
            )
        except subprocess.TimeoutExpired:
            # stuck where the timer's exception cannot reach it (native code holding the GIL)
            killed = True
            _kill_group(proc)
            out, _ = proc.communicate()
        except BaseException:
            _kill_group(proc)
            proc.wait()
            raise
        finally:
            log.close()
            _trim_log(folder / LOG_FILE)
    # what follows the last mark: anything printed before the child's redirection (a
    # sitecustomize's banner) comes before it
    _, mark, payload = out.rpartition(_OUTCOME_MARK)
    try:
        outcome = json.loads(payload.decode()) if mark else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        outcome = None
    if isinstance(outcome, dict) and outcome.get("status") in ("done", "failed"):
        outcome["elapsed_s"] = time.perf_counter() - start
        return outcome
    if done.exists():  # finished, then died before it could say so
        result, problem = read_result(done, spec["task"]["id"], spec["task"]["seed"])
        if result is not None:
            return result
    failure = {
        "task": spec["task"]["id"],
        "status": "failed",
        "elapsed_s": time.perf_counter() - start,
        "timing": {"worker": child["worker"], "start": began, "end": time.time()},
    }
    # killed past its deadline: by this thread, or by its own watchdog (which sees the same
    # deadline) when the timer's exception did not stop it
    if killed or (proc.returncode == -signal.SIGKILL and time.time() >= deadline):
        failure.update(
            error=_timeout_message(limit) + f"\nIt did not stop within {TIMEOUT_GRACE_S:g} s "
            "of the limit and its process was killed (stuck in native code, or an exception "
            "handler that swallowed the stop?).",
            timed_out=True, task_timeout_s=limit,
        )
    else:
        code = proc.returncode
        how = f"with exit status {code}"
        if code < 0:
            try:
                how = f"by signal {signal.Signals(-code).name}"
            except ValueError:
                how = f"by signal {-code}"
        failure["error"] = (
            f"TaskProcessDied: the task's process ended {how} without a result (a crash in "
            "native code, or killed by the system: out of memory?); see "
            f"{folder / LOG_FILE}{_log_tail(folder / LOG_FILE)}"
        )
    return _record(folder, identity, ERROR_FILE, failure)


_DROPPED = re.compile(rb"(?m)^\[\.\.\. (\d+) bytes of earlier output dropped: [^\n]*\n")


def _trim_log(path, keep=None, fd=None):
    """Cut ``task.log`` to its last ``keep`` bytes (default :data:`LOG_MAX_BYTES`), from a line
    start, behind a line that says how much was dropped.

    With ``fd`` (the task process' own descriptor of the log, which its children share, opened
    for appending) the file is cut in place while they write to it: a line written at that
    instant may be lost or land before the kept tail. Without it, the file is rewritten
    atomically (a failed write keeps the longer log).
    """
    keep = LOG_MAX_BYTES if keep is None else int(keep)
    try:
        size = os.fstat(fd).st_size if fd is not None else path.stat().st_size
        if size <= keep:
            return
        with open(path, "rb") as f:
            start = f.read(min(size, 1 << 16))
            f.seek(size - keep)
            tail = f.read(keep)
    except OSError:
        return
    cut = tail.find(b"\n")  # a cut line reads as garbage
    tail = tail[cut + 1:] if 0 <= cut < len(tail) - 1 else tail
    # the count of an earlier cut goes on in this one's, which drops its line: the file's
    # first, or the next where lines written at the instant of an in-place cut landed before
    # it (the tail may then still hold it)
    note = _DROPPED.search(start)
    dropped = size - len(tail)
    if note:
        tail = tail.replace(note.group(0), b"", 1)
        dropped += int(note.group(1)) - len(note.group(0))  # its line is no output
    note = (f"[... {dropped} bytes of earlier output dropped: {LOG_FILE} keeps its "
            f"last {keep // 1024} kB]\n").encode()
    try:
        if fd is not None:
            os.ftruncate(fd, 0)
            os.write(fd, note + tail)  # O_APPEND: at the new end
        else:
            with atomic_path(path) as tmp:
                tmp.write_bytes(note + tail)
    except OSError:  # a full disk: the longer log stays (or what of it was written)
        pass


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _log_tail(path, lines=5):
    try:
        tail = path.read_bytes()[-4000:].decode(errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return ""
    return (":\n" + "\n".join(tail)) if tail else ""


#: Why the task's process is being stopped (read by its timer's signal handler).
_STOP = {}


def _expire(signum, frame):
    # a repeat that comes while the stop is on its way out (the trajectory being closed in an
    # ``except`` or ``finally`` block) lets that cleanup finish; only a dropped stop is raised
    # again
    err, seen = sys.exc_info()[1], set()
    while err is not None and id(err) not in seen:
        if isinstance(err, TaskTimeout):
            return
        seen.add(id(err))
        err = err.__context__
    raise TaskTimeout(_STOP.get("why", "task_timeout_s"))


def _disarm():
    """Stop the task's repeating timer; a repeat that lands while it is being stopped is taken."""
    while True:
        try:
            signal.signal(signal.SIGALRM, signal.SIG_IGN)  # a signal still pending is dropped
            signal.setitimer(signal.ITIMER_REAL, 0)
            return
        except TaskTimeout:
            continue


def _run_until_stopped(spec, deadline):
    """``(run_task(spec), None)``, or ``(None, why)`` when its timer stopped it."""
    try:
        try:
            left = deadline - time.time()
            if left <= 0:
                raise TaskTimeout("task_timeout_s")
            signal.setitimer(signal.ITIMER_REAL, left, _RESTOP_S)
            return run_task(spec), None
        finally:
            _disarm()
    except TaskTimeout as err:  # the stop, or a repeat that came while it was handled
        return None, str(err)


def _watch(parent, deadline, grace, log=None, log_max=None, stop=None, memory=None):
    """The task process' watchdog: stop it when its worker is gone or its resident memory is
    past ``memory`` (bytes; see the module notes), kill it past the grace.

    A worker that died (killed by its nanny, its node lost) leaves its task's process behind in
    its own session; it would run on, holding the task folder's claim, while the scheduler's
    rerun of the task waits for that claim. It also keeps ``log`` (the task's ``task.log``, its
    standard error) to its last ``log_max`` bytes, cut when it has grown past twice that.
    """
    stopping = None
    log_max = LOG_MAX_BYTES if log_max is None else int(log_max)
    stop = threading.Event() if stop is None else stop
    if memory is not None:
        import psutil

        process = psutil.Process()
    # ``stop`` is set by the task's main thread before the process exits: a daemon thread
    # frozen by the interpreter's shutdown between the truncation and the rewrite of an
    # in-place cut would leave the log empty
    while not stop.wait(0.5 if memory is None else _MEMORY_CHECK_S):
        now = time.time()
        try:
            grown = log is not None and os.fstat(2).st_size > 2 * log_max
        except OSError:
            grown = False
        if grown:
            _trim_log(log, log_max, fd=2)
        why = None
        if os.getppid() != parent:
            why = "the worker that started this task went away"
        elif memory is not None and (held := process.memory_info().rss) > memory:
            why = (f"TaskMemoryLimit: the task's process held {_gib(held)}, over the "
                   f"{_gib(memory)} {_MEMORY.get('why', 'its budget')}; its partial run stays "
                   "in its folder: give the workers a larger memory_limit, or the plan a "
                   "smaller box or model")
        if stopping is None and why is not None:
            stopping = now
            _STOP["why"] = why
            # in the log too: where the task does not stop and is killed, its worker reports
            # the death with the log's tail
            os.write(2, f"[watchdog] stopping the task: {why}\n".encode())
            # the timer, not one signal: it repeats the stop until the task takes it
            signal.setitimer(signal.ITIMER_REAL, 1e-3, _RESTOP_S)
        if now > deadline + grace or (stopping is not None and now > stopping + grace):
            os.killpg(os.getpgrp(), signal.SIGKILL)


def _child_main(outcome_fd):
    """The task's own process (:func:`_run_limited`): the spec on stdin, the outcome written to
    ``outcome_fd`` (the pipe that was its standard output, which now goes to task.log)."""
    outcome = os.fdopen(outcome_fd, "w")
    spec = json.loads(sys.stdin.read())
    limit, deadline, grace = spec.pop("limit"), spec.pop("deadline"), spec.pop("grace")
    log_max = spec.pop("log_max", None)
    memory = _limit_memory(spec.pop("memory", None), spec["plan"]["model"]["device"])
    signal.signal(signal.SIGALRM, _expire)
    stop = threading.Event()
    watchdog = threading.Thread(target=_watch, args=(os.getppid(), deadline, grace,
                                                     Path(spec["folder"]) / LOG_FILE, log_max,
                                                     stop, memory),
                                daemon=True)
    watchdog.start()
    try:
        result, why = _run_until_stopped(spec, deadline)
        if why is not None:
            result = _stopped(spec, limit, why)
        try:
            outcome.write(_OUTCOME_MARK.decode() + json.dumps(result, default=_json_default))
            outcome.flush()
        except BrokenPipeError:  # its worker is gone; its files say what happened
            pass
    finally:
        stop.set()
        watchdog.join()


def _limit_memory(budget, device):
    """Set up the memory budget of the task's process from :func:`memory_budget`'s answer
    (``None``: no limit); returns the budget in bytes (or None)."""
    if not budget:
        return None
    budget, limit, own = (int(x) for x in budget)
    _MEMORY.update(budget=budget, why=(
        f"its worker's memory_limit of {_gib(limit)} leaves it (less the worker's own "
        f"{_gib(own)})"))
    if _host_only(device):
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_DATA)
        want = max(int(_MEMORY_BACKSTOP * budget), _MEMORY_FLOOR)
        if hard == resource.RLIM_INFINITY or want < hard:
            try:
                resource.setrlimit(resource.RLIMIT_DATA, (want, hard))
                _MEMORY["hard"] = want
            except (ValueError, OSError):  # a system that refuses it: the check still holds
                pass
    return budget


#: Files present where a GPU driver can map device memory into a process (NVIDIA's, and
#: ROCm's, which torch also drives as "cuda").
_GPU_DRIVER_FILES = ("/dev/nvidiactl", "/proc/driver/nvidia/version", "/dev/kfd")


def _host_only(device):
    """Whether a task on the plan's ``device`` runs without a GPU, so that a hard limit on its
    writable data (``RLIMIT_DATA``) bounds host memory and nothing else.

    A CUDA context reserves address space for device memory and the driver's mappings (tens
    of GiB, no host memory): under the limit it fails to start, so ``"cuda"`` and ``"cuda:N"``
    are never limited, and GPU memory is never counted against the worker's host memory.
    ``"auto"`` runs on a GPU where torch sees one and on the CPU otherwise; it was left
    unlimited on a machine without any GPU, where a single allocation too large for the
    machine then went unrefused until the resident-memory check saw it filled. It is limited
    where no GPU driver is present (or ``CUDA_VISIBLE_DEVICES`` hides every GPU), decided
    without importing torch (seconds of a task's start).
    """
    if device == "cpu":
        return True
    if device != "auto":
        return False
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return True
    return not any(os.path.exists(path) for path in _GPU_DRIVER_FILES)


def _stopped(spec, limit, why):
    """The outcome of a task stopped by its timer; its ``error.json`` written."""
    folder = Path(spec["folder"])
    done = folder / RESULT_FILE
    if done.exists():  # the timer went off just after the task finished
        result, _ = read_result(done, spec["task"]["id"], spec["task"]["seed"])
        if result is not None:
            return result
    if why == "task_timeout_s":
        failure = {"error": _timeout_message(limit), "timed_out": True, "task_timeout_s": limit}
    elif why.startswith("TaskMemoryLimit:"):
        failure = {"error": why, "memory_budget_bytes": _MEMORY.get("budget")}
    else:
        failure = {"error": f"TaskStopped: {why}; the next run of the screen resumes it"}
    failure = {"task": spec["task"]["id"], "status": "failed", **failure,
               "timing": {"worker": spec.get("worker"), "end": time.time()}}
    return _record(folder, None, ERROR_FILE, failure)


def _folder_identity(folder):
    """``(device, inode)`` of the task folder: tells it from a folder made again at its path."""
    st = os.stat(folder)
    return st.st_dev, st.st_ino


def _folder_gone(folder, identity):
    """Why the task may no longer write into ``folder`` (``None`` while it is the folder the
    task claimed, ``identity`` of :func:`_folder_identity`; any folder when ``None``)."""
    try:
        now = _folder_identity(folder)
    except FileNotFoundError:
        return "was removed while the task ran"
    if identity is not None and now != identity:
        # the claim's lock file went with the old folder: another copy of the task may be
        # running in the new one, whose files are not this run's
        return "was removed and made again while the task ran"
    return None


def _record(folder, identity, name, outcome):
    """Write ``outcome`` (a result or a failure) as ``folder/name`` and return it; a failure
    naming the removed folder, with nothing written, when the folder is no longer the one the
    task claimed.

    A task folder deleted while its task ran (a user cleaning up, a script) took the run's
    trajectories with it: ``run_task``, which never raises, raised ``FileNotFoundError: cannot
    write error.json`` and the screen reported that instead of why; writing a finished run's
    ``result.json`` into a folder made again at the path would give a result whose files are
    gone (or another copy's folder). Nothing is recorded: the next run of the screen runs the
    task again.
    """
    why = _folder_gone(folder, identity)
    if why is None:
        try:
            write_json(folder / name, outcome)
            _close_attempt(folder, outcome)
            return outcome
        except FileNotFoundError:  # removed between the look and the write
            why = _folder_gone(folder, identity) or "was removed while the task ran"
    ended = ("it had finished, but its trajectories and analyses went with the folder"
             if outcome.get("status") == "done" else f"its run failed: {outcome.get('error')}")
    return {
        "task": outcome.get("task"),
        "status": "failed",
        "error": (f"TaskFolderRemoved: the task folder {folder} {why}, with the files the task "
                  f"had written there ({ended}); nothing was recorded, and the next run of the "
                  "screen runs the task again"),
        "elapsed_s": outcome.get("elapsed_s"),
        "timing": outcome.get("timing"),
    }


#: The task's attempts, oldest first: ``worker``, UNIX ``start`` and ``end``, and ``outcome``
#: (``"done"``, ``"failed: ..."``, :data:`INTERRUPTED` for one stopped with its screen, or
#: :data:`LOST` for one whose process ended unrecorded).
ATTEMPTS_FILE = "attempts.json"
#: The outcome of an attempt stopped with the screen that ran it (its own local cluster
#: closed on Ctrl-C or SIGTERM), followed by which of them.
INTERRUPTED = "interrupted: the screen running it was stopped, and its workers with it"
#: The outcome of an attempt whose process ended without recording one.
LOST = ("lost: its process ended without recording an outcome (its worker died or was killed, "
        "the screen's process was killed, or its machine went down)")


def _read_attempts(folder):
    """The attempts ``folder`` records (``[]``: none, or a file that is not a list of them)."""
    try:
        attempts = json.loads((folder / ATTEMPTS_FILE).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return []
    if not isinstance(attempts, list) or not all(isinstance(a, dict) for a in attempts):
        return []
    return attempts


def _kept_trajectories(folder):
    """What an earlier attempt left of each MD stage: H5MD file name -> ``complete``,
    ``n_frames`` and ``last_step`` (``error`` for a file that does not read)."""
    from ..trajectory import h5md_info

    kept = {}
    # the published files only: a ".name.<pid>-...part.h5md" skeleton held no frame
    for path in sorted(folder.glob("[!.]*.h5md")):
        try:
            info = h5md_info(path)
        except Exception as err:  # noqa: BLE001 - run_protocol says what it does with it
            kept[path.name] = {"error": f"{type(err).__name__}: {err}"}
            continue
        kept[path.name] = {"complete": bool(info["complete"]), "n_frames": int(info["n_frames"]),
                           "last_step": int(info["last_step"] or 0)}
    return kept


def _open_attempt(folder, timing):
    """Record this attempt in the task's ``attempts.json`` (with its claim held) and say how it
    starts.

    A task whose worker was killed (or whose screen was) left a partial run and no outcome:
    the rescheduled or rerun task resumed it, and its ``result.json`` looked like that of an
    uninterrupted run; nothing said that a worker had been lost, nor whether the MD was resumed
    from a frame or run again from its start.

    Returns
    -------
    dict
        ``attempt`` (1 for the first), ``start``: ``"fresh"`` (nothing before), ``"resumed"``
        (an earlier attempt's frames are continued or its finished stages reused; see
        ``trajectories``) or ``"recomputed"`` (earlier attempts left no frame),
        ``earlier_attempts`` (those of :data:`ATTEMPTS_FILE`, the unrecorded ones marked
        :data:`LOST`), ``lost_workers`` (the workers of those) and ``trajectories``
        (:func:`_kept_trajectories` before this attempt ran).
    """
    earlier = _read_attempts(folder)
    for attempt in earlier:
        if attempt.get("outcome") is None:
            attempt["outcome"] = LOST
    kept = _kept_trajectories(folder)
    frames = any(k.get("n_frames") for k in kept.values())
    start = "resumed" if frames else ("recomputed" if earlier else "fresh")
    current = {"worker": timing.get("worker"), "start": timing.get("start"), "outcome": None}
    try:
        write_json(folder / ATTEMPTS_FILE, [*earlier, current])
    except OSError:
        # a log: a folder that cannot be written fails the task where the run writes, with
        # that step's own message (run_protocol names a read-only trajectory and the fix)
        pass
    return {
        "attempt": len(earlier) + 1,
        "start": start,
        "earlier_attempts": earlier,
        "lost_workers": [a.get("worker") for a in earlier if a.get("outcome") == LOST],
        "trajectories": kept,
    }


def _close_attempt(folder, outcome):
    """Write the outcome of the open attempt into ``attempts.json``; a log, so a failure to
    write it is not the task's."""
    attempts = _read_attempts(folder)
    worker = (outcome.get("timing") or {}).get("worker")
    # this worker's: a task stopped at its time limit records its failure after it gave back
    # its claim, when a waiting copy (elsewhere) may have opened an attempt of its own
    mine = [a for a in attempts if a.get("outcome") is None
            and (worker is None or a.get("worker") == worker)]
    if not mine:
        return
    error = (str(outcome.get("error") or "").splitlines() or ["?"])[0]
    done = outcome.get("status") == "done"
    mine[-1].update(end=time.time(), outcome="done" if done else f"failed: {error}")
    try:
        write_json(folder / ATTEMPTS_FILE, attempts)
    except OSError:
        # a log, as where the attempt opened: the task's outcome is in result.json/error.json
        pass


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
    cores = _usable_cpus()
    at_once = per_host.get(host, 1) * max(1, worker.state.nthreads)
    return max(1, (cores or 1) // at_once)


def _run(spec, folder, timing):
    from ..environment import _given_thread_budget

    threads = task_threads(spec)
    # the task's own thread sees the budget (D3's default count), not the worker process:
    # two tasks of one worker with 2 and 3 threads ran D3 on the count set last when it was
    # OMP_NUM_THREADS; torch's count is set in _torch_threads_of_task
    with _given_thread_budget(threads):
        return _run_task(spec, folder, timing, threads)


def _set_torch_threads(threads):
    """torch's intra-op threads of the calling thread (only) are ``threads``; returns the
    count the thread had before.

    torch keeps its count per thread (OpenMP's, and MKL's ``mkl_set_num_threads_local``), but
    sets a thread's count at its first parallel operation from the count set last in any
    thread: ``torch.set_num_threads(2)`` in a fresh thread of a task was replaced at its first
    operation by the 3 another task had set meanwhile. The count is read first
    (``torch.get_num_threads`` makes that first setting), then set.
    """
    torch = sys.modules["torch"]
    before = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    return before


@contextlib.contextmanager
def _torch_threads_of_task(calc, threads, timing):
    """Within the block, torch runs on ``threads`` threads in this task's thread; after it,
    on the count the thread had before.

    Where the model has loaded torch, at once. Where it has not, a model that imports torch
    at its first evaluation would run it on the count of the worker's environment (dask's
    nanny sets ``OMP_NUM_THREADS=1`` and ``MKL_NUM_THREADS=1``; torch on MKL takes the latter
    even where ``OMP_NUM_THREADS`` was raised), so ``calc.calculate`` sets it after the first
    evaluation that finds torch loaded; the calculator is left as it was when the block ends.
    A pure-Python potential never imports torch: importing it costs seconds per worker.
    ``timing["torch_threads"]`` records the count once set.

    The count is given back when the block ends: a task run in the caller's own thread (a
    client of ``processes=False``, :func:`run_task` called directly) left the caller's torch
    on the task's count, and torch's count "set last", which a fresh thread starts from, too.
    """
    attributes = getattr(calc, "__dict__", None)  # None: slots, no attribute of its own
    if not threads:
        yield
        return
    before = []  # this thread's count before the task set it, once set

    def set_count():
        before.append(_set_torch_threads(threads))
        timing["torch_threads"] = threads

    try:
        if "torch" in sys.modules:
            set_count()
            yield
            return
        if attributes is None or "calculate" in attributes:
            yield  # not wrapped (no attributes of its own, or its own calculate): left alone
            return
        own = calc.calculate

        def calculate(*args, **kwargs):
            try:
                return own(*args, **kwargs)
            finally:
                if "torch" in sys.modules and attributes.get("calculate") is calculate:
                    del calc.calculate  # once: the class's own from here on
                    set_count()

        calc.calculate = calculate
        try:
            yield
        finally:
            # the calculator is cached for the worker's next task and handed to the analyses
            if attributes.get("calculate") is calculate:
                del calc.calculate
    finally:
        if before:
            sys.modules["torch"].set_num_threads(before[0])


def _run_task(spec, folder, timing, threads):
    tick = time.perf_counter()
    import ase.io

    from ..build import electrolyte_box
    from ..md import run_protocol

    timing["imports_s"] = time.perf_counter() - tick
    task, plan = spec["task"], spec["plan"]
    comp = task["composition"]
    write_json(folder / TASK_FILE, {"task": task, "fingerprint": plan["fingerprint"]})
    # the model before the box: a model that does not load fails the task before packing
    tick = time.perf_counter()
    _check_model_file(plan["model"])
    calc = make_calculator(plan["model"])
    if threads:
        timing["threads"] = threads
    timing["calculator_s"] = time.perf_counter() - tick
    initial = folder / "initial.extxyz"
    tick = time.perf_counter()
    if initial.exists():
        atoms = ase.io.read(initial)
    else:
        from ..build import PackingShortfallWarning

        with warnings.catch_warnings():
            # the plan has said it once for the whole screen (packing_shortfall, with the
            # n_atoms that holds every composition): each task said it again in its log and
            # on the console
            warnings.simplefilter("ignore", PackingShortfallWarning)
            atoms = electrolyte_box(
                comp["solvent"],
                comp["salt"],
                comp["concentration"],
                units=comp["units"],
                n_atoms=plan["n_atoms"],
                ratio=comp["ratio"],
                density=plan["density"],
                seed=task["seed"],
                # the rotamers' Boltzmann weights at the task's temperature, not the builder's
                # default 298.15 K: a 350 K task packed the conformer populations of 298 K
                temperature_K=task["temperature_K"],
            )
        from ..topology import check_extxyz  # numpy: not at the light package import

        check_extxyz(atoms)
        with atomic_path(initial) as tmp:
            ase.io.write(tmp, atoms, format="extxyz")
    timing["build_s"] = time.perf_counter() - tick
    tick = time.perf_counter()
    # the analyses too: the error decomposition evaluates the model, on the task's count,
    # which the block gives back when it ends
    with _torch_threads_of_task(calc, threads, timing):
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
    from ..estimate import estimates_to_dict, json_number

    density = result.density
    simulation = {
        "composition_counts": atoms.info.get("composition"),
        "cation_molality": atoms.info.get("cation_molality"),
        "n_atoms": len(atoms),
        # run_protocol reports an Estimate (earlier versions a float with separate error/verdict)
        "density": density.to_dict() if hasattr(density, "to_dict") else None,
        # the flat numbers only for a valid density (earlier readers take them as results)
        **result.density_record(),
        "production_ensemble": plan["protocol"]["production_ensemble"],
        # what the Yeh–Hummer correction of the table's D needs of this run: the temperature
        # it ran at (a thermostat's mean is not the set one in a short run) and the shape of
        # its box (the correction holds for a cube only); K, and [a, b, c, α, β, γ] in Å and °
        "temperature": (result.temperature.to_dict()
                        if hasattr(result.temperature, "to_dict") else None),
        "cell": [json_number(x) for x in result.atoms.cell.cellpar()],
        # MD stage -> drift of its integrator's conserved energy, meV/atom/ps with its verdict
        # ("too large": the stage's time step is too long for the model)
        "energy_drift": estimates_to_dict(dict(result.energy_drift)),
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
