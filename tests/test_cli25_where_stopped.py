"""An interrupted ``electrolyte simulate`` says where it stopped, in the command's words.

It said "interrupted; run the same command again to resume" wherever it stopped; the library's
notes (which stage, what its file keeps, which stages finished) were dropped, and they are
worded for a Python caller ("a rerun with the same arguments", "the same call"). Stopped in the
relaxation, before any stage file: the line says so, names the file not written and no stage
finished, and the same command then runs to the end.
"""

import signal
import warnings

import pytest

from ase_electrolyte.trajectory import h5md_info


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("signum, status, what", [(signal.SIGINT, 130, "interrupted")])
def test_stopped_in_the_relaxation_says_so_and_the_same_command_resumes(
        signum, status, what, tmp_path, capsys, monkeypatch):
    from test_cli_interrupted import _ARGV, _argon_box, _SignallingLJ

    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
    monkeypatch.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ(1, signum))
    out = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(_ARGV + ["-o", str(out)]) == status
    err = capsys.readouterr().err
    assert err == (f"electrolyte simulate: {what} in the relaxation before it converged; "
                   f"{out / 'relaxed.h5md'} not written; finished stage files in {out}: none; "
                   "run the same command again to resume\n")
    assert not (out / "relaxed.h5md").exists()
    monkeypatch.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(_ARGV + ["-o", str(out)]) == 0
    assert all(h5md_info(f)["complete"] for f in out.glob("*.h5md"))
    assert (out / "simulation.json").exists()


def test_notes_of_other_libraries_keep_the_plain_line():
    """A resuming command whose error carries no note of the MD protocol or of finetune
    (screen, another library's note) says what it said before; finetune's note says where it
    stopped (cli26: "interrupted; run the same command again" named no member, epoch or file),
    without its advice to a Python caller."""
    from electrolyte_cli import _again

    err = KeyboardInterrupt()
    err.add_note("finetune: interrupted in member 0 of 3; no member finished; the same call "
                 "resumes at member 0")
    assert _again("finetune", err) == ("in member 0 of 3; no member finished; run the same "
                                       "command again to resume")
    other = KeyboardInterrupt()
    other.add_note("sevenn: interrupted in epoch 2; the same call resumes")
    assert _again("finetune", other) == "run the same command again to resume"
    assert _again("screen", KeyboardInterrupt()) == "run the same command again to resume"
