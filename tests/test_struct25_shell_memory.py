"""Memory of SolvationShells bounded by the analysis, not the trajectory (issue 16).

store_table=False holds a fixed number of bytes per shell (one cation in one frame): the
summary's columns are one array of the run's frames (no doubling blocks with as much room
again unused, no copy when taken), and the conclusion's scratch is bounded (tallies a chunk at
a time, the label codes renumbered in place, one mask of SSIPs at a time), so that 10⁶ frames
of 50 cations stay well under 2 GB. The numbers are the ones the older path gave. A table
(store_table=True) whose extrapolated size for the run exceeds TABLE_WARNING_BYTES is named in
a warning with its cost per cation and frame and the remedy.
"""

import copy
import re
import tracemalloc
import warnings

import numpy as np
import pytest
from test_shell_summary import BN_FEC_CUTOFFS, _assert_same, _bn_fec_groups
from test_solvation import bn_fec

import mda_electrolyte.shell_composition as shell_composition
import mda_electrolyte.shell_summary as shell_summary
import mda_electrolyte.solvation as solvation
from mda_electrolyte import SolvationShells
from mda_electrolyte.shell_composition import distribution, shell_members, tally
from mda_electrolyte.shell_summary import ShellSummaryBuilder, summarize, summary_results
from mda_electrolyte.shell_table import BlockColumn

ANGLES = np.linspace(0.0, 180.0, 91)


@pytest.fixture(scope="module")
def table():
    u = bn_fec()
    return SolvationShells(*_bn_fec_groups(u), cutoffs=BN_FEC_CUTOFFS).run().results.table


@pytest.fixture(scope="module")
def one_summary(table):
    return summarize(table, shell_members(table, BN_FEC_CUTOFFS), "anion_count",
                     ["bn", "fec", "pf6"], ANGLES)


def _replicated(one, table, repeats, n_frames=True):
    frames = repeats * one.n_frames
    builder = ShellSummaryBuilder(table.layout, ANGLES, table.rdf_edges,
                                  n_frames=frames if n_frames else None)
    for _ in range(repeats):
        builder.add(one)
    return builder


@pytest.mark.parametrize("n_rows", [1, 7, 8, 9, 3000])
def test_block_column_with_capacity_holds_the_rows_once(n_rows):
    rng = np.random.default_rng(n_rows)
    rows = rng.integers(0, 100, size=(n_rows, 5)).astype(np.int16)
    plain, sized = BlockColumn(np.int16, 5), BlockColumn(np.int16, 5, capacity=8)
    for row in rows:
        plain.append(row)
        sized.append(row)
    if n_rows == 8:
        # exactly the rows announced: one array, not grown and not copied when taken
        assert sized.nbytes == sized.used_bytes == rows.nbytes
        buffer = sized.buffer
        taken = sized.take()
        assert taken is buffer
    else:
        taken = sized.take()
    # fewer or more rows than announced: the same rows all the same
    np.testing.assert_array_equal(taken, rows)
    np.testing.assert_array_equal(plain.take(), rows)
    assert sized.rows == 0 and sized.nbytes == 0


@pytest.mark.parametrize("size,chunk", [(0, 4), (1, 4), (17, 4), (1000, 7), (1000, 1 << 20)])
def test_tally_is_bincount(monkeypatch, size, chunk):
    monkeypatch.setattr(shell_composition, "_TALLY_CHUNK", chunk)
    rng = np.random.default_rng(size)
    # values whose largest sits in a late chunk: the counts grow as chunks are added
    values = rng.integers(0, 5, size=size).astype(np.uint8)
    if size:
        values[-1] = 40
    for minlength in (0, 3, 60):
        np.testing.assert_array_equal(tally(values, minlength),
                                      np.bincount(values, minlength=minlength))
    expected = {int(n): c / size for n, c in enumerate(np.bincount(values)) if c}
    assert distribution(values.reshape(-1, 1)) == expected


def test_builder_holds_eight_bytes_per_shell(table, one_summary):
    n_cat = table.layout.n_cations
    builder = _replicated(one_summary, table, 6)
    frames = 6 * one_summary.n_frames
    per_label = sum(a.nbytes for a in builder._per_label.values()) + builder._compositions.nbytes
    # int8 class, int32 label, two uint8 network sizes per shell (49 Li < 256); 56 B a frame
    assert builder.nbytes - per_label == frames * (n_cat * 7 + 56)
    assert builder._columns["network"].dtype == np.uint8
    taken = builder.take()
    assert taken.nbytes == frames * (n_cat * 7 + 56)
    # the growth of an unsized builder keeps up to as much room again unused
    assert _replicated(one_summary, table, 6, n_frames=False).nbytes > builder.nbytes
    # the workers' parts of a parallel run joined: one array of all their frames
    parts = [_replicated(one_summary, table, k) for k in (2, 4)]
    joined = ShellSummaryBuilder.concatenate(parts)
    assert joined.nbytes - per_label == frames * (n_cat * 7 + 56)
    whole = joined.take()
    np.testing.assert_array_equal(whole.classes, taken.classes)
    np.testing.assert_array_equal(whole.label_codes, taken.label_codes)


