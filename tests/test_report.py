"""mda_electrolyte.report: registry, requirements, failures."""

import json

import MDAnalysis as mda
import numpy as np
import pytest

from mda_electrolyte import report


@pytest.fixture
def universe():
    u = mda.Universe.empty(4, trajectory=True)
    u.atoms.positions = np.arange(12, dtype=float).reshape(4, 3)
    u.dimensions = [10, 10, 10, 90, 90, 90]
    return u


@pytest.fixture
def scratch_registry(monkeypatch):
    monkeypatch.setattr(report, "_REGISTRY", {})
    monkeypatch.setattr(report, "_ANALYSIS_MODULES", [])

    @report.register_analysis("mean_x")
    def mean_x(universe, outdir, *, calculator=None, verbose=False):
        return {"mean_x_angstrom": float(universe.atoms.positions[:, 0].mean())}

    @report.register_analysis("broken")
    def broken(universe, outdir, *, calculator=None, verbose=False):
        raise ValueError("too few frames")

    @report.register_analysis("needs_model", needs=("calculator", "velocities"))
    def needs_model(universe, outdir, *, calculator=None, verbose=False):
        return {}


def test_summary_json_and_requirements(universe, tmp_path, scratch_registry):
    summary = report.run_analyses(universe, tmp_path, only=["mean_x", "needs_model"])
    assert summary["mean_x"]["mean_x_angstrom"] == pytest.approx(4.5)
    assert "velocities" in summary["needs_model"]["skipped"]
    assert "calculator" in summary["needs_model"]["skipped"]
    assert json.loads((tmp_path / "summary.json").read_text()) == summary


def test_failure_stops_unless_keep_going(universe, tmp_path, scratch_registry):
    with pytest.raises(ValueError, match="too few frames"):
        report.run_analyses(universe, tmp_path)
    with pytest.warns(UserWarning, match="broken"):
        summary = report.run_analyses(universe, tmp_path, keep_going=True)
    assert summary["broken"] == {"failed": "ValueError: too few frames"}
    assert summary["mean_x"]["mean_x_angstrom"] == pytest.approx(4.5)


def test_unknown_analysis_is_named(universe, tmp_path, scratch_registry):
    with pytest.raises(ValueError, match="unknown analyses.*'rdf'"):
        report.run_analyses(universe, tmp_path, only=["rdf"])


def test_every_module_registers():
    names = report.registered_analyses()
    assert {"intra_inter_rdf", "solvation_shells", "green_kubo_conductivity", "diffusion",
            "rigid_volume_scan", "intra_inter_errors"} <= set(names)


def test_estimates_anywhere_are_serialised_printed_and_rendered(universe, tmp_path, monkeypatch,
                                                                capsys):
    """Any analysis' Estimates, at any depth: one JSON form, ± and verdict in the terminal,
    invalid numbers never printed as results, HTML rows with value ± error, unit and verdict."""
    from ase_electrolyte.estimate import Estimate
    from ase_electrolyte.html_report import write_html_report
    from electrolyte_cli.arguments import print_summary

    monkeypatch.setattr(report, "_REGISTRY", {})
    monkeypatch.setattr(report, "_ANALYSIS_MODULES", [])
    good = Estimate(1.02, 0.08, "S/m", "t-scaled standard error over 10 contiguous blocks", 10)
    bad = Estimate.invalid(96.0, 21.0, "S/m", "t-scaled standard error over 5 contiguous blocks",
                           "too coarse: frames every 100 fs", 5)

    @report.register_analysis("some_new_analysis")
    def new(universe, outdir, *, calculator=None, verbose=False):
        return {"sigma": good, "per_species": {"Li": bad, "PF6": good}, "deep": {"x": {"y": bad}},
                "n_frames": 3}

    summary = report.run_analyses(universe, tmp_path)
    stored = json.loads((tmp_path / "summary.json").read_text())["some_new_analysis"]
    assert stored["sigma"] == good.to_dict()
    assert stored["deep"]["x"]["y"] == bad.to_dict()
    assert Estimate.from_dict(stored["per_species"]["Li"]) == bad
    print_summary(summary, tmp_path)
    out = capsys.readouterr().out
    assert "sigma: 1.020 ± 0.080 S/m (valid)" in out
    assert "per_species[Li]: NOT VALID (too coarse: frames every 100 fs)" in out
    assert "96" not in out
    page = write_html_report(tmp_path / "r.html", title="t", settings={},
                             summary=json.loads((tmp_path / "summary.json").read_text()))
    text = page.read_text()
    assert "<s>96 ± 21</s>" in text and "too coarse: frames every 100 fs" in text
    assert "1.02 ± 0.08" in text and "10 contiguous blocks" in text


