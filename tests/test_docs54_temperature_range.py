"""The plausible temperature range quoted in the pages and sources is the one the code applies.

:func:`ase_electrolyte.units.implausible_doubts` doubts a temperature outside
:data:`~ase_electrolyte.units.MIN_PLAUSIBLE_TEMPERATURE_K` –
:data:`~ase_electrolyte.units.MAX_PLAUSIBLE_TEMPERATURE_K`. The upper bound went from 1500 K to
6000 K (a melt or a 3000 K training run is no unit slip), but the md, conductivity and cli pages
and seven docstrings still said "outside 50–1500 K": a user reading them expected 2000 K to
be marked "unit doubted", which it no longer is. Every "50–N K" written anywhere in the docs
or the packages' sources is that range and must carry the code's bounds.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ase_electrolyte.units import (
    MAX_PLAUSIBLE_TEMPERATURE_K,
    MIN_PLAUSIBLE_TEMPERATURE_K,
    implausible_doubts,
)

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted([*(ROOT / "docs").rglob("*.rst"),
                *(p for package in ("ase_electrolyte", "mda_electrolyte", "electrolyte_cli")
                  for p in (ROOT / package).rglob("*.py"))])

# the low end of the range as written, then the high end ("50–1500 K", "50-6000 K")
_RANGE = re.compile(rf"(?<![\d.]){MIN_PLAUSIBLE_TEMPERATURE_K:g}\s*[–-]\s*(\d+(?:\.\d+)?)\s*K\b")


def quoted_ranges(text):
    """The upper bounds of every plausible temperature range ``text`` quotes (K)."""
    return [float(match.group(1)) for match in _RANGE.finditer(text)]


def test_the_range_check_reads_the_forms_written():
    assert quoted_ranges("outside 50–1500 K (°C?)") == [1500.0]
    assert quoted_ranges("outside 50-6000 K") == [6000.0]
    assert quoted_ranges("a liquid electrolyte's 250–450 K, 150-500 K") == []


def test_the_bounds_are_the_ones_implausible_doubts_applies():
    # the constants are what the doubt reads: the range the pages quote is the rule
    inside = (MIN_PLAUSIBLE_TEMPERATURE_K * 1.01, MAX_PLAUSIBLE_TEMPERATURE_K * 0.99)
    outside = (MIN_PLAUSIBLE_TEMPERATURE_K * 0.99, MAX_PLAUSIBLE_TEMPERATURE_K * 1.01)
    assert all(implausible_doubts(temperature_K=t) == [] for t in inside)
    assert all(implausible_doubts(temperature_K=t) for t in outside)


QUOTING = [path for path in FILES if quoted_ranges(path.read_text(encoding="utf-8"))]


def test_the_walk_finds_the_pages_that_quote_the_range():
    names = {path.relative_to(ROOT).as_posix() for path in QUOTING}
    assert {"docs/api/md.rst", "docs/api/cli.rst", "docs/api/conductivity.rst",
            "ase_electrolyte/units.py"} <= names


@pytest.mark.parametrize(
    "path", [pytest.param(path, id=path.relative_to(ROOT).as_posix()) for path in QUOTING])
def test_a_quoted_plausible_temperature_range_is_the_code_range(path):
    text = path.read_text(encoding="utf-8")
    stale = [(text[:m.start()].count("\n") + 1, m.group(0)) for m in _RANGE.finditer(text)
             if float(m.group(1)) != MAX_PLAUSIBLE_TEMPERATURE_K]
    assert not stale, (f"{path.relative_to(ROOT)} quotes a range other than "
                       f"{MIN_PLAUSIBLE_TEMPERATURE_K:g}–{MAX_PLAUSIBLE_TEMPERATURE_K:g} K "
                       f"(line, text): {stale}")
