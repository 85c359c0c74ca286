"""A mistyped word or number is refused before the command imports what its later checks need.

``simulate --seed -1`` and ``--dispersion d9`` were refused after the protocol's checks had
imported the MD module, ``demo --device gpu7`` after the run files' check had imported the
analyses' report module (MDAnalysis), ``finetune --epochs 0`` and ``select --device gpu7``
after the frames files' check had imported ase.io: seconds each on a loaded machine, before
a refusal that needs none of them. Judged by the modules the refusal adds to ``sys.modules``
in a fresh process, not by time.
"""

import json
import subprocess
import sys

_RUNNER = r"""
import contextlib, io, json, sys
from electrolyte_cli import main

out = []
for argv, watched in json.loads(sys.argv[1]):
    before = {m for m in watched if m in sys.modules}
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    out.append([status, err.getvalue(), sorted(m for m in watched
                                               if m in sys.modules and m not in before)])
print(json.dumps(out))
"""

_SIM = ["simulate", "--solvent", "EC:3,EMC:7", "--model", "sevennet-0", "-o", "run"]

#: (argv, words of its one line, modules it must not import)
CASES = [
    (_SIM + ["--seed", "-1"], "--seed must be", ["ase_electrolyte.md"]),
    (_SIM + ["--dispersion", "d9"], "--dispersion 'd9'", ["ase_electrolyte.md"]),
    (["demo", "--device", "gpu7", "-o", "d"], "--device 'gpu7'",
     ["MDAnalysis", "mda_electrolyte.report"]),
    (["demo", "--dispersion", "d9", "-o", "d"], "--dispersion 'd9'",
     ["MDAnalysis", "mda_electrolyte.report"]),
    (["finetune", "lab.extxyz", "--epochs", "0", "-o", "ft"], "--epochs", ["ase.io"]),
    (["finetune", "lab.extxyz", "--epochs", "1", "--lr", "nan", "-o", "ft"], "--lr",
     ["ase.io"]),
    (["select", "lab.extxyz", "-n", "2", "--device", "gpu7"], "--device 'gpu7'", ["ase.io"]),
]


def test_refusals_import_nothing_their_check_does_not_need(tmp_path):
    (tmp_path / "lab.extxyz").write_text("2\nProperties=species:S:1:pos:R:3\nH 0 0 0\nH 0 0 1\n")
    cases = [[argv, watched] for argv, _, watched in CASES]
    done = subprocess.run([sys.executable, "-c", _RUNNER, json.dumps(cases)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for (argv, words, _), (status, err, imported) in zip(CASES, results, strict=True):
        assert status == 2 and err.count("\n") == 1 and words in err, (argv, err)
        assert imported == [], (argv, imported)
    assert not any(tmp_path.joinpath(name).exists() for name in ("run", "d", "ft"))
