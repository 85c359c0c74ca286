"""Inputs that cannot be analysed are refused before the analyses (MDAnalysis) are imported.

An empty trajectory, an H5MD file cut short or one that is no HDF5 file were refused only by
the reader, once MDAnalysis had loaded (~2 s of CPU, more under load), and the empty one as
"not an HDF5 file" or "not a trajectory format"; ``analyze --only nosuch`` and ``analyze -o``
a folder of other files waited for every analysis module to be imported because the names
existed only in their ``@register_analysis`` decorators. The decorators stay the one table:
their names and needs are read from the modules' source.
"""

import json
import os
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest
from ase import Atoms
from ase.io import write
from cli_inputs import empty_registry

from electrolyte_cli import main
from mda_electrolyte import report


class _Reached(Exception):
    """Raised by the reading the checks must come before."""


def _h5(path, size=200):
    with h5py.File(path, "w") as f:
        f.create_dataset("particles/all/position/value", data=np.zeros((size, 20, 3)))
    return path


def _cut(path, keep):
    data = path.read_bytes()
    path.write_bytes(data[:keep])
    return len(data)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    import mda_electrolyte.bridge

    def reached(*args, **kwargs):
        raise _Reached

    monkeypatch.setattr(mda_electrolyte.bridge, "from_ase", reached)
    monkeypatch.setattr(mda_electrolyte.bridge, "read_ase_frames", reached)
    monkeypatch.chdir(tmp_path)
    frames = [Atoms("LiF", positions=[[0, 0, 0], [2, 0, 0]], cell=[8, 8, 8], pbc=True)] * 2
    write(tmp_path / "traj.extxyz", frames)
    return tmp_path


def _refusal(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("argv, name", [
    (["analyze", "{}"], "the trajectory"),
    (["diagnose", "{}", "--model", "sevennet-0"], "the trajectory"),
    (["analyze", "data.lmp", "--dump", "{}"], "--dump"),
])
@pytest.mark.parametrize("file", ["run.h5md", "run.H5MD", "frames.extxyz", "conf.gro",
                                  "dump.lammpstrj.gz"])
def test_an_empty_file_is_refused_as_empty(workdir, capsys, argv, name, file):
    (workdir / file).write_bytes(b"")
    (workdir / "data.lmp").write_text("LAMMPS data\n\n2 atoms\n")
    err = _refusal(capsys, [a.format(file) for a in argv])
    assert f"{name} {file} is empty (0 bytes)" in err, err


def test_an_h5md_file_cut_short_or_of_another_format_is_named_so(workdir, capsys):
    full = _cut(_h5(workdir / "cut.h5md"), 5000)
    err = _refusal(capsys, ["analyze", "cut.h5md"])
    assert f"cut.h5md is truncated: 5000 of its {full} bytes" in err, err
    (workdir / "text.h5md").write_text("positions 0 0 0\n")
    for command in (["analyze", "text.h5md"], ["diagnose", "text.h5md", "--model", "sevennet-0"]):
        err = _refusal(capsys, command)
        assert "text.h5md is not an HDF5 (H5MD) file" in err, err


def test_a_whole_hdf5_file_passes_the_check_and_is_read(workdir, monkeypatch):
    """Not vacuous: a sound HDF5 file (here not of a run) reaches the reader, which judges it."""
    monkeypatch.setenv("ELECTROLYTE_DEBUG", "1")
    _h5(workdir / "whole.h5md")
    with pytest.raises(_Reached):
        main(["analyze", "whole.h5md", "-q"])


def test_a_name_given_to_only_is_checked_before_the_files(workdir, capsys):
    # the file is empty too: the argument's refusal comes first, as for a missing file
    (workdir / "empty.h5md").write_bytes(b"")
    err = _refusal(capsys, ["analyze", "empty.h5md", "--only", "rdf,Nosuch"])
    assert "unknown analyses ['Nosuch']" in err, err


def test_an_analysis_registered_by_the_user_is_named_without_the_source(monkeypatch):
    empty_registry(monkeypatch)

    @report.register_analysis("my_pair_counts", needs=("box",))
    def counts(universe, outdir, *, calculator=None, verbose=False):
        return {}

    assert report.analysis_names(["My Pair Counts"]) == ["my_pair_counts"]
    assert report.declared_analyses() == {"my_pair_counts": ("box",)}


_FRESH = textwrap.dedent("""
    import contextlib, io, json, sys
    from electrolyte_cli import main
    from mda_electrolyte import report
    declared = report.declared_analyses()
    statuses = []
    for argv in {argvs!r}:
        with contextlib.redirect_stderr(io.StringIO()) as err:
            statuses.append([main(argv), err.getvalue()])
    imported = sorted(m for m in sys.modules if m == "MDAnalysis"
                      or m in report._ANALYSIS_MODULES)
    registered = report.registered_analyses()
    print(json.dumps({{"statuses": statuses, "imported": imported,
                      "declared": list(declared.items()),
                      "registered": list(registered.items())}}))
""")


def test_the_refusals_import_no_analysis_and_the_source_names_are_the_registry(tmp_path):
    """In a fresh interpreter: each refusal leaves MDAnalysis and the analysis modules
    unimported, and the names and needs read from the source are those the imported modules
    register, in their order."""
    (tmp_path / "empty.h5md").write_bytes(b"")
    _cut(_h5(tmp_path / "cut.h5md"), 3000)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    write(tmp_path / "traj.extxyz", [Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.7]])])
    argvs = [["analyze", "empty.h5md"], ["analyze", "cut.h5md"],
             ["analyze", "traj.extxyz", "--only", "nosuch_analysis"],
             ["analyze", "traj.extxyz", "--only", "conductivity"],
             ["analyze", "traj.extxyz", "-o", "other"]]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", _FRESH.format(argvs=argvs)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert [status for status, _ in result["statuses"]] == [2] * len(argvs), result["statuses"]
    said = [err for _, err in result["statuses"]]
    assert "is empty (0 bytes)" in said[0] and "is truncated" in said[1]
    assert "unknown analyses ['nosuch_analysis']" in said[2] and "(Python only)" not in said[2]
    assert "'conductivity' means any of" in said[3] and "holding other files" in said[4]
    assert result["imported"] == []
    assert result["declared"] == result["registered"]
    assert len(result["registered"]) >= 10
