"""Staging folders of killed analysis runs, concurrent runs, and what an interrupted analysis
says it left.

``run_analyses`` writes a run into a hidden ``.analyses-*`` folder of the output folder and
removes it when the run ends, however it ends, except when the process is killed outright
(SIGKILL, the out-of-memory killer, a lost node): each such kill left a folder of partial
outputs for good. The folder's name records the process id and host of its run. A run claims
its output folder (``WriterLock``), so a second run into it is refused at once, and with the
claim held every staging folder of this host is stale: removed whether its process id is free
or has been taken by another program since (such a folder was kept for good), and so is an
earlier version's (``.analyses-<random>``, no owner in its name: never removed). This
process' own folders, another host's (a shared file system), a symbolic link and other names
are left alone.

An interrupted ``electrolyte analyze`` said "interrupted; nothing of this run is kept": it now
says that the earlier outputs in the folder are untouched.
"""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cli_inputs import empty_registry, four_atoms, water_frames

from mda_electrolyte import report


@pytest.fixture
def universe():
    return four_atoms()


class _Seen:
    staging = None
    interrupt = False


@pytest.fixture
def registry(monkeypatch):
    empty_registry(monkeypatch)
    seen = _Seen()

    @report.register_analysis("mean_x")
    def mean_x(universe, outdir, *, calculator=None, verbose=False):
        seen.staging = outdir
        if seen.interrupt:
            raise KeyboardInterrupt
        (outdir / "mean_x.csv").write_text("x\n1\n")
        return {"mean_x_angstrom": float(universe.atoms.positions[:, 0].mean())}

    return seen


def _host():
    import re

    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())[:64] or "_"


