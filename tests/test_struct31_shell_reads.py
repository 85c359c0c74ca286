"""SolvationShells with every cutoff given reads its frames once, whatever the table budget.

Before: with ``store_table=None`` (the default) and a table beyond TABLE_BUDGET_BYTES, a run
whose cutoffs were all given dropped its table after the first frames, read every remaining
frame for nothing, then read them all again in a second pass: 94 frame reads where
``store_table=False`` took 47 on the 10 bn_fec frames, twice the reads on any trajectory. Now
the frames read so far are reduced to their shells and the pass goes on as the streamed one
(a run in parts judges the budget on the first frames before the parts, as before).

Also: ``rdf.MIN_PAIR_DISTANCE`` was copied into ``solvation`` at import, so a user who set it
saw IntraInterRDF and SolvationShells count overlapping atoms by two bounds.
"""

import warnings

import pytest
from shell_shapes import loose_shells
from test_shell_summary import _assert_same, _compare
from test_struct22_overlap_any_cutoff import carbonyls

import mda_electrolyte.rdf as rdf
import mda_electrolyte.solvation as solvation
from mda_electrolyte import SolvationShells

CUTOFFS = {"SOL": 2.6}


def _counting(u):
    """``u`` whose reader counts the frames it reads (``u.reads[0]``)."""
    u.reads = [0]
    reader = u.trajectory
    read = reader._read_frame

    def counted(i):
        u.reads[0] += 1
        return read(i)

    reader._read_frame = counted
    return u


def _run(u, store_table, **run):
    u.reads[0] = 0
    li, sol = u.select_atoms("resname LI"), u.select_atoms("resname SOL")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shells = SolvationShells(li, {}, {"SOL": sol}, cutoffs=CUTOFFS,
                                 store_table=store_table).run(**run)
    text = " ".join(str(w.message) for w in caught)
    return shells.results, u.reads[0], text


@pytest.mark.filterwarnings("ignore:SolvationShells.*closer than:UserWarning")
def test_a_dropped_table_with_every_cutoff_given_reads_each_frame_once(monkeypatch):
    u = _counting(loose_shells(4.0, 12, seed=3, n_background=40))
    kept, kept_reads, _ = _run(u, None)
    assert "table" in kept
    streamed, streamed_reads, _ = _run(u, False)
    monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", 0)
    monkeypatch.setattr(solvation, "_TABLE_PROBE_FRAMES", 3)
    dropped, dropped_reads, text = _run(u, None)
    assert "table" not in dropped and "store_table=True" in text
    # the frames the streamed run reads, not those and all of them again
    assert dropped_reads == streamed_reads == kept_reads
    _compare(kept, dropped)
    _assert_same(dict(streamed), dict(dropped))
    # two parts: the first 3 frames judged in this process, then each frame once
    parts, parts_reads, text = _run(u, None, n_workers=2)
    assert "table" not in parts and "store_table=True" in text
    assert parts_reads <= streamed_reads + 2 * 3 + 2
    _compare(kept, parts)
    # the default chosen again on the next run of the same object
    monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", 2**28)
    li, sol = u.select_atoms("resname LI"), u.select_atoms("resname SOL")
    shells = SolvationShells(li, {}, {"SOL": sol}, cutoffs=CUTOFFS)
    monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", 0)
    with pytest.warns(UserWarning, match="second pass"):
        shells.run()
    assert "table" not in shells.results
    monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", 2**28)
    assert "table" in shells.run().results


@pytest.mark.parametrize("kwargs", [{"cutoffs": {"CO": 2.6}},
                                    {"cutoffs": {"CO": 2.6}, "store_table": False},
                                    {"cutoff_convention": "donor_atoms"}])
def test_one_overlap_bound_for_every_analysis(monkeypatch, kwargs):
    # every Li⁺'s first O 0.3 Å from it in every frame: 40 of the shell's 160 pairs
    u = carbonyls(5, overlap_frames=range(5))

    def run():
        return SolvationShells(u.select_atoms("element Li"), {},
                               {"CO": u.select_atoms("resname CO")}, **kwargs).run()

    with pytest.raises(ValueError, match=r"40 pair\(s\) of atoms closer than 0.5 Å"):
        run()
    # overlapping atoms by a bound of 0.4 Å set by the user, as IntraInterRDF counts them
    monkeypatch.setattr(rdf, "MIN_PAIR_DISTANCE", 0.4)
    with pytest.raises(ValueError, match=r"40 pair\(s\) of atoms closer than 0.4 Å"):
        run()
    # and none by 0.25 Å: the O at 0.3 Å is one of the 4 in each shell, with no word of it
    monkeypatch.setattr(rdf, "MIN_PAIR_DISTANCE", 0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        shells = run()
    assert shells.results.coordination_numbers["CO"] == pytest.approx(4.0)
