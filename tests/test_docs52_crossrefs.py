"""What the pages document is rendered, and references to it link to it.

Two classes of silent docs defect, neither of which ``sphinx -W`` reports:

* A directive written on the line after a paragraph, without a blank line, is that paragraph's
  text: ``.. autofunction:: mda_electrolyte.model_labels.madelung_energy`` and four others on
  the intra/inter errors page, and ``covalent_contacts``, ``SPLIT_BOND_SCALE`` and
  ``MAX_VALENCE`` on the molecules page, rendered as a sentence, with no entry in the HTML
  (test_docs_coverage's regex read them as entries).
* A reference to a documented object under another name than its entry's
  (``:class:`~ase_electrolyte.D3``` for the entry ``ase_electrolyte.d3.calculator.D3``,
  ``:func:`~mda_electrolyte.from_ase```, ``Electrostatics`` inside ``ase_electrolyte.calculator``)
  rendered as plain text without a link (``nitpicky = False``): 115 references, all eight
  links of the theory page to the top-level names among them. ``docs/conf.py`` now links them
  by the object they import as.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
from test_docs_coverage import DIRECTIVES, DOCUMENTED, PAGES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
OWN = ("ase_electrolyte", "mda_electrolyte", "electrolyte_cli")

_DIRECTIVE_LINE = re.compile(r"^\.\. [\w:-]+::")


def swallowed_directives(text):
    """Directive lines that follow a paragraph line with no blank line between: docutils
    reads them as the paragraph's text."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines[1:], start=1):
        previous = lines[i - 1]
        if (_DIRECTIVE_LINE.match(line) and previous.strip() and not previous[0].isspace()
                and not previous.startswith("..")):
            found.append(f"line {i + 1}: {line}")
    return found


def test_the_directive_check_sees_a_directive_glued_to_a_paragraph():
    assert swallowed_directives("Text.\n.. autofunction:: a.b\n") == [
        "line 2: .. autofunction:: a.b"]
    assert swallowed_directives("Text.\n\n.. autofunction:: a.b\n.. autofunction:: a.c\n"
                                "   :no-index:\n.. autodata:: a.D\n") == []


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_no_directive_is_read_as_paragraph_text(page):
    assert swallowed_directives(page.read_text(encoding="utf-8")) == []


def _conf():
    namespace = {"__file__": str(DOCS / "conf.py")}
    exec((DOCS / "conf.py").read_text(encoding="utf-8"), namespace)
    return namespace


CONF = _conf()


def _entries():
    """Dotted names of the docs entries, as Sphinx registers them (directive targets, and the
    members an ``automodule`` or ``autoclass`` lists)."""
    names = [target for _page, _kind, target, _members in DIRECTIVES]
    names += [name for name in DOCUMENTED if name not in names]
    return names


def test_the_link_resolver_is_set_up():
    assert "setup" in CONF, "docs/conf.py registers no missing-reference handler"


@pytest.mark.parametrize("reference, module", [
    ("ase_electrolyte.D3", None),
    ("ase_electrolyte.Electrostatics", None),
    ("ase_electrolyte.fit_qrd", None),
    ("ase_electrolyte.finetune", None),
    ("mda_electrolyte.IonCollector", None),
    ("mda_electrolyte.from_ase", None),
    ("D3", "ase_electrolyte"),
    ("Estimate", "ase_electrolyte.estimate"),
])
def test_a_reference_by_an_import_name_finds_the_entry_of_its_object(reference, module):
    assert "entry_for_reference" in CONF, "docs/conf.py links no reference by its object"
    entries = _entries()
    names = CONF["documented_names"](entries)
    entry = CONF["entry_for_reference"](reference, names, module)
    assert entry in entries
    target = reference if module is None else f"{module}.{reference}"
    assert CONF["import_target"](entry) is CONF["import_target"](target)


def test_equal_constants_of_other_names_are_not_confused():
    """Two module constants of the same small value are one int object: a reference to one
    must not link to the other's entry."""
    names = CONF["documented_names"](["ase_electrolyte.finetuning.MAX_EPOCHS"])
    from ase_electrolyte import finetuning

    assert CONF["entry_for_reference"]("ase_electrolyte.finetuning.MAX_EPOCHS", names) == (
        "ase_electrolyte.finetuning.MAX_EPOCHS")
    other = [name for name, value in vars(finetuning).items()
             if value is finetuning.MAX_EPOCHS and name != "MAX_EPOCHS"]
    for name in other:
        assert CONF["entry_for_reference"](f"ase_electrolyte.finetuning.{name}", names) is None


_XREF = re.compile(
    r":(?:func|class|data|attr|meth|mod|exc|obj):`(?:[^`<]*<([^>`]+)>|~?([^`<>]+?))`")


