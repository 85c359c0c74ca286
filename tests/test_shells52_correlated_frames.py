"""Cutoffs from RDF first minima count the frames' correlation in their counting noise.

The first-minimum search takes every pair of every frame as an independent count. Consecutive
MD frames hold mostly the same pairs: one frame of 8 Li⁺ in loose shells gave a cutoff of 2.85 ±
0.33 Å, not valid (a small sample); the same frame 4 times gave 2.85 ± 0.14 Å and 60 times 2.849
± 0.035 Å, both valid, and the coordination numbers counted with them lost their "cutoff not
valid" verdict. SolvationShells now searches again with the counts of ``N / g`` frames, ``g``
the statistical inefficiency of the species' per-frame coordination number (one frame where it
never changes): the cutoff stays, its errors, scatter and verdict are those of the
independent frames, and so are the coordination-number and share errors carried from it.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

from mda_electrolyte import SolvationShells, solvation
from mda_electrolyte.solvation import cutoff_cn_errors

sys.path.insert(0, str(Path(__file__).parent))
from shell_shapes import loose_shells  # noqa: E402


def _held(seed, n_independent, hold):
    """Loose shells of ``n_independent`` independent frames, each held for ``hold`` frames."""
    u = loose_shells(4.0, n_independent, seed=seed)
    positions = np.repeat(u.trajectory.coordinate_array, hold, axis=0)
    u.load_new(positions, format=MemoryReader, dimensions=[20.0] * 3 + [90.0] * 3)
    return u


def _run(u, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SolvationShells(u.select_atoms("resname LI"), {},
                               {"SOL": u.select_atoms("resname SOL")},
                               rdf_range=(0.0, 9.5), **kwargs).run().results


@pytest.mark.parametrize("two_pass", [False, True])
@pytest.mark.parametrize("hold", [12, 30])
def test_a_repeated_frame_is_one_frame(hold, two_pass, monkeypatch):
    one = _run(_held(1, 1, 1))
    alone = one.cutoff_estimates["SOL"]
    assert not alone.valid and "small sample" in alone.verdict
    if two_pass:
        # the table dropped: the RDFs in the pass, the shells in a second one
        monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", 0)
    res = _run(_held(1, 1, hold))
    assert ("table" in res) is not two_pass
    est = res.cutoff_estimates["SOL"]
    assert est.value == pytest.approx(alone.value)
    assert not est.valid and "small sample" in est.verdict
    assert est.stderr >= alone.stderr * (1 - 1e-9)
    detail = res.cutoff_details["SOL"]
    assert detail["cutoff_spread"] >= one.cutoff_details["SOL"]["cutoff_spread"] * (1 - 1e-9)
    assert f"{hold} frames count as 1 independent" in detail["note"]
    # the shells counted with that cutoff are not valid for it
    cn = res.estimates["coordination_numbers"]["SOL"]
    assert not cn.valid and "RDF first minima that are not valid" in cn.verdict


def test_held_frames_keep_the_scatter_of_their_independent_frames():
    # 10 independent frames, each held 6 times: the cutoff and what is counted with it scatter
    # as over the 10 frames, not as over 60 (their errors were 1/sqrt(6) of those)
    ratios, cn_ratios = [], []
    for seed in range(4):
        free = _run(_held(seed, 10, 1))
        held = _run(_held(seed, 10, 6))
        assert held.cutoffs["SOL"] == pytest.approx(free.cutoffs["SOL"])
        ratios.append(held.cutoff_details["SOL"]["cutoff_spread"]
                      / free.cutoff_details["SOL"]["cutoff_spread"])
        cn_ratios.append(held.cutoff_cn_errors["SOL"][1] / free.cutoff_cn_errors["SOL"][1])
    assert np.median(ratios) > 0.75
    assert np.median(cn_ratios) > 0.6


def test_run_errors_are_the_public_recount_and_two_pass_agrees(monkeypatch):
    u = _held(2, 8, 5)
    res = _run(u)
    spreads = {"SOL": res.cutoff_details["SOL"]["cutoff_spread"]}
    again = cutoff_cn_errors(res.table, res.cutoffs, res.cutoff_estimates, res.cutoff_source,
                             spreads=spreads)
    assert again["SOL"] == pytest.approx(res.cutoff_cn_errors["SOL"], rel=1e-12)
    monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", 0)
    dropped = _run(u)
    assert "table" not in dropped
    assert dropped.cutoff_details["SOL"]["cutoff_spread"] == pytest.approx(spreads["SOL"])
    assert dropped.cutoff_estimates["SOL"].stderr == pytest.approx(
        res.cutoff_estimates["SOL"].stderr)
    # the widened r_c ± δ counted again over the frames: the table's errors
    assert dropped.cutoff_cn_errors == res.cutoff_cn_errors
    assert dropped.cutoff_share_errors == res.cutoff_share_errors
