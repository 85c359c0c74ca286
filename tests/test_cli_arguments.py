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
    assert seen == {"counts": {"EC": 3, "Li": 1, "PF6": 1}, "density": 1.2, "seed": 0,
                    "temperature_K": 298.0}
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


# --- every option of every subcommand, walked from the parser -------------------------------
#
# A base command line per subcommand that passes every check; each case replaces one option's
# value with a bad value of its kind. Options are found by walking build_parser(), so an option
# added later without a kind below fails test_every_option_has_a_kind.

_BASE = {
    "simulate": _SIM + ["-o", "out"],
    "analyze": ["analyze", "lab.extxyz", "-o", "out"],
    "diagnose": ["diagnose", "lab.extxyz", "--model", "sevennet-0", "-o", "out"],
    "demo": ["demo", "-o", "out", "--device", "cpu"],
    "screen": ["screen", "plan.toml", "-o", "out"],
    "finetune": ["finetune", "lab.extxyz", "--epochs", "1", "-o", "out"],
    "select": ["select", "lab.extxyz", "-n", "1", "-o", "out.extxyz"],
}
#: Bases for options that another option of the usual base excludes.
_OPTION_BASE = {("simulate", "--counts"): ["simulate", "--model", "sevennet-0", "-o", "out"]}

_NUMBER = ["nan", "inf", "-inf", "", "abc", "1,5"]
_INPUT = ["", "DIR", "missing.extxyz"]
_MODEL = ["", "DIR", "nosuch", "FILE"]
_FOLDER = ["", "FILE", "FILE/sub"]
#: The bad values of each text option (one that takes any value would be listed with a reason).
_TEXT = {
    # "EC" alone is pure EC, as electrolyte_box("EC") and a plan's solvent = "EC" read it
    "--solvent": ["", "EC:3,EMC", "EC:abc", "EC:nan", "EC:-1", "XX:1", "EC:1,EC:2"],
    "--counts": ["", "EC", "EC=1.5", "EC=-1", "EC=0", "XX=1"],
    "--salt": ["", "NaCl", "lipf6x"],
    "--units": ["", "M", "mole", "furlongs"],  # M: only its case told mol/L from mol/kg
    "--ratio": ["", "molal", "percent"],  # "volume" (v/v) is a ratio: of the pure liquids
    "--model": _MODEL, "--base": _MODEL,
    "--dispersion": ["", "d4", "d3-xx"],
    "--modal": ["", "pbx"],
    "--device": ["", "gpu", "cuda:x", "cuda:99"],
    "--output": _FOLDER,
    "--dump": _INPUT + ["FILE"],
    "--valid": _INPUT + ["lab.extxyz"],
    "--reference": ["", "DIR", "FILE"],
    "--experimental": _INPUT,
    "--exclude": _INPUT + ["FILE"],  # select's frames labelled already
    "--only": ["", ",", "nosuch"],
    "--scales": ["", ",,", "abc", "1,1", "0", "-1", "nan", "inf"],
    "--scheduler": ["", "a b", "http://h:8786"],
    # positionals: the command's input file
    "trajectory": _INPUT, "train": _INPUT, "candidates": _INPUT, "plan": _INPUT,
}
_SELECT_OUTPUT = ["", "DIR", "picked.h5md", "lab.extxyz", "FILE/x.extxyz"]
#: Numbers that are allowed for an option, by value (reason in the comment).
_ALLOWED = {
    ("simulate", "--pressure"): {"-1", "0"},  # negative pressure (tension) and 0 bar are states
    ("simulate", "--seed"): {"0"},
    ("simulate", "--preequilibration-ps"): {"0"},  # 0 skips the stage
    ("simulate", "--equilibration-ps"): {"0"},
    ("demo", "--equilibration-ps"): {"0"},
    ("finetune", "--seed"): {"0"},
    ("finetune", "--pressure-shift"): {"-1", "0"},  # ΔP of either sign, or none
    ("analyze", "--constraints"): {"0"},  # a run without constraints (flexible molecules)
}
#: Bad values still refused only after the check named here, outside electrolyte_cli.
_KNOWN: dict = {}  # (command, option, value) -> why it is not refused yet (strict xfail)
#: A value that contradicts another option is named by the message of that combination.
_NAMED_WITH = {("simulate", "--write-interval-fs", "1e308"): "--production-ps"}
#: Positionals are named in messages by what they are.
_POSITIONAL_NAME = {"trajectory": "the trajectory", "train": "the training data",
                    "candidates": "the candidates file", "plan": "the plan"}


