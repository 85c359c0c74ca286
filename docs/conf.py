"""Sphinx config: API reference from numpydoc docstrings, warnings are errors (tox -e docs)."""

project = "ase-electrolyte"
author = "ase-electrolyte developers"
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_member_order = "bysource"
exclude_patterns = ["_build"]
html_theme = "alabaster"
nitpicky = False

# docstring examples use the names of their own module, as `pytest --doctest-modules` runs them
doctest_global_setup = """
import matplotlib
matplotlib.use("Agg")
from ase_electrolyte import *  # noqa: F401,F403
from mda_electrolyte import *  # noqa: F401,F403
from ase_electrolyte.trajectory import H5MDWriter, h5md_info, is_h5md_path  # noqa: F401
from ase_electrolyte.build import estimate_density  # noqa: F401
from ase_electrolyte.html_report import write_html_report  # noqa: F401
from ase_electrolyte.committee import committee_spread  # noqa: F401
from ase_electrolyte.atoms_checks import check_number  # noqa: F401
from ase_electrolyte.species import parse_shares  # noqa: F401
from ase_electrolyte.md import (  # noqa: F401
    atoms_temperature, atoms_temperature_dof, temperature_dof, velocity_temperature)
from mda_electrolyte.model_labels import stress_label_bound  # noqa: F401
import numpy as np  # noqa: F401
"""


# -- cross-references to the objects under any name they are imported by ---------------------
#
# A public object is documented once, under one dotted name (``ase_electrolyte.d3.calculator.D3``),
# and referred to by whatever name users import it by (``ase_electrolyte.D3``, ``D3`` inside its
# own module's docstrings). Sphinx matches names only, so with ``nitpicky = False`` every other
# spelling rendered as plain text without a link and without a warning (115 references to the
# packages' own documented objects, e.g. all eight links of the theory page to the top-level
# names). This resolves such a reference by importing it and finding the entry of the same
# object.

import importlib  # noqa: E402
import inspect  # noqa: E402

_OWN_PACKAGES = ("ase_electrolyte", "mda_electrolyte", "electrolyte_cli")
_MISSING = object()


def import_target(name):
    """The object a dotted name imports as (the longest importable module, then attributes),
    or ``None``; only names inside the project's own packages."""
    parts = name.split(".")
    if parts[0] not in _OWN_PACKAGES:
        return None
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part, _MISSING)
            if obj is _MISSING:
                return None
        return obj
    return None


def object_key(obj, name):
    """Identity of a documented object: the object, and for plain values (numbers, strings,
    tuples, which equal constants may share) also the name it is bound to."""
    if callable(obj) or inspect.ismodule(obj):
        return (id(obj),)
    return (id(obj), name.rsplit(".", 1)[-1])


def documented_names(entries):
    """Object key → the dotted name of its docs entry, for ``entries`` (dotted names of
    documented objects, in the order Sphinx holds them)."""
    names = {}
    for name in entries:
        obj = import_target(name)
        if obj is not None:
            names.setdefault(object_key(obj, name), name)
    return names


def reference_candidates(target, module=None, cls=None):
    """The dotted names a reference may mean, in Sphinx's order: within the class, within the
    module, as written."""
    target = target.lstrip(".~")
    candidates = []
    if module and cls:
        candidates.append(f"{module}.{cls}.{target}")
    if module:
        candidates.append(f"{module}.{target}")
    candidates.append(target)
    return candidates


def entry_for_reference(target, names, module=None, cls=None):
    """The documented name a reference to ``target`` (from ``module``/``cls``) should link to,
    or ``None``."""
    for candidate in reference_candidates(target, module, cls):
        obj = import_target(candidate)
        if obj is not None:
            return names.get(object_key(obj, candidate))
    return None


def _link_by_object(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    names = getattr(env, "_documented_names", None)
    if names is None or getattr(env, "_documented_count", None) != len(domain.objects):
        names = documented_names(domain.objects)
        env._documented_names, env._documented_count = names, len(domain.objects)
    entry = entry_for_reference(node["reftarget"], names, node.get("py:module"),
                                node.get("py:class"))
    if entry is None or entry == node["reftarget"]:
        return None
    return domain.resolve_xref(env, node["refdoc"], app.builder, "obj", entry, node, contnode)


# -- a value's type is no description of the value -------------------------------------------
#
# autodoc gives a data entry without a ``#:`` comment its value's ``__doc__``, which for a number,
# a string or a tuple is the builtin type's: ``MAX_ATOMS = 1000000`` rendered "int([x]) ->
# integer ... Convert a number or string to an integer", and entries whose description is
# written on the page (``screen.task.RESULT_FILE``) showed ``str``'s text above it.


def drop_type_docstring(app, what, name, obj, options, lines):
    """Empty ``lines`` of a data or attribute entry when they are its value's type's docstring."""
    if what not in ("data", "attribute") or not lines:
        return
    from sphinx.util.docstrings import prepare_docstring

    own = getattr(obj, "__doc__", None)
    # equal, not identical: a builtin type's __doc__ is a new string at each access
    if not isinstance(own, str) or own != getattr(type(obj), "__doc__", None):
        return
    if [line.rstrip() for line in lines] == [line.rstrip() for line in prepare_docstring(own)]:
        del lines[:]


def setup(app):
    app.connect("missing-reference", _link_by_object)
    # before numpydoc (priority 500) reshapes the lines it is compared with
    app.connect("autodoc-process-docstring", drop_type_docstring, priority=100)
