"""Every entry of the API pages renders a description of its own.

Two classes of entry rendered without one; ``sphinx -W`` says nothing of either, and
test_docs_coverage reads the directives, not what autodoc makes of them:

* A data entry without a ``#:`` comment got its value's ``__doc__`` from autodoc, which for a
  number, a string or a tuple is the builtin type's: 17 entries, ``build.MAX_ATOMS`` rendered
  "int([x]) -> integer ... Convert a number or string to an integer",
  ``volume_scan.MIN_SCAN_DISTANCE`` "Convert a string or number to a floating point number", no
  word of what they bound or in which unit; the entries whose description the page writes under
  the directive (``screen.task.RESULT_FILE``, ``shell_composition.CLASSES``) showed ``str``'s and
  ``tuple``'s text above it. ``docs/conf.py`` drops a value's type's docstring, and each entry
  says what it is, in a ``#:`` comment or under its directive.
* A method or property named in its class entry's ``:members:`` (or under a bare ``:members:``)
  without a docstring is left out of the page by autodoc: ``BlockColumn.append``, ``parts``,
  ``nbytes``, ``FrameSource.n_atoms`` and nine others were listed and never rendered.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docstrings import prepare_docstring
from test_docs_coverage import (
    PAGES,
    _class_entries,
    _own_public_members,
    _public_classes,
)

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# ``.. autodata:: target``, its options and the content indented under it (blank lines inside)
_DATA = re.compile(r"^\.\. autodata:: *(\S+)[ \t]*\n((?:[ \t]+\S.*\n?|[ \t]*\n(?=[ \t]+\S))*)",
                   re.M)


def _conf():
    namespace = {"__file__": str(DOCS / "conf.py")}
    exec((DOCS / "conf.py").read_text(encoding="utf-8"), namespace)
    return namespace


CONF = _conf()


def description_problem(target, block):
    """Why the data entry ``target`` (its directive's indented ``block``) renders no description
    of its own, or None: it needs a ``#:`` comment (or a docstring after it) where its module
    assigns it, as autodoc reads them from the module the directive names, or content under the
    directive."""
    module, name = target.rsplit(".", 1)
    if ("", name) in ModuleAnalyzer.for_module(module).find_attr_docs():
        return None
    content = [line for line in block.splitlines()
               if line.strip() and not line.strip().startswith(":")]
    if content:
        return None
    return (f"{target}: no '#:' comment in {module} and no text under its directive "
            "(autodoc renders its value's type's docstring, or nothing)")


def _data_entries():
    return [(page, target, block) for page in PAGES
            for target, block in _DATA.findall(page.read_text(encoding="utf-8"))]


DATA_ENTRIES = _data_entries()


def test_the_description_check_sees_an_entry_without_one():
    assert len(DATA_ENTRIES) > 100
    # a '#:' comment where the module assigns it
    assert description_problem("ase_electrolyte.build.MAX_CONCENTRATION", "") is None
    # text under the directive
    assert description_problem("ase_electrolyte.screen.task.RESULT_FILE",
                               "\n   Name of the file a finished task writes.\n") is None
    # a name re-exported from another module: its comment is where it is assigned
    assert description_problem("ase_electrolyte.units.TIME_TO_PS", "") is None
    assert description_problem("ase_electrolyte.trajectory.TIME_TO_PS", "") is not None
    # an option is no description; a module __getattr__ name has no comment
    assert description_problem("ase_electrolyte.trajectory.TIME_TO_PS", "   :no-value:\n")
    assert description_problem("mda_electrolyte.volume_scan.MIN_SCAN_DISTANCE", "")


@pytest.mark.parametrize("page, target, block", DATA_ENTRIES,
                         ids=[target for _page, target, _block in DATA_ENTRIES])
def test_every_data_entry_says_what_it_is(page, target, block):
    assert description_problem(target, block) is None, page.relative_to(ROOT)


@dataclasses.dataclass
class _Setting:
    """A project object's class docstring: not a description of one instance."""

    value: float = 1.0


#: a value's own comment
_COMMENTED = 4


@pytest.mark.parametrize("value", [1_000_000, 0.5, "result.json", ("SSIP", "CIP", "AGG"),
                                   {"bj": 1}, frozenset({1}), _Setting()],
                         ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("what", ["data", "attribute"])
def test_the_docs_build_drops_the_docstring_of_a_values_type(value, what):
    lines = prepare_docstring(type(value).__doc__)
    CONF["drop_type_docstring"](None, what, "x.NAME", value, {}, lines)
    assert lines == []


@pytest.mark.parametrize("what, obj, lines", [
    ("data", 4, ["a value's own comment", ""]),            # a '#:' comment: kept
    ("data", 4, []),                                        # nothing to drop
    ("function", description_problem, prepare_docstring(description_problem.__doc__)),
    ("class", _Setting, prepare_docstring(_Setting.__doc__)),
    ("data", _Setting, prepare_docstring(_Setting.__doc__)),  # a class as data: its own text
])
def test_the_docs_build_keeps_a_description_of_its_own(what, obj, lines):
    before = list(lines)
    CONF["drop_type_docstring"](None, what, "x.NAME", obj, {}, lines)
    assert lines == before


def test_the_docs_build_connects_the_drop_before_numpydoc():
    connected = []

    class App:
        def connect(self, event, handler, priority=500):
            connected.append((event, handler.__name__, priority))

    CONF["setup"](App())
    assert ("autodoc-process-docstring", "drop_type_docstring", 100) in connected
    assert all(p < 500 for e, h, p in connected if h == "drop_type_docstring")


def _listed_members():
    """(class, member name) of every own public member a class entry renders: the names of
    its ``:members:`` list, every own member under a bare ``:members:`` or for a class an
    ``automodule`` lists (as test_docs_coverage reads the entries)."""
    listed = []
    for cls in _public_classes():
        own = _own_public_members(cls)
        for _page, members in _class_entries(cls):
            if members is None:
                continue
            for name in (own if members == [] else [m for m in members if m in own]):
                if (cls, name) not in listed:
                    listed.append((cls, name))
    return listed


LISTED = _listed_members()


def _doc(cls, name):
    value = inspect.getattr_static(cls, name)
    function = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
    return (getattr(function, "__doc__", None) or "").strip()


def _name(cls, member):
    return f"{cls.__module__}.{cls.__qualname__}.{member}"


def test_the_member_walk_sees_the_listed_members():
    names = {_name(cls, member) for cls, member in LISTED}
    assert "mda_electrolyte.shell_table.BlockColumn.append" in names      # a :members: list
    assert "mda_electrolyte.model_frames.FrameSource.n_atoms" in names
    assert "ase_electrolyte.device.Device.is_cuda" in names               # listed by automodule
    assert len(LISTED) > 100


@pytest.mark.parametrize("cls, name", LISTED, ids=[_name(c, n) for c, n in LISTED])
def test_every_member_a_class_entry_lists_has_a_docstring_autodoc_renders(cls, name):
    assert _doc(cls, name), (
        f"{_name(cls, name)} is listed on its entry but has no docstring: autodoc leaves it out")
