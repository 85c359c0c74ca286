"""The API pages document every public name, and every public class has an example that runs.

The Sphinx build (``tox -e docs``) takes about a minute; these checks read the pages' autodoc
directives instead, so that a name added to a module's ``__all__`` without a docs entry, a stale
entry, a method or field left out of its class's entry, or a class without an example fails the
ordinary test run. The examples written on the pages (``>>>`` blocks) run here as well, with the
Sphinx doctest builder's global set-up.
"""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import inspect
import pkgutil
import re
import textwrap
from pathlib import Path

import pytest
from sphinx.pycode import ModuleAnalyzer

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGES = ("ase_electrolyte", "mda_electrolyte", "electrolyte_cli")
PAGES = sorted(DOCS.rglob("*.rst"))

# ``.. autoX:: target`` (or a hand-written ``py:`` entry) and its indented option/content block
_DIRECTIVE = re.compile(
    r"^\.\. (auto\w+|py:data|py:function|py:class):: *(\S+)[ \t]*\n"
    r"((?:[ \t]+\S.*\n?|[ \t]*\n(?=[ \t]+\S))*)", re.M)


def _modules():
    modules = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        modules.append(package)
        for info in pkgutil.walk_packages(package.__path__, name + "."):
            if not info.name.endswith("__main__"):  # importing it runs the command
                modules.append(importlib.import_module(info.name))
    return modules


MODULES = _modules()


def _resolve(qualified, kind="autoclass"):
    """The object a directive documents, found as autodoc finds it: ``automodule`` imports the
    name, every other directive takes the longest importable module above the name and its
    attributes (``ase_electrolyte.screen.aggregate`` is the function, not the submodule)."""
    parts = qualified.split(".")
    if kind == "automodule":
        try:
            return importlib.import_module(qualified)
        except ImportError:
            return None
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            if not hasattr(obj, part):
                return None
            obj = getattr(obj, part)
        return obj
    return None


def _members_option(block):
    """The ``:members:`` list of a directive's option block: None (absent), [] (all) or names."""
    # continuation lines of an option: indented lines that start with no option's colon (the
    # lookahead after all the indentation: "(?!:)" alone let the match give back a space, and
    # an option after :members: such as :no-index: was read as a member's name)
    joined = re.sub(r"\n[ \t]+(?=[^ \t:])", " ", block)
    match = re.search(r"^[ \t]*:members:(.*)$", joined, flags=re.M)
    if match is None:
        return None
    return [name.strip() for name in match.group(1).split(",") if name.strip()]


def _attr_documented(module_name, name):
    """Whether autodoc's bare ``:members:`` shows module data: only with a ``#:`` comment."""
    return ("", name) in ModuleAnalyzer.for_module(module_name).find_attr_docs()


def _directives():
    """(page, kind, target, members option) of every autodoc directive on the pages."""
    found = []
    for page in PAGES:
        for kind, target, block in _DIRECTIVE.findall(page.read_text()):
            found.append((page, kind, target, _members_option(block)))
    return found


DIRECTIVES = _directives()


def _documented():
    """Dotted name → object of everything the pages give an entry."""
    documented = {}
    for _page, kind, target, members in DIRECTIVES:
        obj = _resolve(target, kind)
        documented[target] = obj
        if members is None or obj is None:
            continue
        if kind == "automodule" and not members:
            members = [
                name for name in getattr(obj, "__all__", [])
                if callable(getattr(obj, name)) or _attr_documented(target, name)
            ]
        for name in members:
            documented[f"{target}.{name}"] = getattr(obj, name, None)
    return documented


DOCUMENTED = _documented()


def _public():
    """(module, name, object) for every name of every module's ``__all__``."""
    return [(m, name, getattr(m, name)) for m in MODULES for name in getattr(m, "__all__", ())]


def _is_code(obj):
    return inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj)


def _has_entry(name, obj):
    for qualified, documented in DOCUMENTED.items():
        if documented is obj and (_is_code(obj) or qualified.rsplit(".", 1)[-1] == name):
            return True
    return False


def _public_classes():
    seen, classes = set(), []
    for _module, _name, obj in _public():
        if inspect.isclass(obj) and id(obj) not in seen:
            seen.add(id(obj))
            classes.append(obj)
    return classes


