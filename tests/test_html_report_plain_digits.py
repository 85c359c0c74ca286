"""Plain numbers on the HTML report (settings, counts, fit checks: no Estimate) are shown as
typed, never with a computed float's last-bit noise.

``0.1 + 0.2`` read ``0.30000000000000004`` on the page and a frame spacing computed from times
``0.0020999999999999994``; a float32 0.3 read ``0.30000001192092896``. Each is now shown to
:data:`~ase_electrolyte.html_report.PLAIN_DIGITS` significant digits (a float32 to its own
shortest form), in every place the page shows a plain number: settings and summary, scalars,
NumPy scalars and arrays, lists, tuples, sets, dicts inside lists, Decimals and Fractions.
The caller's dicts keep their exact numbers (``summary.json`` is written from them).
"""

import copy
import html
import json
import re
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.html_report import PLAIN_DIGITS, write_html_report

#: Numbers computed in floating point, each a few ulps from what a person would write.
COMPUTED = {
    "sum": (0.1 + 0.2, "0.3"),
    "product": (0.1 * 3, "0.3"),
    "tenth x 10": (sum([0.1] * 10), "1.0"),
    "frame spacing": (0.0020999999999999994, "0.0021"),
    "steps x dt": (7 * 0.7 / 1000, "0.0049"),
    "negative": (-(0.1 + 0.2), "-0.3"),
    "large": (1e20 * (0.1 + 0.2), "3e+19"),
    "small": (1e-20 * (0.1 + 0.2), "3e-21"),
}
#: Settings as a person types them: shown exactly so.
TYPED = [298.15, 1.01325, 0.3, 1e-20, 6.02214076e23, 123456.789012, -0.5, 2.0, 1e300, 5e-324,
         0.1234567891, 12345678.9012]


def _containers(x):
    """``x`` in each form a page shows plainly, with the text each shows."""
    return {
        "float": x,
        "numpy float64": np.float64(x),
        "list": [x, 2],
        "tuple": (x,),
        "nested list": [[x], [1]],
        "array": np.array([x, x]),
        "2d array": np.array([[x]]),
        "set": {x},
        "dict in list": [{"a": x}],
    }


def _page_rows(path):
    """``{key: cell text}`` of the page's innermost rows (cells without markup)."""
    text = path.read_text(encoding="utf-8")
    rows = re.findall(r"<tr><th>([^<]*)</th><td>([^<]*)</td></tr>", text)
    return {html.unescape(k): html.unescape(v) for k, v in rows}


def _numbers(cell):
    """Every number in a cell (JSON text: lists, dicts, a scalar)."""
    def walk(v):
        if isinstance(v, dict):
            return [n for x in v.values() for n in walk(x)]
        if isinstance(v, list):
            return [n for x in v for n in walk(x)]
        return [v] if isinstance(v, (int, float)) else []

    return walk(json.loads(cell))


def _significant(token):
    mantissa = token.lower().split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return len(mantissa.rstrip("0")) if "e" in token.lower() or "." not in token else \
        len(mantissa)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    settings, summary = {}, {"analysis": {"settings": {}, "fit": {}}}
    for name, (x, _) in COMPUTED.items():
        for form, value in _containers(x).items():
            settings[f"{name} / {form}"] = value
            summary["analysis"]["settings"][f"s: {name} / {form}"] = value
    for i, x in enumerate(TYPED):
        for form, value in _containers(x).items():
            settings[f"typed {i} / {form}"] = value
    settings["float32"] = np.float32(0.3)
    settings["float32 array"] = np.array([0.1, 0.3], dtype=np.float32)
    settings["float16"] = np.float16(0.3)
    settings["decimal"] = Decimal("0.1") * 3
    settings["fraction"] = Fraction(1, 3)
    # an Estimate beside plain numbers keeps its own form (value to its error's digits)
    summary["analysis"]["density"] = Estimate(1.2345678, 0.0012, "g/cm³", "block mean", 20)
    before = copy.deepcopy((settings, summary))
    path = write_html_report(tmp_path_factory.mktemp("report") / "report.html", title="t",
                             settings=settings, summary=summary)
    return _page_rows(path), settings, summary, before, path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(COMPUTED))
def test_a_computed_number_is_shown_without_its_noise_in_every_place(page, name):
    rows, *_ = page
    x, shown = COMPUTED[name]
    for form in _containers(x):
        for key in (f"{name} / {form}", f"s: {name} / {form}"):
            numbers = _numbers(rows[key])
            assert numbers[0] == float(shown), (key, rows[key])
            assert shown in rows[key] or form == "float" and rows[key] == shown, (key, rows[key])
            # the shown number is the exact one to PLAIN_DIGITS digits
            assert abs(numbers[0] - x) <= 10.0 ** (1 - PLAIN_DIGITS) * abs(x)


def test_a_typed_number_is_shown_as_typed_in_every_place(page):
    rows, *_ = page
    for i, x in enumerate(TYPED):
        for form in _containers(x):
            key = f"typed {i} / {form}"
            assert _numbers(rows[key])[0] == x, (key, rows[key])
            assert repr(x) in rows[key], (key, rows[key])


def test_no_plain_number_on_the_page_has_more_than_plain_digits(page):
    rows, *_ = page
    tokens = [t for cell in rows.values() for t in
              re.findall(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", cell)]
    assert len(tokens) > 200
    assert max(map(_significant, tokens)) <= PLAIN_DIGITS


def test_other_number_types_are_shown_in_their_own_shortest_form(page):
    rows, *_ = page
    assert rows["float32"] == "0.3" and rows["float16"] == "0.3"
    assert rows["float32 array"] == "[0.1, 0.3]"
    assert rows["decimal"] == "0.3" and rows["fraction"] == "0.333333333333"


def test_an_estimate_keeps_its_own_form(page):
    *_, text = page
    assert "1.2346 ± 0.0012" in text and "1.2345678" not in text


def test_the_callers_numbers_stay_exact(page):
    _, settings, summary, before, _ = page
    assert settings["sum / float"] == 0.1 + 0.2 != 0.3
    assert json.dumps(settings["sum / list"]) == "[0.30000000000000004, 2]"
    assert repr((settings, summary)) == repr(before)
