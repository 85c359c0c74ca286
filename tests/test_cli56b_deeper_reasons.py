"""The terminal's "N more numbers in summary.json" line says why the deeper numbers are not
valid, by kind of reason.

Before: an analysis with only deeper numbers (an intra/inter RDF of a short run: 105 peaks,
minima and shell counts) printed "105 more numbers in summary.json (0 valid, 105 not valid)",
and a user had to open the JSON to learn why. Each note's kind is its leading label ("too
short: 3.0 independent samples" is "too short"), counted once a number.
"""

import pytest

from ase_electrolyte.estimate import Estimate, estimates_to_dict


def _bad(*notes):
    return Estimate(1.0, 0.1, "Å", "blocks", 3, converged=False, notes=notes)


_GOOD = Estimate(1.0, 0.1, "Å", "blocks", 60)
_SHORT = "too short: 3.2 independent segments of frames (need 10, 2 per block)"
_PEAK = "no peak: the highest bin, g = 5.5 at 2.56 Å, lies within 3 error bars (±3.7) of 1"
_UNLABELLED = "g(r) does not rise again after its first peak at 5.05 Å"
_DIP = ("the dip after the first peak at 2.71 Å is not significant against counting noise "
        "(z = 1.0 < 2.0; 112 pairs in the shell): see notes")


def _more_line(section, tmp_path, capsys, dict_form):
    from electrolyte_cli.arguments import print_summary

    if dict_form:  # as summary.json holds it
        section = estimates_to_dict(section)
    print_summary({"rdf": section}, tmp_path)
    return next(x for x in capsys.readouterr().out.splitlines() if "more number" in x)


@pytest.mark.parametrize("dict_form", [False, True])
@pytest.mark.parametrize("deep, said", [
    # twelve too short and three not converged: the brief's reading
    ([_bad(_SHORT)] * 12 + [_bad("not converged: drifts by 3 ± 1")] * 3,
     "15 not valid: 12 too short, 3 not converged)"),
    # a number with two kinds counts under each, and the text says so
    ([_bad(_PEAK, _SHORT), _bad(_SHORT), _GOOD],
     "2 not valid: 2 too short, 1 no peak; a number may have several reasons)"),
    # notes without a label are counted as other, never named by a number inside them
    ([_bad(_UNLABELLED), _bad(_DIP), _bad(_SHORT)], "3 not valid: 1 too short, 2 other)"),
    # a component named in front gives way to the label after it
    ([_bad("D of PF6: not diffusive: the log-log slope is 2.00, not 1")] * 2,
     "2 not valid: 2 not diffusive)"),
    ([_bad("σ: too short: 3 blocks")], "1 not valid: 1 too short)"),
    # kinds of equal count in the order of the notes, the same in every run
    ([_bad("not converged: a", "too short: b", "too few ions: c")] * 3,
     "3 not valid: 3 not converged, 3 too short, 3 too few ions; a number may have several "
     "reasons)"),
    # a long label without numbers is a label
    ([_bad("counted with shell cutoffs from RDF first minima that are not valid: 'EC' at 4.5 "
           "Å (shallow)")], "1 not valid: 1 counted with shell cutoffs from RDF first minima "
                           "that are not valid)"),
    # the first four kinds by count are named, the numbers of the rest are counted as other
    ([_bad("kind a: x")] * 5 + [_bad("kind b: x")] * 4 + [_bad("kind c: x")] * 3
     + [_bad("kind d: x")] * 2 + [_bad("kind e: x")],
     "15 not valid: 5 kind a, 4 kind b, 3 kind c, 2 kind d, 1 other)"),
    # valid numbers alone: no reasons to give
    ([_GOOD, _GOOD], "(2 valid, 0 not valid)"),
])
def test_the_more_line_counts_the_kinds_of_reason(deep, said, dict_form, tmp_path, capsys):
    line = _more_line({"pairs": {"Li-O": {f"n{k}": e for k, e in enumerate(deep)}}},
                      tmp_path, capsys, dict_form)
    assert line.endswith(said), line
    # the counts of numbers are unchanged by the reasons
    n_bad = sum(not e.valid for e in deep)
    assert f"{len(deep) - n_bad} valid, {n_bad} not valid" in line
    assert "1.00" not in line


@pytest.mark.parametrize("note, kind", [
    (_SHORT, "too short"),
    (_PEAK, "no peak"),
    (_UNLABELLED, None),
    (_DIP, None),
    ("no first minimum: the dip after the first peak at 2.71 Å (z = 1.0 < 2.0)",
     "no first minimum"),
    # a colon inside brackets is no label's end
    ("g(r) rises after the first minimum (to 1.1 from 0.75: z = 2.4 < 3.0): maybe a dip", None),
    # the first label in words, not a file named after it
    ("unit doubted: production.h5md: its shear-stress fluctuations", "unit doubted"),
    ("Li-O: too short: 3 blocks", "too short"),
    ("EC: 3 blocks", None),
])
def test_a_notes_kind_is_its_leading_label(note, kind):
    from electrolyte_cli.arguments import _reason_kind

    assert _reason_kind(note) == kind


def test_given_numbers_keep_their_count_beside_the_reasons(tmp_path, capsys):
    given = Estimate.given_value(300.0, "K", source="a setting")
    line = _more_line({"a": {"b": {"t": given, "x": _bad(_SHORT)}}}, tmp_path, capsys, False)
    assert line.endswith("(0 valid, 1 not valid: 1 too short; 1 given)"), line


def test_a_given_number_in_doubt_says_why(tmp_path, capsys):
    """A given number that is not valid (a cutoff among overlapping atoms) is counted as given
    and its reason's kind said as the others' are."""
    from dataclasses import replace

    doubted = replace(Estimate.given_value(4.2, "Å", source="a preset"), converged=False,
                      notes=("unit doubted: 4.2 nm is no cutoff",))
    line = _more_line({"a": {"b": {"c": doubted, "x": _bad(_SHORT)}}}, tmp_path, capsys, True)
    assert line.endswith("(0 valid, 1 not valid: 1 too short; 1 given, 1 of them not valid: "
                         "1 unit doubted)"), line
