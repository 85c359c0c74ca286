"""The terminal summary prints each number on one line, whatever its analysis or label holds.

A label of the user's (a species, a plan's label) with a line break in it split its number's
line in two: the verdict stood on a line without its name.
"""

from pathlib import Path

from ase_electrolyte.estimate import Estimate
from electrolyte_cli.arguments import print_summary


def test_a_label_with_a_line_break_keeps_its_number_on_its_line(capsys):
    numbers = {"EC\nEMC": Estimate(1.5, 0.1, "1", "blocks", 10),
               "Li\r\n": Estimate(2.0, 0.5, "1", "blocks", 10, False, ("too short",)),
               "pairs": {"a\tb\nc": Estimate(0.25, 0.05, "1", "blocks", 10)}}
    print_summary({"shells\nsecond": numbers}, Path("out"))
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["  shells second:",
                     "    EC EMC: 1.50 ± 0.10 (valid)",
                     "    Li: NOT VALID (too short)",
                     "    pairs[a b c]: 0.250 ± 0.050 (valid)",
                     "report: out/summary.json"], lines
