"""No page or rendered docstring names a round of work by its internal label.

The test files are named by the round of work that wrote them (``test_unc29_...``); the label
alone means nothing to a reader: the module text of :mod:`mda_electrolyte.uncertainty` said a
variant was "tried ... and not kept (unc29)". A test file may be named by its path
(``tests/test_unc29_transient_tail.py``), which a reader can open; a bare label is refused, as
"seed NNN" citations are (test_docs_references).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_docs52_crossrefs import _docstrings
from test_docs_coverage import PAGES

TESTS = Path(__file__).resolve().parent
DOCS = TESTS.parent / "docs"


def _labels():
    """The round labels of the test files' names (``unc`` of ``test_unc29_...``)."""
    found = set()
    for path in TESTS.glob("test_*.py"):
        match = re.match(r"test_([a-z]+?)(\d{2}[a-z]?)_", path.name)
        if match:
            found.add(match.group(1))
    return found


_LABEL = re.compile(r"(?<![\w/.-])(" + "|".join(sorted(_labels(), key=len, reverse=True))
                    + r")(\d{2}[a-z]?)\b(?![\w.-]*\.py)")


def bare_labels(text):
    """Round labels in ``text`` that are not part of a test file's path."""
    return [m.group(0) for m in _LABEL.finditer(text)]


def test_the_check_sees_a_bare_label_but_not_a_path_or_a_word():
    assert bare_labels("not kept (unc29): taking; see shells53b and struct22.") == [
        "unc29", "shells53b", "struct22"]
    assert bare_labels("``tests/test_unc29_transient_tail.py``, d3 dispersion, md5 "
                       "checksums, a 3d4s shell, 2 h5md files") == []


_TEXTS = ([(str(page.relative_to(DOCS)), page.read_text(encoding="utf-8")) for page in PAGES]
          + _docstrings())


@pytest.mark.parametrize("where, text", _TEXTS, ids=[where for where, _ in _TEXTS])
def test_no_page_or_docstring_names_a_round_of_work(where, text):
    assert not bare_labels(text), where
