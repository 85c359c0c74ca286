"""The ``electrolyte`` command: build + simulate, analyse, diagnose, screen, and the model loop.

::

    electrolyte simulate --solvent EC:3,EMC:7 --salt LiPF6 --concentration 1.0 \\
        --model sevennet-0 --dispersion d3-bj --temperature 298 -o run/
    electrolyte analyze run/production.h5md -o run/analysis
    electrolyte diagnose run/production.h5md --model sevennet-0 -o run/diagnose
    electrolyte demo -o demo/
    electrolyte screen plan.toml -o results/
    electrolyte finetune train.extxyz --valid valid.extxyz --epochs 50 -o ft/
    electrolyte select candidates.extxyz -n 20 --model ft/member_0/finetuned.pth -o label_me.extxyz

The command sits above both packages: it drives :mod:`ase_electrolyte` (build, MD, models) and
:mod:`mda_electrolyte` (analyses), which never import it. One module per subcommand, each with a
``register(subparsers)`` and a ``run(args)``, which returns the command's result (exit
status 0) or the exit status it decided as an ``int``; the argument checks they share live in
:mod:`electrolyte_cli.arguments`.

``simulate`` writes ``initial.extxyz`` (the packed box), the H5MD files of every protocol stage
and, once the run has finished, ``simulation.json``; running it again on the same folder resumes
an interrupted run, while a second command into a folder that one is writing stops at once
(before packing or loading anything) with a one-line error naming the folder. ``analyze``
runs every analysis registered in :mod:`mda_electrolyte.report` that the trajectory supports
and writes ``summary.json`` and PNG plots. ``diagnose`` runs the MLIP diagnostics
(rigid-molecule volume scan, intra/inter error decomposition) of a model on the trajectory's
frames, against stored forces or a ``--reference``.
``demo`` is a small LiPF6 in EC:EMC (3:7 by mass) box with SevenNet-0 simulated and analysed,
with an HTML report. ``screen`` runs a plan of compositions × temperatures × replicas on
dask.distributed and writes one table of means ± standard errors (:mod:`ase_electrolyte.screen`).
``finetune`` fine-tunes a SevenNet model through sevenn's trainer
(:func:`ase_electrolyte.finetuning.finetune`); ``select`` thins active-learning candidates by
farthest-point sampling (:func:`ase_electrolyte.active_learning.select_candidates`).

Every argument error is one line on stderr with exit status 2, raised before any model is loaded
or any box is packed.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import signal
import sys
import warnings

from . import analyze, demo, diagnose, finetune, screen, select, simulate
from .arguments import (
    ANALYSIS_COMMANDS,
    Parser,
    argument_paths,
    check_plotting,  # noqa: F401 - re-exported: each command of PLOTTING calls it
    check_thread_variables,
    matplotlib_log_lines,
    one_line,
    python_only,
    python_only_note,
    shown_path,
)

__all__ = ["main", "build_parser"]

_COMMANDS = {
    "simulate": simulate,
    "analyze": analyze,
    "diagnose": diagnose,
    "demo": demo,
    "screen": screen,
    "finetune": finetune,
    "select": select,
}


def build_parser():
    """The argument parser of ``electrolyte``."""
    parser = Parser(
        prog="electrolyte",
        description="Liquid electrolytes with machine-learning potentials: "
        "build, simulate, analyse.",
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in _COMMANDS.values():
        module.register(sub)
    return parser


class _Version(argparse.Action):
    """``--version``: the version of ase_electrolyte, imported only when asked for."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        import ase_electrolyte
        import mda_electrolyte

        print(f"electrolyte {ase_electrolyte.__version__} (ase_electrolyte "
              f"{ase_electrolyte.__version__}, mda_electrolyte {mda_electrolyte.__version__})")
        parser.exit(0)