def test_nan_and_infinity_are_never_shown(tmp_path):
    import re

    from ase_electrolyte.estimate import Estimate
    from ase_electrolyte.html_report import write_html_report

    broken = Estimate.invalid(float("nan"), float("nan"), "K", "no uncertainty available",
                              "not finite: 3 of 10 samples")
    no_error = Estimate.invalid(1.5, float("nan"), "S/m", "no uncertainty available",
                                "too few frames: 1")
    assert report.estimate_label(broken) == "n/a (NOT VALID: not finite: 3 of 10 samples)"
    assert report.estimate_label(no_error, reason=False) == "1.5 S/m, no error (NOT VALID)"
    page = write_html_report(
        tmp_path / "r.html", title="t", settings={"T (K)": float("nan")},
        summary={"a": {"t": broken, "s": no_error, "spread": float("inf")}},
    ).read_text()
    body = page.split("<h2>Results</h2>")[1]
    text = re.sub(r"<[^>]+>", " ", body.split("</table>")[0] + page.split("<h2>Settings")[1])
    assert not re.search(r"\b(nan|NaN|inf|Infinity)\b", text), text
    assert "– ± –" in body and "1.5 ± –" in body
    assert page.count("class='invalid'") == 2


def test_a_rerun_leaves_no_stale_summary_or_plot(universe, tmp_path, scratch_registry):
    # an earlier run's plot and summary in the folder
    (tmp_path / "mean_x.png").write_bytes(b"old plot")
    (tmp_path / "broken.png").write_bytes(b"old plot")
    (tmp_path / "summary.json").write_text(json.dumps({"mean_x": {"mean_x_angstrom": -1.0}}))
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="too few frames"):
        report.run_analyses(universe, tmp_path, only=["broken"])
    # the failed rerun leaves no summary that could be read as its result, and no old plots
    assert not (tmp_path / "summary.json").exists()
    assert not (tmp_path / "mean_x.png").exists() and not (tmp_path / "broken.png").exists()
    assert (tmp_path / "notes.txt").read_text() == "mine"
    summary = report.run_analyses(universe, tmp_path, only=["mean_x"])
    assert summary["mean_x"]["mean_x_angstrom"] == pytest.approx(4.5)


@pytest.mark.parametrize("value", [[float("nan"), 1.0], (float("inf"),),
                                   np.array([np.nan, 1.0]), {"x": [float("-inf")]},
                                   np.float32("nan")])
def test_non_finite_numbers_inside_lists_and_arrays_are_never_shown(tmp_path, value):
    import re

    from ase_electrolyte.html_report import write_html_report

    page = write_html_report(tmp_path / "r.html", title="t", settings={},
                             summary={"values": value}).read_text()
    body = re.sub(r"<[^>]+>", " ", page.split("<h2>Results</h2>")[1])
    assert not re.search(r"\b(nan|NaN|inf|Infinity)\b", body), body


def test_user_strings_are_escaped(tmp_path):
    from ase_electrolyte.html_report import write_html_report

    evil = "<script>alert(1)</script>"
    page = write_html_report(tmp_path / "r.html", title=evil, settings={"model": evil},
                             summary={evil: {"file": evil}}).read_text()
    # title (twice: <title> and <h1>), the setting, the key and the value
    assert "<script>" not in page and page.count("&lt;script&gt;") == 5


@pytest.mark.parametrize("figure, error, message", [
    ("missing.png", FileNotFoundError, "does not exist or is not a file"),
    (".", FileNotFoundError, "does not exist or is not a file"),
    ("old.html", ValueError, "is not a PNG image"),
])
def test_a_bad_figure_is_refused_before_the_page_is_written(tmp_path, figure, error, message):
    from ase_electrolyte.html_report import write_html_report

    old = write_html_report(tmp_path / "old.html", title="earlier run", settings={}, summary={})
    before = old.read_text()
    with pytest.raises(error, match=message):
        write_html_report(old, title="new run", settings={}, summary={},
                          figures=[tmp_path / figure])
    assert old.read_text() == before  # the earlier page stays whole, no .part file beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.html"]


@pytest.mark.parametrize("kwargs, message", [
    ({"title": None}, "title must be a string"),
    ({"settings": None}, "settings must be a dict"),
    ({"summary": [1, 2]}, "summary must be a dict"),
])
def test_report_arguments_of_the_wrong_kind_are_named(tmp_path, kwargs, message):
    from ase_electrolyte.html_report import write_html_report

    args = {"title": "t", "settings": {}, "summary": {}, **kwargs}
    with pytest.raises(TypeError, match=message):
        write_html_report(tmp_path / "r.html", **args)
    assert not (tmp_path / "r.html").exists()
