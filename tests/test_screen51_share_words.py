"""A plan's solvent share that is no finite number > 0 is refused in one wording, quoting it.

Measured before: a share given as a table entry of ``inf`` was refused as "solvent share
EC:inf must be positive" (inf is positive), ``nan`` as "EC:nan must be positive"; ``0`` in
either form as "EC:0 must be positive" while the string form's ``inf`` said "must be a finite
number > 0"; a share given as text, ``{"EC": "3"}``, as "must be a number", without the cure.
"""

import math

import numpy as np
import pytest

from ase_electrolyte.screen import PlanError, load_plan

BASE = {
    "name": "shares", "seed": 1, "n_atoms": 300, "temperatures": [298.0], "replicas": 5,
    "model": {"calculator": "ase.calculators.emt:EMT"},
}


def _plan(solvent):
    return {**BASE, "composition": [{"solvent": solvent, "salt": "LiPF6",
                                     "concentration": [1.0]}]}


BAD = [math.inf, -math.inf, math.nan, -1.0, 0.0, 0, -3, np.float64(np.inf), np.int64(0)]


def _shown(share):
    """How the message quotes ``share``: as Python writes it, or as a number."""
    try:
        return {repr(share), f"{float(share):g}"}
    except (TypeError, ValueError):
        return {repr(share)}


@pytest.mark.parametrize("share", BAD, ids=[repr(s) for s in BAD])
@pytest.mark.parametrize("form", ["table", "text"])
def test_a_share_that_is_no_finite_positive_number_is_refused_naming_it(form, share):
    if form == "table":
        solvent = {"EC": 3.0, "EMC": share}
    else:
        solvent = f"EC:3,EMC:{float(share):g}"
    with pytest.raises(PlanError) as info:
        load_plan(_plan(solvent))
    message = str(info.value)
    assert "must be positive" not in message
    assert "EMC" in message and "finite number > 0" in message, message
    assert any(s in message for s in _shown(share)), message


@pytest.mark.parametrize("share", ["3", "inf", True, np.True_, None, [3]],
                         ids=["'3'", "'inf'", "True", "np.True_", "None", "[3]"])
def test_a_share_that_is_no_number_is_refused_naming_it(share):
    with pytest.raises(PlanError) as info:
        load_plan(_plan({"EC": 3.0, "EMC": share}))
    message = str(info.value)
    assert "EMC" in message and "finite number > 0" in message, message
    assert repr(share) in message, message
    if share == "3":
        assert "not as text" in message  # the cure


@pytest.mark.parametrize("shares", [(3, 7), (0.3, 0.7), (np.int64(3), np.float32(7)),
                                    (1e-3, 2.333e-3)])
def test_finite_positive_shares_read_alike_in_both_forms(shares):
    """The converse: what is accepted is the same electrolyte in either form."""
    ec, emc = shares
    table = load_plan(_plan({"EC": ec, "EMC": emc})).compositions[0]
    text = load_plan(_plan(f"EC:{float(ec)!r},EMC:{float(emc)!r}")).compositions[0]
    assert table.solvent == pytest.approx(text.solvent, rel=1e-6)
    assert table.solvent["EMC"] / table.solvent["EC"] == pytest.approx(emc / ec, rel=1e-6)
