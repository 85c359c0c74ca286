"""Files written in one go are replaced whole or not at all (ase_electrolyte.atomic_file).

The module's contract (a failing write keeps the old file byte-identical and leaves no temporary
file; threads do not share temporary names), then real faults: the writers of reports, tables,
plots and task records under a file-size limit (``RLIMIT_FSIZE``, the ``EFBIG`` a full quota or
disk gives in the same place), and ``electrolyte analyze`` under one.
"""

import errno
import json
import os
import re
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from ase_electrolyte.atomic_file import (
    atomic_path,
    save_figure,
    write_json_atomic,
    write_text_atomic,
)

resource = pytest.importorskip("resource")  # POSIX only

_MODELS = Path(__file__).with_name("screen_models.py")


def _leftovers(folder):
    """Temporary files left in ``folder`` (``.part`` names, hidden or not)."""
    return sorted(p.name for p in folder.rglob("*") if ".part" in p.name)


# --- the module ------------------------------------------------------------------------------
def test_a_write_that_raises_midway_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "summary.json"
    target.write_bytes(b'{"old": 1}\n')
    with pytest.raises(RuntimeError, match="midway"), atomic_path(target) as tmp:
        tmp.write_text('{"new": ')
        raise RuntimeError("midway")
    assert target.read_bytes() == b'{"old": 1}\n'
    assert _leftovers(tmp_path) == []


def test_a_new_file_is_not_created_when_the_write_fails(tmp_path):
    target = tmp_path / "table.csv"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("a,b\n")
        raise KeyboardInterrupt  # a Ctrl-C midway cleans up as well
    assert os.listdir(tmp_path) == []


def test_the_temporary_keeps_the_suffix_and_is_hidden_beside_the_target(tmp_path):
    with atomic_path(tmp_path / "plot.png") as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png" and tmp.name.startswith(".")
        tmp.write_bytes(b"png")
    # a figure saved through it gets the target's format from the suffix
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    path = save_figure(fig, tmp_path / "figure.pdf")
    assert path.read_bytes().startswith(b"%PDF")
    assert not plt.fignum_exists(fig.number)  # closed


def test_threads_writing_one_target_do_not_clobber_each_others_temporary(tmp_path):
    target = tmp_path / "result.json"
    barrier = threading.Barrier(8)
    errors = []

    def write(k):
        try:
            with atomic_path(target) as tmp:
                tmp.write_text(json.dumps({"writer": k, "pad": "x" * 10000}))
                barrier.wait(timeout=10)  # every thread holds its temporary file at once
                assert json.loads(tmp.read_text())["writer"] == k
        except BaseException as err:  # noqa: BLE001 - reported to the main thread
            errors.append(err)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert json.loads(target.read_text())["writer"] in range(8)
    assert _leftovers(tmp_path) == []


def test_nested_blocks_of_one_thread_on_one_target_get_distinct_temporaries(tmp_path):
    target = tmp_path / "a.txt"
    with atomic_path(target) as outer, atomic_path(target) as inner:
        assert outer != inner
        outer.write_text("outer")
        inner.write_text("inner")
    assert target.read_text() == "outer"  # the outer block ends last
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("case", ["folder", "missing_parent"])
def test_a_target_that_cannot_be_a_file_is_refused_before_the_write(tmp_path, case):
    ran = []
    if case == "folder":
        target, error, message = tmp_path, IsADirectoryError, "is a folder"
    else:
        target, error, message = tmp_path / "no" / "x.json", FileNotFoundError, "does not exist"
    with pytest.raises(error, match=message), atomic_path(target):
        ran.append(True)
    assert ran == []  # the expensive write never started
    with pytest.raises(error, match=message):
        write_json_atomic(target, {"a": 1})


