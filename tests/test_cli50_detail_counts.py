"""The terminal summary counts the Estimates under an analysis' ``parts`` (the Onsager parts
of a Green–Kubo conductivity), as it counts every other number it does not print.

Before: ``parts`` was left out of the lines and of the "N more numbers in summary.json" count
alike: the terminal of ``electrolyte analyze`` said nothing of the three Onsager parts
(collective:Li, distinct:Li-PF6, collective:PF6) that summary.json holds, each with its
verdict; a conductivity whose parts were all that was left ended "done".
"""

import pytest

from ase_electrolyte.estimate import Estimate


def _summary_lines(summary, tmp_path, capsys):
    from electrolyte_cli.arguments import print_summary

    print_summary(summary, tmp_path)
    return capsys.readouterr().out.splitlines()


_GOOD = Estimate(1.0, 0.1, "S/m", "blocks", 60)
_BAD = Estimate(5.0, 0.1, "S/m", "blocks", 3, converged=False, notes=("too short: 3 blocks",))


@pytest.mark.parametrize("dict_form", [False, True])
@pytest.mark.parametrize("parts, said", [
    ({"collective:Li": _GOOD, "distinct:Li-PF6": _BAD, "collective:PF6": _BAD},
     "3 more numbers in summary.json (1 valid, 2 not valid: 2 too short)"),
    ({"collective:Li": _GOOD}, "1 more number in summary.json (1 valid, 0 not valid)"),
    ({"by species": {"Li": [_BAD, _GOOD]}},
     "2 more numbers in summary.json (1 valid, 1 not valid: 1 too short)"),
])
def test_the_parts_are_counted(parts, said, dict_form, tmp_path, capsys):
    from ase_electrolyte.estimate import estimates_to_dict

    section = {"conductivity": _GOOD, "parts": parts}
    if dict_form:  # as summary.json holds it
        section = estimates_to_dict(section)
    out = _summary_lines({"green_kubo_conductivity": section}, tmp_path, capsys)
    assert out[:2] == ["  green_kubo_conductivity:",
                       "    conductivity: 1.00 ± 0.10 S/m (valid)"], out
    assert f"    {said}" in out, out
    assert "5.00" not in "\n".join(out)  # an invalid part is never shown as a number


def test_parts_alone_are_not_done(tmp_path, capsys):
    out = _summary_lines({"green_kubo_conductivity": {"parts": {"distinct:Li-PF6": _BAD}}},
                         tmp_path, capsys)
    assert out[:2] == ["  green_kubo_conductivity:",
                       "    1 more number in summary.json (0 valid, 1 not valid: 1 too short)"], out


def test_a_parts_key_deeper_down_is_counted_once(tmp_path, capsys):
    """Only an analysis' own ``parts`` is a detail; one deeper down is counted as any number
    two levels down, once."""
    out = _summary_lines({"a": {"x": {"parts": {"p": _GOOD, "q": _BAD}}}}, tmp_path, capsys)
    assert "    2 more numbers in summary.json (1 valid, 1 not valid: 1 too short)" in out, out
