"""Every subcommand refuses a bad argument before importing torch, MDAnalysis, sevenn or
matplotlib: a one-line error in about the interpreter's start-up time.

Measured before (one process per command line, 2 loaded cores): ``demo --n-atoms 5`` imported
torch before its refusal (1.9 s; torch alone takes 2.5-4 s here, ~30 s on a busier machine),
``demo --device gpu`` and ``--dispersion d4`` torch and MDAnalysis (2.9-3.2 s);
``diagnose`` imported MDAnalysis before any check (``--scales 1,x``, ``--max-scan-frames 0``,
a missing trajectory); ``-o`` a folder of other files imported MDAnalysis and pandas in
``simulate``, ``diagnose`` and ``finetune`` (2.2-2.5 s; ``screen -o full`` even failed there, on
an analysis module being edited); ``analyze --device cpu`` without ``--model`` and
``analyze --model nosuch`` imported MDAnalysis; every refusal of ``analyze``, ``diagnose``,
``demo``, ``screen`` and ``finetune`` imported matplotlib; a refusal whose text held ``>=``
(``--equilibration-ps must be ... >= 0``) imported every analysis module to look for Python
keywords in it. After: none of those imported for any of the refusals below.

The refusals run in one process, one after the other, each judged by the modules it added to
``sys.modules``: not a timing assertion.
"""

import json
import os
import subprocess
import sys

import pytest
from cli_inputs import water_frames

#: Imported by a refusal, each costs seconds: none is needed to judge an argument.
HEAVY = ("torch", "MDAnalysis", "sevenn", "matplotlib", "pandas", "dask")

_MODEL = ["--model", "sevennet-0"]
_SIM = ["simulate", "--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration", "1",
        *_MODEL, "-o", "run"]

#: A bad argument of each kind (number, choice, path, combination) of every subcommand, with
#: the words its one line must hold.
CASES = [
    (_SIM + ["--temperature", "-5"], "--temperature must be a finite number > 0"),
    (_SIM + ["--dispersion", "d4"], "--dispersion 'd4'"),
    (_SIM + ["--device", "gpu"], "--device 'gpu'"),
    (_SIM[:-2] + ["-o", "full"], "holding other files"),
    (_SIM + ["--counts", "EC=1"], "give --counts or --solvent/--salt, not both"),
    (_SIM[:7] + ["--model", "nosuch", "-o", "run"], "unknown model 'nosuch'"),
    (["analyze", "w.extxyz", "--dt", "-1"], "--dt -1"),
    (["analyze", "w.extxyz", "--device", "cpu"], "give --model, or leave them out"),
    (["analyze", "w.extxyz", "--model", "nosuch"], "unknown model 'nosuch'"),
    (["analyze", "missing.h5md"], "no such file"),
    (["analyze", "w.extxyz", "--lammps-units", "real"], "--lammps-units applies to a LAMMPS"),
    (["diagnose", "w.extxyz", *_MODEL, "--scales", "1,x"], "--scales must be"),
    (["diagnose", "w.extxyz", *_MODEL, "--max-scan-frames", "0"], "--max-scan-frames must be"),
    (["diagnose", "w.extxyz", *_MODEL, "--device", "gpu"], "--device 'gpu'"),
    (["diagnose", "w.extxyz", *_MODEL, "-o", "full"], "holding other files"),
    (["diagnose", "w.extxyz", *_MODEL, "--reference", "missing.extxyz"], "no such labels file"),
    (["diagnose", "missing.h5md", *_MODEL], "no such file"),
    (["finetune", "w.extxyz", "--epochs", "0"], "--epochs must be"),
    (["finetune", "w.extxyz", "--epochs", "1", "--lr", "nan"], "--lr"),
    (["finetune", "w.extxyz", "--epochs", "1", "-o", "full"], "holding other files"),
    (["finetune", "w.extxyz", "--epochs", "1", "--valid", "w.extxyz"], "the training data"),
    (["finetune", "w.extxyz", "--epochs", "1", "--device", "gpu"], "--device 'gpu'"),
    (["screen", "missing.toml"], "no such file"),
    (["screen", "plan.toml", "--scheduler", "bogus://x"], "--scheduler 'bogus://x'"),
    (["screen", "plan.toml", "-o", "full"], "holding other files"),
    (["select", "w.extxyz", "-n", "0"], "-n must be >= 1"),
    (["select", "w.extxyz", "-n", "2", "-o", "x.txt"], "ending in .extxyz"),
    (["select", "w.extxyz", "-n", "2", "--exclude", "missing.extxyz"], "no such file"),
    (["select", "w.extxyz", "-n", "2", "--device", "gpu"], "--device 'gpu'"),
    (["demo", "--n-atoms", "5", "-o", "d"], "72 atoms or more"),
    (["demo", "--n-atoms", "71", "-o", "d"], "give at least 72"),
    (["demo", "--production-ps", "0", "-o", "d"], "--production-ps must be"),
    (["demo", "--equilibration-ps", "-1", "-o", "d"], "--equilibration-ps must be"),
    (["demo", "--dispersion", "d4", "-o", "d"], "--dispersion 'd4'"),
    (["demo", "--device", "gpu", "-o", "d"], "--device 'gpu'"),
    (["demo", "-o", "full"], "holding other files"),
]

