"""Two fine-tunes into one folder at once.

Nothing stopped a second finetune(out=...) while a first was training there: the second deleted
the first's finished model and record when its settings differed, trained into the same member
folders (sevenn's epoch checkpoints and learning curve of both interleaved) and resumed from
the other's checkpoints. The folder is now claimed (WriterLock, as run folders and
trajectories are) for the whole fine-tune: the second is refused with ConcurrentWriterError
before it trains or removes anything; after the first ends, the same call runs.

The two processes are ordered by pipe lines (the first says when it trains and waits for a
line), never by time.
"""

import os
import subprocess
import sys

import pytest
from tiny_models import TINY, emt_copper

pytest.importorskip("sevenn")

from ase_electrolyte.finetuning import finetune  # noqa: E402
from ase_electrolyte.writer_lock import ConcurrentWriterError  # noqa: E402

# A fine-tune whose training of member 0 stops at its start until told to go on (then trains
# a stand-in model file), run in another process.
_FIRST = r"""
import sys
from pathlib import Path
import ase_electrolyte.finetuning as ft
from tiny_models import TINY, emt_copper

def paused(work, *args, **kwargs):
    (work / "epoch_marker").write_text("the first run's")
    print("@training", flush=True)
    sys.stdin.readline()
    raise SystemExit(0)

ft._train_one = paused
ft.finetune(TINY, emt_copper(6), epochs=2, lr=0.01, batch_size=3, out=sys.argv[1],
            device="cpu", plot=False)
"""


def test_a_second_fine_tune_into_a_folder_in_use_is_refused_before_it_changes_anything(
        tmp_path):
    out = tmp_path / "ft"
    # an earlier, finished model of other settings: the first run replaces it, but a second
    # run started meanwhile must not touch what the first is doing
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")]),
        "PYTHONWARNINGS": "ignore"}
    first = subprocess.Popen([sys.executable, "-c", _FIRST, str(out)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert _wait_for(first, "@training")
        marker = out / "member_0" / "epoch_marker"
        before = sorted(p.relative_to(out) for p in out.rglob("*"))
        with pytest.raises(ConcurrentWriterError, match=r"fine-tune folder .*ft is being "
                                                        r"written by another process"):
            finetune(TINY, emt_copper(6, seed=1), epochs=2, lr=0.01, batch_size=3, out=out,
                     device="cpu", plot=False)
        assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
        assert marker.read_text() == "the first run's"
    finally:
        first.stdin.write("go\n")
        first.stdin.close()
        first.wait()
    assert first.returncode == 0
    # the first run has ended (its claim with it): the same call now runs
    res = finetune(TINY, emt_copper(6, seed=1), epochs=1, lr=0.01, batch_size=3, out=out,
                   device="cpu", plot=False)
    assert res.checkpoint.is_file()
    assert not any(p.name.endswith(".lock") for p in out.rglob("*"))


def _wait_for(process, line):
    """Read the process's output up to ``line`` (what a library prints before is passed over);
    False if it ends first."""
    for text in process.stdout:
        if text.strip() == line:
            return True
    return False
