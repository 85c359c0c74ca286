"""Every value type a user puts in a report's settings or results is shown in its own short form
and escaped: complex numbers, NumPy and torch scalars and arrays of every float width (float16,
bfloat16, float32, long double), masked arrays, paths and dates.

Before, a complex number read ``"(0.1+0.2j)"`` (quoted, a NumPy complex64 as
``"(0.10000000149011612+0.30000001192092896j)"``), a torch float32 0.1 read ``0.10000000149``
(a float16 ``0.0999755859375``), a long double its 20-digit string in quotes and a float32
inside a list ``0.10000000149``: the noise of a conversion, not the number the user stored.
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from ase_electrolyte.html_report import PLAIN_DIGITS, write_html_report


def _rows(path):
    page = path.read_text(encoding="utf-8")
    results = page.split("<h2>Results</h2>", 1)[1]
    return dict(re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", results))


@pytest.fixture(scope="module")
def shown(tmp_path_factory):
    """``{name: cell}`` of one report of each value; the values, to check nothing changed."""
    summary = {
        "complex": 0.1 + 0.2j,
        "negative imaginary": complex(1 / 3, -2.5),
        "numpy complex64": np.complex64(0.1 + 0.3j),
        "numpy complex128": np.complex128(1 / 3 + 1j),
        "complex with nan": complex(math.nan, 1.0),
        "complex list": [1 + 2j, 0.1 + 0.2j],
        "complex array": np.array([1 / 3 + 1j, 2.0]),
        "torch complex64": torch.tensor(0.1 + 0.2j),
        "torch float32": torch.tensor(0.1),
        "torch float32 vector": torch.tensor([0.1, 0.2, 0.7]),
        "torch float16": torch.tensor(0.1, dtype=torch.float16),
        "torch bfloat16": torch.tensor([0.1, 300.0], dtype=torch.bfloat16),
        "torch float64": torch.tensor(0.1, dtype=torch.float64) + 0.2,
        "torch nan": torch.tensor([math.nan, 1.0]),
        "torch with grad": torch.tensor([0.1], requires_grad=True),
        "long double": np.longdouble(1) / 3,
        "float32 in a list": [1 / 3, np.float32(0.1)],
        "float32 in a set": {np.float32(0.7)},
        "masked float32": np.ma.masked_array(np.array([0.1, 0.2], np.float32), [True, False]),
        "path": Path("/runs/a<b>"),
        "markup": "<script>alert(1)</script>",
        "bytes": b"<i>",
    }
    path = write_html_report(tmp_path_factory.mktemp("types") / "report.html", title="types",
                             settings={}, summary=summary)
    return _rows(path)


@pytest.mark.parametrize("name,expected", [
    ("complex", "0.1+0.2j"),
    ("negative imaginary", "0.333333333333-2.5j"),
    ("numpy complex64", "0.1+0.3j"),
    ("numpy complex128", "0.333333333333+1j"),
    ("complex with nan", "–"),  # never "nan" on the page
    ("complex list", "[1+2j, 0.1+0.2j]"),
    ("complex array", "[0.333333333333+1j, 2+0j]"),
    ("torch complex64", "0.1+0.2j"),
    ("torch float32", "0.1"),
    ("torch float32 vector", "[0.1, 0.2, 0.7]"),
    ("torch float16", "0.1"),
    ("torch bfloat16", "[0.1, 300.0]"),
    ("torch float64", "0.3"),
    ("torch nan", "[null, 1.0]"),
    ("torch with grad", "[0.1]"),
    ("long double", "0.333333333333"),
    ("float32 in a list", "[0.333333333333, 0.1]"),
    ("float32 in a set", "[0.7]"),
    ("masked float32", "[null, 0.2]"),  # the masked entry is no number
    ("path", "/runs/a&lt;b&gt;"),  # a path reads as itself, escaped
    ("markup", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("bytes", "b&#x27;&lt;i&gt;&#x27;"),
])
def test_each_value_type_is_shown_in_its_own_short_form(shown, name, expected):
    assert shown[name] == expected


def test_every_shown_number_reads_back_as_the_stored_one(shown):
    """Each shortened float32/float16/bfloat16 is the same number in its own precision."""
    assert np.float32(float(shown["torch float32"])) == np.float32(0.1)
    assert np.float16(float(shown["torch float16"])) == np.float16(0.1)
    for text, x in zip(shown["torch bfloat16"].strip("[]").split(", "), (0.1, 300.0),
                       strict=True):
        stored = torch.tensor(x, dtype=torch.bfloat16)
        assert torch.tensor(float(text), dtype=torch.bfloat16) == stored
    real, imag = re.fullmatch(r"(.*)\+(.*)j", shown["numpy complex64"]).groups()
    assert np.complex64(complex(float(real), float(imag))) == np.complex64(0.1 + 0.3j)


def test_no_number_on_the_page_has_more_than_plain_digits(shown):
    tokens = [t for cell in shown.values()
              for t in re.findall(r"\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", cell)]
    assert max(len(t.split("e")[0].replace(".", "").lstrip("0")) for t in tokens) \
        <= PLAIN_DIGITS


def test_no_value_is_written_as_a_quoted_repr(shown):
    for name, cell in shown.items():
        assert "&quot;" not in cell and "(" not in cell.replace("alert(1)", ""), (name, cell)


def test_numeric_dict_keys_are_shown_short(tmp_path):
    """A computed temperature key read ``0.30000000000000004`` as its row's heading."""
    path = write_html_report(tmp_path / "r.html", title="t", settings={},
                             summary={0.1 + 0.2: 1, np.float32(298.15): 2, "T": 3})
    assert set(_rows(path)) == {"0.3", "298.15", "T"}
