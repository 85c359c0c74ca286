"""``electrolyte screen``: a plan of compositions × temperatures × replicas on dask.distributed."""

from __future__ import annotations

import contextlib
import logging


def register(sub):
    """Add the subcommand's parser to ``sub``."""
    scr = sub.add_parser(
        "screen",
        help="run a plan of compositions × temperatures × replicas on dask.distributed",
        description="Run every (composition, temperature, replica) of a plan with the MD "
        "protocol of Ju et al. (2025) on dask.distributed and write one table of means ± "
        "standard errors over the replicas, each with its verdict. Rerunning a plan into its "
        "folder runs only the unfinished tasks. A composition that the plan's n_atoms cannot "
        "pack within 5 % (whole molecules) is named in a warning before anything runs, with "
        "the n_atoms that would.",
    )
    scr.add_argument("plan", help="plan file (.toml or .yaml), see ase_electrolyte.screen")
    scr.add_argument("-o", "--output", default="screen_results", help="output folder")
    scr.add_argument(
        "--scheduler",
        default=None,
        help="address of a running dask scheduler, e.g. tcp://HOST:8786 (default: a local "
        "cluster, one worker per GPU or per few cores)",
    )
    scr.add_argument("--workers", type=int, default=None, help="workers of the local cluster")
    scr.add_argument(
        "--experimental", default=None, help="CSV of measured values for parity plots and errors"
    )
    scr.add_argument("--no-plots", action="store_true", help="write the tables only")
    scr.add_argument("-q", "--quiet", action="store_true", help="no progress lines")


#: Address schemes of dask.distributed's communication layers.
_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")


def _check_screen(args):
    """Workers, scheduler address, plan and output names, before the plan is read."""
    import re

    from . import arguments as A

    address = re.fullmatch(r"(?:([A-Za-z]+)://)?(\S+)", args.scheduler or "")
    if args.scheduler is not None and (
        address is None or (address.group(1) or "tcp").lower() not in _SCHEMES
    ):
        # "" or a typo reached dask only after the output folder and its plan.json were written
        raise ValueError(f"--scheduler {args.scheduler!r}: give the address of a running dask "
                         "scheduler, e.g. tcp://HOST:8786")
    A.check_input_file(args.plan, flag="the plan")
    A.check_output(args.output, "screen")
    if args.experimental is not None:
        # a folder or a missing table was found only once the plan had been read and written
        A.check_input_file(args.experimental, flag="--experimental")
    # last: the screening package it comes from imports scipy.stats with its tables
    from ase_electrolyte.screen.engine import check_workers

    # the workers of a running scheduler are its own: the number was ignored without a word
    check_workers(args.workers, args.scheduler is not None, name="--workers")


def run(args):
    from . import arguments as A

    _check_screen(args)
    A.check_plotting()
    from ase_electrolyte.screen import run_screen
    from mda_electrolyte.plotting import user_text_literally

    # the plan's labels are drawn in its figures as typed, a "$" in one included
    with user_text_literally(), _quiet_interrupted_sync():
        result = run_screen(
            args.plan,
            args.output,
            scheduler=args.scheduler,
            n_workers=args.workers,
            experimental=args.experimental,
            progress=not args.quiet,
            plots=not args.no_plots,
        )
    _check_no_failures(result)
    return result


class _SyncCancelFilter(logging.Filter):
    """Drops the one error that a Ctrl-C inside a dask client call makes distributed log.

    ``distributed.utils.sync`` (distributed 2026.8.0) answers a KeyboardInterrupt by
    scheduling its ``cancel`` callback on the event loop, which reads ``future`` before the
    coroutine has set it: tornado then logs ``Exception in callback
    functools.partial(<function sync.<locals>.cancel ...>)`` with ``NameError: cannot access
    free variable 'future'`` and its traceback on ``tornado.application``, over the command's
    one "interrupted" line. Only that record is dropped (a NameError naming ``future``, from
    the callback ``sync.<locals>.cancel``); every other record passes.
    """

    def filter(self, record):
        exc = record.exc_info[1] if isinstance(record.exc_info, tuple) else None
        if not isinstance(exc, NameError) or "'future'" not in str(exc):
            return True
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is not this one
            return True
        return "sync.<locals>.cancel" not in text


#: The logger tornado reports exceptions of event-loop callbacks on.
_LOOP_LOGGER = "tornado.application"
_SYNC_CANCEL_FILTER = _SyncCancelFilter()


@contextlib.contextmanager
def _quiet_interrupted_sync():
    """:class:`_SyncCancelFilter` on tornado's callback logger while the screen runs.

    After an interrupt it stays there: the event-loop thread logs the error when it runs the
    callback, which may be after the interrupt has left the call (the command is then
    printing its "interrupted" line and exiting). Otherwise it is removed.
    """
    logger = logging.getLogger(_LOOP_LOGGER)
    logger.addFilter(_SYNC_CANCEL_FILTER)
    try:
        yield
    except KeyboardInterrupt:  # Terminated (SIGTERM) is one
        raise
    except BaseException:
        logger.removeFilter(_SYNC_CANCEL_FILTER)
        raise
    logger.removeFilter(_SYNC_CANCEL_FILTER)


def _check_no_failures(result):
    """RuntimeError (the command's exit status 2) when a task of ``result`` failed.

    A screen every task of which failed (a model that does not load on the workers) exited
    0 like a finished one: a batch job's next step went on to a table of failure verdicts.
    """
    failures = getattr(result, "failures", None) or {}
    if not failures:
        return
    first, error = next(iter(failures.items()))
    more = f"; {len(failures) - 1} more in failures.csv" if len(failures) > 1 else ""
    raise RuntimeError(
        f"{len(failures)} of the {result.n_tasks} tasks failed (first {first}: {error}{more}); "
        f"the finished tasks and the table {result.outdir / 'summary.csv'} are kept, their "
        "rows say which replicas failed; run the same command again to retry the failed tasks"
    )