def _own_project(cls):
    return cls.__module__.split(".")[0] in PACKAGES


def _own_public_members(cls):
    """Methods and properties a class defines that no base outside the project defines."""
    foreign = {name for base in cls.__mro__[1:] if not _own_project(base) for name in vars(base)}
    names = []
    for name, value in vars(cls).items():
        if name.startswith("_") or name in foreign:
            continue
        if inspect.isfunction(value) or isinstance(value, (property, classmethod, staticmethod)):
            names.append(name)
    return names


def _class_entries(cls):
    """(page, members option) of the directives that document ``cls`` itself."""
    entries = []
    for page, kind, target, members in DIRECTIVES:
        if kind in ("autoclass", "autoexception") and _resolve(target, kind) is cls:
            entries.append((page, members))
        elif kind == "automodule" and members:
            module = _resolve(target, kind)
            if any(getattr(module, name, None) is cls for name in members):
                entries.append((page, []))  # a class listed in automodule: all its members
    return entries


def test_the_walk_sees_every_package_and_the_names_of_recent_additions():
    names = {f"{m.__name__}.{name}" for m, name, _ in _public()}
    for name in ("ase_electrolyte.Calculator", "mda_electrolyte.IntraInterRDF",
                 "electrolyte_cli.main", "ase_electrolyte.md.MAX_STEPS",
                 "mda_electrolyte.analysis_base.check_coordinate_precision"):
        assert name in names
    assert len(DIRECTIVES) > 200


def test_every_public_name_has_a_docs_entry():
    missing = [f"{module.__name__}.{name}" for module, name, obj in _public()
               if not _has_entry(name, obj)]
    assert not missing, "no autodoc entry on any docs page for:\n" + "\n".join(missing)


def test_every_docs_entry_names_an_existing_object():
    stale = [f"{page.relative_to(ROOT)}: {target}" for page, kind, target, _ in DIRECTIVES
             if _resolve(target, kind) is None]
    stale += [f"{name}" for name, obj in DOCUMENTED.items() if obj is None and name not in stale]
    assert not stale, "docs entries that name nothing:\n" + "\n".join(stale)


def test_every_method_and_property_of_a_public_class_is_on_its_entry():
    missing = []
    for cls in _public_classes():
        entries = _class_entries(cls)
        if any(members == [] for _page, members in entries):
            continue  # ``:members:`` with no list: autodoc shows them all
        listed = {name for _page, members in entries for name in (members or ())}
        missing += [f"{cls.__module__}.{cls.__qualname__}.{name}"
                    for name in _own_public_members(cls) if name not in listed]
    assert not missing, "public members not in their class's :members: list:\n" + "\n".join(
        missing)


def _field_names(cls):
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")]
    return list(getattr(cls, "_fields", ()))  # NamedTuple


def test_every_field_of_a_public_record_class_is_described():
    """Dataclass and NamedTuple fields: in the docstring, a ``#:`` comment or the class's page."""
    missing = []
    for cls in _public_classes():
        fields = _field_names(cls)
        if not fields:
            continue
        text = cls.__doc__ or ""
        attr_docs = ModuleAnalyzer.for_module(cls.__module__).find_attr_docs()
        pages = " ".join(page.read_text() for page, _ in _class_entries(cls))
        for name in fields:
            if (cls.__qualname__, name) in attr_docs:
                continue
            if re.search(rf"(?<![\w.]){name}\b", text) or re.search(
                    rf"``{name}``|:attr:`[^`]*\b{name}`", pages):
                continue
            missing.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    assert not missing, "fields described nowhere:\n" + "\n".join(missing)


_DOCTEST_BLOCK = re.compile(r"^\.\. doctest::[^\n]*\n((?:[ \t]*\n|[ \t]+.*\n?)*)", re.M)


def _page_examples():
    """Docs page → the examples of its ``.. doctest::`` blocks, dedented, options dropped."""
    examples = {}
    for page in PAGES:
        blocks = [
            textwrap.dedent("\n".join(line for line in block.splitlines()
                                      if not line.strip().startswith(":")))
            for block in _DOCTEST_BLOCK.findall(page.read_text())
        ]
        if blocks:
            examples[page] = "\n\n".join(blocks)
    return examples


PAGE_EXAMPLES = _page_examples()


