"""An output folder holding other files and nothing of the command is refused before any work.

``-o /``, ``-o ~``, ``-o .`` or a folder of the user's own files were output folders: the run
files mixed with the user's, a figure or table of an analysis' name replaced, and removing the
run (``rm -r``) would remove the user's files. An empty folder, a new one and a folder of the
command's own earlier run are taken.
"""

from pathlib import Path

import pytest

from electrolyte_cli import main
from electrolyte_cli.arguments import check_not_foreign_folder, output_names


@pytest.fixture
def no_work(monkeypatch):
    """Every expensive entry point fails the test."""
    import ase_electrolyte
    import ase_electrolyte.active_learning
    import ase_electrolyte.build
    import ase_electrolyte.finetuning
    import ase_electrolyte.screen
    import electrolyte_cli.arguments as cli_arguments
    import mda_electrolyte.report

    def forbidden(*args, **kwargs):
        raise AssertionError("work started before the output folder was checked")

    for module, name in ((cli_arguments, "make_calculator"), (ase_electrolyte, "Calculator"),
                         (ase_electrolyte.build, "electrolyte_box"),
                         (ase_electrolyte.finetuning, "finetune"),
                         (ase_electrolyte.active_learning, "select_candidates"),
                         (ase_electrolyte.screen, "run_screen"),
                         (mda_electrolyte.report, "run_analyses")):
        monkeypatch.setattr(module, name, forbidden)


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    from ase.build import bulk
    from ase.calculators.emt import EMT
    from ase.io import write

    frames = []
    for seed in range(3):
        frame = bulk("Cu", cubic=True)
        frame.rattle(0.05, seed=seed)
        frame.calc = EMT()
        frame.get_stress()
        frames.append(frame)
    inp = tmp_path / "inputs"
    inp.mkdir()
    write(inp / "lab.extxyz", frames)
    (inp / "plan.toml").write_text('name = "p"\n')
    monkeypatch.chdir(tmp_path)
    return inp


_COMMANDS = {
    "simulate": ["simulate", "--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration",
                 "1", "--model", "sevennet-0"],
    "analyze": ["analyze", "inputs/lab.extxyz"],
    "diagnose": ["diagnose", "inputs/lab.extxyz", "--model", "sevennet-0"],
    "demo": ["demo", "--device", "cpu"],
    "screen": ["screen", "inputs/plan.toml"],
    "finetune": ["finetune", "inputs/lab.extxyz", "--epochs", "1"],
}


def _snapshot(folder):
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*"))


@pytest.mark.parametrize("command", sorted(_COMMANDS))
def test_a_folder_of_the_users_files_is_refused(command, inputs, no_work, capsys):
    mine = Path("mine")
    mine.mkdir()
    (mine / "thesis.tex").write_text("my own work\n")
    (mine / "summary_of_results.png").write_bytes(b"\x89PNG")
    before = _snapshot(Path("."))
    assert main([*_COMMANDS[command], "-o", "mine"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "-o/--output mine" in err and "thesis.tex" in err, err
    assert "new or empty folder" in err and f"electrolyte {command}" in err, err
    assert _snapshot(Path(".")) == before


@pytest.mark.parametrize("where, said", [("/", "the root folder"), (".", "the current folder")])
def test_the_root_and_the_current_folder_are_named(where, said, inputs, no_work, capsys):
    assert main([*_COMMANDS["simulate"], "-o", where]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1, err


def test_the_home_folder_is_refused(inputs, no_work, capsys, monkeypatch):
    home = inputs.parent / "home"
    home.mkdir()
    (home / ".bashrc").write_text("# mine\n")
    monkeypatch.setenv("HOME", str(home))
    assert main([*_COMMANDS["analyze"], "-o", str(home)]) == 2
    err = capsys.readouterr().err
    assert "your home folder" in err and ".bashrc" in err, err


@pytest.mark.parametrize("command", sorted(_COMMANDS))
def test_new_empty_and_own_folders_are_taken(command, tmp_path):
    from ase_electrolyte.writer_lock import FOLDER_LOCK_NAME

    check_not_foreign_folder(tmp_path / "new", command)  # not there yet
    empty = tmp_path / "empty"
    empty.mkdir()
    check_not_foreign_folder(empty, command)
    # a lock left by a killed run is bookkeeping, no file of the user's
    (empty / FOLDER_LOCK_NAME).write_text("")
    check_not_foreign_folder(empty, command)
    # an earlier run of the command, with a file of the user's beside it: resumed or rerun
    own = tmp_path / "own"
    own.mkdir()
    (own / "notes.txt").write_text("x")
    name = output_names(command)[0].replace("*", "0")
    (own / name).write_text("")
    check_not_foreign_folder(own, command)
    # ... but not a folder that only another command's run made
    other = next(c for c in _COMMANDS if not set(output_names(c)) & set(output_names(command)))
    theirs = tmp_path / f"theirs_{other}"
    theirs.mkdir()
    (theirs / output_names(other)[0].replace("*", "0")).write_text("")
    with pytest.raises(ValueError, match="no output of electrolyte"):
        check_not_foreign_folder(theirs, command)
