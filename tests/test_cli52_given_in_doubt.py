"""A given number that is not valid says so on the terminal; a given number has no "± 0".

The terminal's line of a given number (``given_text``) dropped its verdict: a shell cutoff
given among overlapping atoms, or a temperature given in a doubted unit, which str() writes
"2.6 Å (given; doubted: ...)" and the HTML report strikes through, was printed
"2.6 Å (a setting given, not a result)". ``estimate_label`` (figure titles) wrote a given
number without error as "2.6 ± 0 Å (given)", a measurement without scatter, where the
terminal, the HTML report and str() write "2.6 Å".
"""

from pathlib import Path

import pytest

from ase_electrolyte.estimate import Estimate
from electrolyte_cli.arguments import given_text, print_summary
from mda_electrolyte.report import estimate_label

REASON = "unit doubted: 25 K is below 50 K (°C meant?)"

#: (value, unit, stderr): given numbers with and without an error of their own.
GIVEN = [(25.0, "K", 0.0), (2.6, "Å", 0.0), (1.0, "mPa·s", 0.1), (0.5, "1", 0.0)]


def _doubted(value, unit, stderr):
    return Estimate.given_value(value, unit, stderr, source="test").with_notes(
        REASON, converged=False)


@pytest.mark.parametrize(("value", "unit", "stderr"), GIVEN)
def test_terminal_says_a_given_number_is_not_valid(value, unit, stderr):
    text = given_text(_doubted(value, unit, stderr))
    assert "given" in text
    assert "NOT VALID" in text
    assert REASON in text


@pytest.mark.parametrize(("value", "unit", "stderr"), GIVEN)
def test_terminal_valid_given_number_has_no_verdict_words(value, unit, stderr):
    text = given_text(Estimate.given_value(value, unit, stderr, source="test"))
    assert "NOT VALID" not in text
    assert "given" in text


@pytest.mark.parametrize(("value", "unit", "stderr"), GIVEN)
def test_summary_line_of_a_doubted_given_number(capsys, value, unit, stderr):
    print_summary({"solvation_shells": {"cutoff": _doubted(value, unit, stderr)}},
                  Path("out"), command="analyze")
    line = next(x for x in capsys.readouterr().out.splitlines() if "cutoff:" in x)
    assert "NOT VALID" in line and REASON in line


@pytest.mark.parametrize(("value", "unit"), [(25.0, "K"), (2.6, "Å"), (1e-9, "m^2/s")])
@pytest.mark.parametrize("valid", [True, False])
def test_label_of_a_given_number_without_error_has_no_zero_error(value, unit, valid):
    est = Estimate.given_value(value, unit, source="test")
    if not valid:
        est = est.with_notes(REASON, converged=False)
    label = estimate_label(est)
    assert "± 0" not in label
    assert f"{value:g} {unit}" in label
    assert "(given)" in label
    assert ("NOT VALID" in label) is not valid
    # the label says what str() says of the number
    assert str(est).split(" (")[0] in label


def test_label_of_a_given_number_with_its_error_keeps_it():
    label = estimate_label(Estimate.given_value(1.0, "mPa·s", 0.1, source="test"))
    assert "± 0.10" in label and "(given)" in label


def test_label_of_a_measured_zero_error_keeps_it():
    # a measured number without scatter is no setting: its "± 0" says so
    est = Estimate(2.0, 0.0, "Å", "measured", 10)
    assert "± 0" in estimate_label(est)


@pytest.mark.parametrize(("n_given", "n_doubted"), [(1, 1), (3, 1), (3, 2), (2, 0)])
def test_count_of_deeper_numbers_says_given_ones_in_doubt(capsys, n_given, n_doubted):
    given = [Estimate.given_value(2.0 + k, "Å", source="test") for k in range(n_given)]
    given = [g.with_notes(REASON, converged=False) if k < n_doubted else g
             for k, g in enumerate(given)]
    measured = Estimate(1.0, 0.1, "K", "block average", 10)
    deep = {f"g{k}": g for k, g in enumerate(given)} | {"m": measured}
    print_summary({"analysis": {"pairs": {"A-B": deep}}}, Path("out"))
    line = next(x for x in capsys.readouterr().out.splitlines() if "more number" in x)
    assert f"{n_given + 1} more numbers" in line
    assert "1 valid, 0 not valid" in line
    assert f"{n_given} given" in line
    assert (f"{n_doubted} of them not valid" in line) is bool(n_doubted)
