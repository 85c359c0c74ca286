"""A shell cutoff given with its error carries that error into the shells it bounds.

``Estimate.given_value(2.4, "Å", stderr=0.15)`` is an input of known uncertainty (not a setting
used as it is). Before, only a measured Estimate's error was carried: a given one's was dropped
without a word, its ``results.cutoff_estimates`` entry read "2.4 Å (given)", and the
coordination number counted within it read 1.788 ± 0.070 molecules where moving the cutoff by
its 0.15 Å moves it by 0.23. Its verdict stays the caller's: a given cutoff is no doubt.
"""

import functools
import warnings

import numpy as np
import pytest
from shell_shapes import loose_shells

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import SolvationShells
from mda_electrolyte.solvation import shell_results

DELTA = 0.15
CUT = 2.4


@pytest.fixture(scope="module")
def universe():
    return loose_shells(2.0, 20, seed=1, n_background=100)


def _groups(u):
    sol = u.select_atoms("resname SOL")
    return u.select_atoms("resname LI"), {"A": sol.residues[::2].atoms}, \
        {"S": sol.residues[1::2].atoms}


def _run(u, cutoffs, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return SolvationShells(*_groups(u), cutoffs=cutoffs, **kwargs).run().results


@functools.lru_cache
def _plain(u, species=None, cut=CUT):
    # runs with plain numbers, shared by the cases
    return _run(u, {"A": CUT, "S": CUT, **({species: cut} if species else {})})


@pytest.mark.parametrize("store_table", [True, False, None])
@pytest.mark.parametrize("species", ["A", "S"])
def test_the_given_error_moves_the_counts_as_the_cutoff_does(universe, store_table, species):
    given = Estimate.given_value(CUT, "Å", stderr=DELTA)
    res = _run(universe, {"A": CUT, "S": CUT, species: given}, store_table=store_table)
    # the slope of the coordination number over the cutoff's error bar, counted by hand
    lo = _plain(universe, species, CUT - DELTA).coordination_numbers
    hi = _plain(universe, species, CUT + DELTA).coordination_numbers
    expected = (hi[species] - lo[species]) / 2
    assert expected > 0.05
    delta, dcn = res.cutoff_cn_errors[species]
    assert delta == DELTA and dcn == pytest.approx(expected, rel=1e-9)
    plain = _plain(universe)
    cn, bare = (res.estimates["coordination_numbers"][species],
                plain.estimates["coordination_numbers"][species])
    assert cn.value == pytest.approx(bare.value)
    assert cn.stderr == pytest.approx(np.hypot(bare.stderr, expected), rel=1e-6)
    # the caller's Estimate is the record, and it casts no doubt on what it bounds
    assert res.cutoff_estimates[species] == given and res.cutoff_estimates[species].given
    assert cn.valid == bare.valid
    if species == "A":
        assert "A" in res.cutoff_share_errors
        assert res.estimates["fractions"]["CIP"].stderr > plain.estimates["fractions"][
            "CIP"].stderr


@pytest.mark.parametrize("species", ["A", "S"])
def test_shell_results_carries_it_as_the_run_does(universe, species):
    given = Estimate.given_value(CUT, "Å", stderr=DELTA)
    table = _run(universe, {"A": CUT + DELTA, "S": CUT + DELTA}, store_table=True).table
    out = shell_results(table, {"A": CUT, "S": CUT, species: given})
    run = _run(universe, {"A": CUT, "S": CUT, species: given})
    assert species in out["cutoff_cn_errors"]
    assert out["cutoff_cn_errors"] == pytest.approx(run.cutoff_cn_errors)
    assert out["estimates"]["coordination_numbers"][species].stderr == pytest.approx(
        run.estimates["coordination_numbers"][species].stderr)


@pytest.mark.parametrize("given", [Estimate.given_value(CUT, "Å"),
                                   Estimate.given_value(CUT, "Å", stderr=0.0)])
def test_a_given_setting_without_error_stays_exact(universe, given):
    res = _run(universe, {"A": CUT, "S": given})
    assert res.cutoff_cn_errors == {} and res.cutoff_estimates["S"].stderr == 0
