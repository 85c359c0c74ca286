"""``electrolyte analyze`` runs that end without any result, and figures that cannot be drawn.

* With ``--keep-going``, a run whose every analysis failed (or was refused by its input) ended
  with exit status 0 like a finished report; it now ends with exit status 2 and one line naming
  them, after the summary with the reasons is written and printed. One result of any verdict is
  a result (exit 0).
* An ``MPLBACKEND`` that is no matplotlib backend made ``import matplotlib`` itself fail: the
  trajectory was read and the first analysis ran before the error (matplotlib's "Key backend",
  naming neither the variable nor the cure), and with ``--keep-going`` every analysis failed
  with it and the run ended with exit status 0. It is now refused before any work.
"""

import json
import os
import subprocess
import sys

import pytest
from cli_inputs import empty_registry, water_frames

from electrolyte_cli import main
from mda_electrolyte import report


def _register(outcomes):
    """One analysis per ``(name, outcome)``: ``"fails"`` raises, ``"refused"``/``"skipped"``
    return that, ``"invalid"`` returns a number that is not valid, ``"valid"`` a valid one."""
    from ase_electrolyte.estimate import Estimate

    for name, outcome in outcomes:
        def analysis(universe, outdir, *, calculator=None, verbose=False, outcome=outcome):
            if outcome == "fails":
                raise RuntimeError("the model diverged")
            if outcome in ("refused", "skipped"):
                return {outcome: "2 frames are too few"}
            est = Estimate(1.5, 0.1, "g/cm^3", "block average", n_samples=20)
            if outcome == "invalid":
                est = Estimate.invalid(1.5, 0.1, "g/cm^3", "block average", "too short: 20 ps")
            return {"density": est}

        report.register_analysis(name)(analysis)


@pytest.mark.parametrize("outcomes,said", [
    ([("a", "fails"), ("b", "fails")], "failed: a, b"),
    ([("a", "fails"), ("b", "refused")], "failed: a; refused: b"),
    ([("a", "refused"), ("b", "skipped")], "refused: a; skipped: b"),
])
def test_a_run_in_which_no_analysis_gave_a_result_ends_with_status_2(
        outcomes, said, tmp_path, monkeypatch, capsys):
    empty_registry(monkeypatch)
    _register(outcomes)
    traj = water_frames(tmp_path / "water.extxyz")
    out = tmp_path / "out"
    with pytest.warns(UserWarning) if any(o == "fails" for _, o in outcomes) else _nothing():
        status = main(["analyze", str(traj), "-q", "--keep-going", "-o", str(out)])
    captured = capsys.readouterr()
    assert status == 2, captured.err
    errors = [line for line in captured.err.splitlines() if ": error: " in line]
    assert errors == [f"electrolyte analyze: error: no analysis gave a result ({said}; the "
                      f"lines above and {out / 'summary.json'} say why)"]
    # the reasons were written and printed first
    summary = json.loads((out / "summary.json").read_text())
    for name, outcome in outcomes:
        kind = "failed" if outcome == "fails" else outcome
        assert kind in summary[name]
        assert f"  {name}: {'FAILED' if kind == 'failed' else kind} (" in captured.out
    # a file of reasons alone is not announced as a report (cli26: "report: out/summary.json"
    # was printed before the error, the line of a finished report)
    assert not any(line.startswith("report:") for line in captured.out.splitlines())
    assert captured.out.rstrip().endswith(
        f"no result: the reasons alone are recorded in {out / 'summary.json'}")


@pytest.mark.parametrize("kept", ["valid", "invalid"])
def test_one_result_of_any_verdict_is_a_result(kept, tmp_path, monkeypatch, capsys):
    empty_registry(monkeypatch)
    _register([("a", "fails"), ("b", kept), ("c", "refused")])
    traj = water_frames(tmp_path / "water.extxyz")
    with pytest.warns(UserWarning, match="'a' failed"):
        status = main(["analyze", str(traj), "-q", "--keep-going", "-o", str(tmp_path / "o")])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert ": error: " not in captured.err
    line = "    density: 1.50 ± 0.10 g/cm^3 (valid)" if kept == "valid" else (
        "    density: NOT VALID (too short: 20 ps)")
    assert line in captured.out.splitlines()


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _cli(args, cwd, **env):
    return subprocess.run([sys.executable, "-m", "electrolyte_cli", *args], cwd=cwd,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=600)


def test_an_mplbackend_matplotlib_does_not_know_is_refused_before_any_work(tmp_path):
    water_frames(tmp_path / "water.extxyz")
    done = _cli(["analyze", "water.extxyz", "-q", "-o", "out"], tmp_path, MPLBACKEND="foo")
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "electrolyte analyze: error: the environment's MPLBACKEND='foo' is no matplotlib "
        "backend, so no figure can be drawn (Key backend: 'foo' is not a valid value for "
        "backend); unset MPLBACKEND, or set MPLBACKEND=Agg: electrolyte writes its figures "
        "to PNG files and needs no display\n")
    # nothing read, nothing written
    assert done.stdout == "" and not (tmp_path / "out").exists()
    # listing the analyses draws nothing: not refused
    listed = _cli(["analyze", "--list"], tmp_path, MPLBACKEND="foo")
    assert listed.returncode == 0 and "intra_inter_rdf" in listed.stdout, listed.stderr


def test_the_demo_page_is_named_as_the_place_of_the_reasons(tmp_path):
    """``demo`` (which always keeps going) checks its summary once its page is written."""
    from electrolyte_cli.arguments import check_some_result

    page = tmp_path / "demo" / "analysis" / "report.html"
    summary = {report.INPUT_KEY: {"trajectory": "x.h5md"},
               "intra_inter_rdf": {"failed": "RuntimeError: the model diverged"},
               "density": {"refused": "too short"}}
    with pytest.raises(ValueError) as none:
        check_some_result(summary, page)
    assert str(none.value) == ("no analysis gave a result (failed: intra_inter_rdf; refused: "
                               f"density; the lines above and {page} say why)")
    # no analysis in the summary (none run) is no failure; one result of any kind is one
    check_some_result({report.INPUT_KEY: {}}, page)
    check_some_result({**summary, "solvation_shells": {"n_li": 1}}, page)
