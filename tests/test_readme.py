"""The README's commands and code blocks run verbatim on the demo's output.

The README is what a new user types first, so it is tested like code: the main job
(``electrolyte demo -o demo``) runs in a scratch folder, every Python block then runs there
unchanged, every other ``electrolyte`` command line must parse with the real CLI parser, and
``.ci/run`` must run exactly the README's test command.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from electrolyte_cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _command_lines(block):
    """Shell lines of a block, comments dropped and backslash continuations joined."""
    joined = re.sub(r"\\\n\s*", " ", block)
    lines = []
    for line in joined.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def _electrolyte_commands():
    commands = []
    for block in _blocks("bash"):
        for line in _command_lines(block):
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith("electrolyte "):
                    commands.append(part)
    return commands


def test_readme_has_the_two_commands_and_ci_runs_the_test_one():
    first = _command_lines(_blocks("bash")[0])
    assert len(first) == 2, first
    main_job, tests = first
    assert main_job.endswith("electrolyte demo -o demo")
    ci = (ROOT / ".ci" / "run").read_text()
    assert tests in ci.splitlines(), "CI must run exactly the README's test command"


@pytest.mark.parametrize("command", _electrolyte_commands())
def test_every_readme_command_line_parses(command):
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert args.command == shlex.split(command)[1]


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    """The main job, verbatim, in a scratch folder (the README's first command)."""
    cwd = tmp_path_factory.mktemp("readme")
    main_job = _command_lines(_blocks("bash")[0])[0].split("&&")[-1].strip()
    env = {**os.environ, "MPLBACKEND": "Agg"}
    run = subprocess.run(
        shlex.split(main_job), cwd=cwd, env=env, capture_output=True, text=True, timeout=3000
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return cwd, run.stdout


@pytest.mark.slow(minutes=5)
def test_demo_writes_what_the_readme_promises(demo_folder):
    cwd, stdout = demo_folder
    out = cwd / "demo"
    for name in ("production.h5md", "analysis/summary.json", "analysis/report.html"):
        assert (out / name).is_file(), name
    assert list((out / "analysis").glob("*.png"))
    html = (out / "analysis" / "report.html").read_text()
    # self-contained: figures embedded, not linked
    assert "data:image/png;base64," in html
    assert "demo finished" in stdout


@pytest.mark.slow(minutes=5)
@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_readme_python_block_runs_verbatim(demo_folder, index):
    cwd, _ = demo_folder
    code = _blocks("python")[index]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=1200,
    )
    assert run.returncode == 0, run.stderr[-3000:]
