"""The analysis keywords that ``(Python only)`` marks are read from the analysis modules'
source, not by importing them.

Before, a one-line refusal of ``electrolyte analyze`` or ``demo`` that quoted a word with an
underscore imported MDAnalysis, SciPy, pandas and all fifteen analysis modules (2-5 s on a busy
machine) to learn which words are keywords. The source reading must find exactly what
:func:`inspect.signature` finds on the imported modules: the public functions, the public
classes' ``__init__`` and ``run`` (inherited along the bases into MDAnalysis' AnalysisBase,
made by ``@dataclass``)."""

import importlib
import inspect
import subprocess
import sys
import textwrap

import pytest

from electrolyte_cli.arguments import (
    _ANALYSIS_MODULES,
    PYTHON_ONLY,
    analysis_keywords,
    python_only,
    source_keywords,
)


def _imported_keywords(module_names):
    """The reference: the keywords of the imported modules, by inspect."""
    names = set()
    for module_name in module_names:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            funcs = ([obj.__init__, getattr(obj, "run", None)] if inspect.isclass(obj)
                     else [obj])
            for func in funcs:
                if inspect.isfunction(func):
                    names.update(p.name for p in inspect.signature(func).parameters.values()
                                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                                 and p.name != "self")
    return frozenset(names)


def test_the_analysis_modules_read_as_imported():
    modules = [f"mda_electrolyte.{short}" for short in _ANALYSIS_MODULES]
    expected = _imported_keywords(modules)
    # the class is not empty: the frame selection inherited from AnalysisBase.run among them
    assert {"n_blocks", "max_lag", "cutoffs", "start", "stop", "n_workers"} <= expected
    assert analysis_keywords() == expected


# one module of a package per case, each reading differently; "pkg" is replaced by a name
# of the test's own (the source reader keeps what it read, by module name)
CASES = {
    "dataclass": """
        import dataclasses
        from dataclasses import dataclass, field
        from typing import ClassVar

        @dataclass
        class Kept:
            alpha_one: float
            beta_two: int = 3
            gamma_three: list = field(default_factory=list)
            hidden_four: float = field(default=0.0, init=False)
            shared_five: ClassVar[int] = 2

        @dataclasses.dataclass(frozen=True)
        class Frozen:
            delta_six: float

        @dataclass(init=False)
        class OwnInit:
            never_seven: float
        """,
    "inherited": """
        from .base_mod import Base
        from . import base_mod
        from MDAnalysis.analysis.base import AnalysisBase
        from MDAnalysis.analysis import base

        class FromSibling(Base):
            pass

        class ThroughModule(base_mod.Base):
            def run(self, own_run_kw=1):
                pass

        class Analysis(AnalysisBase):
            def __init__(self, universe, *, width_kw=2):
                super().__init__(universe.trajectory)

        class ViaAttribute(base.AnalysisBase):
            pass
        """,
    "functions": """
        from typing import NamedTuple

        def public(pos_only, /, normal_kw, *args, only_kw=1, **kwargs):
            pass

        def _private(private_kw=1):
            pass

        def redefined(first_def_kw):
            pass

        def redefined(second_def_kw):
            pass

        try:
            import numpy
        except ImportError:
            def guarded(fallback_kw):
                pass
        else:
            def guarded(guarded_kw):
                pass

        class Row(NamedTuple):
            row_field: float

        class _Hidden:
            def __init__(self, hidden_kw):
                pass
        """,
}

BASE = """
class Base:
    def __init__(self, base_init_kw, *, base_only_kw=None):
        pass

    def run(self, base_run_kw=0):
        pass
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    root = tmp_path_factory.mktemp("src")
    name = "kwsrc_pkg_cli56"
    (root / name).mkdir()
    (root / name / "__init__.py").write_text("")
    (root / name / "base_mod.py").write_text(BASE)
    for case, text in CASES.items():
        (root / name / f"{case}.py").write_text(textwrap.dedent(text))
    sys.path.insert(0, str(root))
    yield name
    sys.path.remove(str(root))


@pytest.mark.parametrize("case", sorted(CASES))
def test_source_reads_what_inspect_reads(package, case):
    module = f"{package}.{case}"
    read = source_keywords([module])
    assert read == _imported_keywords([module])
    assert read  # the case has keywords to read


def test_a_module_without_source_is_refused():
    with pytest.raises(ValueError, match="no_such_module_cli56.sub: no Python source"):
        source_keywords(["no_such_module_cli56.sub"])


TEXTS = {
    "refused (use fewer n_blocks or analyse more frames)": True,
    "give cutoffs= or analyse more frames": True,
    "run(stop=None) stopped": True,  # inherited from AnalysisBase.run
    "table rigid_volume_scan.csv written": False,
    "no keyword_like_cli56 word of an analysis": False,
}


def test_a_refusal_is_marked_without_importing_the_analyses():
    # in a fresh interpreter: what python_only imports to say one refused line
    analyses = [f"mda_electrolyte.{short}" for short in _ANALYSIS_MODULES]
    code = ("import sys\n"
            "from electrolyte_cli.arguments import python_only\n"
            f"for text in {list(TEXTS)!r}:\n"
            "    print(python_only(text)[1])\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('MDAnalysis', 'pandas')"
            f" or m in {analyses!r}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split("\n")
    assert out[:len(TEXTS)] == [str(marked) for marked in TEXTS.values()]
    assert out[len(TEXTS)] == "[]"


@pytest.mark.parametrize("text, marked", TEXTS.items())
def test_marked_as_with_the_analyses_imported(text, marked):
    assert python_only(text)[1] is marked
    assert (PYTHON_ONLY in python_only(text)[0]) is marked


def test_without_sources_the_modules_are_imported(monkeypatch):
    import electrolyte_cli.arguments as arguments

    monkeypatch.setattr(arguments, "_KEYWORDS", [])
    monkeypatch.setattr(arguments._ModuleSource, "_read", {})
    monkeypatch.setattr(arguments, "_source_file", lambda name: None)
    modules = [f"mda_electrolyte.{short}" for short in _ANALYSIS_MODULES]
    assert arguments.analysis_keywords() == _imported_keywords(modules)
