"""The folder advised instead of another command's output folder given as ``.`` or ``..`` is
its sibling, by its real name.

Before: ``electrolyte analyze run/production.h5md -o ..`` (from inside ``run/sub``) advised
"e.g. .._analyze", a folder named ``.._analyze`` in the current folder, and ``-o .`` inside a
run folder advised a folder inside that run's output (``run/electrolyte_analyze``), not beside
it as for any other name.
"""

import pytest

from electrolyte_cli import arguments as A


@pytest.fixture
def run_folder(tmp_path):
    """``tmp_path/run``: the output of electrolyte simulate (its simulation.json), with an
    empty folder ``sub`` in it."""
    run = tmp_path / "run"
    (run / "sub").mkdir(parents=True)
    (run / "simulation.json").write_text("{}")
    return run


@pytest.mark.parametrize("command", ["analyze", "diagnose", "finetune", "screen"])
@pytest.mark.parametrize("where, given", [("run", "."), ("run/sub", ".."),
                                          ("run/sub", "../../run"), ("run", "sub/..")])
def test_a_dotted_name_is_advised_its_real_sibling(where, given, command, run_folder,
                                                   monkeypatch):
    monkeypatch.chdir(run_folder.parent / where)
    with pytest.raises(ValueError) as refused:
        A.check_not_another_commands_folder(given, command)
    text = str(refused.value)
    assert text.startswith(f"-o/--output {given} holds the output of electrolyte simulate "
                           "(simulation.json)"), text
    if given == "../../run":
        assert text.endswith(f"e.g. ../../run_{command}"), text
    else:
        assert text.endswith(f"e.g. {run_folder.parent / ('run_' + command)}"), text


def test_a_plain_name_keeps_its_sibling_as_typed(run_folder, monkeypatch):
    monkeypatch.chdir(run_folder.parent)
    with pytest.raises(ValueError, match=r"e\.g\. run_analyze$"):
        A.check_not_another_commands_folder("run", "analyze")