#: Runs each command line of argv (JSON) through ``main`` in this one process and prints, per
#: line, its status, what it wrote to stderr and the heavy modules it imported.
_RUNNER = r"""
import contextlib, io, json, sys
from electrolyte_cli import main

heavy = json.loads(sys.argv[1])
for argv in json.loads(sys.argv[2]):
    before = {m for m in heavy if m in sys.modules}
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(argv)
        except SystemExit as stop:
            status = stop.code
    added = sorted(m for m in heavy if m in sys.modules and m not in before)
    print(json.dumps([status, err.getvalue(), added]))
"""


@pytest.fixture(scope="module")
def refusals(tmp_path_factory):
    """``{argv: (status, stderr, modules imported)}`` of every case, in one process."""
    folder = tmp_path_factory.mktemp("cli21")
    water_frames(folder / "w.extxyz")
    (folder / "plan.toml").write_text("[[composition]]\nsolvent = {EC = 1}\n")
    (folder / "full").mkdir()
    (folder / "full" / "mine.txt").write_text("the user's own file\n")
    # an unusable backend: importing matplotlib would fail, so a refusal that imported it
    # would say MPLBACKEND rather than the argument
    env = {**os.environ, "MPLBACKEND": "no-such-backend"}
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, json.dumps(HEAVY), json.dumps([c[0] for c in CASES])],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(CASES), done.stdout
    # nothing of a refused command is left in its folder (no output folder, no lock)
    assert sorted(p.name for p in folder.iterdir()) == ["full", "plan.toml", "w.extxyz"]
    return {tuple(argv): result for (argv, _), result in zip(CASES, results, strict=True)}


@pytest.mark.parametrize("argv,words", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_a_bad_argument_is_refused_before_any_heavy_import(refusals, argv, words):
    status, err, imported = refusals[tuple(argv)]
    assert status == 2, err
    assert err.startswith(f"electrolyte {argv[0]}: error: ") and words in err, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert imported == [], f"{imported} imported before the refusal: {err}"


def test_the_plotting_commands_check_matplotlib_once_their_arguments_pass(
        tmp_path, monkeypatch, capsys):
    """Moved after the argument checks, the matplotlib check still comes before the work of
    every command of PLOTTING, and a refused command leaves no folder."""
    import electrolyte_cli
    import electrolyte_cli.arguments as A

    def plotting_refused():
        raise ValueError("plotting checked")

    def no_work(*args, **kwargs):
        raise AssertionError("work started before matplotlib was checked")

    monkeypatch.setattr(A, "check_plotting", plotting_refused)
    monkeypatch.setattr(A, "claim_output_folder", no_work)
    monkeypatch.chdir(tmp_path)
    water_frames(tmp_path / "w.extxyz")
    (tmp_path / "plan.toml").write_text("[[composition]]\nsolvent = {EC = 1}\n")
    import ase_electrolyte.screen

    monkeypatch.setattr(ase_electrolyte.screen, "run_screen", no_work)
    valid = {
        "analyze": ["w.extxyz", "-o", "a"],
        "diagnose": ["w.extxyz", *_MODEL, "-o", "g"],
        "demo": ["--device", "cpu", "-o", "d"],
        "screen": ["plan.toml", "-o", "s"],
        "finetune": ["w.extxyz", "--epochs", "1", "-o", "f"],
    }
    assert set(valid) == set(electrolyte_cli.PLOTTING)
    before = sorted(p.name for p in tmp_path.iterdir())
    for command, argv in valid.items():
        assert electrolyte_cli.main([command, *argv]) == 2, command
        err = capsys.readouterr().err
        assert err == f"electrolyte {command}: error: plotting checked\n", err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
