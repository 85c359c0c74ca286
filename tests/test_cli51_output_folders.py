"""A folder is an earlier run of a command when it holds that run's record, not a file that
merely has the name of one of the command's figures.

Before: a folder of the user's holding their own ``viscosity.png`` was taken as an earlier run
of ``electrolyte analyze`` (any output name marked a folder as the command's own), and
``analyze -o . --only intra_inter_rdf`` deleted that figure, without a word, as the earlier
run's figure of an analysis it did not run now. So were ``learning_curve.png`` (finetune),
``plots`` or ``summary.csv`` (screen) and ``report.html`` (demo) marks of an earlier run.
"""

import os
from pathlib import Path

import pytest
from cli_inputs import water_frames

from electrolyte_cli import main
from electrolyte_cli.arguments import check_not_foreign_folder
from mda_electrolyte.report import STAGING_PREFIX, declared_analyses, report_files

#: (command, a name it writes that is no record of a run of it)
NOT_RECORDS = [
    *[("analyze", name) for name in report_files(declared_analyses()) if name != "summary.json"],
    ("diagnose", "rigid_volume_scan.png"),
    ("diagnose", "intra_inter_errors.png"),
    ("screen", "plots"),
    ("screen", "summary.csv"),
    ("screen", "failures.csv"),
    ("finetune", "learning_curve.png"),
]

#: (command, the record of an earlier run of it)
RECORDS = [
    ("analyze", "summary.json"),
    ("analyze", f"{STAGING_PREFIX}1234-host-abc"),  # a run killed while it published
    ("diagnose", "diagnose.json"),
    ("simulate", "initial.extxyz"),
    ("simulate", "production.h5md"),
    ("demo", "initial.extxyz"),
    ("demo", "analysis"),
    ("screen", "plan.json"),
    ("finetune", "member_0"),
]


@pytest.mark.parametrize("command, name", NOT_RECORDS)
def test_a_users_file_of_an_output_name_is_no_earlier_run(command, name, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / name).write_bytes(b"the user's own")
    with pytest.raises(ValueError, match="no output of electrolyte") as caught:
        check_not_foreign_folder(folder, command)
    assert name in str(caught.value)
    assert (folder / name).read_bytes() == b"the user's own"


@pytest.mark.parametrize("command, name", RECORDS)
def test_the_record_of_an_earlier_run_marks_the_folder(command, name, tmp_path):
    folder = tmp_path / "own"
    folder.mkdir()
    (folder / name).write_bytes(b"")
    (folder / "notes.txt").write_text("the user's, beside the run")
    check_not_foreign_folder(folder, command)


@pytest.mark.parametrize("name", ["viscosity.png", "intra_inter_rdf.png", "density.png"])
def test_analyze_into_the_current_folder_keeps_a_users_figure(name, tmp_path, capsys,
                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    water_frames(tmp_path / "water.extxyz")
    mine = tmp_path / name
    mine.write_bytes(b"the user's own figure")
    stamp = mine.stat().st_mtime_ns
    status = main(["analyze", "water.extxyz", "--only", "intra_inter_rdf", "-o", ".", "-q"])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "the current folder" in err and name in err, err
    assert mine.read_bytes() == b"the user's own figure" and mine.stat().st_mtime_ns == stamp
    assert sorted(os.listdir(tmp_path)) == sorted([name, "water.extxyz"])


def test_a_rerun_into_an_earlier_analysis_folder_still_replaces_its_outputs(tmp_path, capsys):
    water_frames(tmp_path / "water.extxyz")
    out = tmp_path / "analysis"
    args = ["analyze", str(tmp_path / "water.extxyz"), "--only", "intra_inter_rdf", "-o",
            str(out), "-q"]
    assert main(args) == 0, capsys.readouterr().err
    first = (out / "summary.json").stat().st_mtime_ns
    # a figure of an analysis not run now, beside the earlier run's summary: the earlier
    # run's, removed as before
    (out / "viscosity.png").write_bytes(b"old")
    assert main(args) == 0, capsys.readouterr().err
    assert (out / "summary.json").stat().st_mtime_ns >= first
    assert not (out / "viscosity.png").exists()
    assert Path(out / "intra_inter_rdf.png").exists()
