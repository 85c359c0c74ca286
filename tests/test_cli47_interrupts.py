"""Ctrl-C pressed more than once, dropped by Python, or pressed while Python exits.

Measured before (a tiny ``simulate`` with an LJ stand-in, torch and h5py loaded):
- a Ctrl-C while Python exited after the command (its ``atexit`` functions) printed a
  traceback through torch's ``_del_library`` ("Exception ignored in atexit callback") and
  exited 0; one a few tenths of a second later (the modules' teardown) killed the process
  silently: status -2;
- Ctrl-C pressed several times printed "Exception ignored in: <function
  WeakValueDictionary...remove> ... KeyboardInterrupt" and the one line lost where the run
  stopped ("interrupted; run the same command again to resume"): the second KeyboardInterrupt
  cut the first one's clean-up short;
- a Ctrl-C landing in a weakref callback or ``__del__`` was printed as a traceback and dropped:
  the run went on.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import electrolyte_cli

# the console script's own lines (sys.argv[0] "electrolyte", main() from __main__); the command
# is refused at once (exit status 2) or lists the analyses (0)
_PROGRAM = """
import atexit, os, signal, sys, time
sys.argv[0] = "electrolyte"
from electrolyte_cli import main
{when}
sys.exit(main())
"""

# a Ctrl-C in an atexit function registered after the command's (run before them)
_IN_ATEXIT = """
def _late():
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(1000):
        time.sleep(0.001)
atexit.register(_late)
"""

# a Ctrl-C in the teardown of the modules, after Python gave the signals back to the system
_IN_TEARDOWN = """
class _Late:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)
_late = _Late()
"""


def _program(when, *args):
    code = textwrap.dedent(_PROGRAM).format(when=textwrap.dedent(when))
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "args,status",
    [
        (["simulate", "--temperature", "-5", "-o", "x"], 2),
        (["--version"], 0),
    ],
)
def test_a_ctrl_c_in_pythons_exit_functions_is_one_line_and_130(args, status):
    done = _program(_IN_ATEXIT, *args)
    assert done.returncode == 130, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    last = done.stderr.splitlines()[-1]
    assert last == (
        f"electrolyte{' simulate' if args[0] == 'simulate' else ''}: interrupted "
        f"while Python exited, after the command had finished (exit status "
        f"{status}); its files are as the command left them"
    )


@pytest.mark.parametrize(
    "args,status",
    [
        (["simulate", "--temperature", "-5", "-o", "x"], 2),
        (["--version"], 0),
    ],
)
def test_a_ctrl_c_in_the_teardown_leaves_the_commands_status(args, status):
    done = _program(_IN_TEARDOWN, *args)
    assert done.returncode == status, (done.returncode, done.stderr)  # was -2, silently
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_a_caller_of_main_keeps_its_own_ctrl_c():
    """main called from a script with arguments is no program's exit: its handler stays."""
    with pytest.raises(SystemExit):  # argparse's refusal
        electrolyte_cli.main(["simulate", "--temperature", "-5", "-o", "x"])
    assert (
        electrolyte_cli.main(
            [
                "simulate",
                "--counts",
                "EC=2",
                "--model",
                "sevennet-0",
                "--temperature",
                "-5",
                "-o",
                "x",
            ]
        )
        == 2
    )
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _analyze_running(monkeypatch, run):
    monkeypatch.setattr(electrolyte_cli.analyze, "run", run)
    monkeypatch.setattr(electrolyte_cli, "check_plotting", lambda: None)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    return electrolyte_cli.main(["analyze", "traj.h5md"])


def _wait(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.001)


@pytest.mark.parametrize("first,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize("more", [1, 5])
def test_more_ctrl_c_during_the_clean_up_do_not_cut_it_short(
    monkeypatch, capsys, first, status, more
):
    cleaned = []

    def run(args):
        try:
            os.kill(os.getpid(), first)
            _wait(5)
        finally:
            for _ in range(more):  # the user presses again, and again
                os.kill(os.getpid(), signal.SIGINT)
                _wait(0.02)
            cleaned.append(True)  # a file closed at its last frame

    assert _analyze_running(monkeypatch, run) == status
    assert cleaned == [True]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "Exception ignored" not in err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # given back


class _InterruptedCallback:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        _wait(0.01)  # the handler runs in here: Python cannot raise it out of a __del__


class _Plain:
    pass


@pytest.mark.parametrize("dropped", ["__del__", "weakref callback"])
def test_a_ctrl_c_python_dropped_still_stops_the_run(monkeypatch, capsys, dropped):
    import weakref

    went_on = []

    def run(args):
        if dropped == "__del__":
            _InterruptedCallback()
        else:
            holder = _Plain()
            ref = weakref.ref(holder, lambda r: (os.kill(os.getpid(), signal.SIGINT), _wait(0.01)))
            del holder
            assert ref() is None
        _wait(3)
        went_on.append(True)  # the run went on to its end: the Ctrl-C was lost

    start = time.monotonic()
    assert _analyze_running(monkeypatch, run) == 130
    assert not went_on and time.monotonic() - start < 2
    err = capsys.readouterr().err
    assert err.startswith("electrolyte analyze: interrupted; ")
    assert "Traceback" not in err and "Exception ignored" not in err and err.count("\n") == 1
    assert sys.unraisablehook is sys.__unraisablehook__ or sys.unraisablehook.__module__ != (
        "electrolyte_cli"
    )