def _docstring_has_example(cls):
    docs = [cls.__doc__ or ""]
    docs += [getattr(value, "__doc__", None) or "" for value in vars(cls).values()
             if inspect.isfunction(value)]
    return any(">>>" in doc for doc in docs)


def _examples_naming(cls):
    """Pages whose doctest lines use the class by name."""
    pattern = re.compile(rf"^\s*(>>>|\.\.\.) .*\b{cls.__name__}\b", re.M)
    return [page for page, text in PAGE_EXAMPLES.items() if pattern.search(text)]


# Classes still without an example: none left; the set may only shrink (the test below fails
# when a listed class gains an example), so a new public class needs its example at once.
WITHOUT_EXAMPLE_YET: set[str] = set()


def test_every_public_class_has_a_runnable_example():
    """A ``>>>`` example in its docstring (pytest --doctest-modules and Sphinx run it) or in a
    ``.. doctest::`` block of a docs page (Sphinx's doctest builder and
    test_docs_page_examples_run run it)."""
    without = [
        f"{cls.__module__}.{cls.__qualname__}" for cls in _public_classes()
        if not issubclass(cls, (Exception, Warning))
        and not _docstring_has_example(cls) and not _examples_naming(cls)
    ]
    new = sorted(set(without) - WITHOUT_EXAMPLE_YET)
    assert not new, "public classes without a runnable example:\n" + "\n".join(new)
    done = sorted(WITHOUT_EXAMPLE_YET - set(without))
    assert not done, "these have an example now: take them off WITHOUT_EXAMPLE_YET:\n" + "\n".join(
        done)


def _global_setup():
    conf = {}
    exec((DOCS / "conf.py").read_text(), conf)
    return conf["doctest_global_setup"]


def _page_param(page):
    # the quickstart loads SevenNet-0 (~10 s); test_readme and Sphinx's doctest builder run it too
    marks = [pytest.mark.slow] if page.stem == "quickstart" else []
    return pytest.param(page, id=page.stem, marks=marks)


