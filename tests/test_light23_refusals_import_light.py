"""A refused argument of ``electrolyte`` imports none of ASE's integrators, and SIGTERM has one
mechanism, in a module of the standard library alone.

Before: the command imported ``Terminated`` and ``terminate_as_interrupt`` from
:mod:`ase_electrolyte.md` before it read any argument, and that module imported ``ase.md`` (whose
package imports ``ase.optimize`` and with it ``scipy.optimize``) and h5py at its top; every
refusal of every subcommand paid it. Medians of five ``python -m electrolyte_cli`` processes on a
shared, loaded machine, before -> after: ``screen missing.toml`` 1.21 -> 0.15 s, ``analyze
missing.h5md`` 1.03 -> 0.30 s, ``select -n 0`` 1.08 -> 0.37 s, ``demo --production-ps 0`` 0.92
-> 0.36 s, ``simulate --temperature -5`` 1.27 -> 0.75 s (it checks through
:func:`ase_electrolyte.md.check_protocol_arguments`, whose module still imports numpy, scipy's
constants and h5py).

Judged by the modules a refusal adds to ``sys.modules``, not by time.
"""

import json
import os
import pickle
import signal
import subprocess
import sys

import pytest

import ase_electrolyte.md as md
import ase_electrolyte.termination as termination

#: ASE's integrators and what they import: none is needed to judge an argument.
INTEGRATORS = ("ase.md", "ase.optimize", "scipy.optimize")

_SIM = ["simulate", "--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration", "1",
        "--model", "sevennet-0", "-o", "run"]

#: (argv, words of its one line, whether it may import ase_electrolyte.md for its checks)
CASES = [
    (_SIM + ["--temperature", "-5"], "--temperature must be", True),
    (_SIM + ["--pressure", "1e9"], "--pressure", True),
    # protocol_steps, through the mean-volume check of an NVT production
    (_SIM + ["--ensemble", "nvt", "--preequilibration-ps", "0", "--equilibration-ps", "0.001"],
     "--equilibration-ps", True),
    # ONE_ATM_BAR's default, then a pressure no stage holds
    (_SIM + ["--ensemble", "nvt", "--preequilibration-ps", "0", "--equilibration-ps", "0",
             "--pressure", "5"], "no NPT stage runs", True),
    (["demo", "--production-ps", "0", "-o", "d"], "--production-ps must be", True),
    (["analyze", "missing.h5md"], "no such file", False),
    (["diagnose", "missing.h5md", "--model", "sevennet-0"], "no such file", False),
    (["screen", "missing.toml"], "no such file", False),
    (["select", "missing.extxyz", "-n", "0"], "-n must be >= 1", False),
]

_RUNNER = r"""
import contextlib, io, json, sys
from electrolyte_cli import main

watched = json.loads(sys.argv[1])
for argv in json.loads(sys.argv[2]):
    before = {m for m in watched if m in sys.modules}
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    added = sorted(m for m in watched if m in sys.modules and m not in before)
    print(json.dumps([status, err.getvalue(), added]))
"""


def _fresh(code, *args, cwd=None):
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def refusals(tmp_path_factory):
    folder = tmp_path_factory.mktemp("light23")
    watched = [*INTEGRATORS, "ase_electrolyte.md"]
    out = _fresh(_RUNNER, json.dumps(watched), json.dumps([c[0] for c in CASES]), cwd=folder)
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == len(CASES), out
    assert not any(folder.iterdir())  # a refusal leaves nothing behind
    return results


@pytest.mark.parametrize("case", range(len(CASES)), ids=[" ".join(c[0][:1] + c[0][-2:])
                                                        for c in CASES])
def test_a_refusal_imports_no_integrator(refusals, case):
    _argv, words, may_import_md = CASES[case]
    status, err, added = refusals[case]
    assert status == 2 and words in err and len(err.strip().splitlines()) == 1, err
    assert not set(INTEGRATORS) & set(added), added
    if not may_import_md:
        assert "ase_electrolyte.md" not in added


def test_md_imports_its_integrators_only_when_it_runs():
    out = _fresh("import json, sys\nimport ase_electrolyte.md\n"
                 f"print(json.dumps([m for m in {list(INTEGRATORS)!r} if m in sys.modules]))")
    assert json.loads(out) == []


def test_the_termination_module_needs_nothing_beyond_the_standard_library():
    out = _fresh("import json, sys\nbefore = set(sys.modules)\n"
                 "import ase_electrolyte.termination\n"
                 "print(json.dumps(sorted(set(sys.modules) - before)))")
    added = json.loads(out)
    assert {m.split(".")[0] for m in added} <= {"ase_electrolyte", *sys.stdlib_module_names}, added


def test_md_uses_the_one_mechanism_it_reexports():
    for name in ("Terminated", "terminate_as_interrupt", "_raise_if_terminated"):
        assert getattr(md, name) is getattr(termination, name)
    # the MD loops' observer reads the flag the handler of either name sets
    with md.terminate_as_interrupt(), pytest.raises(termination.Terminated):
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    termination._SIGTERM["received"] = True
    try:
        with pytest.raises(md.Terminated):
            md._raise_if_terminated()
    finally:
        termination._SIGTERM["received"] = False


def test_terminated_keeps_its_documented_name():
    """A traceback, a repr and a pickle (a worker's exception sent back) name it where users
    import it from."""
    assert f"{md.Terminated.__module__}.{md.Terminated.__qualname__}" == (
        "ase_electrolyte.md.Terminated")
    again = pickle.loads(pickle.dumps(md.Terminated("stopped")))
    assert type(again) is md.Terminated and again.args == ("stopped",)
