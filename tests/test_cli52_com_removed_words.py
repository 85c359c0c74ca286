"""A refusal of ``--com-removed`` names the value as the option takes it (yes/no).

``electrolyte analyze run.h5md --com-removed no`` on a file whose run states its own count
was refused as "--com-removed False contradicts run.h5md ...": the library's keyword value,
renamed to the option but not to a value the option takes (``{yes,no}``).
"""

import pytest
from cli_inputs import free_run

from electrolyte_cli import main
from electrolyte_cli.analyze import _com_removed_as_typed


@pytest.fixture(scope="module")
def h5md(tmp_path_factory):
    """A short run_md file, which states the count of its temperatures (0 constraints,
    centre of mass at rest)."""
    pytest.importorskip("rdkit")
    return free_run(tmp_path_factory.mktemp("run") / "production.h5md",
                    {"EC": 2, "Li": 1, "PF6": 1}, steps=12, timestep_fs=0.5, write_interval=2)


@pytest.mark.parametrize(("options", "said"), [
    (["--com-removed", "no"], ["--com-removed no"]),
    (["--constraints", "5", "--com-removed", "yes"], ["--constraints 5", "--com-removed yes"]),
    (["--constraints", "4", "--com-removed", "no"], ["--constraints 4", "--com-removed no"]),
    (["--constraints", "5"], ["--constraints 5"]),
])
def test_contradicting_count_named_as_typed(h5md, tmp_path, capsys, options, said):
    status = main(["analyze", str(h5md), "-o", str(tmp_path / "out"), "-q",
                   "--only", "green_kubo_conductivity", *options])
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "contradicts" in lines[0]
    for text in said:
        assert text in lines[0]
    assert "True" not in lines[0] and "False" not in lines[0]


@pytest.mark.parametrize(("text", "shown"), [
    ("--com-removed False contradicts x", "--com-removed no contradicts x"),
    ("--constraints 3, --com-removed True contradicts", "--constraints 3, --com-removed yes "
     "contradicts"),
    ("leave out --constraints and --com-removed (the file's count)",
     "leave out --constraints and --com-removed (the file's count)"),
    ("--com-removed Falsehood", "--com-removed Falsehood"),
])
def test_values_rewritten_only_after_the_option(text, shown):
    assert _com_removed_as_typed(text) == shown
