"""The NOT VALID stamp of a figure stays within it, whatever the length of the reasons.

A solvation shell's number carries three reasons of hundreds of characters each (too few
ions, no fluctuation, cutoffs from RDF minima that are not valid, each naming its numbers):
:func:`mda_electrolyte.report.mark_invalid` wrapped them all, a stamp of about 30 lines
that covered the panel beside it, the axis labels and ran off the figure. It now holds at
most ``MAX_STAMP_LINES`` lines of reasons, a cut reason ending in "…", and says where the
reasons are in full.
"""

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ase_electrolyte.estimate import Estimate  # noqa: E402
from mda_electrolyte import report  # noqa: E402


def _long(k, words=80):
    return f"reason {k}: " + " ".join(f"word{k}x{j}" for j in range(words))


def _stamp(notes_per_estimate, figsize=(6.4, 4.8)):
    fig, ax = plt.subplots(figsize=figsize)
    bad = [Estimate(0.1, 0.01, "1", "blocks", 10, converged=False, notes=tuple(n))
           for n in notes_per_estimate]
    report.mark_invalid(ax, *bad)
    (stamp,) = ax.texts
    return fig, stamp


CASES = [
    # (notes of each estimate, reasons cut or counted)
    ([[_long(0)]], True),
    ([[_long(0), _long(1), _long(2)]], True),
    ([[_long(k)] for k in range(6)], True),
    ([[_long(0, words=400)]], True),
    ([["too few ions: 2", _long(1, words=30)]], False),
    ([["short one"], ["short two"]], False),
]


@pytest.mark.parametrize(("notes", "shortened"), CASES)
def test_stamp_lines_are_bounded(notes, shortened):
    fig, stamp = _stamp(notes)
    lines = stamp.get_text().split("\n")
    assert lines[0] == "NOT VALID"
    # the reasons' lines and one line saying where the rest is
    assert len(lines) <= 1 + report.MAX_STAMP_LINES + 1
    assert all(len(line) <= report.STAMP_WIDTH + 2 for line in lines[1:-1])
    assert ("summary.json" in lines[-1]) is shortened
    plt.close(fig)


@pytest.mark.parametrize(("notes", "shortened"), CASES)
@pytest.mark.parametrize("figsize", [(6.4, 4.8), (12, 4)])
def test_stamp_stays_within_the_figure(notes, shortened, figsize):
    fig, stamp = _stamp(notes, figsize)
    renderer = fig.canvas.get_renderer()
    box = stamp.get_window_extent(renderer)
    frame = fig.bbox
    assert box.height <= frame.height
    assert box.width <= frame.width
    plt.close(fig)


def test_a_cut_reason_ends_in_an_ellipsis_and_keeps_its_start():
    reason = _long(0)
    fig, stamp = _stamp([[reason]])
    lines = stamp.get_text().split("\n")
    assert lines[-2].endswith("…")
    shown = " ".join(lines[1:-2] + [lines[-2].removesuffix(" …")])
    assert reason.startswith(shown)
    plt.close(fig)


def test_reasons_that_fit_are_shown_whole():
    notes = [["too few ions: 2 (a shell statistic needs at least 4)",
              "too short: 3.5 independent frames (need 50)"]]
    fig, stamp = _stamp(notes)
    text = stamp.get_text()
    assert "…" not in text and "summary.json" not in text
    assert text.replace("\n", " ").endswith(" ".join(notes[0]))
    plt.close(fig)
