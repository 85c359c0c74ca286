"""A rerun of the analyses stopped while it replaces the earlier run's outputs.

The files were renamed one by one, the summary last: an error or Ctrl-C between two renames
left this run's first figures beside the earlier run's ``summary.json`` (and its figures of
analyses not run now), a summary describing numbers the figures do not show. Now the earlier
files are moved aside first, the summary before any new file arrives; a stopped publish puts
them all back, and a kill (nothing put back) leaves no summary at all, never the earlier one
beside new figures.
"""

import errno
import os

import pytest
from test_report_rerun_all_or_nothing import (  # noqa: F401 - fixtures
    EARLIER,
    _contents,
    _earlier_run,
    fault,
    universe,
)

from mda_electrolyte import report


def _failing_rename(monkeypatch, folder, at, error):
    """``os.replace`` that raises ``error`` at the ``at``-th rename of a new file into
    ``folder``; returns the list of renames ``(src, dst)``."""
    real, renames = os.replace, []

    def replace(src, dst):
        renames.append((os.fspath(src), os.fspath(dst)))
        arriving = [r for r in renames if os.path.dirname(r[1]) == os.fspath(folder)
                    and os.path.dirname(r[0]) != os.fspath(folder)]
        if len(arriving) == at:
            raise error
        real(src, dst)

    monkeypatch.setattr(report.os, "replace", replace)
    return renames


@pytest.mark.parametrize("at", [1, 2, 3])
@pytest.mark.parametrize("error", [OSError(errno.EIO, "Input/output error"),
                                   KeyboardInterrupt()], ids=["eio", "ctrl-c"])
def test_a_stopped_publish_puts_every_earlier_file_back(universe, tmp_path, fault,  # noqa: F811
                                                       monkeypatch, at, error):
    _earlier_run(tmp_path)
    _failing_rename(monkeypatch, tmp_path, at, error)
    with pytest.raises(type(error)):
        report.run_analyses(universe, tmp_path, only=["first", "second"])
    # byte for byte (third.png too, which this run would have removed), nothing hidden left
    assert _contents(tmp_path) == EARLIER


@pytest.mark.parametrize("at", [1, 2, 3])
def test_a_killed_publish_leaves_no_earlier_summary_beside_new_figures(
        universe, tmp_path, fault, monkeypatch, at):  # noqa: F811
    _earlier_run(tmp_path)
    renames = _failing_rename(monkeypatch, tmp_path, at, KeyboardInterrupt())
    # a kill puts nothing back
    monkeypatch.setattr(report, "_put_back", lambda written, moved: [])
    with pytest.raises(KeyboardInterrupt):
        report.run_analyses(universe, tmp_path, only=["first", "second"])
    after = _contents(tmp_path)
    new = {"first.png": b"new first", "second.png": b"new second", "second.csv": b"a,b\n"}
    # the mix a kill leaves: new files that arrived before it
    assert sum(after.get(name) == data for name, data in new.items()) == at - 1
    assert "summary.json" not in after, "the earlier summary beside this run's figures"
    assert "third.png" not in after  # the earlier run's, of an analysis not run now
    assert after["notes.txt"] == b"mine"
    summary_out = next(k for k, (src, _) in enumerate(renames)
                       if src == os.fspath(tmp_path / "summary.json"))
    first_in = next(k for k, (src, dst) in enumerate(renames)
                    if os.path.dirname(dst) == os.fspath(tmp_path)
                    and os.path.dirname(src) != os.fspath(tmp_path))
    assert summary_out < first_in
