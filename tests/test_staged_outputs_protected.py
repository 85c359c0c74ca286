"""``staged_outputs`` refuses, before the first rename, a file its owner made read-only while
the run ran, in ``outdir`` and in its sub-folders alike (a check of bare names only refused
``sub/c.txt`` as "names must be a list of file names" and published nothing for any run
whose outputs lie in a sub-folder). Permissions are simulated through ``os.access`` (the tests
may run as root)."""

import os

import pytest

from ase_electrolyte.writer_lock import WriterLock
from mda_electrolyte.report import staged_outputs

KNOWN = ["a.png", "sub/c.txt", "summary.json"]


@pytest.mark.parametrize("protected", [None, "a.png", "sub/c.txt", "summary.json"])
def test_protected_files_anywhere_in_outdir_stop_the_publishing(tmp_path, monkeypatch,
                                                               protected):
    for name in KNOWN:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(f"earlier {name}")
    if protected:
        target = os.path.realpath(tmp_path / protected)
        access = os.access
        monkeypatch.setattr(os, "access", lambda path, mode, **kw: (
            not (mode & os.W_OK and os.path.realpath(path) == target)
            and access(path, mode, **kw)))

    def run():
        with WriterLock(tmp_path, "test folder"), \
                staged_outputs(tmp_path, KNOWN, last="summary.json") as staging:
            for name in KNOWN:
                (staging / name).parent.mkdir(exist_ok=True)
                (staging / name).write_text(f"new {name}")

    if protected is None:
        run()
        assert all((tmp_path / n).read_text() == f"new {n}" for n in KNOWN)
        return
    with pytest.raises(PermissionError, match=f"{protected} is read-only"):
        run()
    assert all((tmp_path / n).read_text() == f"earlier {n}" for n in KNOWN)
