"""A ``.. math::`` block holds equations only: prose indented under it is typeset as LaTeX.

The text after the equations of :func:`ase_electrolyte.committee.spread_calibration` ("averages
over frames (each frame weighted once), :math:`\\Delta` the committee mean less the label, ...")
was indented as the equations were, so the committee page rendered it inside the equation: the
words run together in italics and the roles printed raw (``:math:`\\Delta```), while what
``c_E``, ``c_F`` and Δ are was not said in readable text. ``sphinx -W`` reports nothing of it
(MathJax typesets any text). This reads every ``.. math::`` block of the pages and of the
docstrings the pages render.
"""

from __future__ import annotations

import inspect
import re

import pytest
from test_docs_coverage import DOCUMENTED, PAGES

# a ``.. math::`` directive and the lines indented under it (blank lines inside)
_MATH = re.compile(r"^([ \t]*)\.\. math::[^\n]*\n((?:\1[ \t]+\S.*\n?|[ \t]*\n)*)", re.M)
# LaTeX that holds words on purpose
_TEXT = re.compile(r"\\(?:text\w*|mathrm|operatorname|mbox)\s*\{[^}]*\}")
# four words of plain lower-case text in a row, none a LaTeX command or sub/superscript
_PROSE = re.compile(r"(?<![\\{_^a-zA-Z])[a-z]{3,} [a-z]{2,} [a-z]{2,} [a-z]{3,}\b")


def math_block_problems(text):
    """Lines of ``.. math::`` blocks in ``text`` that are prose or hold an rST role."""
    problems = []
    for _indent, block in _MATH.findall(text or ""):
        for line in block.splitlines():
            bare = _TEXT.sub(" ", line)
            if re.search(r":\w+:`", bare) or _PROSE.search(bare):
                problems.append(line.strip())
    return problems


def _texts():
    """(where, text) of every page and of every docstring the pages render."""
    texts = [(str(page.name), page.read_text(encoding="utf-8")) for page in PAGES]
    seen = set()
    for name, obj in DOCUMENTED.items():
        if obj is None or not (callable(obj) or inspect.ismodule(obj)):
            continue
        members = [(name, obj)]
        if inspect.isclass(obj):
            for key, value in vars(obj).items():
                function = value.fget if isinstance(value, property) else getattr(
                    value, "__func__", value)
                if callable(function):
                    members.append((f"{name}.{key}", function))
        for where, item in members:
            if id(item) not in seen:
                seen.add(id(item))
                texts.append((where, inspect.getdoc(item) or ""))
    return texts


TEXTS = _texts()


def test_the_check_sees_prose_and_roles_inside_a_math_block():
    broken = ("Scale factors\n\n.. math::\n\n    c = \\sqrt{a/b},\n\n"
              "    averages over frames, :math:`\\Delta` the mean less the label.\n\nDone.\n")
    assert math_block_problems(broken) == [
        "averages over frames, :math:`\\Delta` the mean less the label."]
    mended = broken.replace("    averages", "averages")
    assert math_block_problems(mended) == []
    assert math_block_problems(".. math::\n\n   \\sigma = \\frac{1}{3 V k_B T} "
                               "\\int_0^\\infty \\langle J(t) J(0) \\rangle \\, dt "
                               "\\quad \\text{for all the lags we have}\n") == []


def test_the_walk_reads_the_pages_and_docstrings_with_equations():
    with_math = [where for where, text in TEXTS if _MATH.search(text)]
    assert "ase_electrolyte.committee.spread_calibration" in with_math
    assert "theory.rst" in with_math
    assert len(with_math) > 10


@pytest.mark.parametrize("where, text", [t for t in TEXTS if _MATH.search(t[1])],
                         ids=[w for w, t in TEXTS if _MATH.search(t)])
def test_a_math_block_holds_equations_only(where, text):
    assert not math_block_problems(text), where
