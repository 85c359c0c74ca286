"""Progress bars written to a stream that is not a terminal (a batch job's log file).

tqdm refreshes a bar every 0.1 s, and :func:`relax` and :func:`run_md` refreshed it again at
every change of its postfix (every relaxation step; every MD step with ``write_interval=1``):
on a terminal the line is rewritten in place, in a log every refresh is kept. Measured on 32
argon atoms, 200 FIRE steps and 1000 NVT steps wrote 124 and 1058 refreshes (10 kB and 81 kB
in about 5 s, about 1.5 kB/s over a run of days). Off a terminal a bar now refreshes at most
once per :data:`~ase_electrolyte.md.BATCH_PROGRESS_INTERVAL_S`, besides its first and last
line. The bounds below grow with the measured run time, so a slow machine cannot fail them.
"""

import io
import math
import time
import warnings

import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import (
    BATCH_PROGRESS_INTERVAL_S,
    progress_bar_options,
    relax,
    run_md,
)


class _Log(io.StringIO):
    """A log file: not a terminal; counts its writes."""

    def __init__(self):
        super().__init__()
        self.writes = 0

    def write(self, text):
        self.writes += 1
        return super().write(text)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.1, seed=1)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    return atoms


def _allowed_refreshes(elapsed_s):
    # the first line, the last one (close), and one per interval elapsed (rounded up)
    return 2 + math.ceil(elapsed_s / BATCH_PROGRESS_INTERVAL_S) + 1


def test_options_off_a_terminal_set_a_long_interval_and_keep_tqdms_on_one():
    log = io.StringIO()
    assert progress_bar_options(log) == {"file": log, "mininterval": BATCH_PROGRESS_INTERVAL_S}
    terminal = _Terminal()
    assert progress_bar_options(terminal) == {"file": terminal}
    closed = io.StringIO()
    closed.close()  # isatty() raises ValueError: not a terminal, no traceback
    assert progress_bar_options(closed)["mininterval"] == BATCH_PROGRESS_INTERVAL_S
    assert progress_bar_options(object())["mininterval"] == BATCH_PROGRESS_INTERVAL_S


def test_options_default_to_the_stream_of_the_moment(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    assert progress_bar_options()["file"] is log


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_relaxation_bar_in_a_log_refreshes_a_bounded_number_of_times(monkeypatch):
    log = _Log()
    monkeypatch.setattr("sys.stderr", log)
    start = time.perf_counter()
    relaxed = relax(_argon(), fmax=1e-6, steps=200, progress=True)
    elapsed = time.perf_counter() - start
    text = log.getvalue()
    assert 1 <= text.count("\r") <= _allowed_refreshes(elapsed)
    assert log.writes <= 4 * _allowed_refreshes(elapsed)  # before: about 2 per step
    last = text.rsplit("\r", 1)[-1]
    assert f"fmax={relaxed.info['relaxed_fmax']:.2f}" in last  # the last line says where it ended


# a frame every step (the postfix set at every step) needs a file, where write_interval acts
@pytest.mark.parametrize("write_interval, steps", [(1, 200), (50, 1000)])
def test_md_bar_in_a_log_refreshes_a_bounded_number_of_times(write_interval, steps, monkeypatch,
                                                             tmp_path):
    log = _Log()
    monkeypatch.setattr("sys.stderr", log)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        final = run_md(_argon(), ensemble="nvt", steps=steps, timestep_fs=5.0,
                       temperature_K=60.0, write_interval=write_interval, progress=True,
                       trajectory=tmp_path / "run.h5md")  # frames: write_interval acts
        elapsed = time.perf_counter() - start
    text = log.getvalue()
    assert final.info["step"] == steps
    assert 1 <= text.count("\r") <= _allowed_refreshes(elapsed)
    assert log.writes <= 4 * _allowed_refreshes(elapsed)  # before: 1058 refreshes
    last = text.rsplit("\r", 1)[-1]
    assert f"{steps}/{steps}" in last and "T=" in last and "rho=" in last  # the postfix is kept


def test_md_bar_without_progress_writes_nothing(monkeypatch):
    log = _Log()
    monkeypatch.setattr("sys.stderr", log)
    run_md(_argon(), ensemble="nvt", steps=20, timestep_fs=5.0, temperature_K=60.0,
           progress=False)
    assert log.getvalue() == ""