def main(argv=None):
    """Entry point of the ``electrolyte`` console script; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on a bad argument or a failure reported in one line, 1 on an
        unexpected error (a bug: one line too, the traceback with ``ELECTROLYTE_DEBUG=1``),
        130 when interrupted (Ctrl-C) and 143 when terminated (SIGTERM); both stop at the
        last complete frame, and the same command resumes (those of :data:`RESUMING`; the
        others start over). More Ctrl-C while the first unwinds are absorbed. Run as the
        program, a Ctrl-C while Python exits after the command: one line saying the command
        had finished, and 130 (in the last moments of the exit, or after a command that was
        itself stopped: ignored, the command's own status).
    """
    # the program itself (the ``electrolyte`` script, ``python -m electrolyte_cli``), whose
    # exit follows: Python's exit is guarded against a Ctrl-C (_guard_exit)
    program = argv is None and sys._getframe(1).f_globals.get("__name__") == "__main__"
    status = 1
    try:
        with _printable_streams():
            status = _main(argv)
    except KeyboardInterrupt:
        # Ctrl-C while the arguments were read or the library imported (a second or two
        # before any work) ended in a traceback of the import and exit status -2; the command
        # had done nothing, and says so
        print(f"electrolyte{_command_of(argv)}: interrupted before any work; nothing was "
              "done", file=sys.stderr)
        status = 130
    except SystemExit as done:  # --help, --version and argparse's refusals exit themselves
        status = done.code if isinstance(done.code, int) else int(done.code is not None)
        raise
    finally:
        if program:
            # before the flush: a Ctrl-C in it is one of Python's exit too
            _guard_exit(_command_of(argv), status)
        _flush_stdout()
    return status


def _guard_exit(command, status):
    """A Ctrl-C while Python exits after the command (``status`` its exit status): one line
    and status 130, or none and ``status``; never a traceback nor a silent -2.

    Python's exit after a command took a second or two here (its threads, the ``atexit``
    functions of torch and h5py, then the teardown of the modules). A Ctrl-C in it ended in a
    traceback through torch's ``atexit`` function with status 0, or, once Python had given the
    signal back to the system (the teardown), killed the process without a word: status -2 (130
    in a shell), as if the finished command had been interrupted. Now, until the last ``atexit``
    function of the program, it prints one line saying the command had finished, and exits at
    once with 130; from then on (the teardown: no Python code of ours runs, and nothing is left
    to write) a Ctrl-C is ignored and the command's own status stands.

    Only for ``main`` run as the program (the ``electrolyte`` script, ``python -m
    electrolyte_cli``): a caller's handler is the caller's.
    """
    import os

    _EXITING.append(status)
    if status in (130, 128 + signal.SIGTERM):
        # the command said it was stopped and what it kept: another Ctrl-C adds nothing
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        return
    said = ("interrupted while Python exited, after the command had finished "
            f"(exit status {status}); its files are as the command left them")

    def interrupted(signum, frame):
        with contextlib.suppress(Exception):  # a stream closed or gone: the status says it
            sys.stderr.write(f"electrolyte{command}: {said}\n")
            sys.stderr.flush()
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        os._exit(130)

    signal.signal(signal.SIGINT, interrupted)


#: The status of a ``main`` run as the program, once it returns (:func:`_guard_exit`).
_EXITING = []


def _ignore_late_interrupts():
    """The last ``atexit`` function (registered before the library's, at this module's import,
    so run after theirs): from here Python gives a Python handler's signal back to the system,
    whose Ctrl-C killed the process silently; ignored instead, the command's status stands."""
    if _EXITING:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


atexit.register(_ignore_late_interrupts)


