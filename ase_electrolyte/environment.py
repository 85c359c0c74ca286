"""The environment variables the packages read, read one way.

Two mechanisms live here because each had copies that disagreed:

* :func:`switch_on`, for the on/off variables (``ELECTROLYTE_DEBUG``,
  ``MDA_ELECTROLYTE_NO_KERNEL``, ``ASE_ELECTROLYTE_D3_CUDA_HOST``): one took any value as on, so
  ``MDA_ELECTROLYTE_NO_KERNEL=0``, written to keep the compiled kernel, turned it off, and
  ``ELECTROLYTE_DEBUG=0`` turned tracebacks on;
* :func:`check_thread_variables`, for the thread counts the numerical libraries read at import
  (numexpr, imported with pandas by the model backends and the solvation analysis), checked
  before the work that comes before that import.

``_thread_budget`` is the default thread count of the package's own compiled kernels (D3's
``num_threads=None``): the count a screen task was given (seen by the task's own thread
alone), else the count torch and OpenMP are given, so that one setting governs them.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import re
import sys

__all__ = ["OFF_WORDS", "switch_on", "check_thread_variables"]

#: Values that leave an on/off variable off, compared after stripping and lower-casing; an
#: unset variable is off too.
OFF_WORDS = ("", "0", "false", "no", "off")


def switch_on(name, environ=None):
    """Whether the on/off environment variable ``name`` is on.

    Unset, empty, or one of :data:`OFF_WORDS` (any case, surrounding spaces ignored) is off;
    any other value is on.

    Parameters
    ----------
    name : str
        The variable's name.
    environ : mapping, optional
        The environment (default: ``os.environ``).

    Returns
    -------
    bool

    Examples
    --------
    >>> from ase_electrolyte.environment import switch_on
    >>> switch_on("X", {"X": "Off"}), switch_on("X", {"X": "1"}), switch_on("X", {})
    (False, True, False)
    """
    environ = os.environ if environ is None else environ
    return environ.get(name, "").strip().lower() not in OFF_WORDS


def check_thread_variables(environ=None):
    """The thread counts the environment sets are ones the libraries read, or a ``ValueError``
    naming the variable and the cure, before any work.

    numexpr, imported with pandas by SevenNet's model loading and by the solvation analysis,
    reads ``NUMEXPR_NUM_THREADS`` or else ``OMP_NUM_THREADS`` with ``int()``: a value it cannot
    read (``abc``, or OpenMP's nested-levels list ``4,2``, valid for OpenMP) made
    ``simulate`` pack its box and then fail at the model's load with "Calculator: invalid
    literal for int() with base 10: '4,2'", and ``analyze`` fail with that line alone, naming
    neither the variable nor the cure. A count below 1 (``0``, ``-1``) is ignored by OpenMP
    and numexpr alike with a stray "Invalid value" line in the output. An empty value is unset
    for both, as they read it.

    Parameters
    ----------
    environ : mapping, optional
        The environment (default: ``os.environ``).

    Raises
    ------
    ValueError
        A variable's value that is no thread count, naming it, its value and what to set.
    """
    environ = os.environ if environ is None else environ
    numexpr = environ.get("NUMEXPR_NUM_THREADS", "")
    omp = environ.get("OMP_NUM_THREADS", "")
    cure = "give a whole number >= 1 (e.g. {name}=4), or unset it"
    if numexpr != "" and not _whole_count(numexpr):
        raise ValueError(f"the environment's NUMEXPR_NUM_THREADS={numexpr!r} is no thread "
                         f"count; {cure.format(name='NUMEXPR_NUM_THREADS')}")
    if omp == "":
        return
    if _omp_levels(omp) is None:
        raise ValueError(f"the environment's OMP_NUM_THREADS={omp!r} is no thread count "
                         f"(OpenMP ignores it); {cure.format(name='OMP_NUM_THREADS')}")
    if numexpr == "" and not _whole_count(omp):
        # OpenMP's threads per nesting level, which numexpr reads as one number
        first = omp.split(",")[0].strip()
        raise ValueError(f"the environment's OMP_NUM_THREADS={omp!r} (threads per OpenMP "
                         "nesting level) is read as one number by numexpr, which pandas "
                         "imports (for the models and the analyses); set "
                         f"NUMEXPR_NUM_THREADS={first} beside it, or give one number "
                         f"(OMP_NUM_THREADS={first})")


def _omp_levels(text):
    """OpenMP's threads per nesting level of an ``OMP_NUM_THREADS`` value (``"4,2"``: ``(4,
    2)``), or ``None`` for a value OpenMP ignores (empty, ``abc``, a count below 1, a sign).

    The one reading of the variable: :func:`check_thread_variables` refuses what this refuses,
    and :func:`_thread_budget` takes the first level of what it reads. ASCII digits only, as
    OpenMP's ``strtoul`` reads them (``re``'s ``\\d`` matched ``"٤"``, which ``int()`` reads as 4).
    """
    if re.fullmatch(r"\s*[0-9]+\s*(,\s*[0-9]+\s*)*", text) is None:
        return None
    levels = tuple(int(n) for n in text.split(","))
    return levels if min(levels) >= 1 else None


def _whole_count(text):
    """Whether ``int(text)`` reads ``text`` as a count >= 1 (as numexpr reads it)."""
    try:
        return int(text) >= 1
    except ValueError:
        return False


#: Where the CPU quota of this process' control group is read (:func:`_cgroup_cpus`).
_CGROUP_ROOT = "/sys/fs/cgroup"
_PROC_CGROUP = "/proc/self/cgroup"


def _usable_cpus():
    """The CPUs this process may use: its affinity mask where the platform has one, at most
    its control group's CPU quota (:func:`_cgroup_cpus`).

    A container limited to 2 CPUs (``docker --cpus 2``, a Kubernetes limit, a Slurm job's
    cgroup) on a 64-core host has all 64 in its affinity mask: the screen's local cluster
    was sized for 64 cores (16 workers of 4 threads) and D3's default ran 64 threads, where
    dask's own count (``dask.system.cpu_count``) reads the quota.
    """
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:
        count = os.cpu_count() or 1
    quota = _cgroup_cpus()
    return max(1, min(count, quota)) if quota else count


def _cgroup_cpus():
    """CPUs of this process' control-group quota, rounded up (``None``: no quota, or none
    readable).

    cgroup v2: ``cpu.max`` (``"200000 100000"``: 2 CPUs; ``"max 100000"``: none) of the group
    ``/proc/self/cgroup`` names, else of the root; cgroup v1: ``cpu.cfs_quota_us`` over
    ``cpu.cfs_period_us`` (a quota of -1: none) of the ``cpu`` controller's folder. Read once
    per process (D3 asks at every evaluation; the files cost 0.1-0.3 ms a reading).
    """
    return _read_cgroup_cpus(_CGROUP_ROOT, _PROC_CGROUP)


@functools.lru_cache(maxsize=4)
def _read_cgroup_cpus(root, proc):
    def read(path):
        try:
            with open(path) as f:
                return f.read()
        except (OSError, UnicodeDecodeError):
            return None

    def cpus(quota, period):
        try:
            quota, period = int(quota), int(period)
        except ValueError:  # "max": no limit
            return None
        return -(-quota // period) if quota > 0 and period > 0 else None

    group = "/"
    for line in (read(proc) or "").splitlines():
        if line.startswith("0::"):  # the unified (v2) hierarchy
            group = line[3:] or "/"
    for folder in (f"{root}{group.rstrip('/')}", root):
        fields = (read(f"{folder}/cpu.max") or "").split()
        if len(fields) == 2:
            return cpus(*fields)
    for name in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        quota = (read(f"{root}/{name}/cpu.cfs_quota_us") or "").split()
        period = (read(f"{root}/{name}/cpu.cfs_period_us") or "").split()
        if quota and period:
            return cpus(quota[0], period[0])
    return None


#: The thread budget given to the code of this context (:func:`_given_thread_budget`): a thread
#: started by dask, or by a screen task, has its own context, so that two tasks of one worker
#: process each keep theirs; ``None``: none given.
_GIVEN_BUDGET = contextvars.ContextVar("ase_electrolyte_thread_budget", default=None)


@contextlib.contextmanager
def _given_thread_budget(threads):
    """Within the block, ``threads`` is :func:`_thread_budget` in this thread (this context).

    A screen task's budget was ``OMP_NUM_THREADS``, set in the worker's environment: two tasks
    of one worker process with 2 and 3 threads each ran D3 on 3 (the one set last). A context
    variable is seen by the thread that set it alone. Torch keeps its own count, which a task
    sets in its own thread (``ase_electrolyte.screen.task._set_torch_threads``), since torch
    reads neither this budget nor ``OMP_NUM_THREADS`` once it has started.

    Parameters
    ----------
    threads : int or None
        Threads, a whole number >= 1; ``None`` gives no budget (the block sees the enclosing
        one).

    Raises
    ------
    ValueError
        ``threads`` that is no whole number >= 1 (a flag, ``1.5``, ``0``, text).
    """
    if threads is None:
        yield
        return
    from .atoms_checks import check_number

    threads = int(check_number("threads (the thread budget)", threads, integer=True,
                               minimum=1))
    token = _GIVEN_BUDGET.set(threads)
    try:
        yield
    finally:
        _GIVEN_BUDGET.reset(token)


def _thread_budget(environ=None):
    """Default CPU threads of a compiled kernel of this process: the budget the user or the
    worker gave torch and OpenMP, so that one setting governs a model and the terms summed
    with it.

    The budget given to this thread by :func:`_given_thread_budget` (a screen task's) first;
    else torch's intra-op threads when torch is loaded (``torch.get_num_threads()``: it reads
    ``OMP_NUM_THREADS`` at import and follows ``torch.set_num_threads``, which the screen
    tasks and the forked analysis workers set); else ``OMP_NUM_THREADS`` (its first nesting
    level; a value OpenMP ignores is ignored); else every usable CPU. Never more than the
    usable CPUs, never fewer than one. torch is not imported here: that costs seconds, and a
    process that has not loaded it runs no torch threads to share the CPUs with.

    Parameters
    ----------
    environ : mapping, optional
        The environment (default: ``os.environ``).

    Returns
    -------
    int
    """
    environ = os.environ if environ is None else environ
    cpus = _usable_cpus()
    budget = _GIVEN_BUDGET.get()
    # a torch still being imported (another thread) has no get_num_threads yet
    threads = getattr(sys.modules.get("torch"), "get_num_threads", None)
    if budget is None and threads is not None:
        budget = threads()
    elif budget is None:
        levels = _omp_levels(environ.get("OMP_NUM_THREADS", ""))
        budget = cpus if levels is None else levels[0]
    return max(1, min(int(budget), cpus))
