"""Two distillations into one folder at once.

A second distill(out=...) while a first was labelling there relabelled every frame (minutes of
committee evaluations), replaced out/relabelled.extxyz with its own frames under the first's
students, and only then met the first's claim on a student folder. The distillation folder is
now claimed for the whole call: the second is refused with ConcurrentWriterError before its
committee labels anything. The processes are ordered by pipe lines, never by time.
"""

import os
import subprocess
import sys

import pytest
from tiny_models import emt_copper

import ase_electrolyte.distill as distill_module
from ase_electrolyte.distill import distill
from ase_electrolyte.writer_lock import ConcurrentWriterError

# A distillation whose labelling waits for a line before it ends the process.
_FIRST = r"""
import sys
import ase_electrolyte.distill as d
from tiny_models import emt_copper

def paused(frames, models, *, labels, device):
    print("@labelling", flush=True)
    sys.stdin.readline()
    raise SystemExit(0)

d.relabel = paused
d.distill(["a.pth", "b.pth"], emt_copper(4), epochs=1, out=sys.argv[1], device="cpu")
"""


def test_a_second_distillation_into_a_folder_in_use_is_refused_before_labelling(
        tmp_path, monkeypatch):
    out = tmp_path / "distill"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")]),
        "PYTHONWARNINGS": "ignore"}
    first = subprocess.Popen([sys.executable, "-c", _FIRST, str(out)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env)
    labelled = []
    monkeypatch.setattr(distill_module, "relabel", lambda *a, **kw: labelled.append(1))
    try:
        assert _wait_for(first, "@labelling")
        with pytest.raises(ConcurrentWriterError, match=r"distillation folder .*distill is "
                                                        r"being written by another process"):
            distill(["a.pth", "b.pth"], emt_copper(5, seed=3), epochs=1, out=out,
                    device="cpu")
        assert labelled == []
        assert out.is_dir()  # the first run's folder: not removed by the refused call
    finally:
        first.stdin.write("go\n")
        first.stdin.close()
        first.wait()
    assert first.returncode == 0
    # the first run has ended: its claim with it, and a folder it left empty is removed
    assert not out.exists()


def test_a_distillation_refused_while_labelling_leaves_no_folder_it_made(tmp_path,
                                                                         monkeypatch):
    def failing(*args, **kwargs):
        raise ValueError("frames: frame 0 has no atoms")

    monkeypatch.setattr(distill_module, "relabel", failing)
    with pytest.raises(ValueError, match="no atoms"):
        distill(["a.pth", "b.pth"], emt_copper(4), epochs=1, out=tmp_path / "d", device="cpu")
    assert not (tmp_path / "d").exists()
    # a folder that was there before is kept
    (tmp_path / "e").mkdir()
    with pytest.raises(ValueError, match="no atoms"):
        distill(["a.pth", "b.pth"], emt_copper(4), epochs=1, out=tmp_path / "e", device="cpu")
    assert (tmp_path / "e").is_dir()


def _wait_for(process, line):
    """Read the process's output up to ``line`` (what a library prints before is passed over);
    False if it ends first."""
    for text in process.stdout:
        if text.strip() == line:
            return True
    return False