def test_a_block_that_writes_nothing_is_an_error_not_an_empty_file(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old")
    with pytest.raises(FileNotFoundError, match="nothing was written"), atomic_path(target):
        pass
    assert target.read_text() == "old"


def test_a_symlink_is_written_through_and_permissions_are_kept(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("{}")
    real.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_json_atomic(link, {"a": 1})
    assert link.is_symlink() and json.loads(real.read_text()) == {"a": 1}
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_unserialisable_data_or_text_raise_before_any_file_is_touched(tmp_path):
    target = tmp_path / "s.json"
    target.write_text('{"old": 1}')
    with pytest.raises(TypeError, match="not JSON serializable"):
        write_json_atomic(target, {"x": object()})
    with pytest.raises(TypeError, match="text must be str"):
        write_text_atomic(target, b"bytes")
    assert target.read_text() == '{"old": 1}' and _leftovers(tmp_path) == []


def test_a_target_name_near_the_length_limit_still_gets_a_temporary(tmp_path):
    target = tmp_path / ("n" * 250 + ".csv")
    write_text_atomic(target, "a\n")
    assert target.read_text() == "a\n"


# --- real faults: a file-size limit in a child process ---------------------------------------
_CHILD = """
import errno, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
{setup}
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
try:
{action}
except OSError as err:
    print("ERRNO", err.errno, err)
    sys.exit(3)
"""


def _run_limited(setup, action, limit):
    code = _CHILD.format(setup=textwrap.dedent(setup), limit=int(limit),
                         action=textwrap.indent(textwrap.dedent(action), "    "))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "MPLBACKEND": "Agg"})


def _screen_folder(folder):
    """A finished screening folder: plan.json and two tasks' result.json, as tasks write them."""
    from ase_electrolyte.screen import load_plan
    from ase_electrolyte.screen.engine import _prepare_outdir
    from ase_electrolyte.screen.task import task_properties, write_json

    plan = load_plan({
        "name": "atomic", "seed": 1, "replicas": 2, "temperatures": [300], "n_atoms": 70,
        "analyses": [], "model": {"calculator": f"{_MODELS}:lj", "device": "cpu", "options": {}},
        "protocol": {"production_ps": 0.01, "write_interval_fs": 5.0},
        "composition": [{"solvent": "EC", "salt": "LiPF6", "concentration": [1.0]}],
    })
    _prepare_outdir(plan, folder)
    for k, task in enumerate(plan.tasks()):
        sim = {"density_g_cm3": 1.2 + 0.01 * k, "density_sem_g_cm3": 0.002,
               "density_verdict": "valid", "production_ensemble": "npt"}
        (folder / "tasks" / task.id).mkdir(parents=True)
        write_json(folder / "tasks" / task.id / "result.json",
                   {"task": task.id, "status": "done", "properties": task_properties(sim, {})})


def _html(folder):
    from ase_electrolyte.html_report import write_html_report

    write_html_report(folder / "report.html", title="old", settings={}, summary={"a": 1})
    return ["report.html"], "from ase_electrolyte.html_report import write_html_report", (
        f"write_html_report({str(folder / 'report.html')!r}, title='new', settings={{}}, "
        "summary={'a': 'x' * 50000})"
    ), 8192


def _task_record(folder):
    from ase_electrolyte.screen.task import write_json

    write_json(folder / "result.json", {"status": "done"})
    return ["result.json"], "from ase_electrolyte.screen.task import write_json", (
        f"write_json({str(folder / 'result.json')!r}, {{'status': 'done', 'pad': 'x' * 50000}})"
    ), 8192


def _screen_tables(folder):
    from ase_electrolyte.screen import aggregate

    _screen_folder(folder)
    aggregate(folder, plots=False)
    # the rerun fails at its first table: tasks.csv is above 100 bytes
    return (["tasks.csv", "failures.csv", "summary.csv"],
            "from ase_electrolyte.screen import aggregate",
            f"aggregate({str(folder)!r}, plots=False)", 100)


def _screen_plots(folder):
    from ase_electrolyte.screen import aggregate

    _screen_folder(folder)
    aggregate(folder, plots=True)
    names = sorted(str(p.relative_to(folder)) for p in (folder / "plots").glob("*.png"))
    assert names
    # the table as written (an aggregate without plots would remove the figures it does not
    # remake); the plots (tens of kB) then exceed the limit
    setup = ("import pandas as pd\n"
             "from ase_electrolyte.screen.aggregate import plot_summary\n"
             f"summary = pd.read_csv({str(folder / 'summary.csv')!r})")
    return names, setup, f"plot_summary(summary, {str(folder / 'plots')!r})", 4096


