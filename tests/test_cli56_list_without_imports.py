"""``electrolyte analyze --list`` prints the analyses without importing them.

It imported every analysis module (MDAnalysis, SciPy's statistics, pandas: 8 s on a busy
machine) to print ten lines; the refusals point users to it. The table is read from the
modules' ``@register_analysis`` decorators (:func:`mda_electrolyte.report.declared_analyses`),
and must say what the imported registry says, in its order, with an analysis registered by
the user's own code among them."""

import subprocess
import sys
from pathlib import Path

from electrolyte_cli import main
from mda_electrolyte.report import (
    _REGISTRY,
    ANALYSIS_ALIASES,
    register_analysis,
    registered_analyses,
)


def _expected(registry):
    lines = []
    for name, needs in registry.items():
        also = [a for a, meant in ANALYSIS_ALIASES.items() if meant == (name,)]
        lines.append(name + (f"  (needs {', '.join(needs)})" if needs else "")
                     + (f"  (also: {', '.join(also)})" if also else ""))
    return lines


def test_list_in_a_fresh_interpreter_imports_no_analysis():
    # the registry's order is the order the modules were first imported: compared in a fresh
    # interpreter, as the command runs, importing them once the list is printed
    code = ("import sys\n"
            "from electrolyte_cli import main\n"
            "status = main(['analyze', '--list'])\n"
            "print('STATUS', status)\n"
            "print('IMPORTED', sorted(m for m in sys.modules if m.split('.')[0] in "
            "('MDAnalysis', 'pandas')))\n"
            "from test_cli56_list_without_imports import _expected\n"
            "from mda_electrolyte.report import registered_analyses\n"
            "print('\\n'.join(_expected(registered_analyses())))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True, cwd=Path(__file__).parent).stdout
    listed, rest = out.split("STATUS ")
    status, imported, *registered = rest.splitlines()
    assert status == "0"
    assert imported == "IMPORTED []"
    assert listed.splitlines() == registered
    assert len(registered) >= 10


def test_an_analysis_of_the_users_own_is_listed(capsys):
    @register_analysis("user_count_cli56", needs=("box",))
    def count(universe, outdir, calculator=None):
        return {}

    try:
        assert main(["analyze", "--list"]) == 0
        lines = capsys.readouterr().out.splitlines()
        # in this interpreter the registry's order is that of the tests' imports
        assert sorted(lines) == sorted(_expected(registered_analyses()))
        assert lines[-1] == "user_count_cli56  (needs box)"
    finally:
        _REGISTRY.pop("user_count_cli56")
