"""A rerun of the analyses into the folder of an earlier run is all or nothing.

The earlier run's ``summary.json`` and figures stay, byte for byte, until the new run has run
every analysis and written its summary; then each file is replaced by one rename and the
earlier figures of analyses that did not run now (or failed) are removed. Before, they were
removed before the first analysis: a rerun that failed late, was interrupted or found the
disk full lost the earlier, good results with nothing in their place.
"""

import errno
import json
import os

import pytest
from cli_inputs import empty_registry, four_atoms

from ase_electrolyte.atomic_file import atomic_path
from mda_electrolyte import report


@pytest.fixture
def universe():
    return four_atoms()


def _write(path, data):
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


class _Fault:
    """Which analysis raises what; the analyses read it when they run."""

    def __init__(self):
        self.where, self.error = None, None

    def hit(self, where):
        if self.where == where:
            # a callable builds the error when it is raised (to name a file of the run)
            raise self.error() if callable(self.error) else self.error


@pytest.fixture
def fault(monkeypatch):
    empty_registry(monkeypatch)
    fault = _Fault()

    @report.register_analysis("first")
    def first(universe, outdir, *, calculator=None, verbose=False):
        fault.hit("first")
        _write(outdir / "first.png", b"new first")
        return {"x_angstrom": float(universe.atoms.positions[:, 0].mean()),
                "plot": outdir / "first.png"}

    @report.register_analysis("second")
    def second(universe, outdir, *, calculator=None, verbose=False):
        # the figure is saved, then the analysis (or the disk) fails
        _write(outdir / "second.png", b"new second")
        fault.hit("second")
        _write(outdir / "second.csv", b"a,b\n")
        return {"n": 2}

    @report.register_analysis("third")
    def third(universe, outdir, *, calculator=None, verbose=False):
        fault.hit("third")
        return {"n": 3}

    return fault


EARLIER = {"summary.json": json.dumps({"first": {"x_angstrom": -1.0}}).encode(),
           "first.png": b"old first", "second.png": b"old second", "second.csv": b"old,csv\n",
           "third.png": b"old third", "notes.txt": b"mine"}


def _earlier_run(folder):
    for name, data in EARLIER.items():
        (folder / name).write_bytes(data)


def _contents(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("where, error", [
    ("first", KeyboardInterrupt()),
    ("first", ValueError("bad input found late")),
    ("second", KeyboardInterrupt()),
    ("second", OSError(errno.ENOSPC, "No space left on device")),
    ("third", RuntimeError("model failed")),
], ids=["ctrl-c-first", "error-first", "ctrl-c-middle", "disk-full-middle", "error-last"])
def test_an_interrupted_or_failed_rerun_keeps_the_earlier_outputs(universe, tmp_path, fault,
                                                                 where, error):
    _earlier_run(tmp_path)
    fault.where, fault.error = where, error
    with pytest.raises(type(error)):
        report.run_analyses(universe, tmp_path)
    # byte for byte, and nothing of the failed run (no figure, no hidden staging folder)
    assert _contents(tmp_path) == EARLIER


@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError(errno.ENOSPC, "No space")],
                         ids=["ctrl-c", "disk-full"])
def test_a_rerun_stopped_while_writing_its_summary_keeps_the_earlier_outputs(
        universe, tmp_path, fault, monkeypatch, error):
    _earlier_run(tmp_path)

    def failing_write(path, data, **options):
        raise error

    monkeypatch.setattr(report, "write_json_atomic", failing_write)
    with pytest.raises(type(error)):
        report.run_analyses(universe, tmp_path)
    assert _contents(tmp_path) == EARLIER


def test_a_rerun_stopped_while_publishing_leaves_whole_files_only(universe, tmp_path, fault,
                                                                 monkeypatch):
    """Ctrl-C between two renames: each file is the old one or the new one, never half."""
    _earlier_run(tmp_path)
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(report.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        report.run_analyses(universe, tmp_path)
    after = _contents(tmp_path)
    new = {"first.png": b"new first", "second.png": b"new second", "second.csv": b"a,b\n"}
    for name, data in after.items():
        assert data in (EARLIER.get(name), new.get(name)), name
    # all of the earlier run put back: the earlier summary beside this run's first figures
    # (as before) described numbers other than those they show
    assert after == EARLIER
    assert not any(name.startswith(".") for name in after)


def test_a_successful_rerun_replaces_everything_and_leaves_no_stale_file(universe, tmp_path,
                                                                        fault):
    _earlier_run(tmp_path)
    summary = report.run_analyses(universe, tmp_path, only=["first", "second"])
    after = _contents(tmp_path)
    # third did not run now: its earlier figure would read as this run's
    assert sorted(after) == ["first.png", "notes.txt", "second.csv", "second.png",
                             "summary.json"]
    assert after["first.png"] == b"new first" and after["second.csv"] == b"a,b\n"
    assert after["notes.txt"] == b"mine"
    assert json.loads(after["summary.json"]) == summary
    assert summary["first"]["x_angstrom"] == pytest.approx(4.5)
    # a path an analysis returned names the published file, not the staging folder
    assert summary["first"]["plot"] == str(tmp_path / "first.png")


def test_a_failed_analysis_under_keep_going_publishes_no_figure_of_it(universe, tmp_path,
                                                                     fault):
    """Its figure, saved before it failed (or the earlier run's), would show a result the
    summary says it does not have."""
    _earlier_run(tmp_path)
    fault.where, fault.error = "second", ValueError("too few frames")
    with pytest.warns(UserWarning, match="'second' failed"):
        summary = report.run_analyses(universe, tmp_path, keep_going=True)
    assert summary["second"] == {"failed": "ValueError: too few frames"}
    after = _contents(tmp_path)
    assert "second.png" not in after and "second.csv" not in after
    assert "third.png" not in after and after["first.png"] == b"new first"


def test_a_write_error_names_the_output_file_not_the_staging_folder(universe, tmp_path,
                                                                   fault):
    target = tmp_path / "out"
    target.mkdir()
    fault.where = "second"
    # an error naming the file the analysis was writing (as atomic_path's does)
    fault.error = lambda: OSError(errno.ENOSPC, "No space left on device", os.fspath(
        next(target.glob(f"{report.STAGING_PREFIX}*")) / "second.png"))
    with pytest.raises(OSError) as raised:
        report.run_analyses(universe, target)
    assert raised.value.filename == os.fspath(target / "second.png")
    assert report.STAGING_PREFIX not in str(raised.value)
    assert list(target.iterdir()) == []


def test_a_link_at_an_output_name_is_replaced_not_written_through(universe, tmp_path, fault):
    outside = tmp_path / "precious.png"
    outside.write_bytes(b"not a result")
    out = tmp_path / "out"
    out.mkdir()
    (out / "first.png").symlink_to(outside)
    (out / "third.png").symlink_to(outside)
    report.run_analyses(universe, out, only=["first"])
    assert outside.read_bytes() == b"not a result"
    assert not (out / "first.png").is_symlink()
    assert (out / "first.png").read_bytes() == b"new first"
    assert not (out / "third.png").exists() and not (out / "third.png").is_symlink()



def test_an_error_making_the_staging_folder_names_the_output_folder(universe, tmp_path,
                                                                   fault, monkeypatch):
    import errno as errnos

    def full(prefix, dir):
        raise OSError(errnos.ENOSPC, "No space left on device", os.path.join(dir, prefix + "x"))

    monkeypatch.setattr(report.tempfile, "mkdtemp", full)
    with pytest.raises(OSError) as raised:
        report.run_analyses(universe, tmp_path / "out")
    assert raised.value.filename == os.fspath(tmp_path / "out")
