"""A temperature given to the analyses that is no liquid's is stored and shown as doubted.

Before: ``electrolyte analyze --temperature 25`` (25 °C meant) warned once, marked every
number divided by k_B T "unit doubted", but stored the setting itself in the summary's input
record as a bare ``25.0`` and printed "setting: temperature 25 K (given, used as it is ...)"
with no word of the doubt; the HTML report showed it as a plain number. Now the setting is a
given Estimate (``Estimate.given_value``), not valid with the doubt of the package's one rule
of plausible values (``units.implausible_doubts``) outside 50–6000 K, valid within.
"""

import html
import re

import MDAnalysis as mda
import pytest

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.html_report import write_html_report
from ase_electrolyte.units import (
    MAX_PLAUSIBLE_TEMPERATURE_K,
    MIN_PLAUSIBLE_TEMPERATURE_K,
    implausible_doubts,
)
from electrolyte_cli.arguments import print_summary
from mda_electrolyte.report import INPUT_KEY, given_temperature_record

DOUBTED = [25.0, 0.5, MIN_PLAUSIBLE_TEMPERATURE_K * 0.99, MAX_PLAUSIBLE_TEMPERATURE_K * 1.01,
           5000.0]
PLAUSIBLE = [MIN_PLAUSIBLE_TEMPERATURE_K, 84.0, 298.15, 400, MAX_PLAUSIBLE_TEMPERATURE_K]


def _record(temperature):
    return given_temperature_record(mda.Universe.empty(3, trajectory=True), temperature)


@pytest.mark.parametrize("temperature", DOUBTED + PLAUSIBLE)
def test_the_setting_is_a_given_estimate_doubted_by_the_one_rule(temperature):
    setting = _record(temperature)["settings"]["temperature_K"]
    assert isinstance(setting, Estimate) and setting.given
    assert setting.value == float(temperature) and setting.unit == "K"
    assert setting.stderr == 0.0
    doubts = implausible_doubts(temperature_K=temperature)
    assert setting.valid is (not doubts)
    if doubts:
        # the doubt's own advice (°C? k_B·T in eV?), without the library's keyword
        assert any(doubts[0].split(": ", 1)[1] in note for note in setting.notes)
        assert not any("temperature_K" in note for note in setting.notes)
        assert all(note.startswith("unit doubted") for note in setting.notes)


def _summary(temperature, as_json):
    record = _record(temperature)
    if as_json:
        record = {k: v.to_dict() if isinstance(v, Estimate) else {
            kk: vv.to_dict() for kk, vv in v.items()} for k, v in record.items()}
    return {INPUT_KEY: {"trajectory": "run.h5md", **record}}


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("temperature", DOUBTED + PLAUSIBLE)
def test_the_terminal_says_the_doubt_of_the_setting(temperature, as_json, capsys, tmp_path):
    print_summary(_summary(temperature, as_json), tmp_path, command="analyze")
    line = next(x for x in capsys.readouterr().out.splitlines() if "setting: temperature" in x)
    assert f"temperature {temperature:g} K (given" in line, line
    doubted = bool(implausible_doubts(temperature_K=temperature))
    assert ("NOT VALID: unit doubted" in line) is doubted, line
    if doubted:
        advice = implausible_doubts(temperature_K=temperature)[0].split(": ", 1)[1]
        assert advice in line, line


@pytest.mark.parametrize("temperature", DOUBTED + PLAUSIBLE)
def test_the_html_report_strikes_a_doubted_setting(temperature, tmp_path):
    page = write_html_report(tmp_path / "r.html", title="t", settings={},
                             summary=_summary(temperature, True)).read_text()
    rows = re.findall(r"<tr class='given'>(.*?)</tr>", page)
    assert len(rows) == 1, page
    struck = "<s>" in rows[0]
    assert struck is bool(implausible_doubts(temperature_K=temperature))
    assert f"{temperature:g}" in html.unescape(rows[0])


def test_an_earlier_summary_with_the_bare_number_is_still_printed(capsys, tmp_path):
    summary = {INPUT_KEY: {"trajectory": "run.h5md", "settings": {"temperature_K": 300.0}}}
    print_summary(summary, tmp_path, command="analyze")
    assert "setting: temperature 300 K (given" in capsys.readouterr().out
