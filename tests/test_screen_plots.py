"""The screening figures: what each marker means is in the figure itself (inspected on its Axes)."""

import importlib
import math

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("matplotlib")

from matplotlib.colors import to_rgba  # noqa: E402

from ase_electrolyte.screen.aggregate import (  # noqa: E402
    NO_NUMBER_LABEL,
    OPEN_MARKER_LABEL,
    plot_summary,
)

# the module, not the function of the same name that the package exports
aggregate_module = importlib.import_module("ase_electrolyte.screen.aggregate")


def _row(concentration, prop, mean, sem, valid, unit="g/cm^3", salt="LiPF6"):
    return {"composition": f"EC_{salt}-{concentration:g}molal", "solvent": "EC:1",
            "ratio": "mass", "salt": salt, "concentration": concentration, "units": "molal",
            "temperature_K": 298.0, "property": prop, "unit": unit, "mean": mean, "sem": sem,
            "n_replicas": 5, "n_invalid": 0 if valid else 1, "n_failed": 0, "valid": valid,
            "verdict": "valid" if valid else "excluded: no plateau (1/5 replicas)",
            "method": "mean over 5 replicas"}


@pytest.fixture
def figures(monkeypatch):
    """The figures plot_summary draws, by file stem, as they are when saved."""
    drawn = {}
    save = aggregate_module.save_figure

    def keep(fig, path, **options):
        drawn[path.stem] = [
            {"legend": [t.get_text() for t in ax.get_legend().get_texts()]
             if ax.get_legend() else None,
             "lines": [(np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float),
                        line.get_markerfacecolor(), line.get_label())
                       for line in ax.get_lines()],
             "crosses": [(np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float))
                         for line in ax.get_lines() if line.get_marker() == "x"]}
            for ax in fig.axes
        ]
        return save(fig, path, **options)

    monkeypatch.setattr(aggregate_module, "save_figure", keep)
    return drawn


def _open_markers(panel):
    """``(x, y)`` of the points drawn as open (white-faced) markers in a panel."""
    return [(x, y) for x, y, face, _ in panel["lines"] if to_rgba(face) == to_rgba("white")]


def test_the_legend_says_what_open_markers_mean_where_a_row_is_not_valid(tmp_path, figures):
    summary = pd.DataFrame([
        _row(0.5, "density", 1.30, 0.01, True),
        _row(1.0, "density", 1.35, 0.01, True),
        _row(1.5, "density", 1.41, 0.03, False),
        # the second panel holds the only invalid conductivity; the legend sits in the first
        _row(0.5, "conductivity_gk", 0.6, 0.1, True, "S/m"),
        _row(1.0, "conductivity_gk", 0.8, 0.1, True, "S/m"),
        _row(0.5, "conductivity_eh", 0.5, 0.1, True, "S/m"),
        _row(1.0, "conductivity_eh", 0.9, 0.4, False, "S/m"),
    ])
    written = plot_summary(summary, tmp_path / "plots")
    assert sorted(p.name for p in written) == ["conductivity.png", "density.png"]
    assert all(p.stat().st_size > 0 for p in written)

    density = figures["density"][0]
    assert density["legend"] == ["LiPF6 in EC:1 (mass), 298 K", OPEN_MARKER_LABEL]
    # the open marker is the invalid row, at its mean
    [(x, y)] = _open_markers(density)
    assert list(x) == [1.5] and list(y) == [1.41]

    gk, eh = figures["conductivity"]
    assert gk["legend"] == ["LiPF6 in EC:1 (mass), 298 K", OPEN_MARKER_LABEL]
    assert not _open_markers(gk) and eh["legend"] is None
    [(x, y)] = _open_markers(eh)
    assert list(x) == [1.0] and list(y) == [0.9]


def _crosses(panel):
    """``(x, y)`` of the crosses of rows without a number (y in axes units)."""
    return panel["crosses"]


def test_a_figure_of_valid_rows_only_has_no_open_marker_entry(tmp_path, figures):
    summary = pd.DataFrame([_row(c, "density", 1.3 + 0.1 * c, 0.01, True) for c in (0.5, 1.0)])
    plot_summary(summary, tmp_path / "plots")
    [panel] = figures["density"]
    assert panel["legend"] == ["LiPF6 in EC:1 (mass), 298 K"]
    assert not _open_markers(panel)


def test_an_invalid_row_without_a_number_draws_a_cross_and_keeps_the_entry(tmp_path, figures):
    # no valid replica: no mean to draw, a cross on the bottom edge instead; the legend still
    # explains the open markers of the other invalid row
    summary = pd.DataFrame([
        _row(0.5, "density", 1.30, 0.01, True),
        _row(1.0, "density", math.nan, math.nan, False),
        _row(1.5, "density", 1.41, math.nan, False),
    ])
    plot_summary(summary, tmp_path / "plots")
    [panel] = figures["density"]
    assert panel["legend"][1:] == [OPEN_MARKER_LABEL, NO_NUMBER_LABEL]
    [(x, y)] = _open_markers(panel)
    assert list(x[np.isfinite(y)]) == [1.5]
    [(x, y)] = _crosses(panel)
    assert list(x) == [1.0] and list(y) == [0.03]


def test_names_of_the_plan_are_drawn_as_typed(tmp_path, figures):
    # a '$' in a salt, solvent or composition name failed the save with a mathtext error
    rows = [_row(c, "density", 1.2 + 0.01 * c, 0.01, True, salt="Li$x^$") for c in (1.0, 2.0)]
    for row in rows:
        row["solvent"] = "a$\\foo$b:1"
    written = plot_summary(pd.DataFrame(rows), tmp_path / "plots")
    assert [p.read_bytes()[:4] for p in written] == [b"\x89PNG"] * len(written)
    legend = figures[written[0].stem][0]["legend"]
    assert legend == ["Li$x^$ in a$\\foo$b:1 (mass), 298 K"], legend
