"""The Parameters sections of the public docstrings, as numpydoc renders them, name parameters.

numpydoc reads every line at the left margin of a Parameters section as a parameter: the
sentence ``Every collector is set up (and its arguments checked) before the first pass.`` at
the end of :func:`mda_electrolyte.ion_collection.collect`'s Parameters rendered as a parameter
of that name (and ``ions : dict`` said nothing of what the dict holds). A parameter documented
but not taken (a renamed argument) misleads the same way; functions that pass ``**kwargs`` on
are allowed other names, but not sentences.
"""

from __future__ import annotations

import inspect
import warnings

import pytest
from numpydoc.docscrape import NumpyDocString
from test_docs_coverage import MODULES


def _documented_callables():
    """(qualified name, object whose docstring renders, callable whose signature it describes)
    of every function and class of every ``__all__``, and of the public methods of those
    classes."""
    seen, found = set(), []

    def add(doc_obj, function):
        name = f"{doc_obj.__module__}.{doc_obj.__qualname__}"
        if name not in seen:
            seen.add(name)
            found.append((name, doc_obj, function))

    for module in MODULES:
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                add(obj, obj)
            elif inspect.isclass(obj):
                add(obj, obj.__init__)
                for key, value in vars(obj).items():
                    if key.startswith("_"):
                        continue
                    if isinstance(value, (classmethod, staticmethod)):
                        value = value.__func__
                    if inspect.isfunction(value):
                        add(value, value)
    return found


CALLABLES = _documented_callables()


def parameter_problems(doc, function):
    """Names of a numpydoc docstring's Parameters entries that ``function`` does not take, or
    that are no name at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = NumpyDocString(doc)
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return []
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    problems = []
    for section in ("Parameters", "Other Parameters"):
        for entry in parsed[section]:
            for name in entry.name.split(","):
                name = name.strip().lstrip("*")
                if not name:
                    continue
                if not name.isidentifier():
                    problems.append(f"{name!r} is no parameter name")
                elif name not in parameters and not takes_any:
                    problems.append(f"{name!r} is not a parameter")
    return problems


def test_the_parameter_check_sees_sentences_and_stale_names():
    def f(a, b=1, **kwargs):
        pass

    def g(a):
        pass

    doc = ("Do.\n\nParameters\n----------\na : int\n    Å.\nb, c : float\n**kwargs\n    More."
           "\n\nA closing remark in the section.\n")
    assert parameter_problems(doc, f) == ["'A closing remark in the section.' is no parameter name"]
    assert parameter_problems("Do.\n\nParameters\n----------\nz : int\n", g) == [
        "'z' is not a parameter"]
    assert parameter_problems("Do.\n\nParameters\n----------\na : int\n    A.\n", g) == []


@pytest.mark.parametrize("name, doc_obj, function", CALLABLES, ids=[c[0] for c in CALLABLES])
def test_parameters_sections_name_parameters(name, doc_obj, function):
    assert parameter_problems(inspect.getdoc(doc_obj) or "", function) == []
