"""``staged_outputs``: the one all-or-nothing publishing of a run's output files.

``run_analyses`` and ``diagnose`` publish through it (``diagnose`` imported four private
helpers of the report module to do the same, and its Ctrl-C said nothing of whether the
earlier outputs were kept, where ``run_analyses``' did).
"""

import errno
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_diagnose_failed_write_outputs import OUTPUTS, _run  # noqa: E402

from ase_electrolyte.writer_lock import WriterLock  # noqa: E402
from mda_electrolyte import report  # noqa: E402
from mda_electrolyte.report import STAGING_PREFIX, staged_outputs  # noqa: E402

KNOWN = ["a.png", "b.csv", "sub/c.txt", "summary.json"]


def _earlier(folder):
    for name in KNOWN:
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(f"earlier {name}")
    return {name: (folder / name).read_text() for name in KNOWN}


def _write(staging, names):
    for name in names:
        (staging / name).parent.mkdir(exist_ok=True)
        (staging / name).write_text(f"new {name}")


def test_a_block_that_ends_publishes_every_file_the_summary_last(tmp_path, monkeypatch):
    _earlier(tmp_path)
    moved = []
    replace = os.replace

    def recording(src, dst):
        # renames into the output folder; the earlier files are moved aside into the hidden
        # staging folder first (to be put back if the publish stops)
        published = Path(dst).relative_to(tmp_path).as_posix()
        if not published.startswith("."):
            moved.append(published)
        replace(src, dst)

    monkeypatch.setattr(report.os, "replace", recording)
    with WriterLock(tmp_path, "test folder"), \
            staged_outputs(tmp_path, KNOWN, last="summary.json") as staging:
        assert staging.parent == tmp_path and staging.name.startswith(STAGING_PREFIX)
        _write(staging, ["summary.json", "sub/c.txt", "b.csv"])
        # nothing published while the block runs
        assert (tmp_path / "b.csv").read_text() == "earlier b.csv"
    assert moved[-1] == "summary.json" and sorted(moved) == ["b.csv", "sub/c.txt",
                                                              "summary.json"]
    # a.png is an earlier run's file this run did not write: removed
    assert not (tmp_path / "a.png").exists()
    assert {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
            if p.is_file() and not p.name.startswith(".")} == {"b.csv", "sub/c.txt",
                                                               "summary.json"}
    assert (tmp_path / "sub/c.txt").read_text() == "new sub/c.txt"
    assert not [n for n in os.listdir(tmp_path) if n.startswith(STAGING_PREFIX)]


@pytest.mark.parametrize("fault", [ValueError("model failed on frame 3"),
                                   OSError(errno.ENOSPC, "No space left on device"),
                                   KeyboardInterrupt()])
def test_a_block_that_raises_leaves_the_earlier_files_and_no_hidden_folder(tmp_path, fault):
    before = _earlier(tmp_path)
    with pytest.raises(type(fault)) as raised, WriterLock(tmp_path, "test folder"), \
            staged_outputs(tmp_path, KNOWN, last="summary.json", what="my run") as staging:
        _write(staging, ["b.csv", "summary.json"])
        if isinstance(fault, OSError):
            fault.filename = str(staging / "b.csv")
        raise fault
    assert {name: (tmp_path / name).read_text() for name in KNOWN} == before
    assert not [n for n in os.listdir(tmp_path) if n.startswith(STAGING_PREFIX)]
    if isinstance(fault, OSError):
        # the file the user knows, not its place in the hidden folder (gone by now)
        assert raised.value.filename == str(tmp_path / "b.csv")
    if isinstance(fault, KeyboardInterrupt):
        assert raised.value.__notes__ == [
            f"my run: stopped before publishing; the earlier outputs in {tmp_path} are "
            "untouched"]


def test_diagnose_interrupted_while_writing_says_the_earlier_outputs_are_kept(tmp_path,
                                                                             monkeypatch):
    _run(tmp_path)
    before = {name: (tmp_path / name).read_bytes() for name in OUTPUTS}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("ase.io.write", interrupted)
    with pytest.raises(KeyboardInterrupt) as raised:
        _run(tmp_path)
    assert any(note.startswith("diagnose: stopped before publishing")
               for note in getattr(raised.value, "__notes__", []))
    assert {name: (tmp_path / name).read_bytes() for name in OUTPUTS} == before
