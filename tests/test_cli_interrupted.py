"""``electrolyte simulate`` stopped by SIGTERM (a batch scheduler's time limit) or Ctrl-C.

SIGTERM killed the command without a word: no line saying what happened or that the same
command resumes, and the trajectory being written was not closed at its last frame. Now it
unwinds as Ctrl-C does: one line on stderr, exit status 143 (130 for Ctrl-C), every stage file
readable to its last complete frame, no summary of an unfinished run; the same command resumes.
"""

import os
import signal
import warnings

import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.trajectory import h5md_info

_ARGV = ["simulate", "--counts", "EC=2", "--model", "sevennet-0", "-q", "--temperature", "60",
         "--preequilibration-ps", "0", "--equilibration-ps", "0.03", "--production-ps", "0.02",
         "--write-interval-fs", "2"]


class _SignallingLJ(LennardJones):
    """Argon LJ that sends its own process ``signum`` at its ``at``-th evaluation."""

    def __init__(self, at=None, signum=signal.SIGTERM):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.at, self.signum, self.calls = at, signum, 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            os.kill(os.getpid(), self.signum)
        super().calculate(*args, **kwargs)


_SignallingLJ.__module__, _SignallingLJ.__name__ = LennardJones.__module__, LennardJones.__name__


def _argon_box(**kwargs):
    return bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))


def _unhandled(signum, frame):
    # a SIGTERM the command does not handle fails the test instead of killing pytest
    raise RuntimeError("SIGTERM reached the test's own handler")


@pytest.fixture
def sigterm_guard():
    previous = signal.signal(signal.SIGTERM, _unhandled)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("signum,status,said", [
    (signal.SIGTERM, 143, "terminated (SIGTERM); run the same command again to resume"),
    (signal.SIGINT, 130, "interrupted; run the same command again to resume"),
])
# the pre-equilibration's first step (after the relaxation and the two stress evaluations that
# measure the NPT start's stiffness, before its file), in the equilibration
@pytest.mark.parametrize("at", [5, 25])
def test_a_signalled_simulate_says_so_in_one_line_and_resumes(signum, status, said, at,
                                                              tmp_path, capsys, monkeypatch,
                                                              sigterm_guard):
    from test_interrupted_runs import _assert_readable

    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
    monkeypatch.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ(at, signum))
    out = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(_ARGV + ["-o", str(out)]) == status
    err = capsys.readouterr().err
    # one line that says where it stopped (which stage, what its file keeps: "interrupted;
    # run the same command again" said neither), then how to go on
    what, again = said.split("; ")
    assert err.startswith(f"electrolyte simulate: {what} in the equilibration stage: "), err
    assert err.endswith(f"; {again}\n") and err.count("\n") == 1, err
    assert f"finished stage files in {out}: relaxed.h5md;" in err, err
    info = h5md_info(out / "equilibration.h5md")
    n = info["n_frames"]
    assert (f"{out / 'equilibration.h5md'} keeps {n} frame{'s' * (n != 1)} up to step "
            f"{info['last_step']}, not marked complete;") in err, err
    assert "a rerun with the same arguments" not in err and "the same call" not in err
    assert signal.getsignal(signal.SIGTERM) is _unhandled  # the command's handler is gone
    assert not (out / "simulation.json").exists()  # no summary of an unfinished run
    files = sorted(out.glob("*.h5md"))
    assert files and not all(h5md_info(f)["complete"] for f in files)
    for path in files:
        _assert_readable(path)
    monkeypatch.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(_ARGV + ["-o", str(out)]) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert (out / "simulation.json").exists()
    assert all(h5md_info(f)["complete"] for f in out.glob("*.h5md"))


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("first,second,stored,given", [
    ([], ["--density", "1.3"], "no --density (the van der Waals box)", "--density 1.3"),
    (["--density", "1.2"], ["--density", "1.3"], "--density 1.2", "--density 1.3"),
    (["--density", "1.2"], [], "--density 1.2", "no --density (the van der Waals box)"),
    (["--seed", "4"], ["--seed", "5"], "--seed 4", "--seed 5"),
])
def test_a_rerun_with_another_box_setting_is_refused_before_packing(first, second, stored,
                                                                    given, tmp_path, capsys,
                                                                    monkeypatch):
    """A resume read the first call's box and compared its composition only: another
    --density or --seed went on with the old box without a word."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    packed = []

    def box(**kwargs):
        packed.append(kwargs)
        return _argon_box()

    monkeypatch.setattr(ase_electrolyte.build, "electrolyte_box", box)
    # interrupted at once: the folder holds the packed box and nothing else finished
    monkeypatch.setattr(cli_arguments, "make_calculator",
                        lambda *a: _SignallingLJ(1, signal.SIGINT))
    out = tmp_path / "run"
    assert main(_ARGV + first + ["-o", str(out)]) == 130
    capsys.readouterr()
    assert main(_ARGV + second + ["-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (f"electrolyte simulate: error: {out} holds a box packed with {stored}, not "
                   f"{given}: a resume continues the box it started from; rerun with {stored} "
                   "to resume it, or choose another output folder\n")
    assert len(packed) == 1  # refused before packing
    # the settings it was packed with resume it
    monkeypatch.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
    assert main(_ARGV + first + ["-o", str(out)]) == 0
    assert all(h5md_info(f)["complete"] for f in out.glob("*.h5md"))