@contextlib.contextmanager
def _interrupt_once():
    """While the command runs, Ctrl-C stops it once: the run unwinds (closing its files at
    their last complete frame) undisturbed by more, and a Ctrl-C that Python dropped is raised
    again.

    A user's second Ctrl-C (or a key held down) raised another KeyboardInterrupt in the first
    one's clean-up: a traceback ("Exception ignored in: ... KeyboardInterrupt"), the line lost
    where the run stopped ("interrupted; run the same command again" instead of which stage and
    what its file keeps), and a clean-up cut short. One that landed in a ``__del__`` or a
    weakref callback was printed as such a traceback and dropped, and the run went on. Now a
    Ctrl-C while a KeyboardInterrupt unwinds is absorbed, and one dropped is raised again
    in the run a moment later, without the traceback. Only in the main thread, and only where
    Ctrl-C has Python's default handler (a caller's own is left alone).
    """
    import _thread
    import threading

    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    active = [True]

    def interrupted(signum, frame):
        if isinstance(sys.exc_info()[1], KeyboardInterrupt):  # Terminated (SIGTERM) too
            return  # the first one unwinds the run: its clean-up is not cut short
        raise KeyboardInterrupt

    def again():
        if active[0]:
            _thread.interrupt_main()  # calls the handler above, in the main thread

    previous_hook = sys.unraisablehook

    def unraisable(info):
        if info.exc_type is KeyboardInterrupt and active[0]:
            # dropped where Python cannot raise it (a __del__, a weakref callback): raised
            # again once the callback has returned
            timer = threading.Timer(0.01, again)
            timer.daemon = True
            timer.start()
            return
        previous_hook(info)

    signal.signal(signal.SIGINT, interrupted)
    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        active[0] = False
        if sys.unraisablehook is unraisable:
            sys.unraisablehook = previous_hook
        if signal.getsignal(signal.SIGINT) is interrupted:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def _command_of(argv):
    """`` CMD`` of the subcommand ``argv`` names first (``""`` for none): for a line said
    before the arguments are parsed."""
    words = sys.argv[1:] if argv is None else argv
    named = next((w for w in words if isinstance(w, str) and w in _COMMANDS), None)
    return f" {named}" if named else ""


@contextlib.contextmanager
def _printable_streams():
    """stdout and stderr write what their encoding cannot hold as escapes, not an error.

    With an ASCII or Latin-1 terminal (``PYTHONIOENCODING=ascii``, a pipe to an old tool)
    ``--help`` ended in a UnicodeEncodeError traceback (its "g/cm³" and "Magdău"), a result
    line with "±" in an internal error after the work, and so did a path of undecodable bytes
    (a surrogate escape) in a UTF-8 terminal. Streams that escape them already
    (``surrogateescape`` of Python's UTF-8 mode) are left as they are; each is restored after.
    """
    changed = []
    for stream in (sys.stdout, sys.stderr):
        errors = getattr(stream, "errors", None)
        if errors in (None, "surrogateescape", "backslashreplace", "replace"):
            continue
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):  # not a text stream we can reconfigure
            continue
        changed.append((stream, errors))
    try:
        yield
    finally:
        for stream, errors in changed:
            with contextlib.suppress(AttributeError, ValueError, OSError):
                stream.reconfigure(errors=errors)


def _flush_stdout():
    """Flush stdout; a reader that has gone (``electrolyte ... | head -1``) ends it quietly.

    Python raised BrokenPipeError at the next print, or printed "Exception ignored ...
    BrokenPipeError" at exit when the lines were still buffered. The rest of the output goes
    to the null device, as it would have gone nowhere.
    """
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    except (AttributeError, ValueError, OSError):  # no stdout, a closed one
        pass


def _silence_stdout():
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, ValueError, OSError):  # stdout without a file descriptor
        pass


def _stdout_is_gone():
    """Whether the reader of stdout has gone (its pipe's read end is closed)."""
    import select

    try:
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poll.poll(0))
    except AttributeError:  # no poll (Windows): a broken pipe here is most likely stdout
        return True
    except (ValueError, OSError):  # stdout without a file descriptor, closed
        return False


