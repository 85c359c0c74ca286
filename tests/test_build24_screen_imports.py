"""The screening package imports its names eagerly and its heavy dependencies where they are
used, with no replaced module class.

Before: ``ase_electrolyte/screen/__init__.py`` made its names lazy (PEP 562) and replaced its own
module's class so that importing the submodule ``aggregate`` could not shadow the function
``aggregate``; the submodules imported numpy, scipy.stats (through the table's statistics) and
asyncio at their tops. Now the package imports its names as a package conventionally does, and
those imports sit in the functions that need them. Judged in a fresh interpreter by
``sys.modules``, not by time.
"""

import subprocess
import sys
import textwrap

HEAVY = ("numpy", "scipy", "pandas", "matplotlib", "distributed", "dask", "torch",
         "mda_electrolyte", "MDAnalysis", "ase", "asyncio")


def test_the_package_is_a_plain_module_whose_import_is_light_and_whose_names_all_import():
    code = textwrap.dedent(f"""
        import importlib, sys, types
        import ase_electrolyte.screen as screen
        print(type(screen) is types.ModuleType)
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
        names = {{}}
        for name in screen.__all__:
            exec(f"from ase_electrolyte.screen import {{name}} as value", names)
            assert not isinstance(names["value"], types.ModuleType), name
        importlib.import_module("ase_electrolyte.screen.aggregate")
        from ase_electrolyte.screen import aggregate
        print(callable(aggregate) and screen.aggregate is aggregate
              and sys.modules["ase_electrolyte.screen.aggregate"].aggregate is aggregate)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["True", "[]", "True"], done.stdout
