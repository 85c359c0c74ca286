"""The five papers, as a reader finds them: full references on the theory page, cited by authors
and year in the README, the pages and the command's help, never by an internal number."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
THEORY = (ROOT / "docs" / "theory.rst").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")

#: Citation key of the theory page → (first author as cited, year).
PAPERS = {
    "Ju2025": ("Ju", 2025),
    "Gong2025": ("Gong", 2025),
    "Goodwin2024": ("Goodwin", 2024),
    "Magdau2023": ("Magdău", 2023),
    "Chalykh2025": ("Chalykh", 2025),
}


def references(text):
    """``{key: entry text}`` of the ``.. [Key] ...`` entries of a page (continuation lines
    joined)."""
    found = {}
    for match in re.finditer(r"^\.\. \[(\w+)\] (.*?)(?=^\S|^\.\. |\Z)", text, re.M | re.S):
        found[match.group(1)] = " ".join(match.group(2).split())
    return found


def entry_problems(entry, first_author, year):
    """What a full reference lacks: authors, a quoted title, a journal or preprint, the year."""
    problems = []
    authors = entry.split('"', 1)[0]
    if not re.match(rf"(?:[A-Z][\w.-]*\.? )+{re.escape(first_author)},", authors):
        problems.append(f"does not start with the authors (first: {first_author})")
    if not re.search(r'"[^"]{20,}"', entry):
        problems.append("no quoted title")
    venue = entry.split('"', 2)[-1]
    if not re.search(r"\*[^*]+\*|arXiv:\d{4}\.\d{4,5}|preprint", venue):
        problems.append("no journal (in italics), arXiv number or 'preprint'")
    if not re.search(rf"\([^)]*\b{year}\)", venue):  # "(2025)", "(2024, revised 2025)"
        problems.append(f"no year ({year}) after the title")
    return problems


@pytest.mark.parametrize("key", list(PAPERS))
def test_the_theory_page_has_a_full_reference_of_each_paper(key):
    entry = references(THEORY).get(key)
    assert entry is not None, f"no .. [{key}] reference on docs/theory.rst"
    assert entry_problems(entry, *PAPERS[key]) == [], entry


def test_the_reference_check_sees_what_an_entry_lacks():
    full = ('S. Ju, J. You, "Application of pretrained universal machine-learning potentials", '
            "*Digital Discovery* **4**, 1544 (2025). Text.")
    assert entry_problems(full, "Ju", 2025) == []
    assert entry_problems(full.replace("*Digital Discovery* **4**, 1544 ", ""), "Ju", 2025) == [
        "no journal (in italics), arXiv number or 'preprint'"]
    assert entry_problems(full.replace("(2025)", "(2024)"), "Ju", 2025) == [
        "no year (2025) after the title"]
    assert entry_problems(full.replace('"', ""), "Ju", 2025)[0] == "no quoted title"
    assert entry_problems("Ju et al. " + full, "Ju", 2025)[0].startswith("does not start")
    found = references(".. [A2020] X. Y, \"t\",\n   *J* (2020).\n\nText\n.. [B2021] Z.\n")
    assert found == {"A2020": 'X. Y, "t", *J* (2020).', "B2021": "Z."}


def test_each_paper_is_cited_in_the_theory_text_and_the_page_is_in_the_docs():
    body = THEORY.split("Building and simulating a box", 1)[1]
    uncited = [key for key in PAPERS if f"[{key}]_" not in body]
    assert not uncited, uncited
    index = (ROOT / "docs" / "index.rst").read_text(encoding="utf-8")
    assert re.search(r"^\s+theory$", index, re.M)


def test_the_readme_names_the_five_papers_and_links_the_theory_page():
    assert "[`docs/theory.rst`](docs/theory.rst)" in README
    text = " ".join(README.split())
    for author, year in PAPERS.values():
        assert f"{author} et al. {year}" in text or f"{author} et al. ({year})" in text, author


def test_no_page_or_help_cites_a_paper_by_an_internal_number(capsys):
    from electrolyte_cli import build_parser

    pages = [README, THEORY, *(p.read_text(encoding="utf-8")
                               for p in (ROOT / "docs").rglob("*.rst"))]
    parser = build_parser()
    helps = [parser.format_help()]
    for action in parser._actions:
        for sub in getattr(action, "choices", None) or {}:
            helps.append(action.choices[sub].format_help())
    for text in pages + helps:
        assert re.search(r"\bseed[ _-]?0\d\d\b", text, re.I) is None
