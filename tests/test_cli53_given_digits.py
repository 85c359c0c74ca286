"""A given number without an error reads as typed on every report: the terminal, the HTML
report, figure labels and the temperature comparison.

Before: they wrote it with ``:g``, six significant digits, where plain settings are written to
twelve (``html_report.plain_number_text``): ``analyze --temperature 298.1534`` read "298.153
K" on the terminal, in the HTML report and in "the 298.153 K given is ...", and a given
1234567 read "1.23457e+06".
"""

import html
import re

import MDAnalysis as mda
import pytest

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.html_report import plain_number_text, write_html_report
from electrolyte_cli.arguments import given_text, print_summary
from mda_electrolyte.report import INPUT_KEY, estimate_label, given_temperature_record

#: (value, unit, as typed): numbers with more than six significant digits, and fewer.
TYPED = [(298.1534, "K", "298.1534"), (1234567.0, "1", "1234567"), (2.6543217, "Å", "2.6543217"),
         (1.0132501, "bar", "1.0132501"), (0.1 + 0.2, "1", "0.3"), (300.0, "K", "300"),
         (1e-20, "m^2/s", "1e-20")]


def _given(value, unit, valid=True):
    est = Estimate.given_value(value, unit, source="test")
    return est if valid else est.with_notes("a doubt", converged=False)


@pytest.mark.parametrize("valid", [True, False])
@pytest.mark.parametrize(("value", "unit", "typed"), TYPED)
def test_terminal_line_of_a_given_number(value, unit, typed, valid):
    text = given_text(_given(value, unit, valid))
    assert text.startswith(f"{typed}{'' if unit == '1' else ' ' + unit} ("), text


@pytest.mark.parametrize("valid", [True, False])
@pytest.mark.parametrize(("value", "unit", "typed"), TYPED)
def test_html_row_of_a_given_number(value, unit, typed, valid, tmp_path):
    page = write_html_report(tmp_path / "r.html", title="t", settings={},
                             summary={"a": {"x": _given(value, unit, valid)}}).read_text()
    row = re.search(r"<tr class='given'><th>x</th><td>(.*?)</td>", page).group(1)
    assert html.unescape(re.sub("<[^>]+>", "", row)) == typed
    assert row.startswith("<s>") is (not valid)


@pytest.mark.parametrize(("value", "unit", "typed"), TYPED)
def test_figure_label_of_a_given_number(value, unit, typed):
    label = estimate_label(_given(value, unit))
    assert label.startswith(typed), label


@pytest.mark.parametrize("temperature", [298.1534, 300.0, 310.123456])
def test_the_temperature_setting_and_its_comparison(temperature, capsys, tmp_path):
    record = given_temperature_record(mda.Universe.empty(3, trajectory=True), temperature)
    record["run_temperature"] = Estimate(299.0, 1.0, "K", "test", 100)
    print_summary({INPUT_KEY: {"trajectory": "t.h5md", **record}}, tmp_path, command="analyze")
    out = capsys.readouterr().out
    assert f"setting: temperature {plain_number_text(temperature)} K (given" in out, out
    # the comparison as the library writes it, the given value as typed
    from mda_electrolyte import report

    u, _ = _thermal()
    sentence = report.given_temperature_record(u, temperature)["temperature_check"]
    assert sentence.startswith(f"the {plain_number_text(temperature)} K given"), sentence


def _thermal():
    """Ten argon atoms, 64 frames of velocities: a kinetic temperature to compare with."""
    import numpy as np
    from MDAnalysis.coordinates.memory import MemoryReader

    rng = np.random.default_rng(0)
    n = 10
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=False)
    u.add_TopologyAttr("masses", np.full(n, 39.948))
    u.add_TopologyAttr("elements", ["Ar"] * n)
    u.add_TopologyAttr("resnames", ["Ar"] * n)
    v = rng.normal(0.0, 2.5, size=(64, n, 3))
    v -= v.mean(axis=1, keepdims=True)
    u.load_new(rng.uniform(0, 20, size=(64, n, 3)).astype(np.float32), format=MemoryReader,
               velocities=v.astype(np.float32), dimensions=[20, 20, 20, 90, 90, 90], dt=0.1)
    return u, v