def _page_references(page):
    """(target, current module) of the references of a page, the current module being the last
    ``automodule``/``py:module``/``currentmodule`` above each."""
    text = page.read_text(encoding="utf-8")
    found, module = [], None
    pattern = re.compile(r"^\.\. (?:automodule|py:module|py:currentmodule|currentmodule):: *(\S+)"
                         r"|" + _XREF.pattern, re.M)
    for match in pattern.finditer(text):
        if match.group(1):
            module = match.group(1)
        else:
            found.append(((match.group(2) or match.group(3)).strip(), module))
    return found


def _imports_as_own_object(target, module):
    for candidate in CONF["reference_candidates"](target, module):
        if CONF["import_target"](candidate) is not None:
            return True
    return False


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_every_reference_of_a_page_to_a_documented_object_links(page):
    """A reference that imports as one of the packages' documented objects has an entry to link
    to; references to objects without an entry are the next test's."""
    if "entry_for_reference" not in CONF:
        pytest.fail("docs/conf.py links no reference by its object")
    names = CONF["documented_names"](_entries())
    entries = set(_entries())
    documented_ids = {id(obj) for obj in DOCUMENTED.values() if obj is not None}
    unlinked = []
    for target, module in _page_references(page):
        target = target.lstrip("~.")
        if target in entries or (module and f"{module}.{target}" in entries):
            continue
        objects = [CONF["import_target"](c) for c in CONF["reference_candidates"](target, module)]
        obj = next((o for o in objects if o is not None), None)
        if obj is None or id(obj) not in documented_ids or (
                not (callable(obj) or inspect.ismodule(obj))):
            continue
        if CONF["entry_for_reference"](target, names, module) is None:
            unlinked.append(target)
    assert not unlinked, unlinked


def test_modules_the_pages_refer_to_are_targets():
    """``:mod:`` references to the packages' modules have a ``py:module`` or ``automodule``
    target on some page."""
    declared = set()
    for page in PAGES:
        declared.update(re.findall(r"^\.\. (?:automodule|py:module):: *(\S+)",
                                   page.read_text(encoding="utf-8"), flags=re.M))
    missing = set()
    for page in PAGES:
        for target in re.findall(r":mod:`~?([^`<]+?)`", page.read_text(encoding="utf-8")):
            if target.split(".")[0] in OWN and target not in declared:
                importlib.import_module(target)  # a stale module name is another test's
                missing.add(f"{page.relative_to(DOCS)}: {target}")
    assert not missing, sorted(missing)


_ROLE = re.compile(r":(?:func|class|data|attr|meth|mod|exc|obj):`([^`]*)`")
_PRIVATE_TARGET = re.compile(
    r":(?:func|class|data|attr|meth|mod|exc|obj):`~?((?:ase_electrolyte|mda_electrolyte|"
    r"electrolyte_cli)\.[\w.]*\._\w+)`")


def reference_form_problems(text):
    """References Sphinx cannot link whatever the entries: a target broken over two lines (its
    name then holds the line break and the indentation), and one naming a private object,
    which has no entry."""
    problems = []
    for match in _ROLE.finditer(text):
        content = match.group(1)
        target = content.rsplit("<", 1)[-1] if content.endswith(">") else content
        if "\n" in target:  # a title may wrap, the target may not
            problems.append(" ".join(match.group(0).split()))
    problems += [f"private: {m.group(1)}" for m in _PRIVATE_TARGET.finditer(text)]
    return problems


def test_the_reference_form_check_sees_split_and_private_targets():
    assert reference_form_problems(
        ":func:`~mda_electrolyte.carriers.\n        volume_drift_note`, :func:`x.y`, "
        ":func:`mda_electrolyte.uncertainty._small_sample_widening`") == [
        ":func:`~mda_electrolyte.carriers. volume_drift_note`",
        "private: mda_electrolyte.uncertainty._small_sample_widening"]


def _docstrings():
    """(name, docstring) of every module of the packages and of everything they define."""
    from test_docs_coverage import MODULES

    found = []
    for module in MODULES:
        found.append((module.__name__, module.__doc__ or ""))
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue  # a private object's docstring is rendered nowhere
            if inspect.isfunction(obj) or inspect.isclass(obj):
                found.append((f"{module.__name__}.{name}", obj.__doc__ or ""))
            if inspect.isclass(obj):
                for key, value in vars(obj).items():
                    if key.startswith("_") and key != "__init__":
                        continue
                    value = getattr(value, "__func__", getattr(value, "fget", value))
                    if callable(value) and getattr(value, "__doc__", None):
                        found.append((f"{module.__name__}.{name}.{key}", value.__doc__))
    return found


def test_no_reference_in_a_docstring_or_page_is_split_or_private():
    texts = [(str(page.relative_to(DOCS)), page.read_text(encoding="utf-8")) for page in PAGES]
    problems = [f"{where}: {problem}" for where, text in texts + _docstrings()
                for problem in reference_form_problems(text)]
    assert not problems, "\n".join(problems)

