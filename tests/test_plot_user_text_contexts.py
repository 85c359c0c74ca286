"""User text in figures drawn under one matplotlib setting and saved under another.

A text's ``parse_math`` is fixed when the text is made, and tick labels are made at all sorts
of moments (the first ticks with ``plt.subplots``, the others when the figure is drawn). Bars
whose names went in as categories, escaped (or not) for the setting at the time of the call,
failed the save with mathtext's ParseSyntaxException when the figure was drawn inside
:func:`~mda_electrolyte.plotting.user_text_literally` (as ``electrolyte analyze`` draws) and
saved after it, or drawn into Axes made before it; a note on an empty panel failed the save
on a ``$x^$`` in every setting once matplotlib wrapped it (``wrap=True`` measures lines as
mathtext whatever the text says). Every combination of where the Axes are made, where the
figure is drawn and where it is saved now shows the names as typed.
"""

import itertools

import matplotlib
import matplotlib.pyplot as plt
import pytest
from test_plot_user_text import HOSTILE, _all_texts, _drawn

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import report
from mda_electrolyte.plotting import (
    estimate_bars,
    note_empty,
    tick_labels_as_typed,
    user_text_literally,
)

matplotlib.use("Agg")

_WHERE = list(itertools.product(("outside", "inside"), repeat=3))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _maybe_inside(where):
    import contextlib

    return user_text_literally() if where == "inside" else contextlib.nullcontext()


def _draw(made, drawn, saved, tmp_path, draw):
    with _maybe_inside(made):
        fig, axes = plt.subplots(1, 3)
    with _maybe_inside(drawn):
        draw(axes)
    with _maybe_inside(saved):
        fig.savefig(tmp_path / "figure.png", dpi=40)
    assert (tmp_path / "figure.png").read_bytes().startswith(b"\x89PNG")
    texts = [t for t in _all_texts(fig) if t.get_visible()]
    shown = [_drawn(t) for t in texts]
    assert None not in shown, [t.get_text() for t in texts]
    return shown


@pytest.mark.parametrize("made, drawn, saved", _WHERE)
@pytest.mark.parametrize("horizontal", [False, True])
def test_bars_notes_and_stamps_show_names_as_typed_wherever_drawn_and_saved(
        made, drawn, saved, horizontal, tmp_path):
    estimates = [Estimate(1.0 + i, 0.1, "S/m", "test") for i in range(len(HOSTILE))]

    def draw(axes):
        estimate_bars(axes[0], HOSTILE, estimates, horizontal=horizontal)
        note_empty(axes[1], f"no {HOSTILE[0]} in these shells, a long note that is wrapped "
                            f"over {HOSTILE[1]} lines")
        report.mark_invalid(axes[2], Estimate.invalid(1.0, 0.1, "S/m", "test",
                                                      f"too few {HOSTILE[2]} ions"))

    shown = _draw(made, drawn, saved, tmp_path, draw)
    for name in HOSTILE:
        assert shown.count(name) == 1, (name, shown)  # each bar's tick label, once
    joined = " ".join(shown).replace("\n", " ")
    assert f"no {HOSTILE[0]} in these shells" in joined and HOSTILE[1] in joined
    assert any(f"too few {HOSTILE[2]} ions" in s for s in shown), shown
    # the matplotlib setting of the caller is its own again
    assert matplotlib.rcParams["text.parse_math"] is True


def test_the_same_name_twice_is_two_bars(tmp_path):
    # as categories, the second "EC" was drawn over the first, one bar for two numbers
    fig, ax = plt.subplots()
    bars = estimate_bars(ax, ["EC", "EC"], [Estimate(1.0, 0.1, "1", "t"),
                                            Estimate(3.0, 0.1, "1", "t")])
    assert sorted(b.get_x() for b in bars) == pytest.approx([-0.4, 0.6])
    assert [b.get_height() for b in bars] == [1.0, 3.0]
    fig.savefig(tmp_path / "f.png", dpi=40)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["EC", "EC"]


@pytest.mark.parametrize("made, drawn, saved", _WHERE)
def test_tick_labels_as_typed_survive_a_redraw_and_a_new_view(made, drawn, saved, tmp_path):
    def draw(axes):
        axes[0].plot(range(len(HOSTILE)), range(len(HOSTILE)))
        tick_labels_as_typed(axes[0].xaxis, range(len(HOSTILE)), HOSTILE)
        tick_labels_as_typed(axes[1].yaxis, [0.5], [HOSTILE[0]])

    shown = _draw(made, drawn, saved, tmp_path, draw)
    assert all(name in shown for name in HOSTILE), shown
    fig = plt.gcf()
    fig.axes[0].set_xlim(-3, 12)  # a new view: the same fixed ticks, drawn again
    fig.set_size_inches(9, 3)
    fig.savefig(tmp_path / "again.png", dpi=40)
    assert all(_drawn(t) is not None for t in _all_texts(fig))


def test_tick_labels_as_typed_needs_one_label_per_place():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError):
        tick_labels_as_typed(ax.xaxis, [0, 1], ["a"])
