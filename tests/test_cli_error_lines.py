"""Every subcommand, every kind of bad argument: one line on stderr, exit status 2, no work.

The faults are those any subcommand can meet (a missing or unreadable input, an option
unknown or given twice, an output where nothing can be written); each must end before a model
loads or anything is written, in one line ``electrolyte CMD: error: ...`` that names what was
given. Also: every subcommand's ``--help`` cites the papers it follows by their authors and
year.
"""

import re

import pytest

#: Arguments that pass every check before the output's, by subcommand (``{input}``: a file).
_BASE = {
    "simulate": ["--counts", "EC=2", "--model", "sevennet-0"],
    "analyze": ["{input}"],
    "diagnose": ["{input}", "--model", "sevennet-0"],
    "demo": [],
    "finetune": ["{input}", "--epochs", "1"],
    "select": ["{input}", "-n", "1"],
}
#: The output each writes: a folder, or (select) a file.
_OUTPUT = {"select": "picked.extxyz"}


@pytest.fixture
def frames(tmp_path):
    """A small extxyz of two periodic frames (read by none of the refused commands)."""
    import ase.io
    from ase.build import molecule

    atoms = molecule("H2O", vacuum=4.0, pbc=True)
    path = tmp_path / "frames.extxyz"
    ase.io.write(path, [atoms, atoms])
    return path


@pytest.fixture
def no_work(monkeypatch):
    """Loading a model or packing a box fails the test."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments

    def forbidden(*args, **kwargs):
        raise AssertionError("work began before the refusal")

    monkeypatch.setattr(cli_arguments, "make_calculator", forbidden)
    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", forbidden)


def _argv(command, frames, output=None, replace_input=None):
    words = [str(replace_input if replace_input is not None else frames) if w == "{input}"
             else w for w in _BASE[command]]
    return [command, *words, *([] if output is None else ["-o", str(output)])]


def _one_error_line(command, argv, capsys):
    from electrolyte_cli import main

    try:
        status = main(argv)
    except SystemExit as stop:  # argparse's errors end the parse as the console script does
        status = stop.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if ": warning: " not in line]
    assert status == 2, err
    assert len(lines) == 1 and lines[0].startswith(f"electrolyte {command}: error: "), err
    assert "Traceback" not in err
    return lines[0]


def _obstacles(tmp_path):
    """``name → (path, what the error says)`` of outputs nothing can be written to."""
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "nowhere").symlink_to(tmp_path / "missing" / "deeper")
    return {
        "under a file": (tmp_path / "a_file" / "out", "a_file"),
        "a link that loops": (tmp_path / "loop", "loops"),
        "a link to nowhere": (tmp_path / "nowhere", "nowhere"),
        "empty": ("", "empty"),
    }


@pytest.mark.parametrize("command", sorted(_BASE))
@pytest.mark.parametrize("obstacle", ["under a file", "a link that loops", "a link to nowhere",
                                      "empty"])
def test_an_output_nothing_can_be_written_to_is_one_line(command, obstacle, frames, tmp_path,
                                                         capsys, no_work):
    path, said = _obstacles(tmp_path)[obstacle]
    if command in _OUTPUT and path != "":
        path = path / _OUTPUT[command] if obstacle == "under a file" else path
    before = sorted(p.name for p in tmp_path.iterdir())
    line = _one_error_line(command, _argv(command, frames, path), capsys)
    assert "-o/--output" in line and said in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("command", sorted(c for c in _BASE if "{input}" in _BASE[c]))
@pytest.mark.parametrize("fault", ["missing", "a folder", "empty name"])
def test_an_input_that_is_no_file_is_one_line(command, fault, frames, tmp_path, capsys,
                                              no_work):
    given = {"missing": tmp_path / "absent.extxyz", "a folder": tmp_path,
             "empty name": ""}[fault]
    out = tmp_path / "out" / _OUTPUT.get(command, "")
    line = _one_error_line(command, _argv(command, frames, out, replace_input=given), capsys)
    said = {"missing": "no such file", "a folder": "is a folder",
            "empty name": "is empty"}[fault]
    assert said in line, line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", sorted(_BASE))
def test_an_unknown_option_and_an_option_given_twice_are_one_line(command, frames, tmp_path,
                                                                  capsys, no_work):
    out = tmp_path / "out" / _OUTPUT.get(command, "")
    line = _one_error_line(command, _argv(command, frames, out) + ["--frobnicate"], capsys)
    assert "--frobnicate" in line, line
    line = _one_error_line(command, _argv(command, frames, out) + ["-o", str(out)], capsys)
    assert "given twice" in line, line
    assert not (tmp_path / "out").exists()


#: The papers each subcommand follows, as its --help must cite them.
_CITED = {
    "simulate": ["Ju et al. (2025)"],
    "analyze": ["Chalykh et al. (2025)", "Magdău et al. (2023)"],
    "diagnose": ["Magdău et al. (2023)", "Ju et al. (2025)"],
    "demo": ["Ju et al. (2025)"],
    "screen": ["Ju et al. (2025)"],
    "finetune": ["Ju et al. (2025)", "Gong et al. (2025)"],
    "select": ["Chalykh et al. (2025)"],
}


@pytest.mark.parametrize("command", sorted(_CITED))
def test_help_cites_papers_by_authors_and_year(command, capsys):
    from electrolyte_cli import build_parser

    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args([command, "--help"])
    assert stop.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps the lines
    for paper in _CITED[command]:
        assert paper in text, (command, paper)
    # never a paper by a file's or a seed's name
    assert not re.search(r"\bseed[ _]?\d{3}\b|\bpaper \d\b|\[\d+\]", text), text
    assert set(_CITED) == set(build_parser()._subcommands())
