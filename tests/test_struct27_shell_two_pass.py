"""SolvationShells' default run bounded by its shells, not its pairs (issue item 9).

What a user gets from ``SolvationShells(...).run()`` kept every cation–atom pair within the
collection radius (6 Å while the cutoffs are still to be found): 6.7 kB per cation and frame at
the peak for loose shells of 8 Li⁺, 400 GB for 10⁶ frames of 60 Li⁺, with only a warning. The
default (``store_table=None``) now drops a table whose extrapolated size exceeds
TABLE_BUDGET_BYTES, goes on counting the RDFs, and counts the shells in a second pass with the
cutoffs found, carrying the cutoffs' scatter as the table does. The results are the table's
(the helpers of test_shell_summary compare them: angle means to rounding).
"""

import tracemalloc
import warnings

import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from shell_shapes import loose_shells
from test_shell_summary import _bn_fec_groups, _compare
from test_solvation import bn_fec, build, groups

import mda_electrolyte.solvation as solvation
from mda_electrolyte import SolvationShells


def _both(make, monkeypatch, **run):
    """The results of a run that keeps its table and of one that drops it after 2 frames."""
    kept = make().run(**run).results
    assert "table" in kept
    monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", 0)
    monkeypatch.setattr(solvation, "_TABLE_PROBE_FRAMES", 2)
    with pytest.warns(UserWarning, match="second pass") as caught:
        dropped = make().run(**run).results
    text = " ".join(str(w.message) for w in caught)
    assert "store_table=True" in text and "bytes per cation and frame" in text
    assert "table" not in dropped
    return kept, dropped


@pytest.mark.parametrize("convention,run", [("anion_count", {}),
                                           ("bridging", {"backend": "multiprocessing",
                                                         "n_workers": 2})])
def test_cutoffs_from_rdfs_two_passes_equal_the_table(monkeypatch, convention, run):
    u = bn_fec()
    cations, anions, solvents = _bn_fec_groups(u)

    def make():
        return SolvationShells(cations, anions, solvents, cutoffs={"pf6": 2.8},
                               convention=convention)

    kept, dropped = _both(make, monkeypatch, **run)
    assert kept.cutoff_source == {"bn": "rdf_minimum", "fec": "rdf_minimum", "pf6": "given"}
    _compare(kept, dropped)
    # the cutoffs' scatter counted frame by frame is the table's, and it is in the errors
    assert dropped.cutoff_cn_errors == kept.cutoff_cn_errors
    assert dropped.cutoff_share_errors == kept.cutoff_share_errors
    assert any(d_cn > 0 for _, d_cn in dropped.cutoff_cn_errors.values())
    assert "cutoff's scatter" in dropped.estimates["coordination_numbers"]["bn"].method


def test_every_cutoff_given_is_the_streamed_run(monkeypatch):
    u = bn_fec()
    groups = _bn_fec_groups(u)
    cutoffs = {"pf6": 2.8, "bn": 2.61468, "fec": 2.43158}
    kept, dropped = _both(lambda: SolvationShells(*groups, cutoffs=cutoffs), monkeypatch)
    _compare(kept, dropped)
    assert dropped.cutoff_source == {"bn": "given", "fec": "given", "pf6": "given"}


def _peak(n_frames):
    u = loose_shells(4.0, n_frames, seed=1, n_background=60)
    li, sol = u.select_atoms("resname LI"), u.select_atoms("resname SOL")
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = SolvationShells(li, {}, {"SOL": sol}).run().results
        return tracemalloc.get_traced_memory()[1], results
    finally:
        tracemalloc.stop()


def test_default_run_memory_does_not_grow_with_the_pairs(monkeypatch):
    # a budget these runs' tables exceed (about 0.6 kB per cation and frame within 6 Å)
    monkeypatch.setattr(solvation, "TABLE_BUDGET_BYTES", 2**14)
    frames = np.array([20, 80])
    # the first run's one-time allocations (caches of the search and smoothing) are no slope
    _peak(12)
    peaks, cutoffs = [], []
    for n in frames:
        peak, results = _peak(int(n))
        assert "table" not in results and results.cutoff_source == {"SOL": "rdf_minimum"}
        peaks.append(peak)
        cutoffs.append(results.cutoffs["SOL"])
    per_shell = (peaks[1] - peaks[0]) / ((frames[1] - frames[0]) * 8)
    # the streamed summary's bytes per shell, not the table's pairs (3.1 kB per shell at the
    # peak kept: 171 GiB for 10⁶ frames of 60 Li⁺): those under 2 GB
    assert per_shell * 60 * 10**6 < 2 * 2**30, per_shell
    # a real first shell (2 Å) ends before the second (4 Å)
    assert all(2.3 < c < 3.7 for c in cutoffs)


def test_a_preset_fallback_is_the_same_in_two_passes(monkeypatch):
    # one Li and its own shell: the PF6 RDF has no minimum, its donor preset (Li–P 4.2 Å) is
    # taken, whose shell the overlap rule counts without the table
    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)])])
    positions = u.atoms.positions
    rng = np.random.default_rng(0)
    u.load_new(np.array([positions + rng.normal(0, 0.02, positions.shape) for _ in range(6)],
                        dtype=np.float32), format=MemoryReader, dimensions=u.dimensions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kept, dropped = _both(lambda: SolvationShells(*groups(u), no_minimum="preset"),
                              monkeypatch)
    assert dropped.cutoff_source == {"EC": "rdf_minimum", "PF6": "preset_fallback"}
    assert dropped.shell_atoms == {"EC": "whole_molecule", "PF6": "donor_atoms"}
    _compare(kept, dropped)
