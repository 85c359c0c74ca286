"""Paths as users give them: links that loop or point nowhere, '-', spaces and unicode.

A symbolic link that loops read as "no such file" for an input, and failed an output only after
the work ("[Errno 40] Too many levels of symbolic links" after select's model had loaded and
selected; "[Errno 17] File exists" for an analysis folder). '-' (standard input, which no
command reads) read as "no such file". Each is one line, exit status 2, before any work (the
expensive entry points are patched to fail by the ``workdir`` fixture), nothing created.
"""

import os

import pytest

from electrolyte_cli import main
from tests import test_cli_arguments
from tests.test_cli_arguments import _refused

workdir = test_cli_arguments.workdir  # the fixture: expensive work patched to fail

_INPUTS = {  # command line with INPUT where the input file goes, and how it is named
    "analyze": (["analyze", "INPUT", "-o", "out"], "the trajectory"),
    "diagnose": (["diagnose", "INPUT", "--model", "sevennet-0", "-o", "out"], "the trajectory"),
    "finetune": (["finetune", "INPUT", "--epochs", "1", "-o", "out"], "the training data"),
    "select": (["select", "INPUT", "-n", "1", "-o", "out.extxyz"], "the candidates file"),
    "screen": (["screen", "INPUT", "-o", "out"], "the plan"),
    "finetune --valid": (["finetune", "lab.extxyz", "--valid", "INPUT", "--epochs", "1", "-o",
                          "out"], "--valid"),
    "analyze --dump": (["analyze", "lab.extxyz", "--dump", "INPUT"], "--dump"),
}
_OUTPUTS = {
    "analyze": ["analyze", "lab.extxyz", "-o", "OUTPUT"],
    "finetune": ["finetune", "lab.extxyz", "--epochs", "1", "-o", "OUTPUT"],
    "screen": ["screen", "plan.toml", "-o", "OUTPUT"],
    "simulate": ["simulate", "--counts", "EC=3,Li=1,PF6=1", "--model", "sevennet-0", "-o",
                 "OUTPUT"],
    "demo": ["demo", "--device", "cpu", "-o", "OUTPUT"],
}


def _links(folder):
    os.symlink("loop_b", folder / "loop_a")
    os.symlink("loop_a", folder / "loop_b")
    os.symlink("nowhere", folder / "dangling")


def _with(argv, slot, value):
    return [value if a == slot else a for a in argv]


@pytest.mark.parametrize("case", list(_INPUTS))
@pytest.mark.parametrize("value, message", [
    ("loop_a", "{name} loop_a: loop_a is a symbolic link that loops"),
    ("loop_a/x.extxyz", "{name} loop_a/x.extxyz: loop_a is a symbolic link that loops"),
    ("dangling", "{name} dangling: dangling is a symbolic link to nowhere, which does not "
     "exist"),
    ("-", "{name} '-': standard input is not read; give a file name"),
])
def test_an_input_that_is_a_broken_link_or_stdin_is_named(workdir, capsys, case, value,
                                                          message):
    _links(workdir)
    argv, name = _INPUTS[case]
    _refused(_with(argv, "INPUT", value), message.format(name=name), workdir, capsys)


@pytest.mark.parametrize("case", list(_OUTPUTS))
@pytest.mark.parametrize("value, message", [
    ("loop_a", "-o/--output loop_a: loop_a is a symbolic link that loops"),
    ("loop_b/run", "-o/--output loop_b/run: loop_b is a symbolic link that loops"),
    ("dangling", "-o/--output dangling: dangling is a symbolic link to nowhere, which does "
     "not exist"),
])
def test_an_output_folder_that_is_a_broken_link_is_refused_before_work(workdir, capsys, case,
                                                                       value, message):
    _links(workdir)
    _refused(_with(_OUTPUTS[case], "OUTPUT", value), message, workdir, capsys)


def test_select_output_file_that_loops_is_refused_before_the_model_loads(workdir, capsys):
    _links(workdir)
    os.symlink("loop_a", workdir / "picked.extxyz")
    _refused(["select", "lab.extxyz", "-n", "1", "-o", "picked.extxyz"],
             "-o/--output picked.extxyz: picked.extxyz is a symbolic link that loops", workdir,
             capsys)


def test_a_file_named_dash_is_read_as_a_file(workdir, capsys):
    """'-' is refused only when no file of that name exists: then it is that file."""
    (workdir / "-").write_text("")  # an empty one: refused as empty, by its name
    _refused(["select", "-", "-n", "1", "-o", "out.extxyz"],
             "the candidates file -: not a frames file ase.io can read (Empty file", workdir,
             capsys)


def test_paths_with_spaces_and_unicode_and_options_after_positionals(workdir, capsys,
                                                                     monkeypatch):
    """The input and output names reach the work whole, options in any order."""
    import ase_electrolyte.active_learning

    seen = {}

    def select_candidates(candidates, n, **kwargs):
        seen.update(candidates=candidates, n=n, out=kwargs["out"])
        return [None] * n

    monkeypatch.setattr(ase_electrolyte.active_learning, "select_candidates",
                        select_candidates)
    monkeypatch.setattr("electrolyte_cli.arguments.check_model_args", lambda *a, **k: None)
    name = "ünï cödé lab €.extxyz"
    (workdir / name).write_bytes((workdir / "lab.extxyz").read_bytes())
    (workdir / "sous dossier").mkdir()
    assert main(["select", "-n", "2", name, "--method", "fps", "-o",
                 "sous dossier/chöix 1.extxyz"]) == 0, capsys.readouterr().err
    assert seen == {"candidates": name, "n": 2, "out": "sous dossier/chöix 1.extxyz"}
    assert "2 frame(s) selected (fps) written to sous dossier/chöix 1.extxyz" in \
        capsys.readouterr().out


@pytest.mark.parametrize("case", list(_INPUTS) + ["screen --experimental",
                                                  "diagnose --reference"])
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_an_input_that_is_a_pipe_or_a_device_is_not_called_missing(workdir, capsys, case, kind):
    """``electrolyte analyze <(zcat traj.extxyz.gz)`` (a pipe, /dev/fd/63) or /dev/zero read
    "no such file"; the readers seek and read twice, which a pipe cannot."""
    inputs = {**_INPUTS, "screen --experimental": (
        ["screen", "plan.toml", "--experimental", "INPUT", "-o", "out"], "--experimental"),
        # a pipe without a writer: the labels' read waited forever
        "diagnose --reference": (["diagnose", "lab.extxyz", "--model", "sevennet-0",
                                  "--reference", "INPUT", "-o", "out"], "--reference")}
    argv, name = inputs[case]
    if kind == "fifo":
        os.mkfifo(workdir / "pipe")
        value = "pipe"
    else:
        value = os.devnull
    _refused(_with(argv, "INPUT", value), f"{name} {value} is not a regular file (a pipe, "
             "device or socket)", workdir, capsys)
