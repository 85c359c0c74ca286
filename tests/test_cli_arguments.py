"""Bad arguments of every ``electrolyte`` subcommand: one line, exit status 2, before any work.

Each case runs :func:`electrolyte_cli.main` with the expensive entry points (packing, model
loading, training, selection, screening, the analyses) replaced by a function that fails the
test, and checks the message, the single line and that nothing is left behind.
"""

import importlib.util
import re

import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.io import write

from electrolyte_cli import build_parser, main


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A folder with a labelled extxyz, an empty one, a text file, a file and a folder."""
    import ase_electrolyte.active_learning
    import ase_electrolyte.build
    import ase_electrolyte.calculator
    import ase_electrolyte.finetuning
    import ase_electrolyte.screen
    import electrolyte_cli.arguments as cli_arguments
    import mda_electrolyte.report

    def _forbidden(*args, **kwargs):
        raise AssertionError("expensive work started before the arguments were checked")

    for module, name in (
        (cli_arguments, "make_calculator"),
        (ase_electrolyte.build, "electrolyte_box"),
        (ase_electrolyte.calculator, "Calculator"),
        (ase_electrolyte.finetuning, "finetune"),
        (ase_electrolyte.active_learning, "select_candidates"),
        (ase_electrolyte.screen, "run_screen"),
        (mda_electrolyte.report, "run_analyses"),
    ):
        monkeypatch.setattr(module, name, _forbidden)
    frames = []
    for seed in range(3):
        frame = bulk("Cu", cubic=True)
        frame.rattle(0.05, seed=seed)
        frame.calc = EMT()
        frame.get_stress()
        frames.append(frame)
    write(tmp_path / "lab.extxyz", frames)
    (tmp_path / "empty.extxyz").write_text("")
    (tmp_path / "TEXT.txt").write_text("notes\n")
    (tmp_path / "FILE").write_text("x")
    (tmp_path / "DIR").mkdir()
    (tmp_path / "plan.toml").write_text('name = "p"\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _refused(argv, message, workdir, capsys):
    before = sorted(p.name for p in workdir.iterdir())
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    # nothing created: no output folder, no lock file, no half-written file
    assert sorted(p.name for p in workdir.iterdir()) == before


_SIM = ["simulate", "--solvent", "EC:3,EMC:7", "--salt", "LiPF6", "--concentration", "1",
        "--model", "sevennet-0"]
_COUNTS = ["simulate", "--counts", "EC=3,Li=1,PF6=1", "--model", "sevennet-0"]


@pytest.mark.parametrize("argv,message", [
    # an empty output name was the current folder (simulate, demo, finetune, screen) or
    # silently the default (analyze, diagnose)
    (_SIM + ["-o", ""], "-o/--output is empty"),
    (["demo", "-o", ""], "-o/--output is empty"),
    (["analyze", "lab.extxyz", "-o", ""], "-o/--output is empty"),
    (["diagnose", "lab.extxyz", "--model", "sevennet-0", "-o", ""], "-o/--output is empty"),
    (["finetune", "lab.extxyz", "--epochs", "1", "-o", ""], "-o/--output is empty"),
    (["screen", "plan.toml", "-o", ""], "-o/--output is empty"),
    (["select", "lab.extxyz", "-n", "1", "-o", ""], "-o/--output is empty"),
    # empty input names: '.' is a folder, whose errors said "empty name" or "BundleTrajectory"
    (["analyze", ""], "the trajectory is empty"),
    (["analyze", "lab.extxyz", "--dump", ""], "--dump is empty"),
    (["diagnose", "", "--model", "sevennet-0"], "the trajectory is empty"),
    (["diagnose", "lab.extxyz", "--model", "sevennet-0", "--reference", ""],
     "--reference is empty"),
    (["finetune", "", "--epochs", "1"], "the training data is empty"),
    (["finetune", "lab.extxyz", "--valid", "", "--epochs", "1"], "--valid is empty"),
    (["select", "", "-n", "1"], "the candidates file is empty"),
    (["screen", ""], "the plan is empty"),
    (["screen", "plan.toml", "--experimental", ""], "--experimental is empty"),
    (["screen", "plan.toml", "--scheduler", ""], "--scheduler ''"),
    (_SIM + ["--dispersion", ""], "--dispersion ''"),
    (["demo", "--dispersion", ""], "--dispersion ''"),
])
def test_empty_names_are_refused(argv, message, workdir, capsys):
    _refused(argv, message, workdir, capsys)


@pytest.mark.parametrize("argv,message", [
    (["analyze", "DIR"], "the trajectory DIR is a folder"),
    (["analyze", "lab.extxyz", "--dump", "DIR"], "--dump DIR is a folder"),
    (["diagnose", "lab.extxyz", "--model", "sevennet-0", "--reference", "DIR"],
     "--reference DIR is a folder"),
    (["finetune", "DIR", "--epochs", "1"], "the training data DIR is a folder"),
    (["finetune", "lab.extxyz", "--valid", "DIR", "--epochs", "1"], "--valid DIR is a folder"),
    (["select", "DIR", "-n", "1"], "the candidates file DIR is a folder"),
    (["select", "lab.extxyz", "-n", "1", "-o", "DIR"], "a folder of that name exists"),
    # files ase.io cannot read were an internal error (UnknownFileTypeError) in finetune
    (["finetune", "empty.extxyz", "--epochs", "1"], "not a frames file ase.io can read"),
    (["finetune", "TEXT.txt", "--epochs", "1"], "not a frames file ase.io can read"),
    (["finetune", "lab.extxyz", "--valid", "empty.extxyz", "--epochs", "1"],
     "--valid empty.extxyz: not a frames file"),
    (["finetune", "lab.extxyz", "--epochs", "1", "-o", "FILE"], "a file of that name exists"),
    (["finetune", "lab.extxyz", "--epochs", "1", "-o", "FILE/sub"], "is not a writable folder"),
    (["screen", "plan.toml", "-o", "FILE/sub"], "is not a writable folder"),
    (["select", "missing.extxyz", "-n", "1"], "no such file"),
])
def test_folders_for_files_and_unreadable_files_are_refused(argv, message, workdir, capsys):
    _refused(argv, message, workdir, capsys)


@pytest.mark.parametrize("argv,message", [
    # with --counts these were ignored without a word
    (_COUNTS + ["--concentration", "1"], "--concentration does not apply to --counts"),
    (_COUNTS + ["--n-atoms", "500"], "--n-atoms does not apply to --counts"),
    (_COUNTS + ["--units", "molar"], "--units does not apply to --counts"),
    (_COUNTS + ["--ratio", "mole"], "--ratio does not apply to --counts"),
    (_COUNTS + ["--salt", "LiPF6"], "not both"),
    # without --model, analyze ignored them (and did not check them)
    (["analyze", "lab.extxyz", "--dispersion", "d3-bj"], "give --model, or leave them out"),
    (["analyze", "lab.extxyz", "--device", "gpu"], "give --model, or leave them out"),
    # a running scheduler brings its own workers
    (["screen", "plan.toml", "--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"],
     "--workers sizes the local cluster"),
    (["screen", "plan.toml", "--scheduler", "a b"], "give the address of a running dask"),
    (["screen", "plan.toml", "--scheduler", "http://h:8786"], "give the address"),
    # an empty or repeated scan reached the volume scan only after the model had loaded
    (["diagnose", "lab.extxyz", "--model", "sevennet-0", "--scales", ",,"], "names no scale"),
    (["diagnose", "lab.extxyz", "--model", "sevennet-0", "--scales", ""], "names no scale"),
    (["diagnose", "lab.extxyz", "--model", "sevennet-0", "--scales", "1,1.0"],
     "names a factor twice"),
    # select writes extxyz whatever the name; the candidates themselves are not the output
    (["select", "lab.extxyz", "-n", "1", "-o", "picked.h5md"], "written as extxyz"),
    (["select", "lab.extxyz", "-n", "1", "-o", "picked"], "written as extxyz"),
    (["select", "lab.extxyz", "-n", "1", "-o", "lab.extxyz", "--overwrite"],
     "is the candidates file itself"),
    (["finetune", "lab.extxyz", "--epochs", "1", "--device", "gpu"], "--device 'gpu'"),
    (["finetune", "lab.extxyz", "--epochs", "1", "--base", "nosuch"], "--base: unknown model"),
])
def test_conflicting_and_malformed_options_are_refused(argv, message, workdir, capsys):
    _refused(argv, message, workdir, capsys)


@pytest.mark.skipif(importlib.util.find_spec("chgnet") is None, reason="chgnet not installed")
@pytest.mark.parametrize("argv", [
    ["select", "lab.extxyz", "-n", "1", "--model", "chgnet-0.3.0"],
    ["finetune", "lab.extxyz", "--epochs", "1", "--base", "chgnet-0.3.0"],
])
def test_a_model_of_another_backend_is_refused_before_it_loads(argv, workdir, capsys):
    # select's descriptors and finetune's trainer are SevenNet's; CHGNet loaded, then failed
    _refused(argv, "needs a sevennet model, not a chgnet model", workdir, capsys)


def test_finetune_keeps_an_earlier_run_unless_told(workdir, capsys, monkeypatch):
    import ase_electrolyte.finetuning

    earlier = workdir / "ft" / "member_0" / "finetuned.pth"
    earlier.parent.mkdir(parents=True)
    earlier.write_bytes(b"the earlier model")
    argv = ["finetune", "lab.extxyz", "--epochs", "1", "-o", "ft"]
    _refused(argv, "holds the models of an earlier fine-tune", workdir, capsys)
    assert earlier.read_bytes() == b"the earlier model"
    # with --overwrite the trainer is reached, inside the claimed folder
    seen = {}

    def fake_finetune(base, train, *, out, **kwargs):
        seen["lock"] = any(p.name.endswith(".lock") for p in (workdir / out).iterdir())
        raise RuntimeError("training diverged")

    monkeypatch.setattr(ase_electrolyte.finetuning, "finetune", fake_finetune)
    assert main(argv + ["--overwrite"]) == 2
    assert "training diverged" in capsys.readouterr().err
    assert seen == {"lock": True}
    assert earlier.read_bytes() == b"the earlier model"


def test_a_failed_finetune_leaves_no_folder_it_made(workdir, capsys, monkeypatch):
    import ase_electrolyte.finetuning

    def fake_finetune(base, train, *, out, **kwargs):
        assert (workdir / out).is_dir()
        raise RuntimeError("out of memory")

    monkeypatch.setattr(ase_electrolyte.finetuning, "finetune", fake_finetune)
    before = sorted(p.name for p in workdir.iterdir())
    assert main(["finetune", "lab.extxyz", "--epochs", "1", "-o", "new/ft"]) == 2
    assert "out of memory" in capsys.readouterr().err
    assert sorted(p.name for p in workdir.iterdir()) == before


def test_counts_run_with_their_own_box_settings(workdir, monkeypatch):
    """--counts alone still packs the given molecules (the defaults of the composition apply
    only to --solvent)."""
    import ase_electrolyte.build

    seen = {}

    def fake_box(**kwargs):
        seen.update(kwargs)
        raise RuntimeError("stop after the box")

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", fake_box)
    assert main(_COUNTS + ["--density", "1.2", "-o", "run"]) == 2
    assert seen == {"counts": {"EC": 3, "Li": 1, "PF6": 1}, "density": 1.2, "seed": 0}
    assert not (workdir / "run").exists()


@pytest.mark.parametrize("command,cited", [
    ("simulate", ["Ju et al. (2025)", "K", "bar", "ps", "fs", "g/cm³", "eV/Å"]),
    ("analyze", ["Magdău et al. (2023)", "Chalykh et al. (2025)", "S/m", "m²/s", "mPa·s"]),
    ("diagnose", ["Magdău et al. (2023)", "Ju et al. (2025)", "meV/atom", "eV/Å", "s³"]),
    ("demo", ["Ju et al. (2025)", "mol/kg", "ps"]),
    ("screen", ["Ju et al. (2025)"]),
    ("finetune", ["Ju et al. (2025)", "Gong et al. (2025)", "eV/Å", "bar"]),
    ("select", ["Chalykh et al. (2025)", "eV/Å"]),
])
def test_help_cites_papers_by_name_and_states_units(command, cited, capsys):
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([command, "--help"])
    assert done.value.code == 0
    # argparse wraps lines: compare with the whitespace folded
    text = " ".join(capsys.readouterr().out.split())
    for words in cited:
        assert words in text, (command, words)
    assert re.search(r"seed \d{3}", text) is None  # papers by name, never by seed number
