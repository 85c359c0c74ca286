"""One check of the output folder for every command, before any work, in one wording.

``simulate``, ``screen``, ``finetune`` and ``demo`` checked an output folder holding another
command's finished run only as "a folder holding other files", ``analyze`` and ``diagnose`` as
"the output of electrolyte X"; ``finetune`` checked the folder and its numbers only after the
frames files' check (which imports ase.io), ``diagnose`` its ``--vacuum`` only after reading a
``--reference`` labels file whole.
"""

from pathlib import Path

import pytest

from electrolyte_cli import main


class _Work(BaseException):
    """Raised by every expensive entry point: not an Exception, so no handler takes it."""


@pytest.fixture
def no_work(monkeypatch):
    import ase_electrolyte
    import ase_electrolyte.active_learning
    import ase_electrolyte.build
    import ase_electrolyte.finetuning
    import ase_electrolyte.screen
    import electrolyte_cli.arguments as cli_arguments
    import mda_electrolyte.model_labels
    import mda_electrolyte.report

    def forbidden(*args, **kwargs):
        raise _Work

    for module, name in ((cli_arguments, "make_calculator"), (ase_electrolyte, "Calculator"),
                         (cli_arguments, "claim_output_folder"),
                         (ase_electrolyte.build, "electrolyte_box"),
                         (ase_electrolyte.finetuning, "finetune"),
                         (ase_electrolyte.active_learning, "select_candidates"),
                         (ase_electrolyte.screen, "run_screen"),
                         (mda_electrolyte.model_labels, "read_frames"),
                         (mda_electrolyte.report, "run_analyses")):
        monkeypatch.setattr(module, name, forbidden)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    from ase.build import bulk
    from ase.calculators.emt import EMT
    from ase.io import write

    frames = []
    for seed in range(2):
        frame = bulk("Cu", cubic=True)
        frame.rattle(0.05, seed=seed)
        frame.calc = EMT()
        frame.get_stress()
        frames.append(frame)
    write(tmp_path / "lab.extxyz", frames)
    (tmp_path / "plan.toml").write_text('name = "p"\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


_COMMANDS = {
    "simulate": ["simulate", "--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration",
                 "1", "--model", "sevennet-0"],
    "analyze": ["analyze", "lab.extxyz"],
    "diagnose": ["diagnose", "lab.extxyz", "--model", "sevennet-0"],
    "demo": ["demo", "--device", "cpu"],
    "screen": ["screen", "plan.toml"],
    "finetune": ["finetune", "lab.extxyz", "--epochs", "1"],
}

#: What each command leaves in its folder (its first file among them).
_FINISHED = {
    "simulate": ("initial.extxyz", "production.h5md", "simulation.json"),
    "analyze": ("summary.json", "rdf.png"),
    "diagnose": ("diagnose.json", "rigid_volume_scan.csv"),
    "demo": ("report.html", "simulation.json"),
    "screen": ("plan.json", "summary.csv"),
    "finetune": ("member_0/finetuned.pth", "learning_curve.png"),
}


def _snapshot(folder):
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*"))


def _refusal(argv, workdir, capsys):
    """The one line of a refused command, after checking that nothing was written."""
    before = _snapshot(workdir)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert _snapshot(workdir) == before
    return err.strip()


def _obstacle(case, workdir):
    """The ``-o`` value of ``case``, with what it needs made in ``workdir``."""
    if case == "empty name":
        return ""
    (workdir / "x").write_text("a file of the user's")
    return {"a file": "x", "a path through a file": "x/sub"}[case]


@pytest.mark.parametrize("case", ["empty name", "a file", "a path through a file"])
def test_an_obstacle_reads_the_same_in_every_command(case, workdir, no_work, capsys):
    said = {}
    for command, argv in _COMMANDS.items():
        err = _refusal(argv + ["-o", _obstacle(case, workdir)], workdir, capsys)
        assert err.startswith(f"electrolyte {command}: error: -o/--output"), err
        said[command] = err.replace(f"electrolyte {command}:", "electrolyte CMD:")
    assert len(set(said.values())) == 1, said


def test_a_path_through_a_file_names_the_file(workdir, no_work, capsys):
    """"x is not a writable folder" of a file x read as a matter of permissions."""
    err = _refusal(_COMMANDS["screen"] + ["-o", _obstacle("a path through a file", workdir)],
                   workdir, capsys)
    assert "x is not a writable folder (it is a file)" in err


@pytest.mark.parametrize("command", sorted(_COMMANDS))
def test_another_commands_finished_run_is_named_by_every_command(command, workdir, no_work,
                                                                  capsys):
    for other, files in _FINISHED.items():
        if other == command or (command, other) == ("demo", "simulate"):
            continue  # the demo's run is a simulate run: resumed, checked by its settings
        folder = workdir / f"of_{other}"
        for name in files:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text("{}")
        err = _refusal(_COMMANDS[command] + ["-o", folder.name], workdir, capsys)
        assert (f"-o/--output {folder.name} holds the output of electrolyte {other} "
                f"({files[0].split('/')[0]})") in err, err
        assert f"give a new or empty folder, e.g. of_{other}_{command}" in err, err


@pytest.mark.parametrize("command", sorted(_COMMANDS))
def test_a_new_folder_and_the_commands_own_folder_get_to_the_work(command, workdir, no_work):
    """The refusals above are no refusal of everything: the checks pass on to the work."""
    for out in ("new", "own"):
        if out == "own":
            name = _FINISHED[command][0]
            (workdir / out / name).parent.mkdir(parents=True, exist_ok=True)
            (workdir / out / name).write_text("{}")
        argv = _COMMANDS[command] + ["-o", out]
        if command == "finetune" and out == "own":
            argv.append("--overwrite")  # an earlier fine-tune's models are replaced only so
        with pytest.raises(_Work):
            main(argv)


@pytest.mark.parametrize("option", [["--epochs", "0"], ["--lr", "nan"], ["--batch-size", "0"],
                                    ["--ensemble", "0"], ["--pressure-shift", "inf"]])
def test_finetune_refuses_a_bad_number_before_the_frames_files(option, workdir, no_work,
                                                               capsys, monkeypatch):
    """The frames files' check imports ase.io (a second on an idle core): after the numbers."""
    import electrolyte_cli.arguments as cli_arguments

    def forbidden(*args, **kwargs):
        raise _Work

    monkeypatch.setattr(cli_arguments, "check_frames_file", forbidden)
    argv = ["finetune", "lab.extxyz", *(["--epochs", "1"] if option[0] != "--epochs" else []),
            *option]
    err = _refusal(argv, workdir, capsys)
    assert option[0] in err


def test_diagnose_refuses_a_bad_vacuum_before_reading_the_labels(workdir, no_work, capsys):
    """``--vacuum nan`` was refused only after the ``--reference`` file had been read whole
    (``read_frames`` is forbidden by the fixture)."""
    Path("lab2.extxyz").write_bytes(Path("lab.extxyz").read_bytes())
    err = _refusal(["diagnose", "lab.extxyz", "--model", "sevennet-0", "--reference",
                    "lab2.extxyz", "--vacuum", "nan"], workdir, capsys)
    assert "--vacuum" in err and "nan" in err


@pytest.mark.parametrize("argv", [
    ["finetune", "lab.extxyz", "--epochs", "1", "--device", "gpu7"],
    ["select", "lab.extxyz", "-n", "2", "--device", "gpu7"],
])
def test_a_mistyped_device_is_refused_before_the_frames_files(argv, workdir, no_work, capsys,
                                                              monkeypatch):
    import electrolyte_cli.arguments as cli_arguments

    def forbidden(*args, **kwargs):
        raise _Work

    monkeypatch.setattr(cli_arguments, "check_frames_file", forbidden)
    err = _refusal(argv, workdir, capsys)
    assert "--device 'gpu7'" in err and "cuda" in err
