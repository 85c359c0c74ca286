"""A candidate frame whose append fails leaves the candidates collected before readable.

ase.io's appending extxyz writer wrote a frame line by line: under a file-size limit (the
``EFBIG`` of a full quota) the 3rd frame of 108 atoms stopped after 18 atom lines, and ase.io
then refused the whole file ("Frame has 18 atoms, expected 108"): every candidate collected
before was lost with it, and ``electrolyte select`` could not read the file. Now the frame is
written whole or the file is cut back to its earlier length; the error names the file.
"""

import subprocess
import sys
import textwrap

import ase.io
import numpy as np
import pytest

from ase_electrolyte.active_learning import CandidateCollector
from ase_electrolyte.finetuning import read_frames_file

_CHILD = """
import resource, signal, sys
import numpy as np
from ase.build import bulk
from ase_electrolyte.active_learning import CandidateCollector

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
collector = CandidateCollector(sys.argv[1], 0.1, 10.0)
atoms = bulk("Cu", cubic=True).repeat(3)
results = {{"max_forces_std": 0.5, "energy_std": 0.1,
            "forces_std": np.linspace(0.1, 0.5, len(atoms))}}
for k in range({before}):
    atoms.positions[0, 0] = 0.01 * k
    collector(atoms, results)
import os
size = os.path.getsize(sys.argv[1]) if os.path.exists(sys.argv[1]) else 0
resource.setrlimit(resource.RLIMIT_FSIZE, (size + {room}, resource.RLIM_INFINITY))
try:
    collector(atoms, results)
except OSError as err:
    print("ERRNO", err.errno, "|", err, "|", collector.n_candidates)
    sys.exit(3)
print("WRITTEN", collector.n_candidates)
"""


@pytest.mark.parametrize("before, room", [(2, 1500), (2, 10), (1, 7000), (0, 200)])
def test_a_failed_append_keeps_every_earlier_candidate(tmp_path, before, room):
    path = tmp_path / "candidates.extxyz"
    code = _CHILD.format(before=before, room=room)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stdout + done.stderr
    errno, message, count = done.stdout.split("|")
    assert errno.split()[1] == "27" and str(path) in message
    assert int(count) == before
    if before == 0:
        # the first frame failed: no file, rather than an empty one or a partial frame
        assert not path.exists()
        return
    frames = read_frames_file(path, "candidates")
    assert len(frames) == before
    assert [f.info["evaluation"] for f in frames] == list(range(before))
    np.testing.assert_allclose(frames[-1].arrays["forces_std"], np.linspace(0.1, 0.5, 108))


def test_appended_frames_read_back_as_written(tmp_path):
    from ase.build import bulk

    path = tmp_path / "c.extxyz"
    collector = CandidateCollector(path, 0.1, 10.0, source="run.h5md")
    atoms = bulk("Cu", cubic=True).repeat(2)
    spreads = [0.05, 0.2, 0.3, 0.08, 0.4]
    for k, s in enumerate(spreads):
        atoms.positions[1, 2] = 0.02 * k
        collector(atoms, {"max_forces_std": s, "energy_std": 0.01 * k,
                          "forces_std": np.full(len(atoms), s)})
    frames = ase.io.read(path, ":")
    # frames above the selection threshold only, each with its own positions and spread
    assert [f.info["max_forces_std"] for f in frames] == [0.2, 0.3, 0.4]
    assert [f.info["evaluation"] for f in frames] == [1, 2, 4]
    assert [f.positions[1, 2] for f in frames] == pytest.approx([0.02, 0.04, 0.08])
    assert all(f.info["source"] == "run.h5md" for f in frames)
    assert collector.n_candidates == 3
    # the caller's Atoms keep their calculator-free state and info
    assert "max_forces_std" not in atoms.info and atoms.calc is None
