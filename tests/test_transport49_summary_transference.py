"""``electrolyte analyze`` reports Einstein–Helfand's transference numbers as Green–Kubo's.

Found by probing: ``EinsteinHelfandConductivity(...).results.transference_numbers`` existed, but
the summary.json, the terminal summary and the HTML report of ``electrolyte analyze`` carried
only Green–Kubo's. Now Einstein–Helfand's entry holds them in the same form (Estimates with
error and verdict), and every number either entry reports is an Estimate (settings and fit
diagnostics apart).
"""

import json
import warnings

import pytest
from transport_data import lj_salt

ANALYSES = ("einstein_helfand_conductivity", "green_kubo_conductivity")
ESTIMATE_KEYS = {"value", "stderr", "unit", "verdict"}


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    from ase_electrolyte.md import run_md
    from electrolyte_cli import main

    base = tmp_path_factory.mktemp("eh_summary")
    path = base / "nvt.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # 160 frames 1 fs apart: the fewest Einstein–Helfand's 10 segments fit at its defaults
        run_md(lj_salt(), ensemble="nvt", steps=159, timestep_fs=1.0, temperature_K=300,
               trajectory=path, write_interval=1, progress=False)
    return base, main


def _run(analysed, capsys, tmp_path):
    base, main = analysed
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyze", str(base / "nvt.h5md"), "--only", ",".join(ANALYSES),
                     "-o", str(tmp_path / "out")]) == 0
    return (json.loads((tmp_path / "out" / "summary.json").read_text()),
            capsys.readouterr().out)


def _bare_numbers(obj, where):
    """Paths of numbers that are not inside an Estimate."""
    if isinstance(obj, dict):
        if ESTIMATE_KEYS <= set(obj):
            return []
        return [p for k, v in obj.items() for p in _bare_numbers(v, f"{where}.{k}")]
    if isinstance(obj, list):
        return [p for i, v in enumerate(obj) for p in _bare_numbers(v, f"{where}[{i}]")]
    if isinstance(obj, bool) or not isinstance(obj, (int, float)):
        return []
    return [where]


def test_summary_json_holds_both_transference_numbers(analysed, capsys, tmp_path):
    summary, _ = _run(analysed, capsys, tmp_path)
    eh, gk = (summary[name] for name in ANALYSES)
    assert set(eh["transference_numbers"]) == set(gk["transference_numbers"]) == {"A", "B"}
    for name, t in eh["transference_numbers"].items():
        assert set(t) == set(gk["transference_numbers"][name])
        assert ESTIMATE_KEYS <= set(t) and t["unit"] == "1" and t["verdict"]
    values = [t["value"] for t in eh["transference_numbers"].values()]
    assert sum(values) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("name", ANALYSES)
def test_every_reported_number_is_an_estimate(analysed, capsys, tmp_path, name):
    summary, _ = _run(analysed, capsys, tmp_path)
    entry = {k: v for k, v in summary[name].items() if k not in ("settings", "diagnostics")}
    assert _bare_numbers(entry, name) == []


def test_terminal_and_html_show_them(analysed, capsys, tmp_path):
    from ase_electrolyte.html_report import write_html_report

    summary, out = _run(analysed, capsys, tmp_path)
    block = out.split("  einstein_helfand_conductivity:")[1].split("  green_kubo_conductivity:")[0]
    for name in ("A", "B"):
        line = next(x for x in block.splitlines() if f"transference_numbers[{name}]:" in x)
        t = summary["einstein_helfand_conductivity"]["transference_numbers"][name]
        # a number with its error, or "NOT VALID (why)"
        assert ("±" in line and "valid" in line) if t["verdict"] == "valid" else (
            "NOT VALID (" in line)
    page = tmp_path / "report.html"
    write_html_report(page, title="t", settings={}, summary=summary)
    html = page.read_text()
    eh = html.split("einstein_helfand_conductivity")[1].split("green_kubo_conductivity")[0]
    assert "transference" in eh
