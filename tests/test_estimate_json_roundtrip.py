"""Estimates through JSON: every field back as it was, and no dict that contradicts itself.

``to_dict`` writes the verdict beside ``converged``: the same fact twice. Before, a dict whose
``converged`` was true but whose verdict gave a reason (one field edited, another program's
file) came back a valid Estimate, the reason dropped; one with ``converged: false`` and the
verdict "valid" and no notes came back not valid with the verdict "valid". Both are refused now
by name, and the reports show such a dict as not a readable estimate.
"""

import itertools
import json
import math

import pytest

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.html_report import estimate_of

VALUES = [1.25, -3.0e-7, 0.0, 6.02e23]
NOTES = [(), ("a caveat",), ("too short: 12 independent samples", "not diffusive")]
DOFS = [None, 1.0, 4.0, 9.5]


def _through_json(est):
    return Estimate.from_dict(json.loads(json.dumps(est.to_dict(), allow_nan=False)))


@pytest.mark.parametrize("value, notes, dof", itertools.product(VALUES, NOTES, DOFS))
def test_every_estimate_comes_back_equal_with_its_dof_and_verdict(value, notes, dof):
    for converged in (True, False):
        if not converged and not notes:
            continue  # an invalid estimate says why
        est = Estimate(value, abs(value) * 0.1 + 1e-9, "S/m", "t-scaled over 10 blocks",
                       n_samples=10, converged=converged, notes=notes, dof=dof)
        back = _through_json(est)
        assert back == est
        assert (back.valid, back.verdict, back.dof, back.notes) == (
            est.valid, est.verdict, est.dof, est.notes)
        assert back.interval(0.95, allow_invalid=True) == est.interval(0.95, allow_invalid=True)


@pytest.mark.parametrize("value, stderr", [(math.nan, math.nan), (math.inf, 0.1),
                                           (1.0, math.nan), (1.0, math.inf)])
def test_missing_numbers_of_an_invalid_estimate_come_back_missing(value, stderr):
    est = Estimate.invalid(value, stderr, "mPa·s", "none", "no plateau")
    back = _through_json(est)
    assert not back.valid and back.verdict == "no plateau"
    # JSON has no infinity: an infinite number comes back as a missing one
    assert math.isnan(back.value) == (not math.isfinite(value))
    assert math.isnan(back.stderr) == (not math.isfinite(stderr))


def _dict(**changes):
    data = Estimate(1.0, 0.1, "S/m", "blocks", n_samples=10, dof=9).to_dict()
    data.update(changes)
    return data


@pytest.mark.parametrize("changes, named", [
    ({"verdict": "not converged: the integral drifts"}, "converged is True but its verdict"),
    ({"converged": False, "verdict": "valid", "notes": []}, "converged is False but its "
                                                            "verdict is 'valid'"),
    ({"verdict": 1}, "verdict is a text"),
])
def test_a_dict_whose_verdict_contradicts_converged_is_refused(changes, named):
    with pytest.raises(ValueError, match=named):
        Estimate.from_dict(_dict(**changes))
    # the reports show it as not readable, never as a valid number
    shown = estimate_of(_dict(**changes))
    assert not shown.valid and "not a readable estimate" in shown.verdict


def test_a_dict_without_a_verdict_or_with_the_matching_one_is_read():
    assert Estimate.from_dict(_dict(verdict=None)).valid
    data = _dict()
    del data["verdict"]
    assert Estimate.from_dict(data).valid
    # marked not valid with a reason, the old verdict "valid" left: not valid, for that reason
    marked = Estimate.from_dict(_dict(converged=False, notes=["too short"]))
    assert not marked.valid and marked.verdict == "too short"
    # an invalid estimate whose notes were lost keeps its verdict as the reason
    lost = Estimate.from_dict(_dict(converged=False, verdict="too short", notes=[]))
    assert not lost.valid and lost.notes == ("too short",)
