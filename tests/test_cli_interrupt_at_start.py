"""Ctrl-C in the first seconds of a command, while its arguments are read and the library is
imported, is one line with exit status 130, as Ctrl-C during the work is.

Measured before: SIGINT 1.5 s after ``python -m electrolyte_cli analyze ...`` started (inside
``from ase_electrolyte.md import ...`` of ``_main``, before the command's handler) ended in a
traceback through scipy's import and exit status -2.
"""

import pytest

import electrolyte_cli


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize("step", ["check_thread_variables", "argument_paths", "build_parser"])
def test_an_interrupt_before_the_work_is_one_line_and_status_130(monkeypatch, capsys, step):
    monkeypatch.setattr(electrolyte_cli, step, _interrupt)
    status = electrolyte_cli.main(["analyze", "traj.h5md"])
    assert status == 130
    out, err = capsys.readouterr()
    expected = "electrolyte analyze: " if step != "build_parser" else "electrolyte"
    assert err.startswith(expected)
    assert err.splitlines() == [err.rstrip("\n")]  # one line, no traceback
    assert "interrupted before any work; nothing was done" in err
    assert "Traceback" not in err and out == ""


def test_an_interrupt_of_the_import_of_the_library_is_one_line(monkeypatch, capsys):
    """The library's import itself interrupted (where the traceback came from): the SIGTERM
    module, the one the command imports before its handler (ase_electrolyte.md until light23,
    now imported by the commands' own checks, inside the handler)."""
    import builtins

    real_import = builtins.__import__

    def importing(name, *args, **kwargs):
        if name == "ase_electrolyte.termination":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", importing)
    assert electrolyte_cli.main(["demo", "-o", "x"]) == 130
    err = capsys.readouterr().err
    assert err == "electrolyte demo: interrupted before any work; nothing was done\n"


def test_an_interrupt_during_the_work_keeps_its_own_line(monkeypatch, capsys):
    """The command's handler still says what an interrupted run keeps."""
    monkeypatch.setattr(electrolyte_cli.analyze, "run", _interrupt)
    monkeypatch.setattr(electrolyte_cli, "check_plotting", lambda: None)
    assert electrolyte_cli.main(["analyze", "traj.h5md"]) == 130
    err = capsys.readouterr().err
    assert err.startswith("electrolyte analyze: interrupted; ") and "before any work" not in err