_FAKE_SCAN = """
import numpy as np
import matplotlib.pyplot as plt
from MDAnalysis.analysis.results import Results
from mda_electrolyte.volume_scan import scan_minimum, scan_summary

class Scan:
    # what scan_summary reads of a finished RigidVolumeScan: n frames x 3 scales
    def __init__(self, n):
        ones = np.ones((n, 3))
        scales = np.array([0.98, 1.0, 1.02])
        self.results = Results(frames=np.arange(n), scales=scales, volumes=1000.0 * ones,
                               total=ones, inter=ones, estimates={},
                               minimum=scan_minimum(scales, 1000.0 * ones, ones, 10))

    def plot(self):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        return ax
"""


def _volume_scan(folder):
    ns = {}
    exec(_FAKE_SCAN, ns)  # noqa: S102 - the earlier, complete scan written in this process
    ns["scan_summary"](ns["Scan"](2), folder)
    # 400 frames: a table of about 40 kB
    return (["rigid_volume_scan.png", "rigid_volume_scan.csv"], _FAKE_SCAN,
            f"scan_summary(Scan(400), {str(folder)!r})", 8192)


WRITERS = {
    "html_report": _html,
    "screen_task_record": _task_record,
    "screen_aggregate_tables": _screen_tables,
    "screen_summary_plots": _screen_plots,
    "volume_scan_table_and_plot": _volume_scan,
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_file_size_limit_keeps_the_previous_file_intact(tmp_path, writer):
    names, setup, action, limit = WRITERS[writer](tmp_path)
    before = {name: (tmp_path / name).read_bytes() for name in names}
    proc = _run_limited(setup, action, limit)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert f"ERRNO {errno.EFBIG}" in proc.stdout
    for name in names:
        assert (tmp_path / name).read_bytes() == before[name], name
    assert _leftovers(tmp_path) == []


def test_a_summary_that_exceeds_the_limit_leaves_no_half_summary(tmp_path):
    # an earlier summary.json; the new one is written whole or not at all
    (tmp_path / "summary.json").write_text('{"old": 1}')
    proc = _run_limited(
        """
        import MDAnalysis as mda
        from mda_electrolyte import report
        u = mda.Universe.empty(2, trajectory=True)

        @report.register_analysis("large")
        def large(universe, outdir, *, calculator=None, verbose=False):
            return {"values": list(range(20000))}
        """,
        f"report.run_analyses(u, {str(tmp_path)!r}, only=['large'])",
        8192,
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert f"ERRNO {errno.EFBIG}" in proc.stdout
    # run_analyses is all or nothing (it writes into a staging folder, published once every
    # analysis and the summary are written): the earlier summary stays as it was, and no
    # truncated summary, temporary file or staging folder is left
    assert sorted(os.listdir(tmp_path)) == ["summary.json"]
    assert (tmp_path / "summary.json").read_text() == '{"old": 1}'


def _water_frames(path):
    import ase.io
    from ase import Atoms
    from ase.build import molecule

    rng = np.random.default_rng(0)
    frames = []
    for f in range(3):
        box = Atoms(cell=[9.0, 9.0, 9.0], pbc=True)
        for i in range(8):
            water = molecule("H2O")
            water.translate(4.5 * np.array([i % 2, i // 2 % 2, i // 4]) + 1.0
                            + 0.1 * rng.standard_normal(3))
            box += water
        box.info["time_ps"] = 0.01 * f
        frames.append(box)
    ase.io.write(path, frames)


def test_cli_analyze_under_a_size_limit_exits_2_in_one_line_and_leaves_no_half_summary(
        tmp_path):
    traj = tmp_path / "water.extxyz"
    _water_frames(traj)
    out = tmp_path / "analysis"
    # a registered analysis without a plot: the summary of about 300 bytes is the write that
    # exceeds the limit
    argv = ["analyze", str(traj), "--only", "small", "-q", "-o", str(out)]
    setup = """
        from electrolyte_cli import main
        from mda_electrolyte import report

        @report.register_analysis("small")
        def small(universe, outdir, *, calculator=None, verbose=False):
            return {"frames": universe.trajectory.n_frames, "note": "x" * 250}
        """
    ok = _run_limited(setup, f"sys.exit(main({argv!r}))", 10**7)
    assert ok.returncode == 0, ok.stderr
    assert json.loads((out / "summary.json").read_text())["small"]["frames"] == 3
    proc = _run_limited(setup, f"sys.exit(main({argv!r}))", 200)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "File too large" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    # all or nothing: the earlier, complete summary stays as it was (the failed rerun
    # published nothing); no truncated summary, temporary file or staging folder is left
    assert json.loads((out / "summary.json").read_text())["small"]["frames"] == 3
    assert _leftovers(out) == []
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("bad,where", [
    ({"density": {"value": 1.2, "sem": float("nan")}}, "density.sem"),
    ({"runs": [1.0, {"D": float("inf")}]}, "runs[1].D"),
    ([0.0, float("-inf")], "[1]"),
])
def test_json_with_a_bare_nan_is_refused_naming_it_and_the_old_file_stays(tmp_path, bad, where):
    from ase_electrolyte.atomic_file import write_json_atomic

    target = tmp_path / "summary.json"
    target.write_text('{"complete": true}')
    with pytest.raises(ValueError, match=re.escape(f"{where} is a NaN or infinite number")):
        write_json_atomic(target, bad, indent=2)
    assert target.read_text() == '{"complete": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_json_number_writes_absent_numbers_as_null():
    from ase_electrolyte.estimate import Estimate, json_number

    assert [json_number(x) for x in (1.5, float("nan"), float("inf"), None, "x", 2)] == [
        1.5, None, None, None, None, 2.0]
    gone = Estimate.invalid(float("nan"), float("inf"), "S/m", "blocks", "too short")
    assert gone.to_dict()["value"] is None and gone.to_dict()["stderr"] is None


@pytest.mark.parametrize("folder", [False, True])
def test_check_output_path_names_what_cannot_be_made(tmp_path, folder):
    from ase_electrolyte.atomic_file import check_output_path

    notes = tmp_path / "notes"
    notes.write_text("mine")
    (tmp_path / "run").mkdir()
    clash = tmp_path / ("notes" if folder else "run")
    with pytest.raises(ValueError, match="is a file; give a folder" if folder
                       else "is a folder; give a file name"):
        check_output_path(clash, "output", folder=folder)
    for inside in (notes / "x", notes / "a" / "b"):
        with pytest.raises(ValueError, match=f"output {inside}: {notes} is a file, not a folder"):
            check_output_path(inside, "output", folder=folder)
    fresh = tmp_path / "new" / "deeper" / "x"
    assert check_output_path(fresh, "output", folder=folder) == fresh
    assert not (tmp_path / "new").exists()  # a check makes nothing
    assert notes.read_text() == "mine"


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   PermissionError(errno.EACCES, "Permission denied")])
def test_an_error_of_a_writer_that_names_no_file_names_the_target(tmp_path, error):
    target = tmp_path / "figure.png"
    target.write_bytes(b"old")
    with pytest.raises(type(error)) as raised, atomic_path(target) as tmp:
        tmp.write_bytes(b"partial")
        raise error
    assert raised.value.errno == error.errno and raised.value.filename == str(target)
    assert str(target) in str(raised.value) and raised.value.__cause__ is error
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == [target.name]
    # an error that names its file already, or none of errno's, is passed on as it is
    named = OSError(errno.ENOSPC, "No space left on device", "/elsewhere")
    with pytest.raises(OSError) as raised, atomic_path(target):
        raise named
    assert raised.value is named


def test_a_figure_past_a_file_size_limit_is_named_in_the_error(tmp_path):
    # matplotlib's PNG writer holds a file object: its EFBIG named no file
    script = textwrap.dedent(f"""
        import resource, signal
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
        from ase_electrolyte.atomic_file import save_figure
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
        fig, ax = plt.subplots(dpi=300)
        ax.imshow(np.random.default_rng(0).random((400, 400)))
        try:
            save_figure(fig, {str(tmp_path / "noise.png")!r})
        except OSError as err:
            print(type(err).__name__, err.errno, err.filename)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["OSError", str(errno.EFBIG), str(tmp_path / "noise.png")]
    assert list(tmp_path.iterdir()) == []
