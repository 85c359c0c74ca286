"""What a failed write says about the file it was writing.

A new trajectory whose first frame could not be published (a full disk or a disk error at the
rename that puts it in place) said "the file holds 0 complete frames up to step -1": of a file
that does not exist, or that still holds the previous run. It now says that no frame was
written and the file was neither written nor replaced, and, for a full disk, what to do. The
command line's "[Errno 5] Input/output error: 'out/summary.json'" named the file but neither
the cause's side nor the next step.
"""

import errno
import os

import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte.trajectory import H5MDWriter, h5md_info


def _frame():
    atoms = bulk("Cu", cubic=True)
    atoms.calc = EMT()
    return atoms


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EIO])
@pytest.mark.parametrize("previous", [False, True], ids=["new", "over-old"])
def test_a_first_frame_that_is_never_published_leaves_the_old_file_and_says_so(
        tmp_path, monkeypatch, code, previous):
    path = tmp_path / "relaxed.h5md"
    if previous:
        with H5MDWriter(path, _frame(), mode="w") as w:
            for step in range(3):
                w.write(_frame(), step=step, time=0.1 * step)
    before = path.read_bytes() if previous else None
    real = os.replace

    def failing(src, dst, *a, **k):
        if os.fspath(dst) == os.fspath(path):
            raise OSError(code, os.strerror(code))
        return real(src, dst, *a, **k)

    writer = H5MDWriter(path, _frame(), mode="w")
    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError) as err:
        writer.write(_frame(), step=0, time=0.0)
    monkeypatch.setattr(os, "replace", real)
    text = str(err.value)
    assert err.value.errno == code
    assert f"no frame was written, so {path} was not written (nor replaced)" in text, text
    assert "up to step -1" not in text and "holds 0 complete frames" not in text
    assert ("make room and run again" in text) == (code == errno.ENOSPC), text
    writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == (["relaxed.h5md"] if previous else [])
    if previous:
        assert path.read_bytes() == before and h5md_info(path)["n_frames"] == 3


def test_a_later_frame_that_fails_names_the_frames_kept_and_the_remedy(tmp_path, monkeypatch):
    path = tmp_path / "run.h5md"
    writer = H5MDWriter(path, _frame(), mode="w")
    for step in range(2):
        writer.write(_frame(), step=step, time=0.1 * step)
    monkeypatch.setattr(writer._file, "flush",
                        lambda: (_ for _ in ()).throw(OSError(errno.EFBIG, "File too large")))
    with pytest.raises(OSError) as err:
        writer.write(_frame(), step=2, time=0.2)
    monkeypatch.undo()
    assert "the file holds 2 complete frames up to step 1" in str(err.value)
    assert "raise the file-size limit (ulimit -f) or write elsewhere" in str(err.value)
    writer.close()
    assert h5md_info(path)["n_frames"] == 2


@pytest.mark.parametrize("filename,where", [
    ("out/summary.json", ""), (None, " while writing into out")])
def test_the_command_line_says_what_a_disk_error_means(filename, where):
    """The hint the command line's one error line gets (``main`` prints ``error: {err}{hint}``;
    its analysis run takes seconds to reach the write)."""
    from types import SimpleNamespace

    from electrolyte_cli import _full_disk_hint

    err = OSError(errno.EIO, os.strerror(errno.EIO), filename)
    hint = _full_disk_hint(err, SimpleNamespace(output="out"))
    assert hint.startswith(f" (the disk or file system reported an error{where}; check it"), hint
    assert hint.endswith("then run the same command again)"), hint
    # a writer's own message (that of H5MDWriter) says it all: nothing added
    assert _full_disk_hint(OSError(errno.EIO, "writing step 3 to out/a.h5md failed"),
                           SimpleNamespace(output="out")) == ""


def test_a_file_size_limit_is_not_answered_with_make_room(tmp_path, monkeypatch):
    """Room on the disk does not lift a file-size limit: "make room and run again" sent the
    user to delete files that were not the cause."""
    from types import SimpleNamespace

    import ase_electrolyte.trajectory as trajectory
    from electrolyte_cli import _full_disk_hint

    monkeypatch.setattr(trajectory.resource, "getrlimit", lambda which: (20_000, 20_000))
    with pytest.raises(OSError) as err:
        H5MDWriter(tmp_path / "run.h5md", _frame(), mode="w")
    monkeypatch.undo()
    text = str(err.value)
    assert err.value.errno == errno.EFBIG and "would exceed the file-size limit" in text, text
    assert "make room" not in text and "raise the file-size limit (ulimit -f)" in text, text
    assert list(tmp_path.iterdir()) == []
    hint = _full_disk_hint(OSError(errno.EFBIG, os.strerror(errno.EFBIG), "out/rdf.png"),
                           SimpleNamespace(output="out"))
    assert "make room" not in hint and "raise the limit or write elsewhere" in hint, hint
    hint = _full_disk_hint(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "out/rdf.png"),
                           SimpleNamespace(output="out"))
    assert "make room, then run the same command again" in hint, hint
