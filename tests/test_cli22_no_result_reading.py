"""The HTML report and the terminal read an analysis that gave no number the same way.

A refused transport analysis keeps what it was asked for beside its reason
(``{"refused": reason, "ions": {...}}``). The terminal said "refused (reason)"; the HTML page
read only a summary of one entry as no result, so this one was a plain table whose "refused"
row read like a setting, not the red REFUSED line of the page's other refusals. One reading
(:func:`ase_electrolyte.html_report.no_result_of`) now serves both; a reason beside results
leaves the results shown, each with its verdict.
"""

import re

import pytest

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.html_report import no_result_of, write_html_report
from electrolyte_cli.arguments import print_summary

EST = Estimate(1.02, 0.08, "S/m", "blocks", 10)

SECTIONS = {
    "alone": ({"refused": "too short"}, "refused"),
    "with_ions": ({"refused": "segments too short", "ions": {"Li": "resname Li"}}, "refused"),
    "skipped": ({"skipped": "needs forces"}, "skipped"),
    "failed": ({"failed": "ValueError: boom"}, "failed"),
    # a reason beside a number: the number is shown, with its verdict
    "beside_results": ({"conductivity": EST.to_dict(), "skipped": "one part"}, None),
    "results": ({"conductivity": EST}, None),
    # two reasons: the gravest said, the other kept below it
    "two_kinds": ({"refused": "a", "failed": "b"}, "failed"),
    # a reason beside a plain number: a result with a note (test_html_report_no_result)
    "beside_number": ({"failed": "x", "partial": 1.0}, None),
}


@pytest.mark.parametrize("name", SECTIONS)
def test_one_reading(name):
    value, kind = SECTIONS[name]
    found = no_result_of(value)
    assert (found and found[0]) == (kind or None)


def test_html_and_terminal_agree(tmp_path, capsys):
    summary = {name: value for name, (value, _) in SECTIONS.items()}
    page = write_html_report(tmp_path / "r.html", title="t", settings={},
                             summary=summary).read_text()
    print_summary(summary, tmp_path)
    lines = capsys.readouterr().out.splitlines()
    for name, (value, kind) in SECTIONS.items():
        row = re.search(rf"<tr><th>{name}</th><td>(.*?)</td></tr>(?=<tr><th>|</table>)", page,
                        re.S).group(1)
        line = next(line for line in lines if line.startswith(f"  {name}:"))
        if kind is None:
            assert "class='no-result'" not in row.split("<table")[0], name
            # the terminal says the reason, never "done"
            assert not line.endswith("done"), line
            continue
        reason = value[kind]
        assert row.startswith(f"<p class='no-result'><strong>{kind.upper()}</strong>: "
                              f"{reason}</p>"), (name, row[:120])
        word = "FAILED" if kind == "failed" else kind
        assert line == f"  {name}: {word} ({reason})"
    # what a refusal was asked for stays on the page, below its reason
    assert "resname Li" in page
    # the number beside a reason is a number with its verdict, on both
    assert "<td>1.020 ± 0.080</td><td>S/m</td><td>valid</td>" in page
    assert "  beside_results:" in lines and "    conductivity: 1.020 ± 0.080 S/m (valid)" in lines
