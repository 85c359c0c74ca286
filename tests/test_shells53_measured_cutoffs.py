"""Cutoffs given as measured Estimates keep their error and verdict in the shells.

The documented way to analyse a long trajectory is to find the cutoffs on part of it and pass
``results.cutoffs`` to a ``store_table=False`` run. Those are bare numbers: a cutoff of 2.85 ±
0.33 Å found on one frame (not valid: a small sample, a minimum barely deeper than its noise)
counted 10.97 ± 0.17 molecules per shell on 60 other frames, "valid", its doubt and its error
gone; ``cutoffs=results.cutoff_estimates`` was refused ("must be a finite number > 0, got
Estimate(...)"). Now an Estimate is used at its value; a measured one carries its error into
the coordination numbers and shares (counted again at ``r_c ± δ``, with a table or frame by
frame) and its verdict into every shell Estimate, whichever way the shells are counted.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import SolvationShells, solvation
from mda_electrolyte.solvation import cutoff_cn_errors, cutoff_share_errors, shell_results

sys.path.insert(0, str(Path(__file__).parent))
from shell_shapes import loose_shells  # noqa: E402

WAYS = ["table", "streamed", "dropped"]


def _run(u, role="solvent", way="table", monkeypatch=None, **kwargs):
    group = {"SOL": u.select_atoms("resname SOL")}
    anions, solvents = (group, {}) if role == "anion" else ({}, group)
    if way == "dropped":
        monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", 0)
    store = {"table": True, "streamed": False, "dropped": None}[way]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SolvationShells(u.select_atoms("resname LI"), anions, solvents,
                               rdf_range=(0.0, 9.5), store_table=store, **kwargs).run().results


@pytest.fixture(scope="module")
def one_frame_cutoff():
    """The cutoff found on one frame: 2.85 ± 0.33 Å, not valid (a small sample)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = loose_shells(4.0, 1, seed=1)
        return SolvationShells(u.select_atoms("resname LI"), {},
                               {"SOL": u.select_atoms("resname SOL")},
                               rdf_range=(0.0, 9.5)).run().results.cutoff_estimates["SOL"]


@pytest.fixture(scope="module")
def frames():
    # one molecule per shell on average: SSIP, CIP and AGG shells where it is an anion
    return loose_shells(1.0, 60, seed=3)


def _estimates(res):
    e = res.estimates
    return [e["coordination_numbers"]["SOL"], e["pairing"]["SOL"], *e["fractions"].values(),
            *e["labels"].values(), *e["cn_distribution_total"].values()]


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("role", ["solvent", "anion"])
def test_a_doubtful_cutoff_given_on_leaves_no_shell_number_valid(one_frame_cutoff, frames, way,
                                                                 role, monkeypatch):
    assert not one_frame_cutoff.valid
    plain = _run(frames, role, "table", cutoffs={"SOL": one_frame_cutoff.value})
    # the bare number: the shells are called valid (where enough frames), as before
    assert plain.estimates["coordination_numbers"]["SOL"].valid
    res = _run(frames, role, way, monkeypatch, cutoffs={"SOL": one_frame_cutoff})
    assert res.cutoffs["SOL"] == one_frame_cutoff.value
    assert res.cutoff_estimates["SOL"] == one_frame_cutoff
    # a solvent's cutoff does not bound the classes (they count anions): those keep their own
    # verdict (tests/test_shells54_cutoff_reach.py)
    for est in res.estimates["fractions"].values():
        assert any("given as measured Estimates" in note
                   for note in est.notes) == (role == "anion")
    bounded = [est for est in _estimates(res)
               if role == "anion" or all(est is not f for f in res.estimates["fractions"].values())]
    for est in bounded:
        assert not est.valid
        assert any("small sample" in note and "given as measured Estimates" in note
                   for note in est.notes)
    # the same shells, counted at the same cutoff
    assert res.coordination_numbers == plain.coordination_numbers
    assert res.fractions == plain.fractions


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("role", ["solvent", "anion"])
@pytest.mark.parametrize("delta", [0.05, 0.3])
def test_a_measured_cutoff_error_is_counted_at_its_ends(frames, way, role, delta, monkeypatch):
    given = Estimate(2.9, delta, "Å", "an RDF minimum of another run", n_samples=500)
    table = _run(frames, role, "table", cutoffs={"SOL": 2.9})
    res = _run(frames, role, way, monkeypatch, cutoffs={"SOL": given})
    assert res.cutoff_source["SOL"] == "given"
    # the counts at r_c ± δ, recounted from a table that holds r_c + δ (the bare number's
    # ends at its cutoff)
    wide = _run(frames, role, "table", cutoffs={"SOL": given}).table
    assert wide.radius == pytest.approx(2.9 + delta)
    args = (wide, {"SOL": 2.9}, {"SOL": given}, {"SOL": "given"})
    cn = cutoff_cn_errors(*args)
    shares = cutoff_share_errors(*args, convention="anion_count")
    assert cn["SOL"][0] == delta
    assert res.cutoff_cn_errors == cn
    assert res.cutoff_share_errors == shares
    assert cn["SOL"][1] > 0
    block = table.estimates["coordination_numbers"]["SOL"]
    est = res.estimates["coordination_numbers"]["SOL"]
    assert est.value == block.value
    assert est.stderr == pytest.approx(np.hypot(block.stderr, cn["SOL"][1]), rel=1e-12)
    assert est.valid == block.valid
    if role == "anion":
        moved = shares["SOL"]["fractions"]
        # a class changes where a molecule lies within 0.3 Å of the cutoff
        assert max(moved.values()) > 0 or delta < 0.1
        for c, extra in moved.items():
            np.testing.assert_allclose(res.estimates["fractions"][c].stderr,
                                       np.hypot(table.estimates["fractions"][c].stderr, extra),
                                       rtol=1e-12)


