"""The numbers of the shortest production ``electrolyte simulate`` accepts (one frame interval:
three observable samples, no error bar) in every place a user reads them.

Each one must say that it is no result ("too short"), never stand as a plain number: the
terminal lines, ``simulation.json`` (its Estimates and the flat keys of earlier versions, which
carry their verdict beside them), the HTML report rendered from that file, and
``electrolyte analyze``'s density of the same stage (refused: a mean over fewer than four
samples has no error).
"""

import contextlib
import io
import json
import warnings

import pytest
from test_cli_interrupted import _argon_box, _SignallingLJ

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.html_report import write_html_report

_ARGV = ["simulate", "--counts", "EC=2", "--model", "sevennet-0", "-q", "--temperature", "60",
         "--preequilibration-ps", "0", "--equilibration-ps", "0", "--production-ps", "0.002",
         "--write-interval-fs", "2", "--ensemble", "npt"]


@pytest.fixture(scope="module")
def shortest(tmp_path_factory):
    """``(folder, terminal lines)`` of an NPT production of one frame interval (2 steps)."""
    import ase_electrolyte.build
    import electrolyte_cli.arguments as cli_arguments
    from electrolyte_cli import main

    out = tmp_path_factory.mktemp("shortest") / "run"
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.setattr(ase_electrolyte.build, "electrolyte_box", _argon_box)
        mp.setattr(cli_arguments, "make_calculator", lambda *a: _SignallingLJ())
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            assert main(_ARGV + ["-o", str(out)]) == 0
    return out, printed.getvalue().splitlines()


_NAMES = ("density", "temperature", "pressure")


def test_the_terminal_gives_no_result_for_each_number(shortest):
    _, lines = shortest
    for name in _NAMES:
        line = next(line for line in lines if line.startswith(f"{name}: "))
        assert line == f"{name}: no result (too short: 3 samples)"


def test_simulation_json_marks_each_number_and_its_flat_keys(shortest):
    out, _ = shortest
    record = json.loads((out / "simulation.json").read_text())
    for name in _NAMES:
        est = Estimate.from_dict(record["estimates"][name])
        assert not est.valid and est.verdict == "too short: 3 samples"
        assert est.n_samples == 3 and est.stderr != est.stderr  # no error: NaN
    # the earlier versions' flat density: no number that reads as a result, the verdict kept
    assert record["density_verdict"] == "too short: 3 samples"
    for key in ("density_g_cm3", "density_sem_g_cm3", "density_std_g_cm3"):
        assert record[key] is None
    assert record["density"] == record["estimates"]["density"]


#: The numbers of ``simulation.json`` that are the run's settings, not its results.
_SETTINGS = {"n_atoms"}


def _bare_numbers(obj, path=()):
    """``(path, number)`` of every number outside an Estimate's dict."""
    from ase_electrolyte.screen.properties import is_estimate_dict

    if isinstance(obj, dict) and not is_estimate_dict(obj):
        for key, value in obj.items():
            yield from _bare_numbers(value, path + (key,))
    elif isinstance(obj, list):
        for k, value in enumerate(obj):
            yield from _bare_numbers(value, path + (k,))
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield path, obj


def test_simulation_json_holds_no_bare_result_of_the_stage(shortest):
    # the class of flat keys: any number outside an Estimate is a setting, or null
    out, _ = shortest
    record = json.loads((out / "simulation.json").read_text())
    bare = dict(_bare_numbers(record))
    assert {path[0] for path in bare} == _SETTINGS
    assert bare[("n_atoms",)] == 32
    # the settings are given Estimates, not bare numbers
    temperature = record["settings"]["temperature_K"]
    assert temperature["value"] == 60 and temperature["given"] is True


def test_the_screening_reader_takes_the_density_as_not_valid(shortest):
    from ase_electrolyte.screen.properties import task_properties

    out, _ = shortest
    record = json.loads((out / "simulation.json").read_text())
    density = task_properties(record, {})["density"]
    assert density["verdict"] == "too short: 3 samples"
    assert density["value"] == pytest.approx(record["estimates"]["density"]["value"])


def test_the_html_report_strikes_each_number_through_with_its_reason(shortest, tmp_path):
    out, _ = shortest
    record = json.loads((out / "simulation.json").read_text())
    page = write_html_report(tmp_path / "report.html", title="shortest", settings={},
                             summary={"simulation": record["estimates"]}).read_text()
    rows = [row for row in page.split("<tr") if any(f"<th>{n}</th>" in row for n in _NAMES)]
    assert len(rows) == 3
    for row in rows:
        assert row.startswith(" class='invalid'") and "<s>" in row
        assert "too short: 3 samples" in row


def test_analyze_refuses_the_density_of_the_stage(shortest, tmp_path, capsys):
    from electrolyte_cli import main

    out, _ = shortest
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = main(["analyze", str(out / "production.h5md"), "--only", "density", "-q",
                       "-o", str(tmp_path / "a")])
    err = capsys.readouterr().err
    assert status == 2
    # the refusal names the density, not the shared helper ("a time-series mean needs ...")
    assert "density (the density series needs at least 4 samples, not 3" in err
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["density"]["refused"].startswith(
        "the density series needs at least 4 samples, not 3: ")
