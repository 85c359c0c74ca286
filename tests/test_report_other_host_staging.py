"""Staging folders of analysis runs on other hosts (a shared file system).

``run_analyses`` removes the staging folders its own host's killed runs left (their run
cannot be alive while the output folder is claimed), but another host's were kept for good
without a word: whether that run lives cannot be asked from here. Now one is removed once
nothing in it has changed for ``OTHER_HOST_STAGING_AGE_S`` (a live run writes a figure into it
as each analysis ends), and a younger one is kept and named in a warning with its host and
age (``electrolyte analyze``: one warning line).
"""

import json
import os
import re
import time
import warnings

import pytest
from cli_inputs import empty_registry, four_atoms, water_frames

from mda_electrolyte import report


@pytest.fixture
def registry(monkeypatch):
    empty_registry(monkeypatch)

    @report.register_analysis("mean_x")
    def mean_x(universe, outdir, *, calculator=None, verbose=False):
        return {"mean_x_angstrom": float(universe.atoms.positions[:, 0].mean())}


def _remote(outdir, host, age_s, *, suffix="rm12ab_9", fresh_inside=False):
    """A staging folder of pid 4242 on ``host``, it and its files last changed ``age_s`` ago
    (a file changed now inside it with ``fresh_inside``)."""
    folder = outdir / f"{report.STAGING_PREFIX}4242@{host}.{suffix}"
    (folder / "sub").mkdir(parents=True)
    files = [folder / "rdf.png", folder / "sub" / "table.csv"]
    for f in files:
        f.write_bytes(b"a figure of a run on another node")
    then = time.time() - age_s
    for path in (*files, folder / "sub", folder):
        os.utime(path, (then, then))
    if fresh_inside:
        os.utime(files[1])
    return folder


def _run(outdir):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        summary = report.run_analyses(four_atoms(), outdir)
    assert summary["mean_x"]["mean_x_angstrom"] == pytest.approx(4.5)
    return [str(w.message) for w in seen if issubclass(w.category, RuntimeWarning)
            and "other hosts" in str(w.message)]


def test_a_young_folder_of_another_host_is_kept_and_named(tmp_path, registry):
    outdir = tmp_path / "out"
    folder = _remote(outdir, "node7.cluster", 2 * 3600)
    said = _run(outdir)
    assert (folder / "rdf.png").exists()
    assert len(said) == 1
    assert folder.name in said[0] and "host node7.cluster" in said[0]
    # the age as the run saw it, later than the folder's making by the test's own time
    assert re.search(r"unchanged for 2\.[01] h\)", said[0]) and str(outdir) in said[0]
    assert "7 days" in said[0] and "remove them yourself" in said[0]
    assert json.loads((outdir / "summary.json").read_text())["mean_x"]["mean_x_angstrom"] == 4.5


def test_a_folder_of_another_host_unchanged_past_the_age_is_removed(tmp_path, registry):
    outdir = tmp_path / "out"
    folder = _remote(outdir, "node7.cluster", report.OTHER_HOST_STAGING_AGE_S + 3600)
    assert _run(outdir) == []
    assert not folder.exists()
    assert sorted(p.name for p in outdir.iterdir()) == ["summary.json"]


def test_an_old_folder_with_a_file_written_now_is_a_live_run(tmp_path, registry):
    outdir = tmp_path / "out"
    folder = _remote(outdir, "node7.cluster", 30 * 86400, fresh_inside=True)
    said = _run(outdir)
    assert (folder / "sub" / "table.csv").exists()
    assert len(said) == 1 and re.search(r"unchanged for [0-4] min\)", said[0])


def test_many_folders_are_counted_and_the_first_three_named(tmp_path, registry):
    outdir = tmp_path / "out"
    young = [_remote(outdir, f"node{k}", 3 * 86400, suffix=f"young{k}") for k in range(5)]
    old = _remote(outdir, "node9", report.OTHER_HOST_STAGING_AGE_S * 2, suffix="old00000")
    said = _run(outdir)
    assert all(f.exists() for f in young) and not old.exists()
    assert len(said) == 1 and said[0].startswith("run_analyses: 5 staging folder(s)")
    assert sum(f.name in said[0] for f in young) == 3 and "and 2 more" in said[0]
    assert "unchanged for 3.0 days" in said[0]


def test_this_hosts_own_pid_on_another_host_is_not_taken_for_this_run(tmp_path, registry):
    # the same pid on another machine is another process: judged by its age like the others
    outdir = tmp_path / "out"
    folder = outdir / f"{report.STAGING_PREFIX}{os.getpid()}@elsewhere.abcd1234"
    folder.mkdir(parents=True)
    then = time.time() - 2 * report.OTHER_HOST_STAGING_AGE_S
    os.utime(folder, (then, then))
    assert _run(outdir) == []
    assert not folder.exists()


def test_cli_analyze_says_it_in_one_warning_line(tmp_path, registry):
    from electrolyte_cli import _one_line_warnings, main

    outdir = tmp_path / "out"
    folder = _remote(outdir, "node7.cluster", 600)
    traj = water_frames(tmp_path / "water.extxyz")
    with pytest.warns(RuntimeWarning, match="other hosts") as seen:
        assert main(["analyze", str(traj), "-q", "-o", str(outdir)]) == 0
    said = [w for w in seen if "other hosts" in str(w.message)]
    assert len(said) == 1
    with _one_line_warnings("analyze", ()):
        line = warnings.formatwarning(said[0].message, RuntimeWarning, "x.py", 1)
    assert line.count("\n") == 1
    assert line.startswith("electrolyte analyze: warning: run_analyses: 1 staging folder")
    assert folder.name in line and re.search(r"unchanged for 1\d min\)", line)
    assert folder.is_dir()


@pytest.mark.parametrize("what", ["run_analyses", "diagnose"])
def test_the_warning_names_the_writer_whose_folder_it_is(tmp_path, what):
    # diagnose stages its outputs the same way; its warning said "run_analyses"
    outdir = tmp_path / "out"
    _remote(outdir, "node7.cluster", 2 * 3600)
    with pytest.warns(RuntimeWarning, match=rf"^{what}: 1 staging folder\(s\) of analysis runs "
                                            "on other hosts"):
        removed = (report._remove_stale_staging(outdir) if what == "run_analyses"
                   else report._remove_stale_staging(outdir, what))
    assert removed == []
