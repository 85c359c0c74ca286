"""vesin (which imports torch, about 1 s) is imported only when a neighbour list is built.

Each case runs in a fresh interpreter, so that no other test's imports count.
"""

import subprocess
import sys
import textwrap


def run(code):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_importing_the_packages_and_the_cli_imports_neither_vesin_nor_torch():
    out = run("""
        import sys
        import ase_electrolyte, ase_electrolyte.neighbour_pairs, ase_electrolyte.electrostatics
        import ase_electrolyte.d3, ase_electrolyte.calculator, electrolyte_cli
        from electrolyte_cli import main
        try:
            main(["simulate", "--help"])
        except SystemExit:
            pass
        print("vesin" in sys.modules, "torch" in sys.modules)
    """)
    assert out[-2:] == ["False", "False"]


def test_a_refused_input_does_not_import_vesin_and_a_search_does():
    out = run("""
        import sys
        import numpy as np
        from ase_electrolyte.neighbour_pairs import half_pairs
        try:
            half_pairs([[0.0, 0.0, np.nan]], np.eye(3) * 5.0, 2.0)
        except ValueError:
            print("refused", "vesin" in sys.modules)
        i, j, shifts = half_pairs([[0.0, 0.0, 0.0], [1.5, 0.0, 0.0]], np.eye(3) * 5.0, 2.0)
        print(len(i), "vesin" in sys.modules)
    """)
    # one pair (1.5 Å; its image at 3.5 Å is beyond the cutoff)
    assert out[-4:] == ["refused", "False", "1", "True"]
