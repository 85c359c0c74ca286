"""Docstring examples shown on the pages run with the names the Sphinx doctest builder gives.

A docstring's ``>>>`` lines may use the names of their own module without importing them, as
``pytest --doctest-modules`` runs them with the module's globals. The Sphinx doctest builder
(``python -m sphinx -b doctest docs``) runs the same examples, where autodoc puts them on a page,
with only ``doctest_global_setup`` of ``docs/conf.py`` and the page's earlier examples: a name
the set-up does not bind fails there (``is_h5md_path`` of :mod:`ase_electrolyte.trajectory`:
"NameError: name 'is_h5md_path' is not defined"), and a name the set-up binds to another object
of the same name (``mda_electrolyte.observables.is_h5md_path``) runs the other function's
example silently. This holds every documented docstring's module names to the set-up's, by the
source of the examples, without running them.
"""

from __future__ import annotations

import ast
import builtins
import doctest
import inspect
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_docs_coverage import DOCUMENTED  # noqa: E402

CONF = Path(__file__).resolve().parents[1] / "docs" / "conf.py"


def _setup_namespace():
    """The names ``doctest_global_setup`` of docs/conf.py binds (as the builder runs it)."""
    tree = ast.parse(CONF.read_text())
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], "id", None) == "doctest_global_setup"):
            namespace = {}
            exec(node.value.value, namespace)  # noqa: S102 - the docs' own set-up
            return namespace
    raise AssertionError("docs/conf.py sets no doctest_global_setup")


SETUP = _setup_namespace()


def _bound_and_used(sources):
    """(names the examples bind, names they read) over all ``sources`` of one docstring."""
    bound, used = set(), set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    bound.add((alias.asname or alias.name).split(".")[0])
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
    return bound, used


def _module_of(obj):
    module = inspect.getmodule(obj)
    if module is None and isinstance(obj, property):
        module = inspect.getmodule(obj.fget)
    return module


def _documented_docstrings():
    """(entry name, module, docstring) of every documented routine or class, and of the
    methods and properties of documented classes (autodoc shows those it lists)."""
    seen, found = set(), []

    def add(name, obj):
        doc = getattr(obj, "__doc__", None)
        module = _module_of(obj)
        if not doc or module is None or id(obj) in seen:
            return
        if module.__name__.split(".")[0] not in ("ase_electrolyte", "mda_electrolyte",
                                                 "electrolyte_cli"):
            return
        seen.add(id(obj))
        found.append((name, module, doc))

    for name, obj in DOCUMENTED.items():
        if obj is None or inspect.ismodule(obj):
            continue
        if inspect.isclass(obj) or inspect.isroutine(obj):
            add(name, obj)
        if inspect.isclass(obj):
            for member, value in vars(obj).items():
                if member.startswith("_"):
                    continue
                value = getattr(value, "__func__", value)
                if inspect.isfunction(value) or isinstance(value, property):
                    add(f"{name}.{member}", value)
    return found


def missing_names(module, doc, setup):
    """Names of ``module`` an example of ``doc`` reads without binding them, that ``setup``
    lacks or binds to another object: name -> what the set-up has instead."""
    sources = [example.source for example in doctest.DocTestParser().get_examples(doc)]
    if not sources:
        return {}
    bound, used = _bound_and_used(sources)
    problems = {}
    for name in sorted(used - bound):
        if hasattr(builtins, name) or name not in vars(module):
            continue
        own = vars(module)[name]
        if inspect.ismodule(own):
            continue
        theirs = setup.get(name, _MISSING)
        if theirs is _MISSING:
            problems[name] = "not bound by doctest_global_setup"
        elif theirs is not own:
            problems[name] = (f"bound to {getattr(theirs, '__module__', '?')}."
                              f"{getattr(theirs, '__qualname__', name)} instead")
    return problems


_MISSING = object()
DOCSTRINGS = _documented_docstrings()


def test_the_check_sees_a_missing_and_a_confused_name():
    import types

    module = types.ModuleType("fake")
    module.helper = lambda: 1
    module.shared = lambda: 2
    doc = """Example.

    >>> helper(), shared()
    (1, 2)
    >>> from math import pi
    >>> round(pi)
    3
    """
    assert set(missing_names(module, doc, {"shared": lambda: 2})) == {"helper", "shared"}
    assert missing_names(module, doc, {"helper": module.helper, "shared": module.shared}) == {}
    # a name the example binds itself, and one of another module, are the example's business
    assert missing_names(module, ">>> helper = 3\n>>> helper\n3\n", {}) == {}
    assert missing_names(module, ">>> print(1)\n1\n", {}) == {}


def test_the_walk_reads_the_examples_of_the_documented_docstrings():
    names = {name.rsplit(".", 1)[-1] for name, _module, _doc in DOCSTRINGS}
    assert {"convert", "peak_top", "scan_minimum", "is_h5md_path"} <= names
    assert sum(">>>" in doc for _name, _module, doc in DOCSTRINGS) > 100


@pytest.mark.parametrize(
    "name, module, doc",
    [pytest.param(*entry, id=entry[0]) for entry in DOCSTRINGS
     if re.search(r"^\s*>>>", entry[2], re.M)])
def test_the_module_names_a_docstring_example_uses_are_bound_by_the_doctest_setup(
        name, module, doc):
    problems = missing_names(module, doc, SETUP)
    assert not problems, f"{name}: " + "; ".join(f"{k} {v}" for k, v in problems.items())