@pytest.mark.parametrize("way", WAYS)
def test_a_given_estimate_is_the_bare_number(frames, way, monkeypatch):
    plain = _run(frames, way="table", cutoffs={"SOL": 2.9})
    res = _run(frames, way=way, monkeypatch=monkeypatch,
               cutoffs={"sol": Estimate.given_value(2.9, "Å")})
    assert res.cutoff_cn_errors == {}
    for a, b in zip(_estimates(res), _estimates(plain), strict=True):
        assert a.value == b.value and a.valid == b.valid
        np.testing.assert_equal(a.stderr, b.stderr)


def test_shell_results_carries_the_measured_cutoff(one_frame_cutoff, frames):
    table = _run(frames, cutoffs={"SOL": one_frame_cutoff.value}).table
    out = shell_results(table, {"SOL": one_frame_cutoff})
    assert not out["estimates"]["coordination_numbers"]["SOL"].valid
    assert out["cutoff_cn_errors"] == cutoff_cn_errors(
        table, {"SOL": one_frame_cutoff.value}, {"SOL": one_frame_cutoff}, {"SOL": "given"})
    bare = shell_results(table, {"SOL": one_frame_cutoff.value})
    assert bare["cutoff_cn_errors"] == {}
    assert out["coordination_numbers"] == bare["coordination_numbers"]


@pytest.mark.parametrize("bad, words", [
    (Estimate.invalid(float("nan"), float("nan"), "Å", "search", "no first minimum"),
     "without a value"),
    (Estimate(0.29, 0.01, "nm", "an RDF minimum", n_samples=100), "in 'nm'"),
])
def test_an_estimate_that_is_no_cutoff_is_refused_by_name(frames, bad, words):
    with pytest.raises(ValueError, match=words):
        SolvationShells(frames.select_atoms("resname LI"), {},
                        {"SOL": frames.select_atoms("resname SOL")}, rdf_range=(0.0, 9.5),
                        cutoffs={"SOL": bad})


@pytest.mark.parametrize("way", ["streamed", "dropped"])
@pytest.mark.parametrize("backend, n_workers", [("serial", 3), ("multiprocessing", 2)])
def test_parallel_parts_count_the_ends_as_one_serial_table(frames, way, backend, n_workers,
                                                           monkeypatch):
    given = Estimate(2.9, 0.3, "Å", "an RDF minimum of another run", n_samples=500)
    serial = _run(frames, "anion", "table", cutoffs={"SOL": given})
    if way == "dropped":
        monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = SolvationShells(frames.select_atoms("resname LI"),
                              {"SOL": frames.select_atoms("resname SOL")}, {},
                              rdf_range=(0.0, 9.5), cutoffs={"SOL": given},
                              store_table=None if way == "dropped" else False).run(
            backend=backend, n_workers=n_workers).results
    assert res.cutoff_cn_errors == serial.cutoff_cn_errors
    assert res.cutoff_share_errors == serial.cutoff_share_errors
    for a, b in zip(_estimates(res), _estimates(serial), strict=True):
        assert a.value == b.value and a.valid == b.valid
        np.testing.assert_equal(a.stderr, b.stderr)


def test_the_recount_functions_read_estimates_as_cutoffs(frames):
    given = Estimate(2.9, 0.3, "Å", "an RDF minimum of another run", n_samples=500)
    table = _run(frames, "anion", "table", cutoffs={"SOL": given}).table
    args = ({"SOL": given}, {"SOL": "given"})
    assert cutoff_cn_errors(table, {"SOL": given}, *args) == cutoff_cn_errors(
        table, {"SOL": 2.9}, *args)
    assert cutoff_share_errors(table, {"SOL": given}, *args) == cutoff_share_errors(
        table, {"SOL": 2.9}, *args)
