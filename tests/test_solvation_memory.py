"""SolvationShells holds its rows, not per-frame objects (issue 16: memory bounded by the analysis).

The pass collects a :class:`~mda_electrolyte.shell_table.ShellTable` through a
:class:`~mda_electrolyte.shell_table.ShellTableBuilder`; a list of per-frame arrays (the previous
design) cost ~1.6 kB per frame on the box below, against ~330 bytes of rows.
"""

import pickle
import tracemalloc

import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from test_solvation import _assert_identical, build, groups

from mda_electrolyte import SolvationShells
from mda_electrolyte import shell_table as st
from mda_electrolyte.shell_table import ShellTable, ShellTableBuilder

CUTOFFS = {"EC": 2.3, "PF6": 2.3}
BOX = 20.0


def _universe(n_frames, seed=0):
    """Two Li shells (3 EC + PF6; EC via Oc and Oe + PF6) jiggling for ``n_frames`` frames."""
    u = build([((5, 5, 5), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
               ((15, 15, 15), [("EC", None, "Oc"), ("EC", None, "Oe"), ("PF6", None)])],
              box=BOX)
    rng = np.random.default_rng(seed)
    pos = u.atoms.positions[None] + rng.normal(scale=0.1, size=(n_frames, u.atoms.n_atoms, 3))
    u.load_new((pos % BOX).astype(np.float32), format=MemoryReader,
               dimensions=[BOX, BOX, BOX, 90, 90, 90])
    return u


def _compact_bytes(n_frames, n_rows, n_oc_rows, n_oxygen_rows):
    """The table's own size: 12 B per pair row (int32 cation and atom, float32 distance), 24 B
    per Oc row (two float32 vectors), 9 B per cation–oxygen row (int32, int8, int32), 32 B per
    frame (frame, volume, two offsets) and the two offsets' leading zeros."""
    return 12 * n_rows + 24 * n_oc_rows + 9 * n_oxygen_rows + 32 * n_frames + 16


def _first_blocks():
    """The constant of a builder: one first block of every column."""
    return st._FIRST_BLOCK * sum(np.dtype(dtype).itemsize * (width or 1)
                                 for dtype, width in st._COLUMNS.values())


class _Probe(SolvationShells):
    """SolvationShells that records, as its pass ends, what the pass holds."""

    def _conclude(self):
        self.builder_nbytes = self.results._rows.nbytes
        self.held = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else None
        super()._conclude()


def test_the_pass_holds_the_rows_and_no_per_frame_objects():
    n_frames = 1000
    u = _universe(n_frames)
    cats, anions, solvents = groups(u)
    # one-off allocations (lazy imports, numpy's capped cache of small shape buffers, ~0.2 MB)
    # are made before tracing
    _Probe(cats, anions, solvents, rdf_range=(0, 6), cutoffs=CUTOFFS).run(stop=20)
    probe = _Probe(cats, anions, solvents, rdf_range=(0, 6), cutoffs=CUTOFFS)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        probe.run()
    finally:
        tracemalloc.stop()
    table = probe.results.table
    rows, oc, oxy = table.atom.size, table.m_to_o.shape[0], table.oxygen_cation.size
    assert rows > 5 * n_frames and oxy > 10 * n_frames and oc > 3 * n_frames
    compact = _compact_bytes(n_frames, rows, oc, oxy)
    assert table.nbytes == compact
    # blocks grow by doubling: at most the rows again as unused room, plus the first blocks
    assert compact <= probe.builder_nbytes <= 2 * compact + _first_blocks()
    # everything the pass holds (tracemalloc sees numpy's buffers and every Python object):
    # the blocks plus AnalysisBase's own frame and time lists (< 100 B per frame); a list of
    # per-frame arrays held ~1.6 kB per frame here
    held = probe.held - before
    assert held < probe.builder_nbytes + 100 * n_frames + 256 * 1024, held / n_frames


@pytest.mark.parametrize("first,largest", [(4, 16), (1024, 1 << 20)])
def test_builder_blocks_equal_one_concatenation(monkeypatch, first, largest):
    # small blocks: rows split across blocks, frames without rows, a frame larger than a block
    monkeypatch.setattr(st, "_FIRST_BLOCK", first)
    monkeypatch.setattr(st, "_LARGEST_BLOCK", largest)
    rng = np.random.default_rng(1)
    frames = []
    for k in range(300):
        n = int(rng.choice([0, 1, 3, 40]))
        m = int(rng.integers(0, n + 1))
        q = int(rng.integers(0, 20))
        frames.append((k * 5, 1000.0 + k, rng.integers(0, 3, n), rng.integers(0, 500, n),
                       rng.uniform(0, 6, n), rng.normal(size=(m, 3)), rng.normal(size=(m, 3)),
                       rng.integers(0, 3, q), rng.integers(0, 2, q), rng.integers(0, 60, q)))
    layout = st.ShellLayout(species=("EC",), anions=(), solvents=("EC",),
                            cation_ix=np.arange(3), cation_symbol="Li",
                            atom_species=np.zeros(500, np.int8),
                            atom_molecule=np.arange(500, dtype=np.int32),
                            atom_oxygen=np.zeros(500, np.int8), n_anion_molecules=0)
    edges = np.linspace(0, 6, 61)
    whole = ShellTableBuilder()
    halves = [ShellTableBuilder(), ShellTableBuilder()]
    for k, frame in enumerate(frames):
        whole.add_frame(*frame)
        halves[k >= 123].add_frame(*frame)
    assert whole.n_frames == 300
    # a worker's builder arrives pickled: its rows as one trimmed array per column
    shipped = pickle.loads(pickle.dumps(halves[1]))
    assert shipped.nbytes <= halves[1].nbytes
    joined = ShellTableBuilder.concatenate([halves[0], shipped])
    a = whole.table(layout, 6.0, edges)
    b = joined.table(layout, 6.0, edges)
    fields = ("frames", "volumes", "offsets", "cation", "atom", "distance", "m_to_o", "o_to_c",
              "oxygen_offsets", "oxygen_cation", "oxygen_kind", "oxygen_bin")
    _assert_identical({f: getattr(a, f) for f in fields}, {f: getattr(b, f) for f in fields})
    # and both equal the per-frame arrays concatenated and cast to the table's dtypes
    expect = {
        "frames": np.array([f[0] for f in frames], np.int64),
        "volumes": np.array([f[1] for f in frames], np.float64),
        "offsets": np.concatenate([[0], np.cumsum([len(f[2]) for f in frames])]).astype(np.int64),
        "distance": np.concatenate([f[4] for f in frames]).astype(np.float32),
        "m_to_o": np.concatenate([f[5] for f in frames]).astype(np.float32),
        "oxygen_bin": np.concatenate([f[9] for f in frames]).astype(np.int32),
    }
    _assert_identical(expect, {f: getattr(a, f) for f in expect})
    assert a.nbytes == _compact_bytes(300, a.atom.size, a.m_to_o.shape[0], a.oxygen_kind.size)
    # the rows now belong to the table: a builder reused would give an empty or stale table
    with pytest.raises(RuntimeError, match="made its table already"):
        whole.table(layout, 6.0, edges)
    with pytest.raises(RuntimeError, match="made its table already"):
        whole.add_frame(*frames[0])


def test_builder_refuses_ragged_rows():
    builder = ShellTableBuilder()
    with pytest.raises(ValueError, match="one entry per pair row"):
        builder.add_frame(0, 1.0, [0, 1], [3], [2.0, 2.1], [], [], [], [], [])
    with pytest.raises(ValueError, match="one entry per cation–oxygen row"):
        builder.add_frame(0, 1.0, [], [], [], [], [], [0], [], [1])


def test_builder_memory_grows_with_rows_not_frames():
    # 20 000 frames of 3 pair rows, 1 Oc row and 4 oxygen rows each: a per-frame object would
    # show as hundreds of bytes per frame
    builder = ShellTableBuilder()
    c, a, d = np.zeros(3, np.int32), np.arange(3, dtype=np.int32), np.ones(3, np.float32)
    v = np.ones((1, 3), np.float32)
    oc, ok, ob = np.zeros(4, np.int32), np.zeros(4, np.int8), np.arange(4, dtype=np.int32)
    n_frames = 20000
    for k in range(n_frames):
        builder.add_frame(k, 1000.0, c, a, d, v, v, oc, ok, ob)
    compact = _compact_bytes(n_frames, 3 * n_frames, n_frames, 4 * n_frames)
    assert compact <= builder.nbytes <= 2 * compact + _first_blocks()
    table = builder.table(None, 6.0, np.linspace(0, 6, 5), np.zeros((1, 4)))
    assert table.nbytes == compact and table.n_frames == n_frames


def test_parallel_equals_serial_across_blocks():
    # 600 frames over two workers: each worker's ~2000 pair rows and ~4000 oxygen rows fill
    # several blocks, joined in frame order
    u = _universe(600, seed=2)
    cats, anions, solvents = groups(u)
    serial = SolvationShells(cats, anions, solvents, rdf_range=(0, 6), cutoffs=CUTOFFS).run()
    parallel = SolvationShells(cats, anions, solvents, rdf_range=(0, 6), cutoffs=CUTOFFS).run(
        backend="multiprocessing", n_workers=2)
    s, p = serial.results.table, parallel.results.table
    assert s.atom.size > 2 * st._FIRST_BLOCK
    for name in ("frames", "volumes", "offsets", "cation", "atom", "distance", "m_to_o",
                 "o_to_c", "oxygen_offsets", "oxygen_cation", "oxygen_kind", "oxygen_bin",
                 "rdf_counts"):
        _assert_identical(getattr(s, name), getattr(p, name), name)
    for key in ("fractions", "labels", "coordination_numbers", "network_sizes", "angles",
                "by_type", "timeseries"):
        _assert_identical(serial.results[key], parallel.results[key], key)
    assert isinstance(s, ShellTable)


_SHELLS_ANGLES = [((5, 5, 5), [("EC", None, "Oc"), ("EC", None, "Oc")]),
                  ((20, 20, 20), [("EC", None, "Oc"), ("PF6",)])]
_CUTOFFS_ANGLES = {"EC": 2.3, "PF6": 2.3}


def test_angle_bins_beyond_any_angle_resolution_are_refused_before_the_pass():
    # 10⁶ bins took 50 MB per shell label after the pass (1 GB for bn_fec's 15 labels)
    from mda_electrolyte.solvation import MAX_ANGLE_BINS, shell_results

    u = build(_SHELLS_ANGLES)
    with pytest.raises(ValueError, match=f"angle_bins must be an integer from 1 to "
                                         f"{MAX_ANGLE_BINS}, not 1000000"):
        SolvationShells(*groups(u), cutoffs=_CUTOFFS_ANGLES, angle_bins=10**6)
    shells = SolvationShells(*groups(u), cutoffs=_CUTOFFS_ANGLES, angle_bins=MAX_ANGLE_BINS).run()
    density = shells.results.angles["Oc-M-Oc"]["density"]
    # a density over 0-180° in 0.05° bins: integrates to 1
    assert density.size == MAX_ANGLE_BINS
    assert density.sum() * 180.0 / MAX_ANGLE_BINS == pytest.approx(1.0)
    with pytest.raises(ValueError, match="angle_bins must be an integer"):
        shell_results(shells.results.table, _CUTOFFS_ANGLES, angle_bins=MAX_ANGLE_BINS + 1)
