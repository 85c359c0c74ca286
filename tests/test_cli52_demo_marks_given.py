"""The demo's marks of a run too short leave given numbers as they are.

``mark_estimates`` marked every Estimate of the summary not valid with the run's limits
("too short: 0.2 ps of production ..."), given numbers included: a shell cutoff given by the
caller, or a temperature given to the analyses, read "2.6 Å (given; too short: ...)" and on
the terminal "(a setting given, not a result; NOT VALID: too short ...)", a doubt of a setting
that the run's length has nothing to do with. Measured numbers are marked as before.
"""

import pytest

from ase_electrolyte.estimate import Estimate
from electrolyte_cli.demo import mark_demo_summary, mark_estimates

SHORT = "too short: 0.2 ps of production (a transport coefficient needs ns)"
FEW = "too few ions: 1 Li (a shell statistic needs at least 4)"

GIVEN = [Estimate.given_value(2.6, "Å", source="cutoffs="),
         Estimate.given_value(298.0, "K", source="temperature="),
         Estimate.given_value(1.0, "mPa·s", 0.1, source="viscosity=")]


def _summary(given, as_dict):
    measured = Estimate(0.5, 0.1, "1", "blocks", 20)
    pack = (lambda e: e.to_dict()) if as_dict else (lambda e: e)
    return {"solvation_shells": {"cutoffs": {"EC": pack(given)}, "fractions": {"SSIP": pack(
        measured)}}, "transport": [pack(given), pack(measured)]}


def _est(value):
    return value if isinstance(value, Estimate) else Estimate.from_dict(value)


@pytest.mark.parametrize("given", GIVEN)
@pytest.mark.parametrize("as_dict", [False, True])
@pytest.mark.parametrize("mark", [lambda s: mark_estimates(s, [SHORT]),
                                  lambda s: mark_demo_summary(s, [SHORT, FEW])])
def test_given_numbers_keep_their_verdict(given, as_dict, mark):
    marked = mark(_summary(given, as_dict))
    for value in (marked["solvation_shells"]["cutoffs"]["EC"], marked["transport"][0]):
        est = _est(value)
        assert est.given and est.valid
        assert SHORT not in est.notes
        assert est == _est(given.to_dict() if as_dict else given)
    for value in (marked["solvation_shells"]["fractions"]["SSIP"], marked["transport"][1]):
        est = _est(value)
        assert not est.valid and SHORT in est.notes
        assert FEW not in est.notes  # the analyses judge their own ion counts


def test_a_given_number_in_doubt_keeps_its_own_doubt_alone():
    doubted = GIVEN[0].with_notes("overlapping atoms", converged=False)
    marked = mark_estimates({"a": doubted}, [SHORT])
    assert marked["a"].notes == ("overlapping atoms",)
