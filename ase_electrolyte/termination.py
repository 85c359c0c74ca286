"""SIGTERM as an exception: :class:`Terminated` and :func:`terminate_as_interrupt`.

The one SIGTERM mechanism of the package (the MD and relaxation loops of
:mod:`ase_electrolyte.md`, which re-exports and documents both names, fine-tuning, distillation,
and the ``electrolyte`` command). Kept apart from :mod:`ase_electrolyte.md` and free of any
import beyond the standard library: the command enters it before it checks its arguments, and
importing :mod:`ase_electrolyte.md` for it cost every refusal of a bad argument the import of
ASE's integrators (``ase.md`` imports ``ase.optimize`` and with it ``scipy.optimize``) and of
h5py for a one-line error: 0.9-1.4 s a refusal on a loaded machine, 0.15-0.4 s without it.
"""

from __future__ import annotations

import atexit
import contextlib
import os

__all__ = ["Terminated", "terminate_as_interrupt"]


class Terminated(KeyboardInterrupt):
    """SIGTERM (a batch scheduler's time limit, ``kill``) received while a run was running.

    A ``KeyboardInterrupt``, so that it unwinds as Ctrl-C does: the trajectory is closed at
    its last complete frame, not marked complete, the writer's claim is given back, and the
    exception's note says what is kept and that the same call resumes. Without it SIGTERM
    ended the process silently. A script that does not catch it ends, once its traceback is
    printed, as SIGTERM ends a process (killed by signal 15; a shell's status 143), which a batch
    scheduler reads as the job its limit ended, not as a crash (status 1); one that catches it
    ends its own way, as does one whose own SIGTERM handler is back in place.

    Examples
    --------
    Caught as Ctrl-C is (a batch script that wants to exit with its own message):

    >>> import signal
    >>> from ase_electrolyte.md import Terminated, terminate_as_interrupt
    >>> issubclass(Terminated, KeyboardInterrupt)
    True
    >>> with terminate_as_interrupt():   # what run_md and run_protocol do around a run
    ...     signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    True
    """

    # its documented home, which re-exports it: a traceback of an uncaught one (and a pickle)
    # names ase_electrolyte.md.Terminated, where users import it from, as before the move
    __module__ = "ase_electrolyte.md"


#: Set by :func:`terminate_as_interrupt`'s handler: the MD loop raises :class:`Terminated` again
#: at its next step when the first one was dropped.
_SIGTERM = {"received": False}


def _raise_if_terminated():
    """Raise :class:`Terminated` again where SIGTERM came and its exception was dropped; an
    observer of the MD and relaxation loops, called before each step."""
    if _SIGTERM["received"]:
        raise Terminated()


def _end_as_terminated():
    """At exit: a :class:`Terminated` that no one caught ends the process as SIGTERM would have.

    A script that runs MD without catching it exited with status 1 after the traceback, which a
    batch scheduler reads as a crash, not as the job its time limit (or ``scancel``) ended; the
    SIGTERM's default action, deferred by :func:`terminate_as_interrupt` until the trajectory was
    closed, is taken now. As CPython itself ends a process by SIGINT after an uncaught
    ``KeyboardInterrupt`` (status 130); it does not for a subclass. Only when the exception
    reached the top (``sys.last_value``, set when its traceback was printed; a caller that
    catches never sets it) of a script, not of an interactive session (the REPL, ``python -i``,
    IPython and Jupyter set it for a statement's error, and go on), and SIGTERM's disposition is
    the default again (a caller's own handler, restored by the block, is left to decide).
    Registered when this module is imported, so that it runs after the exit handlers
    registered since.
    """
    import builtins
    import signal
    import sys

    interactive = (sys.flags.interactive or hasattr(sys, "ps1")
                   or getattr(builtins, "__IPYTHON__", False))
    if (not isinstance(getattr(sys, "last_value", None), Terminated) or interactive
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
            or not hasattr(os, "kill")):
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):  # none, closed, a reader that has gone
            pass
    os.kill(os.getpid(), signal.SIGTERM)


atexit.register(_end_as_terminated)


@contextlib.contextmanager
def terminate_as_interrupt(replace_handler=False):
    """While the block runs, SIGTERM raises :class:`Terminated` where the run is.

    Only in the main thread (the one Python delivers signals to), and by default only where
    SIGTERM still has its default action (ending the process at once): a handler of the
    caller's (a scheduler's client, an outer run) is left alone, and so is a run in another
    thread. A second SIGTERM during the clean-up ends the process as before (the file is
    consistent at its last flushed frame either way). Where the exception was dropped (raised
    in a ``__del__`` or a weakref callback, where Python prints "Exception ignored in" and
    goes on, or swallowed by a model's ``except BaseException``), the MD loop raises it again
    before its next step.

    Parameters
    ----------
    replace_handler : bool
        Take SIGTERM over from any handler while the block runs and give it back afterwards:
        for the owner of the process (the ``electrolyte`` command), not for library code.
    """
    import signal
    import threading

    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread() or (
            previous is not signal.SIG_DFL and not replace_handler):
        yield
        return

    def terminated(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _SIGTERM["received"] = True
        raise Terminated()

    signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        _SIGTERM["received"] = False
        # a handler the block installed itself (a calculator's, a library's) is left in place
        if signal.getsignal(signal.SIGTERM) in (terminated, signal.SIG_DFL):
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