def test_in_place_conclusion_gives_the_same_results_and_leaves_the_caller_summary(
        table, one_summary):
    summary = _replicated(one_summary, table, 3).take()
    kept = copy.deepcopy(summary)
    plain = summary_results(summary, "anion_count")
    # without _in_place the caller's summary is left as it was
    np.testing.assert_array_equal(summary.label_codes, kept.label_codes)
    owned = summary_results(copy.deepcopy(summary), "anion_count", _in_place=True)
    _assert_same(plain, owned)
    # the labels are the most common first, and their codes are those of the summary renamed
    names = plain["label_names"]
    counts = np.bincount(plain["label_codes"].ravel(), minlength=len(names))
    assert np.all(np.diff(counts) <= 0)
    assert list(plain["labels"]) == list(names)


def _conclusion_peak(summary, in_place):
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        out = summary_results(summary, "anion_count", _in_place=in_place)
        return tracemalloc.get_traced_memory()[1] - base, out
    finally:
        tracemalloc.stop()


def test_conclusion_scratch_is_bounded_per_shell(monkeypatch, table, one_summary):
    # the chunks of the tallies and renumbering made small, as they are small beside 10⁶-frame
    # runs; the slope of the peak over two lengths leaves out what does not grow with frames
    monkeypatch.setattr(shell_composition, "_TALLY_CHUNK", 4096)
    monkeypatch.setattr(shell_summary, "_CHUNK", 4096)
    peaks, shells = [], []
    for repeats in (40, 200):
        summary = _replicated(one_summary, table, repeats).take()
        reference = summary_results(copy.deepcopy(summary), "anion_count")
        shells.append(summary.classes.size)
        peak, owned = _conclusion_peak(summary, in_place=True)
        _assert_same(reference, owned)
        peaks.append(peak)
    per_shell = (peaks[1] - peaks[0]) / (shells[1] - shells[0])
    # kept: per-species counts and the total, a byte each (3 species), and the per-frame
    # series (1.6 bytes a shell of 49 Li); scratch: a byte-mask or two. Measured 7.5; before,
    # 21.5 (an intp copy in every bincount, a new int32 array of label codes, three SSIP
    # masks at once)
    assert per_shell < 10.0, per_shell


def test_streamed_run_is_the_table_run(table):
    """The sized builder in a run (serial and two workers) gives the table's numbers."""
    u = bn_fec()
    reference = SolvationShells(*_bn_fec_groups(u), cutoffs=BN_FEC_CUTOFFS).run().results
    for kwargs in ({}, {"backend": "multiprocessing", "n_workers": 2}):
        streamed = SolvationShells(*_bn_fec_groups(u), cutoffs=BN_FEC_CUTOFFS,
                                   store_table=False).run(**kwargs).results
        for key in ("fractions", "labels", "coordination_numbers", "pairing",
                    "network_sizes", "ssip_networks", "cn_distribution"):
            _assert_same(reference[key], streamed[key])
        np.testing.assert_array_equal(
            np.asarray(streamed.label_names)[streamed.label_codes], reference.shell_labels)


def test_table_size_warning_names_cost_and_remedy(monkeypatch):
    u = bn_fec()
    groups = _bn_fec_groups(u)
    # the warning is store_table=True's; the default drops a table beyond its budget instead
    # (test_struct27_shell_two_pass)
    run = SolvationShells(*groups, cutoffs=BN_FEC_CUTOFFS, store_table=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # under the threshold: no warning
        run.run()
    size = run.results.table.nbytes
    n_frames, n_cat = run.n_frames, run.results.n_cations
    monkeypatch.setattr(solvation, "TABLE_WARNING_BYTES", size // 2)
    with pytest.warns(UserWarning, match="store_table=False") as caught:
        SolvationShells(*groups, cutoffs=BN_FEC_CUTOFFS, store_table=True).run()
    text = " ".join(str(w.message) for w in caught if "store_table=False" in str(w.message))
    per_shell = float(re.search(r"(\d+) bytes per cation and frame", text).group(1))
    # the cost measured on the first frames is the table's (offsets aside)
    assert per_shell == pytest.approx(size / (n_frames * n_cat), rel=0.05)
    assert f"{n_frames} frames" in text
    # a streamed run keeps no table: nothing to warn of
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SolvationShells(*groups, cutoffs=BN_FEC_CUTOFFS, store_table=False).run()
