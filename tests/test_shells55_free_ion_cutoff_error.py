"""The free ion fraction carries its anion cutoff's error, as the free cation fraction does.

The free ion fraction (free cations plus anion molecules in no shell, over all ions) depends
on the anions' cutoff as the SSIP/CIP/AGG and free cation fractions do, and its verdict
followed that cutoff's; but the cutoff's error was not counted into it. Before: an anion
cutoff of 2.4 ± 0.15 Å (measured) gave 0.8540 ± 0.0027, valid, over 60 frames of loose shells,
where the cutoff at 2.25 and 2.55 Å counts 0.8686 and 0.8448 (± 0.012).
"""

import functools

import numpy as np
import pytest
from test_shells55_given_cutoff_error import CUT, DELTA, _groups, _run, universe  # noqa: F401

from ase_electrolyte.estimate import Estimate
from mda_electrolyte.solvation import shell_results


@functools.lru_cache
def _table(u):
    return _run(u, {"A": CUT + DELTA, "S": CUT}, store_table=True).table


@functools.lru_cache
def _free_ions(u, convention):
    return {r: shell_results(_table(u), {"A": r, "S": CUT}, convention)["free_ion_fraction"]
            for r in (CUT - DELTA, CUT, CUT + DELTA)}


@functools.lru_cache
def _plain(u, convention):
    return _run(u, {"A": CUT, "S": CUT}, convention=convention)


@pytest.mark.parametrize("convention", ["anion_count", "bridging"])
@pytest.mark.parametrize("store_table", [True, False, None])
def test_the_free_ion_fraction_moves_with_the_anion_cutoff(universe, store_table, convention):  # noqa: F811
    measured = Estimate(CUT, DELTA, "Å", "first minimum of another run", 100)
    res = _run(universe, {"A": measured, "S": CUT}, store_table=store_table,
               convention=convention)
    at = _free_ions(universe, convention)
    expected = abs(at[CUT + DELTA] - at[CUT - DELTA]) / 2
    assert expected > 0.005
    assert res.cutoff_share_errors["A"]["free_ion_fraction"] == pytest.approx(expected,
                                                                              rel=1e-9)
    plain = _plain(universe, convention)
    est, bare = (res.estimates["free_ion_fraction"], plain.estimates["free_ion_fraction"])
    assert est.value == pytest.approx(at[CUT]) == bare.value
    assert est.stderr == pytest.approx(np.hypot(bare.stderr, expected), rel=1e-6)
    # a solvent's cutoff moves no anion: no such term
    assert "free_ion_fraction" not in res.cutoff_share_errors.get("S", {})


@pytest.mark.parametrize("convention", ["anion_count", "bridging"])
@pytest.mark.parametrize("lo,hi", [(2.25, 2.55), (1.0, 2.4), (2.4, 2.55)])
def test_held_anions_counted_by_hand_and_from_the_steps(universe, convention, lo, hi):  # noqa: F811
    from mda_electrolyte.solvation import (
        _HELD_HI,
        _HELD_LO,
        _cutoff_counts,
        _cutoff_steps,
        _CutoffSteps,
    )

    table = _table(universe)
    k = list(table.layout.species).index("A")
    entries = [(k, "A", (hi - lo) / 2, lo, hi)]
    cutoffs = {"A": CUT, "S": CUT}
    counts = _cutoff_counts(table, entries, cutoffs, convention)[0]
    # by hand: distinct (frame, anion molecule) with an atom within r of some cation
    members = shell_results(table, {"A": CUT + DELTA, "S": CUT})["shells"]
    anions = members[members.species == "A"]
    for r, col in ((lo, _HELD_LO), (hi, _HELD_HI)):
        inside = anions[anions.distance <= np.float32(r)]
        assert counts[col] == len(set(zip(inside.frame, inside.molecule, strict=True)))
    steps = _CutoffSteps([(k, 1.0, CUT + DELTA)]).add(
        _cutoff_steps(table, [(k, 1.0, CUT + DELTA)], cutoffs, convention))
    np.testing.assert_array_equal(steps.counts(entries)[0], counts)
