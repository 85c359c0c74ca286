"""What an interrupted command says about running it again: resume only where it resumes.

Every command said "run the same command again to resume"; ``analyze``, ``diagnose`` and
``select`` keep nothing of an interrupted run and start over; ``analyze`` says that the earlier
outputs in its folder are untouched.
"""

import pytest
from ase import Atoms
from ase.io import write

from ase_electrolyte.md import Terminated
from electrolyte_cli import RESUMING, build_parser, main


@pytest.fixture
def stopped(tmp_path, monkeypatch):
    """``analyze`` interrupted while it reads the trajectory, by what ``stopped.error`` holds."""
    import mda_electrolyte.bridge

    class Stop:
        error = KeyboardInterrupt()

        def __call__(self, *args, **kwargs):
            raise self.error

    stop = Stop()
    monkeypatch.setattr(mda_electrolyte.bridge, "from_ase", stop)
    write(tmp_path / "traj.extxyz",
          [Atoms("LiF", positions=[[0, 0, 0], [2, 0, 0]], cell=[8, 8, 8], pbc=True)] * 3)
    monkeypatch.chdir(tmp_path)
    return stop


@pytest.mark.parametrize("error, status, said", [
    (KeyboardInterrupt(), 130, "interrupted"), (Terminated(), 143, "terminated (SIGTERM)")])
def test_an_interrupted_analyze_says_it_starts_over(stopped, capsys, error, status, said):
    stopped.error = error
    assert main(["analyze", "traj.extxyz", "-o", "out", "-q"]) == status
    err = capsys.readouterr().err
    # the output folder is not touched before the analyses publish: the earlier outputs stay
    assert err == (f"electrolyte analyze: {said}; the earlier outputs in out are untouched; "
                   "nothing of this run is kept: the same command starts it over\n")


def test_the_resuming_commands_are_subcommands_that_resume():
    """Every name is a subcommand; those that resume say so in their help or docs."""
    import electrolyte_cli

    commands = set(build_parser()._subparsers._group_actions[0].choices)
    assert set(RESUMING) <= commands
    assert {"analyze", "diagnose", "select"} == commands - set(RESUMING)
    assert electrolyte_cli._again("simulate") == "run the same command again to resume"
