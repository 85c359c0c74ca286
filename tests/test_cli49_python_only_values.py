"""``python_only`` marks a keyword's whole value, once.

The analyses' advice ``cutoffs={name: value}`` was marked inside its braces ("cutoffs={name:
(Python only) value}"), ``fit_window=(0.1, 0.6)`` after its first number, and a text marked
already was marked again after the "=" ("n_blocks= (Python only)4 (Python only)").
"""

import pytest

from electrolyte_cli.arguments import PYTHON_ONLY, python_only

M = PYTHON_ONLY


@pytest.mark.parametrize("text, expected", [
    ("pass cutoffs={name: value} to it", f"pass cutoffs={{name: value}} {M} to it"),
    ('give cutoffs={"Li": 2.5}', f'give cutoffs={{"Li": 2.5}} {M}'),
    ("a wider fit_window=(0.1, 0.6) here", f"a wider fit_window=(0.1, 0.6) {M} here"),
    ("fit_window=[0.1, 0.6], then", f"fit_window=[0.1, 0.6] {M}, then"),
    ("give n_blocks=4; or", f"give n_blocks=4 {M}; or"),
    ("use fewer n_blocks", f"use fewer n_blocks {M}"),
    ("f(n_blocks=3)", f"f(n_blocks=3 {M})"),
])
def test_the_whole_value_is_marked(text, expected):
    assert python_only(text) == (expected, True)


@pytest.mark.parametrize("text", [
    "pass cutoffs={name: value} to it", "fit_window=(0.1, 0.6) and n_blocks=4, then",
    "use fewer n_blocks", "give cutoffs={'Li': 2.5}",
])
def test_a_marked_text_is_not_marked_again(text):
    once, _ = python_only(text)
    assert python_only(once) == (once, False)
    assert once.count(M) == text.count("=") + ("fewer n_blocks" in text)


def test_an_unclosed_bracket_is_not_marked_inside():
    # a part of a value is never marked: without its closing brace there is no whole value
    assert python_only("cutoffs={unclosed here") == ("cutoffs={unclosed here", False)
