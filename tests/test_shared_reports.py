"""The reports people share: report.html and summary.json, written from fabricated summaries.

The page is mailed and archived: one self-contained file (no external src/href, figures inlined)
that parses as HTML with every tag closed, every user text escaped, and every number that is not
a result (an invalid Estimate anywhere, a NaN, a missing value) visibly marked. summary.json is
strict JSON (no NaN/Infinity tokens) whatever an analysis returns, and an invalid Estimate in it
never becomes a bare number.
"""

import base64
import decimal
import json
import warnings
from html.parser import HTMLParser

import MDAnalysis as mda
import numpy as np
import pytest
from cli_inputs import empty_registry

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.html_report import write_html_report

_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
_VOID = {"meta", "img", "br", "hr", "link", "input", "col", "wbr"}
EVIL = "<script>alert('x')</script> & \"q\" 溶媒"
BAD = Estimate.invalid(5.0, 0.1, "S/m", "blocks", "too short")


class _Checker(HTMLParser):
    """Every non-void tag closed in order; every src/href a data: URI."""

    def __init__(self):
        super().__init__()
        self.stack, self.misnested, self.external, self.scripts = [], [], [], 0

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        self.external += [v for k, v in attrs if k in ("src", "href")
                          and not (v or "").startswith("data:")]
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.misnested.append(tag)


def _check_page(text):
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.stack == [] and checker.misnested == [], (checker.stack, checker.misnested)
    assert checker.external == [] and checker.scripts == 0
    return text


def test_page_is_self_contained_well_formed_and_escaped_with_a_10_mb_figure(tmp_path):
    folder = tmp_path / ("ü" * 40 + " <&'\">") / ("long " * 30).strip()
    folder.mkdir(parents=True)
    figure = folder / "rdf <b>&'\".png"
    figure.write_bytes(_PNG + bytes(10 * 2**20))  # a PNG header and 10 MB behind it
    page = write_html_report(
        folder / "report é.html", title=EVIL, settings={EVIL: EVIL, "trajectory": str(figure)},
        summary={EVIL: {"skipped": EVIL}, "x": {"failed": EVIL}, "e": BAD},
        figures=[figure]).read_text(encoding="utf-8")
    _check_page(page)
    assert page.count("<img ") == 1 and "src='data:image/png;base64," in page
    assert len(page) > 10 * 2**20 * 4 // 3  # the whole figure, inlined
    text = page.split("base64,")[0] + page.split("<figcaption>")[1]
    assert "<script" not in text and "<b>" not in text and "&lt;script&gt;" in text


@pytest.mark.parametrize("value", [
    [BAD, None], [BAD, 1.0], [{"sigma": BAD}], [[BAD]], (BAD.to_dict(), "text"),
    np.array([BAD] * 20, dtype=object), {"a": [1, {"b": (BAD,)}]},
    {BAD}, frozenset({BAD, 1.0}), {"a": {BAD}},
], ids=["with-none", "with-number", "in-dicts", "nested", "dict-form", "object-array", "deep",
        "set", "frozenset", "set-in-dict"])
def test_an_invalid_estimate_anywhere_is_struck_through_never_plain_text(tmp_path, value):
    """An Estimate among other items of a list (or in an object array, or a set) was written
    as JSON text, "5.00 ± 0.10 S/m (too short)" (a set: its repr), as if it were a result."""
    page = _check_page(write_html_report(tmp_path / "r.html", title="t", settings={},
                                         summary={"x": value}).read_text(encoding="utf-8"))
    results = page.split("<h2>Results</h2>")[1]
    assert "<td><s>5.00 ± 0.10</s></td><td>S/m</td><td>too short</td>" in results
    assert "&quot;5.00" not in results and "&quot;value&quot;" not in results


@pytest.mark.parametrize("unit, reason", [
    ("<b>furlong</b>", "unknown unit &#x27;&lt;b&gt;furlong"), ("S/m²", "unknown unit"),
    (5, "a unit is a string such as"),
])
def test_an_estimate_of_an_unknown_unit_is_marked_not_a_failed_page(tmp_path, unit, reason):
    """An edited or foreign summary.json with a unit the package does not know: the report
    failed (ValueError: unknown unit) after every analysis had run."""
    form = {"value": 1.5, "stderr": 0.1, "unit": unit, "method": "m", "converged": True}
    results = _check_page(write_html_report(
        tmp_path / "r.html", title="t", settings={}, summary={"sigma": form},
    ).read_text(encoding="utf-8")).split("<h2>Results</h2>")[1]
    assert "<tr class='invalid'><th></th><td><s>1.50 ± 0.10</s></td><td></td>" in results
    assert f"not a readable estimate ({reason}" in results and "<b>" not in results


def test_non_finite_numbers_of_any_type_are_shown_as_no_value(tmp_path):
    torch = pytest.importorskip("torch")
    summary = {"t0": torch.tensor(float("nan")), "t1": torch.tensor([1.0, 2.0]),
               "t2": torch.arange(100.0), "d": decimal.Decimal("NaN"), "f": np.float32("inf")}
    results = _check_page(write_html_report(tmp_path / "r.html", title="t", settings={},
                                            summary=summary).read_text()).split("<h2>Results")[1]
    for key in ("t0", "d", "f"):
        assert f"<th>{key}</th><td>–</td>" in results
    assert "<th>t1</th><td>[1.0, 2.0]</td>" in results and "[100 values]" in results
    assert "nan" not in results.lower() and "inf" not in results.lower()


def _strict(text):
    def refuse(token):
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def _summary_of(monkeypatch, tmp_path, value):
    from mda_electrolyte import report

    empty_registry(monkeypatch)
    report.register_analysis("fabricated")(
        lambda u, out, calculator=None, verbose=False: {"x": value})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        returned = report.run_analyses(mda.Universe.empty(2, trajectory=True), tmp_path)
    stored = _strict((tmp_path / "summary.json").read_text())
    assert stored == returned
    return stored["fabricated"]["x"]


def _torch_nan():
    return pytest.importorskip("torch").tensor(float("nan"))


def _torch_array():
    return pytest.importorskip("torch").tensor([1.0, float("inf")])


@pytest.mark.parametrize("make, stored", [
    (_torch_nan, None),                       # failed the write of the whole summary
    (lambda: decimal.Decimal("NaN"), None),   # the same
    (_torch_array, [1.0, None]),              # was its repr, "tensor([1., inf])"
    (lambda: np.ma.masked_invalid([1.0, np.nan]), [1.0, None]),
    (lambda: np.float16("nan"), None),
    (lambda: {(1.0, 2.0): frozenset([np.nan])}, {"1.0-2.0": [None]}),
])
def test_summary_json_is_strict_json_whatever_an_analysis_returns(monkeypatch, tmp_path, make,
                                                                    stored):
    assert _summary_of(monkeypatch, tmp_path, make()) == stored


def test_an_invalid_estimate_in_an_object_array_stays_an_invalid_estimate(monkeypatch, tmp_path):
    """estimates_to_dict does not enter NumPy arrays: json's default wrote float(estimate),
    the bare 5.0 of a number that is not valid."""
    stored = _summary_of(monkeypatch, tmp_path, np.array([BAD, BAD], dtype=object))
    assert [Estimate.from_dict(d) for d in stored] == [BAD, BAD]
