"""mda_electrolyte.report: registry, requirements, failures."""

import json
import re

import numpy as np
import pytest
from cli_inputs import empty_registry, four_atoms, water_frames

from mda_electrolyte import report


@pytest.fixture
def universe():
    return four_atoms()


@pytest.fixture
def scratch_registry(monkeypatch):
    empty_registry(monkeypatch)

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

    empty_registry(monkeypatch)
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
    # (the report line names the temporary folder, whose number may hold "96")
    assert "96" not in "\n".join(line for line in out.splitlines()
                                  if not line.startswith("report: "))
    # the deep one is counted, not hidden behind "done"
    assert "1 more number in summary.json (0 valid, 1 not valid: 1 too coarse)" in out
    page = write_html_report(tmp_path / "r.html", title="t", settings={},
                             summary=json.loads((tmp_path / "summary.json").read_text()))
    text = page.read_text()
    assert "<s>96 ± 21</s>" in text and "too coarse: frames every 100 fs" in text
    # the same digits as the terminal line
    assert "1.020 ± 0.080" in text and "10 contiguous blocks" in text


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
    assert "<s>no value</s>" in body and "<s>1.5 ± ? (error unknown)</s>" in body
    assert page.count("class='invalid'") == 2


def test_a_rerun_leaves_no_stale_summary_or_plot(universe, tmp_path, scratch_registry):
    # an earlier run's plot and summary in the folder
    (tmp_path / "mean_x.png").write_bytes(b"old plot")
    (tmp_path / "broken.png").write_bytes(b"old plot")
    earlier = json.dumps({"mean_x": {"mean_x_angstrom": -1.0}})
    (tmp_path / "summary.json").write_text(earlier)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="too few frames"):
        report.run_analyses(universe, tmp_path, only=["broken"])
    # the failed rerun leaves the earlier run's outputs as they were, and nothing of its own
    assert (tmp_path / "summary.json").read_text() == earlier
    assert (tmp_path / "mean_x.png").read_bytes() == b"old plot"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "broken.png", "mean_x.png", "notes.txt", "summary.json"]
    summary = report.run_analyses(universe, tmp_path, only=["mean_x"])
    assert summary["mean_x"]["mean_x_angstrom"] == pytest.approx(4.5)
    # the successful rerun: its summary, no figure of the earlier run, the user's file kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "summary.json"]
    assert (tmp_path / "notes.txt").read_text() == "mine"


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


@pytest.mark.parametrize("diagnostic, where", [
    (float("nan"), "diag.r2"),
    (np.float64("inf"), "diag.r2"),
    ([1.0, float("-inf")], "diag.r2[1]"),
    (np.array([[1.0, np.nan]]), "diag.r2[0][1]"),
    ({"Li": np.float32("nan")}, "diag.r2.Li"),
])
def test_a_plain_nan_of_one_analysis_does_not_cost_the_summary(universe, tmp_path, monkeypatch,
                                                               diagnostic, where):
    """A NaN outside an Estimate made the summary write fail after every analysis had run (no
    summary.json at all, keep_going or not); it is written as null and named in a warning."""
    from ase_electrolyte.estimate import Estimate

    empty_registry(monkeypatch)
    sigma = Estimate(1.0, 0.1, "S/m", "t-scaled standard error over 10 blocks", 10)

    @report.register_analysis("good")
    def good(universe, outdir, *, calculator=None, verbose=False):
        return {"sigma": sigma, "n_frames": np.int64(3), "window": np.array([0.1, 0.2])}

    @report.register_analysis("diag")
    def diag(universe, outdir, *, calculator=None, verbose=False):
        return {"r2": diagnostic, "slope": 1.5}

    with pytest.warns(RuntimeWarning, match=rf"written as null: {re.escape(where)}$"):
        summary = report.run_analyses(universe, tmp_path)
    stored = json.loads((tmp_path / "summary.json").read_text())
    assert stored == summary
    assert stored["good"] == {"sigma": sigma.to_dict(), "n_frames": 3, "window": [0.1, 0.2]}
    assert stored["diag"]["slope"] == 1.5
    assert "NaN" not in (tmp_path / "summary.json").read_text()
    assert "Infinity" not in (tmp_path / "summary.json").read_text()


