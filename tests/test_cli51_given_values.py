"""A number given to the package (a setting such as ``electrolyte analyze --temperature``, a
viscosity passed in with its error) is told from a measured one by one mechanism,
:meth:`Estimate.given_value` and its ``given`` flag, not by its method text.

Before: :func:`electrolyte_cli.arguments.is_setting` read a number as given when its method
text began with ``"given"`` and its error was 0. A measured kinetic temperature whose method
said ``"given (no samples recorded)"`` was printed as "a setting given, not a result"; a given
viscosity with its error (method ``"given"``) was printed ``"1.00 ± 0.10 mPa·s (valid)"``, a
result; the HTML report showed every given number as a valid result, and its figure captions
counted settings among an analysis' valid numbers. ``summary.json`` files written before the
flag still read as they did.
"""

import html
import json
import math

import pytest

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.html_report import estimate_of, write_html_report
from electrolyte_cli.arguments import is_setting, print_summary

#: (value, unit, stderr, source) of numbers a user gives.
GIVEN = [
    (300.0, "K", 0.0, "temperature=, electrolyte analyze --temperature"),
    (1.0, "mPa·s", 0.1, None),
    (2.5, "S/m", 0.25, "conductivity=<measured & 'quoted'>"),
    (0.02, "Å^2/ps", 0.0, None),
]


def _given(case):
    value, unit, stderr, source = case
    return Estimate.given_value(value, unit, stderr, source=source)


@pytest.mark.parametrize("case", GIVEN)
def test_a_given_number_keeps_its_flag_through_json_and_units(case):
    est = _given(case)
    assert est.given and is_setting(est)
    assert est.value == case[0] and est.stderr == case[2] and est.unit == case[1]
    # strict JSON and back: the flag is part of the number
    back = Estimate.from_dict(json.loads(json.dumps(est.to_dict(), allow_nan=False)))
    assert back == est and back.given
    # a conversion keeps what the number is, and scales its error with it
    if case[1] == "K":
        return
    other = {"mPa·s": "Pa·s", "S/m": "mS/cm", "Å^2/ps": "m^2/s"}[case[1]]
    converted = est.to(other)
    assert converted.given
    assert converted.to(case[1]).value == pytest.approx(case[0], rel=1e-12)


@pytest.mark.parametrize("case", GIVEN)
def test_a_measured_number_of_the_same_numbers_is_no_setting(case):
    value, unit, stderr, _ = case
    measured = Estimate(value, stderr, unit, "t-scaled standard error over 5 blocks", 5)
    assert not measured.given and not is_setting(measured)
    assert measured != _given(case)
    # its dict is the one written before the flag existed: no new key
    assert "given" not in measured.to_dict()


@pytest.mark.parametrize("method", ["given (no samples recorded)", "given", "given by hand"])
def test_a_method_text_makes_no_setting(method, capsys):
    # a kinetic temperature of one frame: a measured number whose method text begins "given"
    measured = Estimate(298.0, 0.0, "K", method)
    assert not is_setting(measured)
    print_summary({"viscosity": {"temperature_K": measured}}, _Out())
    line = next(t for t in capsys.readouterr().out.splitlines() if "temperature_K" in t)
    assert "setting" not in line and "given, not a result" not in line
    assert "298" in line and "(valid)" in line


@pytest.mark.parametrize("case", GIVEN)
def test_the_terminal_says_given_never_valid(case, capsys):
    est = _given(case)
    print_summary({"transport": {"input_value": est}}, _Out())
    line = next(t for t in capsys.readouterr().out.splitlines() if "input_value" in t)
    assert "not a result" in line and "(valid)" not in line
    if case[2]:
        # the error given is shown, in the number's own form
        assert est.number_text() in line
    else:
        assert f"{case[0]:g}" in line and "±" not in line


@pytest.mark.parametrize("case", GIVEN)
def test_str_and_format_say_given(case):
    est = _given(case)
    assert str(est).endswith("(given)") and "valid" not in str(est)
    assert f"{est:.3f}".endswith("(given)")
    if case[2] == 0:
        # a setting used as it is has no error to write
        assert "±" not in str(est)