@pytest.mark.parametrize("page", [_page_param(page) for page in sorted(PAGE_EXAMPLES)])
def test_docs_page_examples_run(page, tmp_path, monkeypatch):
    """The doctest blocks of one page, in one namespace, as the Sphinx doctest builder runs
    them (``conf.doctest_global_setup`` first), in a scratch folder."""
    monkeypatch.chdir(tmp_path)
    globs = {}
    exec(_global_setup(), globs)
    test = doctest.DocTestParser().get_doctest(PAGE_EXAMPLES[page], globs, page.stem, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report = []
    runner.run(test, out=report.append)
    assert runner.tries > 0
    assert runner.failures == 0, "".join(report)


# -- what the pages quote must match the code ---------------------------------------------------

README = ROOT / "README.md"
_SUBCOMMANDS = None


def _subcommand_options():
    """Subcommand → the option strings its parser takes (``-o``, ``--output`` ...)."""
    global _SUBCOMMANDS
    if _SUBCOMMANDS is None:
        import argparse

        from electrolyte_cli import build_parser

        _SUBCOMMANDS = {}
        for action in build_parser()._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, parser in action.choices.items():
                    _SUBCOMMANDS[name] = {
                        option for act in parser._actions for option in act.option_strings}
    return _SUBCOMMANDS


def command_line_problems(text):
    """Options of ``electrolyte <subcommand> ...`` lines that the subcommand does not take.

    Exact names only: argparse would take ``--out`` for ``--output``, but a page that teaches an
    abbreviation breaks as soon as another option starts the same way."""
    subcommands = _subcommand_options()
    text = re.sub(r"[ \t]*\\\n\s*", " ", text)  # shell continuation lines
    # ``electrolyte simulate --salt LiPF6``, or ``simulate --salt LiPF6`` in a literal
    pattern = re.compile(rf"(?:\belectrolyte |``)({'|'.join(subcommands)})\b([^\n`]*)")
    problems = []
    for match in pattern.finditer(text):
        sub, rest = match.groups()
        rest = rest.split("#")[0]  # a shell comment
        for option in re.findall(r"(?<![\w/.-])(--?[A-Za-z][\w-]*)", rest):
            if option not in subcommands[sub]:
                problems.append(f"electrolyte {sub}: no option {option} ({match.group(0)[:80]})")
    return problems


def _quoting_pages():
    return [*PAGES, README]


def test_command_lines_on_the_pages_use_options_the_subcommand_takes():
    problems = [f"{page.relative_to(ROOT)}: {problem}" for page in _quoting_pages()
                for problem in command_line_problems(page.read_text())]
    assert not problems, "\n".join(problems)


def test_the_command_line_check_sees_wrong_and_abbreviated_options():
    assert command_line_problems("   electrolyte demo --output demo/ --n-atoms 200") == []
    assert command_line_problems("electrolyte select a.extxyz -n 20 \\\n    --method fps") == []
    assert command_line_problems("``simulate --salt LiPF6`` needs ``--concentration``") == []
    assert command_line_problems("``analyze --onyl NAME``") == [
        "electrolyte analyze: no option --onyl (``analyze --onyl NAME)"]
    found = command_line_problems(
        "``electrolyte demo --out demo/`` and\n    electrolyte analyze run.h5md --only density \\"
        "\n        --frames 10  # a comment --ignored")
    assert found == [
        "electrolyte demo: no option --out (electrolyte demo --out demo/)",
        "electrolyte analyze: no option --frames "
        "(electrolyte analyze run.h5md --only density --frames 10  # a comment --ignored)",
    ]


def test_every_subcommand_is_shown_on_a_page():
    text = "\n".join(page.read_text() for page in PAGES)
    missing = [sub for sub in _subcommand_options() if f"electrolyte {sub}" not in text]
    assert not missing, f"subcommands no docs page shows: {missing}"


_PYTHON_BLOCK = re.compile(r"^\.\. code-block:: python[^\n]*\n((?:[ \t]*\n|[ \t]+.*\n?)*)", re.M)
_MARKDOWN_PYTHON = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
_MODEL_NAME = re.compile(r"^(7net|sevennet|chgnet)[\w.-]*$", re.I)


def _python_blocks(text, markdown=False):
    """The code of a page's ``.. code-block:: python`` (README: ```` ```python ````) blocks:
    shown, not run, so nothing else notices when they go stale."""
    if markdown:
        return _MARKDOWN_PYTHON.findall(text)
    return [textwrap.dedent("\n".join(line for line in block.splitlines()
                                      if not line.strip().startswith(":")))
            for block in _PYTHON_BLOCK.findall(text)]


def _accepted_keywords(obj):
    """The keywords a call of ``obj`` takes, or None when it takes any."""
    function = obj.__init__ if inspect.isclass(obj) else obj
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    names = {p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    if any(p.kind == p.VAR_KEYWORD for p in parameters):
        options = getattr(obj, "default_parameters", None)
        if not (inspect.isclass(obj) and isinstance(options, dict)):
            return None
        # an ASE calculator: its options and the base class's keywords
        names |= set(options) | {"label", "atoms", "directory", "restart",
                                 "ignore_bad_restart_file", "command"}
    return names


def code_block_problems(code):
    """Project names a code example imports that do not exist, keywords its calls of project
    functions and classes pass that they do not take, and model names that are not registered."""
    import ast

    from ase_electrolyte.models import list_models

    tree = ast.parse(code)
    registered = {info.name for info in list_models()}
    names, problems = {}, []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and (
                node.module.split(".")[0] in PACKAGES):
            module = importlib.import_module(node.module)
            for alias in node.names:
                if not hasattr(module, alias.name):
                    try:
                        importlib.import_module(f"{node.module}.{alias.name}")
                    except ImportError:
                        problems.append(f"{node.module} has no {alias.name}")
                        continue
                names[alias.asname or alias.name] = getattr(module, alias.name, None)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODEL_NAME.match(
                node.value) and node.value.lower() not in registered:
            problems.append(f"model {node.value!r} is not registered ({sorted(registered)})")
        if not isinstance(node, ast.Call):
            continue
        func, obj = node.func, None
        if isinstance(func, ast.Name):
            obj = names.get(func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and (
                func.value.id in names):
            obj = getattr(names[func.value.id], func.attr, None)
            if obj is None:
                problems.append(f"{func.value.id}.{func.attr} does not exist")
        if obj is None or not callable(obj):
            continue
        accepted = _accepted_keywords(obj)
        if accepted is None:
            continue
        problems += [f"{obj.__qualname__}() takes no {kw.arg}=" for kw in node.keywords
                     if kw.arg is not None and kw.arg not in accepted]
    return problems


def test_code_examples_on_the_pages_use_names_and_keywords_that_exist():
    problems = []
    for page in _quoting_pages():
        for k, code in enumerate(_python_blocks(page.read_text(), page.suffix == ".md")):
            problems += [f"{page.relative_to(ROOT)}, python block {k}: {problem}"
                         for problem in code_block_problems(code)]
    assert not problems, "\n".join(problems)


def test_the_code_example_check_sees_stale_names_keywords_and_models():
    assert code_block_problems(
        "from ase_electrolyte import Calculator\n"
        "calc = Calculator('sevennet-0', dispersion='d3-bj', device='cpu')\n") == []
    found = code_block_problems(
        "from ase_electrolyte import Calculator, NoSuchThing\n"
        "from ase_electrolyte.finetuning import finetune\n"
        "calc = Calculator('7net-0', dispersoin='d3-bj')\n"
        "finetune('sevennet-0', [], epoch=2)\n")
    assert len(found) == 4, found
    assert {"ase_electrolyte has no NoSuchThing", "Calculator() takes no dispersoin=",
            "finetune() takes no epoch="} < set(found)
    assert any(problem.startswith("model '7net-0' is not registered (['chgnet-0.2.0'")
               for problem in found)


def test_the_installation_page_lists_every_extra():
    import configparser

    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    extras = set(setup["options.extras_require"]) - {"all"}  # ``.[all]`` is on the pip line
    page = (DOCS / "installation.rst").read_text()
    rows = set(re.findall(r"^``([\w-]+)``  ", page, flags=re.M))
    assert rows == extras, f"only on the page: {sorted(rows - extras)}; only in setup.cfg: " \
                           f"{sorted(extras - rows)}"


_XREF = re.compile(r":(func|class|data|attr|meth|mod|exc|obj):`(?:[^`<]*<([^>`]+)>|~?([^`<>]+?))`")


def xref_problems(text, modules=()):
    """Cross-references (``:func:`x.y```) that name nothing. With ``nitpicky = False`` Sphinx
    renders a stale one as plain text without a warning; a short name counts when it resolves in
    one of ``modules`` (those the page documents) or is a builtin (``ValueError``)."""
    import builtins

    problems = []
    for match in _XREF.finditer(text):
        role, target = match.group(1), (match.group(2) or match.group(3)).strip().lstrip("~")
        if hasattr(builtins, target):
            continue
        candidates = [target] + [f"{module}.{target}" for module in modules]
        if not any(_resolve(c, "automodule") is not None or _resolve(c) is not None
                   for c in candidates):
            problems.append(f":{role}:`{target}`")
    return problems


def _page_modules(page):
    text = page.read_text()
    modules = re.findall(r"^\.\. (?:automodule|py:module|py:currentmodule|currentmodule):: *(\S+)",
                         text, flags=re.M)
    modules += [target.rsplit(".", 1)[0] for p, kind, target, _ in DIRECTIVES
                if p == page and kind != "automodule"]
    return modules


def test_cross_references_on_the_pages_name_existing_objects():
    problems = [f"{page.relative_to(ROOT)}: {problem}" for page in PAGES
                for problem in xref_problems(page.read_text(), _page_modules(page))]
    assert not problems, "\n".join(problems)


def test_the_cross_reference_check_sees_stale_targets():
    text = (":func:`ase_electrolyte.md.run_md`, :class:`~mda_electrolyte.IntraInterRDF`, "
            ":exc:`ValueError`, :meth:`Calculator.todict <ase_electrolyte.Calculator.todict>`, "
            ":func:`ase_electrolyte.run_md`, :meth:`calculate`, :func:`run_screen`")
    assert xref_problems(text) == [":func:`ase_electrolyte.run_md`", ":meth:`calculate`",
                                   ":func:`run_screen`"]
    assert xref_problems(":func:`run_screen`", ["ase_electrolyte.screen"]) == []


_REPO_PATH = re.compile(r"(?<![\w/.$~\"'-])((?:examples|benchmarks|tests|scripts|docs|"
                        r"ase_electrolyte|mda_electrolyte|electrolyte_cli|csrc|\.ci)/[\w./-]*\w)")


def repo_path_problems(text):
    """Repository files a page names (``examples/…``, ``benchmarks/…``, ``tests/…`` …) that do not
    exist. ``csrc/…`` is the D3 kernels' folder; ``docs/_build`` is what the docs build writes;
    a path inside a string literal belongs to the code around it."""
    problems = []
    for path in sorted(set(_REPO_PATH.findall(text))):
        if path.startswith("docs/_build"):
            continue
        if not any((base / path).exists() for base in (ROOT, ROOT / "ase_electrolyte" / "d3")):
            problems.append(path)
    return problems


def test_files_of_the_repository_named_on_the_pages_exist():
    problems = [f"{page.relative_to(ROOT)}: {path}" for page in _quoting_pages()
                for path in repo_path_problems(page.read_text())]
    assert not problems, "\n".join(problems)


def test_the_repository_path_check_sees_missing_files():
    assert repo_path_problems(
        "see ``examples/screen_plan.toml``, ``csrc/d3_math.h`` and benchmarks/bench_d3.py, "
        'or os.path.join(root, "tests/data/x")') == []
    assert repo_path_problems("``examples/no_such_plan.toml`` and tests/test_nothing.py.") == [
        "examples/no_such_plan.toml", "tests/test_nothing.py"]


def _defaults_by_name():
    """Parameter name → the defaults it has anywhere in the project (signatures of public
    functions, classes and methods, and calculators' ``default_parameters``), as literals."""
    import ast

    defaults = {}

    def add(name, value):
        try:
            defaults.setdefault(name, set()).add(ast.literal_eval(repr(value)))
        except (ValueError, SyntaxError, TypeError):
            pass  # not a literal (a function, an object): nothing a page can quote

    for module in MODULES:
        for obj in vars(module).values():
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            functions = [obj] if inspect.isfunction(obj) else []
            if inspect.isclass(obj):
                functions = [obj.__init__] + [v for v in vars(obj).values()
                                              if inspect.isfunction(v)]
                options = getattr(obj, "default_parameters", None)
                for name, value in (options.items() if isinstance(options, dict) else ()):
                    add(name, value)
            for function in functions:
                try:
                    parameters = inspect.signature(function).parameters.values()
                except (TypeError, ValueError):
                    continue
                for p in parameters:
                    if p.default is not p.empty:
                        add(p.name, p.default)
    return defaults


_QUOTED_DEFAULT = re.compile(
    r"``(\w+)\s*=\s*([^`]+)``[^.;\n]{0,3}(?:\(default\)|,? (?:the|by) default)")


def default_problems(text, defaults):
    """``name=value`` quoted as a default (``(default)``, ``by default``, ``the default``) where
    no parameter of that name has that default."""
    import ast

    problems = []
    for name, value in _QUOTED_DEFAULT.findall(text):
        try:
            value = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            continue
        if value not in defaults.get(name, ()):
            problems.append(f"{name}={value!r} (defaults in the code: "
                            f"{sorted(map(repr, defaults.get(name, ())))})")
    return problems


def test_defaults_quoted_on_the_pages_are_the_code_defaults():
    defaults = _defaults_by_name()
    problems = [f"{page.relative_to(ROOT)}: {problem}" for page in _quoting_pages()
                for problem in default_problems(page.read_text(), defaults)]
    assert not problems, "\n".join(problems)


def test_the_default_check_sees_a_stale_default():
    defaults = {"scheme": {"qrd"}, "remove_drift": {True, False}}
    assert default_problems('``scheme="qrd"`` (default) and (``remove_drift=True``, the '
                            "default)", defaults) == []
    assert default_problems('``scheme="mtp"`` (default) and ``nbins=80`` by default',
                            defaults) == [
        "scheme='mtp' (defaults in the code: [\"'qrd'\"])",
        "nbins=80 (defaults in the code: [])"]


def test_the_members_option_reads_continuations_and_stops_at_the_next_option():
    # ":no-index:" after ":members: same_as" was read as part of a member's name
    assert _members_option("\n   :members: a, b,\n      c\n   :no-index:\n") == ["a", "b", "c"]
    assert _members_option("\n   :members: same_as\n   :no-index:\n") == ["same_as"]
    assert _members_option("\n   :no-index:\n   :members:\n") == []
    assert _members_option("\n   :no-index:\n") is None