def test_a_name_given_twice_runs_once(universe, tmp_path, scratch_registry, monkeypatch):
    calls = []
    func, needs = report._REGISTRY["mean_x"]
    monkeypatch.setitem(report._REGISTRY, "mean_x",
                        (lambda *a, **k: calls.append(1) or func(*a, **k), needs))
    summary = report.run_analyses(universe, tmp_path, only=["mean_x", "mean_x"])
    assert len(calls) == 1 and list(summary) == ["mean_x"]


@pytest.mark.parametrize("notes, shown, more", [
    # ten shell labels with the same reason: said once
    ([("too few ions: 3",)] * 10, ["too few ions: 3"], None),
    ([("too few ions: 3", "too short: 12 frames")] * 4, ["too few ions: 3", "too short: 12 frames"],
     None),
    # five different reasons: three in full, the rest counted
    ([(f"reason {k}",) for k in range(5)], ["reason 0", "reason 1", "reason 2"],
     "and 2 more reasons"),
])
def test_the_not_valid_stamp_names_each_reason_once(notes, shown, more):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ase_electrolyte.estimate import Estimate

    valid = Estimate(0.5, 0.1, "1", "blocks", 10)
    bad = [Estimate(0.1, 0.01, "1", "blocks", 10, converged=False, notes=n) for n in notes]
    _, ax = plt.subplots()
    report.mark_invalid(ax, valid, *bad, None)
    (stamp,) = ax.texts
    lines = stamp.get_text().split("\n")
    assert lines[0] == "NOT VALID" and ax.title.get_color() == "tab:red"
    assert lines[1:1 + len(shown)] == shown
    assert lines[1 + len(shown):] == ([f"{more} (see summary.json)"] if more else [])
    _, clean = plt.subplots()
    assert not report.mark_invalid(clean, valid, None).texts  # nothing to mark
    plt.close("all")


def test_terminal_plot_and_html_print_one_form_of_a_tiny_number(tmp_path, capsys):
    """D in m²/s read '0.0000000138 ± 0.0000000010' in the terminal, '1.38e-08 ± 1.035e-09' in
    the HTML page and '1.38e-08 ± 1e-09' on the plot."""
    from ase_electrolyte.estimate import Estimate
    from ase_electrolyte.html_report import write_html_report
    from electrolyte_cli.arguments import print_summary

    d = Estimate(1.38e-8, 1.035e-9, "m^2/s", "t-scaled standard error over 10 blocks", 10)
    text = "(1.38 ± 0.10)e-08"
    summary = {"diffusion": {"D": {"Li": d.to_dict()}}}
    print_summary(summary, tmp_path)
    assert f"D[Li]: {text} m^2/s (valid)" in capsys.readouterr().out
    assert report.estimate_label(d) == f"{text} m^2/s"
    page = write_html_report(tmp_path / "r.html", title="t", settings={},
                             summary=summary).read_text()
    assert f"<td>{text}</td>" in page


def test_the_terminal_counts_estimates_in_lists_and_object_arrays(tmp_path, capsys):
    """An Estimate in a list (or an object array) was neither printed nor counted, and an
    object array of Estimates was written to summary.json as bare values."""
    import json

    import numpy as np

    from ase_electrolyte.estimate import Estimate, estimates_to_dict
    from electrolyte_cli.arguments import print_summary

    good = Estimate(1.0, 0.1, "S/m", "blocks", 60)
    bad = Estimate(5.0, 0.1, "S/m", "blocks", 3, converged=False, notes=("too short: 3 blocks",))
    summary = {"sigma": [bad, good], "D": {"Li": np.array([good, bad], dtype=object)},
               "deep": {"a": {"b": [bad, bad, good]}}}
    print_summary(summary, tmp_path)
    out = capsys.readouterr().out.splitlines()
    assert "    [0]: NOT VALID (too short: 3 blocks)" in out
    assert "    [1]: 1.00 ± 0.10 S/m (valid)" in out
    assert "    Li[0]: 1.00 ± 0.10 S/m (valid)" in out
    assert "    Li[1]: NOT VALID (too short: 3 blocks)" in out
    assert "    3 more numbers in summary.json (1 valid, 2 not valid: 2 too short)" in out
    assert "5.00" not in "\n".join(out)
    written = json.loads(json.dumps(estimates_to_dict(summary)))
    assert written["D"]["Li"][1]["converged"] is False
    assert written["D"]["Li"][1]["verdict"] == "too short: 3 blocks"


