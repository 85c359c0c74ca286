"""A reference to one of the packages' public functions or classes links to its docs entry.

With ``nitpicky = False`` Sphinx renders a reference to an object without an entry as plain
text, with no warning: the docstrings of documented objects pointed readers to twelve public
helpers that no page documented (:func:`~ase_electrolyte.md.hydrogen_timestep_fs` from
``run_md``, ``damaged_h5md``, ``start_state`` and ``particle_group`` from the H5MD reader and
writer, ``check_trajectory_source`` from ``FrameAnalysis``, ``check_one_molecule_per_residue``
from ``check_residues_are_molecules``, ``check_temperature_used`` and ``no_room`` from the
report, ``check_time_spacing`` and ``reader_time_step`` from ``IonCollector``,
``inefficiencies_of_columns`` and ``not_diffusive_note`` from the correlation maths), each
rendered as a dead name; and 35 public module constants that docstrings named with
``:data:`` (``md.MAX_TIMESTEP_FS``, ``electrostatics.COULOMB``, ``report.TEMPERATURE_ANALYSES``,
...). The references are read from the pages and from the
docstrings of every documented object and of its members, resolved as ``docs/conf.py`` resolves
them (within the class, within the module, as written).
"""

from __future__ import annotations

import inspect
import re

import pytest
from test_docs52_crossrefs import _XREF, CONF, PAGES, _page_references
from test_docs_coverage import DOCUMENTED, MODULES

OWN = ("ase_electrolyte", "mda_electrolyte", "electrolyte_cli")
_DOCUMENTED_IDS = {id(obj) for obj in DOCUMENTED.values() if obj is not None}

_DATA = re.compile(r":data:`(?:[^`<]*<([^>`]+)>|~?([^`<>]+?))`")


def unlinked_data(text, module, cls=None):
    """Dotted names of the packages' public module constants that ``text`` refers to with
    ``:data:`` and that have no docs entry (constants are matched by name: equal small values
    are one object)."""
    found = []
    for match in _DATA.finditer(text or ""):
        target = (match.group(1) or match.group(2)).strip().lstrip("~.")
        for candidate in CONF["reference_candidates"](target, module, cls):
            obj = CONF["import_target"](candidate)
            if obj is None:
                continue
            name = candidate.rsplit(".", 1)[-1]
            if (candidate.split(".")[0] in OWN and not name.startswith("_")
                    and not callable(obj) and candidate not in DOCUMENTED):
                found.append(candidate)
            break
    return found


def _resolve(target, module, cls=None):
    for candidate in CONF["reference_candidates"](target, module, cls):
        obj = CONF["import_target"](candidate)
        if obj is not None:
            return obj
    return None


def is_unlinked(obj):
    """A public module-level function or class of the packages that has no docs entry."""
    if not (inspect.isfunction(obj) or inspect.isclass(obj)):
        return False
    if str(getattr(obj, "__module__", "")).split(".")[0] not in OWN:
        return False
    if "." in obj.__qualname__ or obj.__name__.startswith("_"):
        return False  # methods are on their class's entry; private names are another test's
    return id(obj) not in _DOCUMENTED_IDS


def unlinked_references(text, module, cls=None):
    """The objects ``text`` refers to that :func:`is_unlinked` finds."""
    found = []
    for match in _XREF.finditer(text or ""):
        target = (match.group(1) or match.group(2)).strip().lstrip("~.")
        obj = _resolve(target, module, cls)
        if obj is not None and is_unlinked(obj):
            found.append(obj)
    return found


def _docstrings():
    """(where, module, class, docstring) of every documented object and of its members."""
    out = []
    for name, obj in DOCUMENTED.items():
        if obj is None or not (callable(obj) or inspect.ismodule(obj)):
            continue
        module = obj.__name__ if inspect.ismodule(obj) else getattr(obj, "__module__", None)
        cls = obj.__qualname__ if inspect.isclass(obj) else None
        out.append((name, module, cls, inspect.getdoc(obj)))
        if inspect.isclass(obj):
            for key, value in vars(obj).items():
                if key.startswith("_") and key != "__init__":
                    continue
                function = value.fget if isinstance(value, property) else getattr(
                    value, "__func__", value)
                if callable(function):
                    out.append((f"{name}.{key}", module, cls, inspect.getdoc(function)))
    return out


def _all_unlinked():
    """Module name → {dotted name of the object: where it is referred to}."""
    found = {}
    for where, module, cls, doc in _docstrings():
        for obj in unlinked_references(doc, module, cls):
            found.setdefault(obj.__module__, {}).setdefault(
                f"{obj.__module__}.{obj.__qualname__}", set()).add(where)
        for name in unlinked_data(doc, module, cls):
            found.setdefault(name.rsplit(".", 1)[0], {}).setdefault(name, set()).add(where)
    for page in PAGES:
        for target, module in _page_references(page):
            obj = _resolve(target.lstrip("~."), module)
            if obj is not None and is_unlinked(obj):
                found.setdefault(obj.__module__, {}).setdefault(
                    f"{obj.__module__}.{obj.__qualname__}", set()).add(page.name)
        for name in unlinked_data(page.read_text(encoding="utf-8"), None):
            found.setdefault(name.rsplit(".", 1)[0], {}).setdefault(name, set()).add(page.name)
    return found


UNLINKED = _all_unlinked()


def test_the_check_sees_a_reference_to_an_object_without_an_entry():
    from ase_electrolyte import md
    from mda_electrolyte import analysis_base

    def helper():
        """Not documented."""

    helper.__module__, helper.__qualname__ = md.__name__, "helper"
    md.helper = helper
    try:
        assert unlinked_references(":func:`helper` and :func:`~ase_electrolyte.md.run_md`",
                                   md.__name__) == [helper]
    finally:
        del md.helper
    assert unlinked_data(":data:`MAX_STEPS` and :data:`~ase_electrolyte.md.ONE_ATM_BAR`",
                         md.__name__) == []
    md.UNDOCUMENTED_LIMIT = 7
    try:
        assert unlinked_data(":data:`UNDOCUMENTED_LIMIT`", md.__name__) == [
            "ase_electrolyte.md.UNDOCUMENTED_LIMIT"]
    finally:
        del md.UNDOCUMENTED_LIMIT
    # documented, private, a method, an outside object: no dead link of this kind
    assert unlinked_references(":class:`FrameAnalysis`, :func:`_private`, "
                               ":meth:`FrameAnalysis.run`, :func:`numpy.mean`",
                               analysis_base.__name__) == []


def _module_params():
    params = []
    for module in MODULES:
        params.append(pytest.param(module.__name__, id=module.__name__))
    return params


@pytest.mark.parametrize("module", _module_params())
def test_every_referenced_public_object_of_the_module_has_an_entry(module):
    dead = UNLINKED.get(module, {})
    assert not dead, "\n".join(f"{name} (referred to from {', '.join(sorted(where))})"
                               for name, where in sorted(dead.items()))