def _main(argv):
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except BrokenPipeError:  # --help into a pipe whose reader has gone
        _silence_stdout()
        return 128 + signal.SIGPIPE  # as a shell reports a command ended by SIGPIPE
    # the library's one SIGTERM mechanism (a run inside the command adds what it keeps), from
    # its module of the standard library alone: through ase_electrolyte.md, every refusal of
    # an argument first imported ASE's integrators and with them scipy.optimize (0.5-1.2 s)
    from ase_electrolyte.termination import Terminated, terminate_as_interrupt

    # a path of the command line named in a line is shown quoted when whitespace or a control
    # character in it would be collapsed or break the line (shown_path)
    paths = argument_paths(args)
    try:
        # before any work: a library that cannot read them failed at its import, which came
        # after the box was packed. Said here, outside the handler below, whose advice marking
        # imports the analyses and with them the library that fails
        check_thread_variables()
    except ValueError as err:
        print(f"electrolyte {args.command}: error: {one_line(err, paths)}", file=sys.stderr)
        return 2
    try:
        with _one_line_warnings(args.command, paths), terminate_as_interrupt(
                replace_handler=True), _interrupt_once():
            # each command of PLOTTING checks matplotlib itself, after its arguments: an
            # argument's refusal imported matplotlib first
            with matplotlib_log_lines(args.command, paths):
                outcome = _COMMANDS[args.command].run(args)
    except BrokenPipeError as err:
        if not _stdout_is_gone():  # a pipe of the command's own (a subprocess), not stdout
            print(f"electrolyte {args.command}: error: {one_line(err, paths)}",
                  file=sys.stderr)
            return 2
        # the reader of the output has gone (``| head -1``): stop quietly, as a shell does
        _silence_stdout()
        return 128 + signal.SIGPIPE
    except (ValueError, OSError, RuntimeError, argparse.ArgumentTypeError, Warning) as err:
        # OSError: a file that cannot be written (disk full, size limit) or read. The notes
        # the library adds (which analysis failed, what a stopped run kept) were dropped.
        # Warning: one the user's filter made an error (PYTHONWARNINGS=error) read "internal
        # error ... (a bug)" with status 1, though it is what the user asked for
        notes = "".join(f"; {one_line(note, paths)}" for note in getattr(err, "__notes__", ())
                        if isinstance(note, str))
        text = f"{one_line(err, paths)}{notes}"
        if isinstance(err, Warning):
            text += f" ({type(err).__name__} made an error by {_warnings_as_errors()})"
        if args.command in ANALYSIS_COMMANDS:
            # "use fewer n_blocks": advice the command has no option for, marked as such
            text, marked = python_only(text, ANALYSIS_COMMANDS[args.command])
            if marked:
                text += f"; {python_only_note(args.command)}"
        text += _unexpanded_home_hint(text, paths)
        print(f"electrolyte {args.command}: error: {text}{_full_disk_hint(err, args)}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:  # Terminated (SIGTERM) is one
        terminated = isinstance(err, Terminated)
        again = _again(args.command, err, paths)
        print(f"electrolyte {args.command}: "
              f"{'terminated (SIGTERM)' if terminated else 'interrupted'}"
              f"{' ' if again.startswith('in ') else '; '}{again}", file=sys.stderr)
        return 128 + signal.SIGTERM if terminated else 130
    except Exception as err:  # noqa: BLE001 - the last line of defence, reported as a bug
        if _debug_asked():
            raise
        print(
            f"electrolyte {args.command}: internal error: {type(err).__name__}: "
            f"{one_line(err, paths)} "
            "(a bug; ELECTROLYTE_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1
    return _exit_status(outcome, args.command)


def _warnings_as_errors():
    """What made a warning an error: ``PYTHONWARNINGS=...``, ``python -W ...`` or a filter.

    Said beside the warning's text so that the user sees the run stopped at a warning their
    own setting turned into an error, and which setting to change to let it run on.
    """
    import os

    def asks_error(option):
        return option.split(":", 1)[0].strip() == "error"

    variable = os.environ.get("PYTHONWARNINGS", "")
    if any(asks_error(part) for part in variable.split(",")):
        return f"PYTHONWARNINGS={variable}"
    given = [option for option in sys.warnoptions if asks_error(option)]
    if given:
        return f"python -W {given[0]}"
    return "a warnings filter set to 'error'"


def _debug_asked():
    """Whether ``ELECTROLYTE_DEBUG`` asks for tracebacks: set, and not a word for off.

    Any value did: ``ELECTROLYTE_DEBUG=0`` (or ``false``), meant to turn it off, turned an
    internal error's one line into a traceback.
    """
    from ase_electrolyte.environment import switch_on

    return switch_on("ELECTROLYTE_DEBUG")


def _exit_status(outcome, command):
    """The exit status of a subcommand whose ``run(args)`` returned ``outcome``.

    A subcommand's ``run`` returns its result (a summary, a selection: status 0) or, where it
    decides the status itself, that status as an ``int``: ``main`` returned 0 whatever ``run``
    returned, so a status a command decided never reached the shell. A status outside 0-255
    (the shell reads it modulo 256: 256 as success) or a ``bool`` is a bug of the command,
    said in one line with status 1 rather than passed on.
    """
    import numbers

    if isinstance(outcome, bool) or (isinstance(outcome, numbers.Integral)
                                     and not 0 <= int(outcome) <= 255):
        print(f"electrolyte {command}: internal error: the command returned {outcome!r}, "
              "which is no exit status (an int in 0-255) (a bug)", file=sys.stderr)
        return 1
    if isinstance(outcome, numbers.Integral):
        return int(outcome)
    return 0


#: The subcommands that draw figures: each checks matplotlib once its arguments are checked,
#: before its work (:func:`~electrolyte_cli.arguments.check_plotting`).
PLOTTING = ("analyze", "diagnose", "demo", "screen", "finetune")


#: The subcommands that continue an interrupted run from what it kept (stage files, finished
#: tasks or members); the others start over.
RESUMING = ("simulate", "demo", "screen", "finetune")


def _again(command, err=None, paths=()):
    """What running ``command`` again does after an interruption: resume, or start over.

    "run the same command again to resume" was said of every command; ``analyze``,
    ``diagnose`` and ``select`` keep nothing of an interrupted run and redo all of it. For
    those, what the library's note on ``err`` says of the earlier outputs comes first (an
    interrupted ``analyze`` leaves the earlier summary and figures as they were: "interrupted"
    alone left the user to wonder whether they were lost).
    """
    if command in RESUMING:
        # where it stopped, from the library's notes: "interrupted; run the same command again"
        # left the user to wonder which stage, and whether anything was kept
        where = _where_stopped(err, paths)
        return f"{where}{'; ' * bool(where)}run the same command again to resume"
    kept = "".join(f"{one_line(note, paths).split(': ', 1)[-1]}; "
                   for note in getattr(err, "__notes__", ())
                   if isinstance(note, str) and note.startswith(_KEPT_NOTES))
    return f"{kept}nothing of this run is kept: the same command starts it over"


def _where_stopped(err, paths=()):
    """Where a run of the MD protocol or a fine-tune stopped and what it kept, from the
    library's notes on ``err`` (``"in the equilibration stage: run/equilibration.h5md keeps 11
    frames up to step 20, not marked complete; finished stage files in run: relaxed.h5md"``,
    ``"in member 1 of 2; member(s) 0-0 finished and kept (ft/member_k/finetuned.pth); member 1
    has no model yet: its last complete epoch is 3 of 5, kept in ft/member_1/checkpoint_3.pth,
    from which it continues at epoch 4"``), or ``""``.

    The notes are worded for a Python caller ("a rerun with the same arguments", "the same
    call"): their advice is left out, the command says its own.
    """
    import re

    said = []
    for note in getattr(err, "__notes__", ()):
        if not isinstance(note, str) or ": " not in note:
            continue
        prefix, body = one_line(note, paths).split(": ", 1)
        # finetune's note: which member, its last complete epoch and the checkpoint kept;
        # run_screen's: the tasks finished, failed and left
        if not prefix.startswith(("run_protocol", "finetune", "run_screen")):
            continue
        place = re.match(r"run_protocol's (.+)$", prefix)
        parts = []
        for part in body.split("; "):
            part = re.sub(r"^(interrupted|terminated \(SIGTERM\))(?= |$) ?", "", part)
            if part and not part.startswith(_PYTHON_RERUN):
                parts.append(part)
        if not parts and not place:
            continue
        text = "; ".join(parts)
        if place:
            joint = " " if text.startswith("before ") else ": "
            text = f"in the {place.group(1)}{joint if text else ''}{text}"
        said.append(text)
    return "; ".join(said)


#: How the library's notes advise a Python caller to resume: the command says its own.
_PYTHON_RERUN = ("a rerun with the same arguments", "the same call")


#: Prefixes of the library's notes on an interruption that say what a non-resuming command
#: left of the earlier outputs.
_KEPT_NOTES = ("run_analyses: ", "analyze: ")


def _unexpanded_home_hint(text, paths):
    """What an error about an argument that starts with an unexpanded ``~`` most likely means.

    ``--reference=~/labels.extxyz`` (the shell expands ``~`` only at the start of a word) read
    "no such labels file" while the file was there, in the home folder: the error now says
    which path the shell would have made of it, and whether that exists.
    """
    import os

    hints = {}
    if "the shell did not expand" in text:  # the output check says it already
        return ""
    for path in paths:
        if not isinstance(path, str) or not path.startswith("~") or path not in text:
            continue
        meant = os.path.expanduser(path)
        if meant != path:
            there = "exists" if os.path.exists(meant) else "does not exist either"
            hints[path] = (f"the shell did not expand '~' in {path} (it does not after '=' or "
                           f"in quotes); {meant} {there}")
    return "".join(f" (note: {hint})" for hint in hints.values())


def _full_disk_hint(err, args):
    """What a write that found no room means, for an error that names neither file nor cause.

    A full disk or a file-size limit reached inside a writer (a figure's PNG encoder, HDF5)
    read "error: [Errno 27] File too large" alone: no file, no folder, nothing to do. An
    error that names its file (``atomic_path`` adds the name) gets the cause and the remedy.
    """
    import os

    if not isinstance(err, OSError):
        # an argument's refusal: said without importing the analyses' report module
        return ""
    import errno

    from mda_electrolyte.report import no_room

    cause = no_room(err)
    if err.errno is None or err.strerror != os.strerror(err.errno):
        return ""  # a writer's own message says what happened and what to do
    output = getattr(args, "output", None)
    where = ("" if err.filename is not None else
             f" while writing into {shown_path(output)}" if output else " while writing")
    if cause is None and err.errno == errno.EIO:
        # "[Errno 5] Input/output error: path" alone said neither whose fault nor what next
        return (f" (the disk or file system reported an error{where}; check it (dmesg, a "
                "network mount's connection), then run the same command again)")
    if cause is None:
        return ""
    # "make room" frees no byte of a file-size limit
    remedy = ("raise the limit or write elsewhere" if err.errno == errno.EFBIG
              else "make room")
    return f" ({cause}{where}; {remedy}, then run the same command again)"


@contextlib.contextmanager
def _one_line_warnings(command, paths=()):
    """Warnings as ``electrolyte CMD: warning: message`` lines, without the source line, each
    text once per command.

    Python's filter shows a warning once per place in the code: one density checked by the
    command, the box builder and the packing said "a density of 0.0012 g/cm³ is far from a
    liquid electrolyte's ..." four times over.
    """
    previous = warnings.formatwarning
    previous_show = warnings.showwarning
    shown = set()

    def formatwarning(message, category, filename, lineno, line=None):
        return f"electrolyte {command}: warning: {one_line(message, paths)}\n"

    def showwarning(message, category, filename, lineno, file=None, line=None):
        key = (category, str(message))
        if key not in shown:
            shown.add(key)
            previous_show(message, category, filename, lineno, file, line)

    warnings.formatwarning = formatwarning
    warnings.showwarning = showwarning
    try:
        yield
    finally:
        warnings.formatwarning = previous
        warnings.showwarning = previous_show