def test_the_terminal_prints_estimates_in_sets_as_summary_json_orders_them(tmp_path, capsys):
    """An Estimate in a set was left out of the terminal's lines and counts ("sigma: done")."""
    from ase_electrolyte.estimate import Estimate
    from electrolyte_cli.arguments import print_summary

    good = Estimate(1.0, 0.1, "S/m", "blocks", 60)
    bad = Estimate(5.0, 0.1, "S/m", "blocks", 3, converged=False, notes=("too short: 3 blocks",))
    print_summary({"sigma": {bad, good}, "deep": {"a": {"b": frozenset({bad})}}}, tmp_path)
    out = capsys.readouterr().out.splitlines()
    assert "    [0]: 1.00 ± 0.10 S/m (valid)" in out
    assert "    [1]: NOT VALID (too short: 3 blocks)" in out
    assert "    1 more number in summary.json (0 valid, 1 not valid: 1 too short)" in out
    assert "5.00" not in "\n".join(out)



@pytest.mark.parametrize("only", ["skips", "mean_x,skips", "skips,mean_x"])
def test_cli_an_analysis_asked_for_that_skips_itself_exits_2(tmp_path, scratch_registry,
                                                            capsys, only):
    """A requirement known only inside the analysis (the density's H5MD observable): asked for
    with --only, the skip ended with exit status 0 and without the result."""
    from electrolyte_cli import main

    @report.register_analysis("skips")
    def skips(universe, outdir, *, calculator=None, verbose=False):
        return {"skipped": "needs the density observable of a run_md H5MD file"}

    traj = water_frames(tmp_path / "water.extxyz")
    out = tmp_path / "a"
    assert main(["analyze", str(traj), "--only", only, "-q", "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert ("--only: skipped, the input lacks what it needs: skips (needs the density "
            "observable of a run_md H5MD file)") in captured.err
    # the summary with the reason is written and printed all the same
    stored = json.loads((out / "summary.json").read_text())
    assert stored["skips"] == {"skipped": "needs the density observable of a run_md H5MD file"}
    assert "skips: skipped (needs the density observable" in captured.out
    assert main(["analyze", str(traj), "--only", "mean_x", "-q", "-o", str(out)]) == 0


class _Opaque:
    def __str__(self):
        return "opaque object"


def test_values_and_keys_json_cannot_hold_do_not_cost_the_summary(universe, tmp_path,
                                                                   monkeypatch):
    """A pair key ("Li", "O"), a NumPy integer key, a set, a path, bytes, a complex number or an
    unknown object in one analysis' summary failed the summary write after every analysis had
    run (TypeError: keys must be str ...; the earlier summary.json already removed)."""
    from pathlib import Path

    from ase_electrolyte.estimate import Estimate

    empty_registry(monkeypatch)
    sigma = Estimate(1.0, 0.1, "S/m", "t-scaled standard error over 10 blocks", 10)

    @report.register_analysis("good")
    def good(universe, outdir, *, calculator=None, verbose=False):
        return {"sigma": sigma}

    @report.register_analysis("odd")
    def odd(universe, outdir, *, calculator=None, verbose=False):
        return {"peaks": {("Li", "O"): 2.1, np.int64(3): 1.0}, "types": {"O", "Li"},
                "plot": Path(outdir) / "rdf.png", "raw": b"EC", "z": 1 + 2j, "obj": _Opaque()}

    summary = report.run_analyses(universe, tmp_path)
    stored = json.loads((tmp_path / "summary.json").read_text())
    assert stored["good"] == {"sigma": sigma.to_dict()}
    assert stored["odd"] == {"peaks": {"Li-O": 2.1, "3": 1.0}, "types": ["Li", "O"],
                             "plot": str(tmp_path / "rdf.png"), "raw": "EC", "z": "(1+2j)",
                             "obj": "opaque object"}
    assert {k: v for k, v in summary["odd"].items() if k != "obj"} == {
        k: v for k, v in stored["odd"].items() if k != "obj"}
