"""Advice the analyses give in Python keywords (``use fewer n_blocks``, ``give cutoffs=``) is
marked ``(Python only)`` in the terminal of ``electrolyte analyze`` and ``demo``, which run every
analysis at its defaults and have no option for any of them, with one line saying what the user
can do instead. Before, the refusals and verdicts told the user to give options the command
lacks ("give fewer n_blocks")."""

import ast
import re
from pathlib import Path

import pytest
from cli_inputs import free_run

import mda_electrolyte
from electrolyte_cli import main
from electrolyte_cli.arguments import (
    ANALYSIS_COMMANDS,
    PYTHON_ONLY,
    analysis_keywords,
    python_only,
    python_only_note,
)

_ADVICE = re.compile(
    r"\b(?:give|use|pass|set|reduce|raise|lower|increase|with|longer|shorter|fewer|more|"
    r"larger|smaller|wider)\s+(?:(?:a|an|the|longer|shorter|fewer|more|larger|smaller|wider)"
    r"\s+)*([a-z]+_[a-z_]+|[a-z_]+=)")


def _advice_in_the_analyses():
    """Every piece of advice naming a keyword in the string literals of mda_electrolyte."""
    found = []
    keywords = analysis_keywords()
    for path in sorted(Path(mda_electrolyte.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for match in _ADVICE.finditer(node.value):
                    name = match.group(1).rstrip("=")
                    if name in keywords:
                        found.append(pytest.param(match.group(0), name,
                                                  id=f"{path.stem}:{node.lineno}:{name}"))
    return found


ADVICE = _advice_in_the_analyses()


def test_the_analyses_advise_keywords():
    # the class is not empty: the messages that read "give fewer n_blocks" are among them
    names = {p.values[1] for p in ADVICE}
    assert {"n_blocks", "max_lag", "cutoffs"} <= names, names


@pytest.mark.parametrize("advice, keyword", ADVICE)
def test_every_keyword_advised_is_marked_once(advice, keyword):
    text = f"refused ({advice} or analyse more frames)"
    marked, found = python_only(text)
    assert found
    assert marked.count(PYTHON_ONLY) == 1
    # only the mark added, right after the keyword (with its value, if any)
    assert marked.replace(f" {PYTHON_ONLY}", "") == text
    assert re.search(rf"{re.escape(keyword)}=?\S* {re.escape(PYTHON_ONLY)}", marked)
    # a message quoting a marked one is not marked twice
    assert python_only(marked) == (marked, False)


@pytest.mark.parametrize("text", [
    "too short: 3.1 independent frames (need 50); analyse more frames",
    "counted with shell cutoffs from RDF first minima",  # an English word, no '='
    "figure intra_inter_errors.png, table rigid_volume_scan.csv",  # file names
    "give --max-frames, not --max_frames",  # an option as typed
    "fit_window_ps.csv written",
])
def test_words_files_and_options_are_not_marked(text):
    assert python_only(text) == (text, False)


def test_a_keyword_the_command_has_is_left_to_its_option():
    text = "frames carry no time; assuming dt=1 ps"
    assert python_only(text, ANALYSIS_COMMANDS["analyze"]) == (text, False)
    assert python_only(text, ANALYSIS_COMMANDS["demo"])[1]


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """A 0.003 ps run_md trajectory of 2 LiPF6 + 4 EC: too short for a diffusion fit (its
    fit window, 10-60 % of the run since Diffusion fits the whole trajectory, holds 1 lag;
    0.03 ps was too short only for the former 10 segments)."""
    pytest.importorskip("rdkit")
    return free_run(tmp_path_factory.mktemp("short") / "production.h5md",
                    {"EC": 4, "Li": 2, "PF6": 2}, steps=3, timestep_fs=1.0, write_interval=1,
                    observe_interval=1)


def _unmarked(text):
    """Keywords with an underscore in ``text`` left without the mark."""
    words = re.findall(r"(?<![\w./-])([a-z]+_[a-z_]+)(?![\w=./-])(?!\s*\(Python only\))", text)
    return sorted(set(words) & analysis_keywords())


def test_analyze_marks_the_advice_of_a_refusal_in_its_error_line(short_run, tmp_path, capsys):
    code = main(["analyze", str(short_run), "--only", "diffusion", "-o", str(tmp_path / "a"),
                 "-q"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    line = err.strip()
    assert PYTHON_ONLY in line and not _unmarked(line), line
    assert line.endswith(python_only_note("analyze"))


def test_analyze_marks_the_advice_in_its_terminal_summary(short_run, tmp_path, capsys):
    assert main(["analyze", str(short_run), "-o", str(tmp_path / "a"), "-q",
                 "--keep-going"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(PYTHON_ONLY in line for line in lines)
    assert not _unmarked(out), _unmarked(out)
    # one line says what the mark means, before the report's path
    assert lines[-2].strip() == python_only_note("analyze")
    assert lines[-1].startswith("report: ")