def _subcommands():
    import argparse

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def _value_actions(command, parser):
    for action in parser._actions:
        if action.nargs == 0 or action.dest == "help":
            continue
        yield (action.option_strings[-1] if action.option_strings else action.dest), action


def _bad_values(command, name, action):
    if action.type in (int, float):
        values = _NUMBER + ["-1", "0", "1e308"] + (["1.5"] if action.type is int else [])
        return [v for v in values if v not in _ALLOWED.get((command, name), ())]
    if action.choices:
        # a choice in another case is that choice (test_cli20_choice_words): not bad
        return [c[:-1] for c in action.choices] + ["unknown", ""]
    if command == "select" and name == "--output":
        return _SELECT_OUTPUT
    return _TEXT[name]


def _walk_cases():
    cases = []
    for command, parser in _subcommands().items():
        for name, action in _value_actions(command, parser):
            if name not in _TEXT and action.type not in (int, float) and not action.choices:
                continue  # test_every_option_has_a_kind reports it
            for value in _bad_values(command, name, action):
                marks = ()
                if (command, name, value) in _KNOWN:
                    marks = pytest.mark.xfail(strict=True,
                                              reason=_KNOWN[(command, name, value)])
                cases.append(pytest.param(command, name, value, marks=marks,
                                          id=f"{command} {name} {value!r}"))
    return cases


def test_every_option_has_a_kind():
    """A new text option must say what its bad values are (or why it takes any value)."""
    for command, parser in _subcommands().items():
        for name, action in _value_actions(command, parser):
            assert action.type in (int, float) or action.choices or name in _TEXT or (
                command == "select" and name == "--output"), (command, name)


def _with_value(command, name, value):
    argv = list(_OPTION_BASE.get((command, name), _BASE[command]))
    action = dict(_value_actions(command, _subcommands()[command]))[name]
    if not action.option_strings:  # the positional: second on the command line
        argv[1] = value
        return argv
    for flag in action.option_strings:
        if flag in argv:
            argv[argv.index(flag) + 1] = value
            return argv
    return argv + [name, value]


@pytest.mark.parametrize("command,name,value", _walk_cases())
def test_every_bad_option_value_is_one_line_naming_it(command, name, value, workdir, capsys):
    argv = _with_value(command, name, value)
    before = sorted(p.name for p in workdir.iterdir())
    try:
        code = main(argv)
    except SystemExit as done:  # argparse's own refusals (a number that is not one, a choice)
        code = done.code
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    named = _POSITIONAL_NAME.get(name, name)
    flags = {named, *dict(_value_actions(command, _subcommands()[command]))[name].option_strings,
             _NAMED_WITH.get((command, name, value), named)}
    assert any(flag in lines[0] for flag in flags), (flags, err)
    # nothing was loaded or packed (patched to fail) and nothing left behind; no timing here
    # (timing goals live in benchmarks/): the patches are what show no work was done
    assert sorted(p.name for p in workdir.iterdir()) == before


def test_an_option_given_twice_is_refused(workdir, capsys):
    # the last value won without a word: --solvent EC:3 ... --solvent EMC:7 simulated EMC alone
    for argv, flag in ((_SIM + ["--solvent", "EMC:1"], "--solvent"),
                       (_SIM + ["--model=chgnet-0.3.0"], "--model"),
                       (["select", "lab.extxyz", "-n", "1", "-n", "2"], "-n")):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 2
        err = capsys.readouterr().err
        assert f"argument {flag}: given twice" in err and err.count("\n") == 1, err


