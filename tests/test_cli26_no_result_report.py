"""A report that holds no result is not announced as one.

``electrolyte analyze run.extxyz --only diffusion`` on frames diffusion cannot use printed
``report: .../summary.json`` (the line of a finished report, which a script takes the path
from) and then failed with exit status 2 for want of a result. Now the last line says the file
holds the reasons alone, and the error says so too; a report with one result keeps its line.
"""

import json
from pathlib import Path

from cli_inputs import water_frames

from electrolyte_cli import main
from electrolyte_cli.arguments import check_some_result, gave_no_result, print_summary


def _run(argv, capsys):
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _late_skip(universe, outdir, *, calculator=None, verbose=False):
    return {"skipped": "found at run time that there is nothing to compute"}


def test_only_an_analysis_without_a_result_prints_no_report_line(tmp_path, capsys,
                                                                 monkeypatch):
    from mda_electrolyte import report

    monkeypatch.chdir(tmp_path)
    water_frames("w.extxyz", 4)
    # an analysis that finds only while it runs that it has no result (diffusion of water did,
    # before it declared the "charged species" it needs: --only now refuses it up front)
    report.registered_analyses()
    monkeypatch.setitem(report._REGISTRY, "diffusion", (_late_skip, ("box",)))
    status, out, err = _run(["analyze", "w.extxyz", "--only", "diffusion", "-o", "an", "-q"],
                            capsys)
    assert status == 2
    assert not any(line.startswith("report:") for line in out.splitlines())
    assert out.splitlines()[-1] == ("no result: the reasons alone are recorded in "
                                    "an/summary.json")
    line = [e for e in err.splitlines() if e.startswith("electrolyte analyze:")]
    assert len(line) == 1 and "Traceback" not in err
    assert line[0].startswith("electrolyte analyze: error: --only: skipped")
    assert line[0].endswith("an/summary.json records the reasons alone, no result")
    # the file the lines name holds the reason
    summary = json.loads(Path("an/summary.json").read_text())
    assert "skipped" in summary["diffusion"]
    # one analysis with a result: the report is one, the missing one is still an error
    status, out, err = _run(["analyze", "w.extxyz", "--only", "intra_inter_rdf,diffusion",
                             "-o", "an2", "-q"], capsys)
    assert status == 2
    assert out.splitlines()[-1] == "report: an2/summary.json"
    assert "records the reasons alone" not in err and "skipped" in err


def test_the_terminal_and_the_exit_status_read_no_result_alike(tmp_path, capsys):
    from ase_electrolyte.estimate import Estimate

    est = Estimate(1.0, 0.1, "Å^2/ps", "Einstein MSD slope", n_samples=10)
    cases = {
        # a reason beside a number is that number's note: a result
        "note beside a number": ({"diffusion": {"refused": "too short", "D": est}}, {}),
        "refused alone": ({"diffusion": {"refused": "too short"}}, {"diffusion": "refused"}),
        "one of two": ({"density": {"skipped": "no observables"}, "diffusion": {"D": est}}, {}),
        "none run": ({"input": {"trajectory": "w.extxyz"}}, {}),
    }
    for what, (summary, expected) in cases.items():
        assert gave_no_result(summary) == expected, what
        print_summary(summary, tmp_path)
        last = capsys.readouterr().out.splitlines()[-1]
        if expected:
            assert last.startswith("no result: the reasons alone"), what
            try:
                check_some_result(summary, tmp_path / "summary.json")
            except ValueError as err:
                assert "no analysis gave a result" in str(err), what
            else:
                raise AssertionError(f"{what}: no result passed")
        else:
            assert last == f"report: {tmp_path / 'summary.json'}", what
            check_some_result(summary, tmp_path / "summary.json")