def _dead_pids():
    """Process ids that run no process: a child that has exited and been reaped, and one
    above the kernel's largest pid (no process can have it)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    pids = [child.pid]
    try:
        with open("/proc/sys/kernel/pid_max") as f:
            pids.append(int(f.read()) + 1)
    except OSError:
        pass
    # a reaped child's pid could be taken again at once: keep only those that are free now
    dead = []
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            dead.append(pid)
        except OSError:
            pass
    assert dead
    return dead


def _staging(outdir, pid, host, suffix="ab12cd_9"):
    folder = outdir / f"{report.STAGING_PREFIX}{pid}@{host}.{suffix}"
    folder.mkdir(parents=True)
    (folder / "rdf.png").write_bytes(b"partial figure of a killed run")
    return folder


def test_the_next_run_removes_the_folders_of_killed_runs_and_keeps_the_others(
        universe, tmp_path, registry):
    outdir = tmp_path / "out"
    dead = [_staging(outdir, pid, _host(), suffix=f"dead{k}")
            for k, pid in enumerate(_dead_pids())]
    # a killed run's pid taken since by a running program (here: the test's parent process)
    reused = _staging(outdir, os.getppid(), _host(), suffix="parent")
    old = outdir / f"{report.STAGING_PREFIX}x1y2z3w4"  # an earlier version's: no owner
    old.mkdir()
    (old / "rdf.png").write_bytes(b"partial figure of an earlier version's killed run")
    own = _staging(outdir, os.getpid(), _host())  # this process' own
    elsewhere = _staging(outdir, _dead_pids()[0], "another-node.cluster", suffix="remote")
    other = outdir / f"{report.STAGING_PREFIX}notes"  # no staging folder's name
    other.mkdir()
    target = tmp_path / "mine"
    target.mkdir()
    (target / "keep.txt").write_text("not the run's")
    link = outdir / f"{report.STAGING_PREFIX}{_dead_pids()[0]}@{_host()}.link0000"
    link.symlink_to(target, target_is_directory=True)

    summary = report.run_analyses(universe, outdir)

    assert summary["mean_x"]["mean_x_angstrom"] == pytest.approx(4.5)
    assert not any(folder.exists() for folder in [*dead, reused, old])
    for kept in (own, elsewhere):
        assert (kept / "rdf.png").exists()
    assert other.is_dir()
    assert link.is_symlink() and (target / "keep.txt").read_text() == "not the run's"
    # the run's own staging folder named its owner, and was removed when it ended
    assert registry.staging.name.startswith(
        f"{report.STAGING_PREFIX}{os.getpid()}@{_host()}.")
    assert not registry.staging.exists()
    assert (outdir / "mean_x.csv").read_text() == "x\n1\n"
    assert json.loads((outdir / "summary.json").read_text())["mean_x"]["mean_x_angstrom"] == 4.5
    # the claim goes with the run: no lock file is left in the user's folder
    assert sorted(p.name for p in outdir.iterdir()) == sorted(
        [own.name, elsewhere.name, other.name, link.name, "mean_x.csv", "summary.json"])


def test_a_sigkilled_run_leaves_a_folder_the_next_run_removes(universe, tmp_path, registry):
    """The real case: a child process runs the analyses and is killed mid-run."""
    outdir = tmp_path / "out"
    outdir.mkdir()
    script = (
        "import os, signal, sys, MDAnalysis as mda, numpy as np\n"
        "from mda_electrolyte import report\n"
        "report._REGISTRY.clear(); report._ANALYSIS_MODULES.clear()\n"
        "@report.register_analysis('killed')\n"
        "def killed(universe, outdir, *, calculator=None, verbose=False):\n"
        "    (outdir / 'killed.png').write_bytes(b'partial')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "u = mda.Universe.empty(2, trajectory=True)\n"
        "u.atoms.positions = np.zeros((2, 3))\n"
        "report.run_analyses(u, sys.argv[1])\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(outdir)], timeout=600)
    assert done.returncode == -signal.SIGKILL
    left = [p for p in outdir.iterdir() if p.name.startswith(report.STAGING_PREFIX)]
    assert len(left) == 1 and (left[0] / "killed.png").exists()
    # the next run takes over the claim the killed one held (the kernel dropped its flock)
    report.run_analyses(universe, outdir)
    assert sorted(p.name for p in outdir.iterdir()) == ["mean_x.csv", "summary.json"]


def test_an_unreadable_or_missing_folder_removes_nothing(tmp_path):
    assert report._remove_stale_staging(tmp_path / "absent") == []
    huge = tmp_path / f"{report.STAGING_PREFIX}99999999999999999999@{_host()}.abcdefgh"
    huge.mkdir()
    # a pid no process can have: stale like any other of this host, no OverflowError
    assert report._remove_stale_staging(tmp_path) == [huge]


_LIVE_RUN = (
    "import sys, time, MDAnalysis as mda, numpy as np\n"
    "from pathlib import Path\n"
    "from mda_electrolyte import report\n"
    "report._REGISTRY.clear(); report._ANALYSIS_MODULES.clear()\n"
    "inside, go = Path(sys.argv[2]), Path(sys.argv[3])\n"
    "@report.register_analysis('slow')\n"
    "def slow(universe, outdir, *, calculator=None, verbose=False):\n"
    "    (outdir / 'slow.csv').write_text('the live run')\n"
    # written whole, then renamed: the parent waits for the name and reads it at once (a
    # plain write_text let it read the file created but still empty under load)
    "    inside.with_name('inside.part').write_text(str(outdir))\n"
    "    inside.with_name('inside.part').rename(inside)\n"
    "    while not go.exists():\n"
    "        time.sleep(0.05)\n"
    "    return {'n': 1}\n"
    "u = mda.Universe.empty(2, trajectory=True)\n"
    "u.atoms.positions = np.zeros((2, 3))\n"
    "report.run_analyses(u, sys.argv[1])\n"
)


@pytest.fixture
def live_run(tmp_path):
    """A child process inside an analysis into ``tmp_path/out``, until ``release()``."""
    import time

    outdir, inside, go = tmp_path / "out", tmp_path / "inside", tmp_path / "go"
    child = subprocess.Popen([sys.executable, "-c", _LIVE_RUN, str(outdir), str(inside),
                              str(go)])
    try:
        # no race: the child says when it is inside its analysis; the bound only ends a hang
        deadline = time.monotonic() + 600
        while not inside.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert inside.exists(), "the child run never reached its analysis"

        def release():
            go.write_text("")
            assert child.wait(timeout=600) == 0

        yield outdir, Path(inside.read_text()), release, child.pid
    finally:
        go.write_text("")
        if child.poll() is None:
            child.wait(timeout=600)


def test_a_second_run_into_a_folder_being_written_is_refused_and_the_first_is_untouched(
        universe, registry, live_run):
    from ase_electrolyte.writer_lock import ConcurrentWriterError

    outdir, staging, release, pid = live_run
    with pytest.raises(ConcurrentWriterError, match=f"pid {pid}") as refused:
        report.run_analyses(universe, outdir)
    assert str(outdir) in str(refused.value)
    # refused before any analysis, and the live run's staging folder was not taken for stale
    assert registry.staging is None
    assert (staging / "slow.csv").read_text() == "the live run"
    release()
    assert (outdir / "slow.csv").read_text() == "the live run"
    assert json.loads((outdir / "summary.json").read_text()) == {"slow": {"n": 1}}
    assert not staging.exists()


def test_cli_a_second_analyze_into_a_folder_being_written_is_refused_in_one_line(
        tmp_path, registry, capsys, live_run):
    from electrolyte_cli import main

    outdir, staging, release, pid = live_run
    traj = water_frames(tmp_path / "water.extxyz")
    assert main(["analyze", str(traj), "-q", "-o", str(outdir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"pid {pid}" in err and str(outdir) in err
    assert registry.staging is None
    assert (staging / "slow.csv").read_text() == "the live run"
    release()
    assert json.loads((outdir / "summary.json").read_text()) == {"slow": {"n": 1}}


def test_an_interrupted_run_says_the_earlier_outputs_are_untouched(universe, tmp_path,
                                                                  registry):
    outdir = tmp_path / "out"
    report.run_analyses(universe, outdir)
    before = {p.name: p.read_bytes() for p in outdir.iterdir()}
    registry.interrupt = True
    with pytest.raises(KeyboardInterrupt) as stopped:
        report.run_analyses(universe, outdir)
    assert stopped.value.__notes__ == [
        f"run_analyses: stopped before publishing; the earlier outputs in {outdir} are "
        "untouched"]
    assert {p.name: p.read_bytes() for p in outdir.iterdir()} == before


def test_a_run_stopped_while_publishing_says_so(universe, tmp_path, registry, monkeypatch):
    outdir = tmp_path / "out"
    report.run_analyses(universe, outdir)
    before = {p.name: p.read_bytes() for p in outdir.iterdir() if p.is_file()}
    real_replace, calls = os.replace, []

    def replace(src, dst):
        # the first rename into the output folder (the summary's atomic write in the staging
        # folder renames too, before publishing)
        if os.path.dirname(dst) == str(outdir):
            calls.append(dst)
            if len(calls) == 1:
                raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(report.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt) as stopped:
        report.run_analyses(universe, outdir)
    # the earlier outputs are put back (renames into outdir after the stop): "some files
    # there may be this run's, summary.json still the earlier run's" described new figures
    # beside a summary of other numbers
    assert stopped.value.__notes__ == [
        f"run_analyses: stopped while its outputs replaced the earlier ones in {outdir}: the "
        "earlier outputs were put back, nothing of this run is kept"]
    assert {p.name: p.read_bytes() for p in outdir.iterdir() if p.is_file()} == before



@pytest.mark.parametrize("where", ["analysis", "reading"])
def test_cli_an_interrupted_analyze_says_the_earlier_outputs_are_untouched(
        tmp_path, registry, capsys, monkeypatch, where):
    from electrolyte_cli import main

    traj = water_frames(tmp_path / "water.extxyz")
    out = tmp_path / "a"
    assert main(["analyze", str(traj), "-q", "-o", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    if where == "analysis":
        registry.interrupt = True
        said = f"the earlier outputs in {out} are untouched"
        said = f"stopped before publishing; {said}"
    else:
        import mda_electrolyte.bridge

        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt

        monkeypatch.setattr(mda_electrolyte.bridge, "from_ase", interrupted)
        said = f"the earlier outputs in {out} are untouched"
    assert main(["analyze", str(traj), "-q", "-o", str(out)]) == 130
    err = capsys.readouterr().err
    assert err == (f"electrolyte analyze: interrupted; {said}; nothing of this run is kept: "
                   "the same command starts it over\n")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