def test_an_unwritable_output_folder_is_refused(workdir, capsys, monkeypatch):
    import os

    locked = workdir / "LOCKED"
    locked.mkdir()
    locked.chmod(0o500)
    # root may write anywhere, and os.access says so: there the folder's mode is what counts
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: (
        False if os.path.realpath(path) == os.path.realpath(locked) and mode & os.W_OK
        else real_access(path, mode, **kw)))
    try:
        for argv in (_SIM + ["-o", "LOCKED/run"], ["analyze", "lab.extxyz", "-o", "LOCKED/a"],
                     ["finetune", "lab.extxyz", "--epochs", "1", "-o", "LOCKED/ft"],
                     ["select", "lab.extxyz", "-n", "1", "-o", "LOCKED/x.extxyz"]):
            _refused(argv, "is not a writable folder", workdir, capsys)
    finally:
        locked.chmod(0o700)


def test_version_and_the_analysis_list_need_no_input(capsys):
    import ase_electrolyte
    from mda_electrolyte.report import registered_analyses

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(f"electrolyte {ase_electrolyte.__version__} ")
    # --list without a trajectory: "the following arguments are required: trajectory"
    assert main(["analyze", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(registered_analyses())
    assert main(["analyze"]) == 2
    assert "required: trajectory" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["analyze", "--list"], ["--version"], ["simulate", "--help"]])
def test_a_reader_that_leaves_ends_the_command_quietly(argv):
    """``electrolyte ... | head -1``: no BrokenPipeError traceback, the status of SIGPIPE."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "electrolyte_cli", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader has gone before the first line is written
    with proc.stderr:
        err = proc.stderr.read().decode()
    code = proc.wait(timeout=600)  # the start of a loaded CI machine, never the bound tested
    assert err == "", err
    assert code in (0, 141)  # argparse's help may end before its buffer is flushed


@pytest.mark.parametrize("reference, message", [
    ("labels.extxyz", "--reference labels.extxyz: no such labels file"),
    ("sub/labels.db", "--reference sub/labels.db: no such labels file"),
    ("frames.traj", "--reference frames.traj: no such labels file"),
    # not a frames file by its name: a model name or model file, named as one
    ("nosuch", "--reference: unknown model 'nosuch'"),
    ("missing.pth", "--reference: model file 'missing.pth' does not exist"),
])
def test_a_missing_reference_is_named_as_the_labels_file_or_model_it_looks_like(
        reference, message, workdir, capsys):
    """A mistyped labels file was refused as "unknown model 'labels.extxyz'"."""
    _refused(["diagnose", "lab.extxyz", "--model", "sevennet-0", "--reference", reference,
              "-o", "out"], message, workdir, capsys)


@pytest.mark.parametrize("only", ["solvation_shells", "diffusion,intra_inter_rdf"])
def test_a_model_that_no_analysis_asked_for_would_use_is_refused_before_it_loads(
        only, workdir, capsys):
    """``analyze --only density --model sevennet-0`` loaded the model and never used it (the
    density of a frames file is now refused for its missing observables: shells here)."""
    _refused(["analyze", "lab.extxyz", "--only", only, "--model", "sevennet-0", "-o", "out"],
             f"--only {only} names none of them: leave out --model", workdir, capsys)


def test_a_model_with_a_model_analysis_among_the_asked_goes_on_to_load(workdir, capsys):
    # make_calculator is patched to fail (a bug's status 1): reaching it is the sign the checks
    # let the command through. Whole molecules: the fixture's periodic Cu crystal is one
    # molecule that cannot be made whole, which the scan's frames are checked for first
    from cli_inputs import labelled_water_frames

    labelled_water_frames(workdir / "water.extxyz")
    assert main(["analyze", "water.extxyz", "--only", "intra_inter_rdf,rigid_volume_scan",
                 "--model", "sevennet-0", "-o", "out", "-q"]) == 1
    assert "expensive work started" in capsys.readouterr().err
