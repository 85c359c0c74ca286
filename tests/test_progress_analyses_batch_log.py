"""The analyses' progress bars in a batch job's log: one mechanism with the MD bars.

MDAnalysis draws each analysis' bar with tqdm's 0.1 s refresh; off a terminal every refresh is a
new line of the log (``electrolyte analyze`` and ``diagnose`` without ``-q``: 16 refreshes for
a 1.6 s pass of 400 frames, a line every 0.1 s over a run of hours). Every
:class:`~mda_electrolyte.analysis_base.FrameAnalysis` now takes
:func:`ase_electrolyte.md.progress_bar_options` for the stream of the moment, the caller's own
``progressbar_kwargs`` on top. Bounds grow with the measured time, so a slow machine cannot
fail them.
"""

import io
import math
import time

import MDAnalysis as mda
import numpy as np
import pytest

from ase_electrolyte.md import BATCH_PROGRESS_INTERVAL_S
from mda_electrolyte.analysis_base import FrameAnalysis

N_FRAMES = 400
SLEEP_S = 0.004  # a pass of at least 1.6 s: 16 refreshes at tqdm's own interval


class _Log(io.StringIO):
    """A log file: not a terminal."""


class _Terminal(io.StringIO):
    def isatty(self):
        return True


class _Slow(FrameAnalysis):
    def _prepare(self):
        self.results.n = 0

    def _single_frame(self):
        time.sleep(SLEEP_S)
        self.results.n += 1

    def _conclude(self):
        pass


def _universe():
    u = mda.Universe.empty(2, trajectory=True)
    coords = np.random.default_rng(0).uniform(0.0, 10.0, (N_FRAMES, 2, 3))
    u.load_new(coords, dimensions=[10.0, 10.0, 10.0, 90.0, 90.0, 90.0])
    return u


def _run(stream, monkeypatch, **kwargs):
    monkeypatch.setattr("sys.stderr", stream)
    start = time.perf_counter()
    analysis = _Slow(_universe().trajectory).run(verbose=True, **kwargs)
    return analysis, time.perf_counter() - start


def test_a_bar_in_a_log_refreshes_once_per_interval_besides_its_first_and_last(monkeypatch):
    log = _Log()
    analysis, elapsed = _run(log, monkeypatch)
    assert analysis.results.n == N_FRAMES
    text = log.getvalue()
    allowed = 2 + math.ceil(elapsed / BATCH_PROGRESS_INTERVAL_S) + 1
    assert 1 <= text.count("\r") <= allowed
    assert f"{N_FRAMES}/{N_FRAMES}" in text.rsplit("\r", 1)[-1]  # the last line says it ended


def test_the_callers_options_are_kept(monkeypatch):
    log = _Log()
    _, elapsed = _run(log, monkeypatch, progressbar_kwargs={"mininterval": 0.1})
    # tqdm's own interval, as asked: about one refresh per 0.1 s of a pass of >= 1.6 s
    assert log.getvalue().count("\r") >= 5


def test_a_terminal_keeps_tqdms_own_interval(monkeypatch):
    terminal = _Terminal()
    _run(terminal, monkeypatch)
    assert terminal.getvalue().count("\r") >= 5


@pytest.mark.parametrize("verbose", [False, None])
def test_no_bar_without_verbose(verbose, monkeypatch):
    log = _Log()
    monkeypatch.setattr("sys.stderr", log)
    _Slow(_universe().trajectory).run(stop=20, verbose=verbose)
    assert log.getvalue() == ""
