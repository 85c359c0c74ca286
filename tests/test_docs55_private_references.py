"""The rendered docstrings refer the reader to nothing the reader cannot see.

A public docstring that gives a threshold or a rule as a private name, ``:data:`_COPY_TOLERANCE```
or "(see :func:`_check_distances`)", renders in the API pages as a bare code word without a
link or an entry: the reader learns neither the number nor the rule. The check of
test_docs52_crossrefs sees only fully qualified private targets
(``mda_electrolyte.uncertainty._small_sample_widening``); the short form, written inside the
module, slipped past it: 56 references in the public docstrings of 19 modules, among them
``intramolecular_stress``'s new refusal (":data:`_ISOLATED_TOLERANCE` of the sum of its atoms'
|f|", for 10⁻³), ``read_labelled``'s and ``finetune``'s unit checks (13), the module text of
:mod:`mda_electrolyte.uncertainty` and the screen task's time and memory limits.

The methods a class documents for its subclasses to override (``FrameAnalysis._compute``,
overridden by every analysis) are its subclass interface and stay.
"""

from __future__ import annotations

import inspect
import re

import pytest
from test_docs52_crossrefs import _docstrings
from test_docs_coverage import MODULES

_SHORT_PRIVATE = re.compile(
    r":(?:func|class|data|attr|meth|exc|obj):`(?:[^`<]*<)?~?\.?((?:\w+\.)*_\w+)>?`")


def _subclasses(cls):
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def _is_hook(owner, method):
    """A method the class defines and a subclass overrides: its subclass interface."""
    return (inspect.isclass(owner) and method in vars(owner)
            and any(method in vars(sub) for sub in _subclasses(owner)))


def private_references(name, doc):
    """The short private references of the docstring of ``name``, but a class's own hooks
    referred to by ``:meth:`` (methods that its subclasses override)."""
    found = []
    for match in _SHORT_PRIVATE.finditer(doc):
        target = match.group(1)
        if match.group(0).startswith(":meth:") and _is_hook(_object(name),
                                                             target.split(".")[-1]):
            continue
        found.append(match.group(0))
    return found


def _object(name):
    module_name, _, attr = name.rpartition(".")
    for module in MODULES:
        if module.__name__ == module_name:
            return getattr(module, attr, None)
        if module.__name__ == name:
            return module
    return None


def _by_module():
    found = {module.__name__: [] for module in MODULES}
    for name, doc in _docstrings():
        module = max((m for m in found if name == m or name.startswith(m + ".")), key=len)
        found[module] += [f"{name}: {ref}" for ref in private_references(name, doc)]
    return found


_FOUND = _by_module()


def test_the_check_sees_short_private_references_but_a_class_hook():
    assert private_references("x.f", "within :data:`_TOL` of; see :func:`~_check` and "
                                      ":func:`the check <_check_work>`; :func:`public`") == [
        ":data:`_TOL`", ":func:`~_check`", ":func:`the check <_check_work>`"]
    hook = "mda_electrolyte.analysis_base.FrameAnalysis"
    assert private_references(hook, "override :meth:`_compute`") == []
    assert private_references(hook, "see :meth:`_no_such_method`") == [
        ":meth:`_no_such_method`"]
    # a private helper of a class, which no subclass overrides, is no hook
    assert private_references("mda_electrolyte.rdf.IntraInterRDF",
                              "see :meth:`_shell_search`") == [":meth:`_shell_search`"]


@pytest.mark.parametrize("module", sorted(_FOUND), ids=sorted(_FOUND))
def test_no_public_docstring_refers_to_a_private_object(module):
    assert not _FOUND[module], "\n".join(_FOUND[module])