@pytest.mark.parametrize("case", GIVEN)
def test_the_html_report_shows_a_given_number_as_given(case, tmp_path):
    est = _given(case)
    measured = Estimate(1.5, 0.1, "S/m", "t-scaled standard error over 5 blocks", 5)
    summary = {"conductivity": {"sigma": measured, "input_value": est, "plot": "c.png"}}
    write_html_report(tmp_path / "report.html", title="t", settings={}, summary=summary)
    text = (tmp_path / "report.html").read_text()
    row = _table_after(text, "input_value")
    assert "given, not a result" in row and "class='valid'" not in row
    value_cell = row.split("<tr class=")[1].split("<td>")[1]
    assert ("±" in value_cell) is (case[2] > 0)
    # the user's text in its method is escaped, never markup
    assert html.escape(est.method) in row
    if "<" in est.method:
        assert est.method not in text
    sigma_row = _table_after(text, "sigma")
    assert "class='valid'" in sigma_row


def test_a_figure_caption_counts_no_setting_among_the_results(tmp_path):
    from PIL import Image

    figure = tmp_path / "c.png"
    Image.new("RGB", (4, 4)).save(figure)
    measured = [Estimate(1.5, 0.1, "S/m", "blocks", 5), Estimate(2.0, 0.2, "S/m", "blocks", 5)]
    summary = {"conductivity": {"a": measured[0], "b": measured[1], "plot": "c.png",
                                "temperature_K": Estimate.given_value(300, "K")}}
    write_html_report(tmp_path / "report.html", title="t", settings={}, summary=summary,
                      figures=[figure])
    text = (tmp_path / "report.html").read_text()
    assert "c.png (conductivity): 2 numbers, all valid" in text


@pytest.mark.parametrize("method, stderr, expected", [
    # the files written before the flag: a setting was a "given ..." method with no error
    ("given (temperature=, electrolyte analyze --temperature), not the run's recorded "
     "temperature", 0.0, True),
    ("given", 0.0, True),
    # a viscosity given with its error was read as a result then, and still is
    ("given", 0.1, False),
    ("t-scaled standard error over 5 blocks", 0.0, False),
])
def test_summaries_written_before_the_flag_read_as_they_did(method, stderr, expected):
    old = {"value": 300.0, "stderr": stderr, "unit": "K", "method": method, "n_samples": 0,
           "converged": True, "verdict": "valid", "notes": []}
    est = estimate_of(old)
    assert est.valid and est.given is expected and is_setting(est) is expected
    assert est.value == 300.0 and est.stderr == stderr


@pytest.mark.parametrize("flag", [False, True])
def test_a_written_flag_wins_over_the_method_text(flag):
    data = {"value": 300.0, "stderr": 0.0, "unit": "K", "method": "given (no samples)",
            "converged": True, "verdict": "valid", "notes": [], "given": flag}
    assert Estimate.from_dict(data).given is flag


@pytest.mark.parametrize("kwargs, match", [
    ({"given": "yes"}, "given"),
    ({"given": 1}, "given"),
])
def test_a_flag_that_is_no_flag_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Estimate(300.0, 0.0, "K", "given", **kwargs)


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_given_number_without_a_value_is_refused(value):
    with pytest.raises(ValueError, match="given value must be a finite number"):
        Estimate.given_value(value, "K")


@pytest.mark.parametrize("source", ["", "   ", 3])
def test_a_source_that_says_nothing_is_refused(source):
    with pytest.raises(ValueError, match="source"):
        Estimate.given_value(300, "K", source=source)


def _table_after(text, key):
    """The page from ``key``'s cell to the end of the table of its number."""
    start = text.index(f">{key}<")
    return text[start:text.index("</table>", start)]


class _Out:
    """A folder name for print_summary's last line (nothing is written)."""

    def __truediv__(self, name):
        from pathlib import Path

        return Path("out") / name

    def __fspath__(self):
        return "out"
