"""A run that drops its shell table reads the frames twice, not three times.

Before: with the table dropped (``store_table=None`` beyond TABLE_BUDGET_BYTES), the RDFs were
counted in a first pass, the shells at the cutoffs found and at ``r_c ± δ`` in a second, and,
once the frames' statistical inefficiency ``g`` (known only from the second pass) widened a
cutoff's scatter ``δ``, every frame was read a third time to count again at the widened
``r_c ± δ``: 40 bn_fec frames (each of 10 repeated 4 times, so ``g`` > 1) took 120 frame
reads, 40 with the table kept. The second pass now keeps each count about ``r_c`` as a step
function of the radius (:func:`~mda_electrolyte.solvation._cutoff_steps`), summed over the
frames, so a widened ``δ`` within its window is counted without reading the frames again; only
a ``δ`` widened beyond the window reads them a third time. The results are the same either
way, and the table's.
"""

import dataclasses
import warnings

import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from test_shell_summary import _bn_fec_groups, _compare
from test_solvation import bn_fec

import mda_electrolyte.solvation as solvation
from mda_electrolyte import SolvationShells


def _repeated_bn_fec(repeat=4):
    """bn_fec's 10 frames each repeated: consecutive frames correlated as MD frames are."""
    u = bn_fec()
    positions = np.array([ts.positions.copy() for ts in u.trajectory])
    u.load_new(np.repeat(positions, repeat, axis=0), format=MemoryReader,
               dimensions=u.dimensions)
    return u


@pytest.fixture(scope="module")
def universe():
    return _repeated_bn_fec()


def _run(u, monkeypatch, convention, *, budget=None, window=None, **run):
    """The results of a run and the frames its passes read (``_single_frame`` calls of this
    process)."""
    calls = [0]
    single = SolvationShells._single_frame

    def counted(self):
        calls[0] += 1
        return single(self)

    with monkeypatch.context() as patch:
        patch.setattr(SolvationShells, "_single_frame", counted)
        if budget is not None:
            patch.setattr(solvation, "TABLE_BUDGET_BYTES", budget)
            patch.setattr(solvation, "_TABLE_PROBE_FRAMES", 2)
        if window is not None:
            patch.setattr(solvation, "_STEP_WINDOW", window)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = SolvationShells(*_bn_fec_groups(u), convention=convention).run(
                **run).results
    return results, calls[0]


@pytest.fixture(scope="module")
def kept_run(universe):
    """``convention -> (results, frames read)`` of the run that keeps its table: one run per
    convention for the module (both the serial and the parallel comparison read it)."""
    runs = {}

    def get(convention):
        if convention not in runs:
            with pytest.MonkeyPatch.context() as monkeypatch:
                runs[convention] = _run(universe, monkeypatch, convention)
        return runs[convention]

    return get


def _same_errors(a, b):
    assert a.cutoff_cn_errors == b.cutoff_cn_errors
    assert a.cutoff_share_errors == b.cutoff_share_errors
    for name, est in a.estimates["coordination_numbers"].items():
        other = b.estimates["coordination_numbers"][name]
        assert (est.value, est.stderr, est.valid) == (other.value, other.stderr, other.valid)


@pytest.mark.parametrize("convention", ["anion_count", "bridging"])
def test_a_dropped_table_reads_the_frames_twice_with_the_tables_results(
        universe, kept_run, monkeypatch, convention):
    n = universe.trajectory.n_frames
    kept, kept_reads = kept_run(convention)
    assert "table" in kept and kept_reads == n
    # the frames' correlation widened the scatter of the RDF-minimum cutoffs
    assert any("counting noise from" in kept.cutoff_details[s]["note"] for s in ("bn", "fec"))
    dropped, reads = _run(universe, monkeypatch, convention, budget=0)
    assert "table" not in dropped
    assert reads == 2 * n
    _compare(kept, dropped)
    _same_errors(kept, dropped)
    assert any(d_cn > 0 for _, d_cn in dropped.cutoff_cn_errors.values())
    # a window narrower than the widened scatter: the third pass, with the same results
    third, third_reads = _run(universe, monkeypatch, convention, budget=0, window=1.0)
    assert third_reads == 3 * n
    _compare(kept, third)
    _same_errors(kept, third)


def test_a_dropped_table_in_parallel_counts_the_same(universe, kept_run, monkeypatch):
    kept, _ = kept_run("bridging")
    dropped, _ = _run(universe, monkeypatch, "bridging", budget=0,
                      backend="multiprocessing", n_workers=2)
    _compare(kept, dropped)
    _same_errors(kept, dropped)


@pytest.fixture(scope="module")
def table():
    u = bn_fec()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shells = SolvationShells(*_bn_fec_groups(u), store_table=True).run()
    return shells.results.table, shells.results.cutoffs


@pytest.mark.parametrize("convention", ["anion_count", "bridging"])
def test_steps_count_as_the_table_at_every_radius_of_their_window(table, convention):
    table, cutoffs = table
    names = list(table.layout.species)
    rng = np.random.default_rng(5)
    window = 0.6
    windows = [(k, max(cutoffs[n] - window, 0.0), min(cutoffs[n] + window, table.radius))
               for k, n in enumerate(names)]
    steps = solvation._CutoffSteps(windows).add(
        solvation._cutoff_steps(table, windows, cutoffs, convention))
    for delta in np.concatenate([rng.uniform(0.0, window, 40), [window]]):
        entries = [(k, n, float(delta), max(cutoffs[n] - delta, 0.0),
                    min(cutoffs[n] + delta, table.radius)) for k, n in enumerate(names)]
        np.testing.assert_array_equal(
            steps.counts(entries),
            solvation._cutoff_counts(table, entries, cutoffs, convention))
    # beyond the window the steps do not know the counts
    wide = [(k, n, window * 1.5, max(cutoffs[n] - window * 1.5, 0.0), cutoffs[n] + window * 1.5)
            for k, n in enumerate(names)]
    assert steps.counts(wide) is None


def _frames(table, start, stop):
    """The table of frames ``start`` to ``stop`` (their pair rows)."""
    rows = slice(table.offsets[start], table.offsets[stop])
    return dataclasses.replace(
        table, frames=table.frames[start:stop], volumes=table.volumes[start:stop],
        offsets=table.offsets[start:stop + 1] - table.offsets[start],
        cation=table.cation[rows], atom=table.atom[rows], distance=table.distance[rows])


def test_steps_of_frames_add_up_to_the_whole_tables(table):
    table, cutoffs = table
    names = list(table.layout.species)
    windows = [(k, max(cutoffs[n] - 0.5, 0.0), cutoffs[n] + 0.5) for k, n in enumerate(names)]
    whole = solvation._cutoff_steps(table, windows, cutoffs, "bridging")
    halves = [solvation._CutoffSteps(windows).add(
        solvation._cutoff_steps(part, windows, cutoffs, "bridging"))
        for part in (_frames(table, 0, 3), _frames(table, 3, table.n_frames))]
    summed = solvation._CutoffSteps.concatenate(halves)
    entries = [(k, n, 0.3, cutoffs[n] - 0.3, cutoffs[n] + 0.3) for k, n in enumerate(names)]
    np.testing.assert_array_equal(summed.counts(entries),
                                  solvation._CutoffSteps(windows).add(whole).counts(entries))
