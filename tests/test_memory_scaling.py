"""Memory of the transport analyses grows with frames x molecules, never frames x atoms (issue 16).

Two systems of the same molecules (10 Li+, 10 anions, 10 solvent molecules) differ only in the
atoms per molecule (anion 7 or 31 atoms, solvent 10 or 40: 180 or 720 atoms). For each analysis
the ``tracemalloc`` peak of a run on 600 and on 1400 frames gives its cost per frame; that cost
must be the same for both systems: an array of every atom of every frame, even one byte per
atom-frame, would add 540 B per frame to the larger system. Both lengths exceed two of the
collector's chunks of frames (:data:`~mda_electrolyte.ion_collection.CHUNK_FRAMES`), whose scratch
arrays are per atom but bounded (the second chunk, joined to the last frame of the first, peaks
highest).

The per-frame cost itself is pinned to what the stores hold: per-ion velocities and centres,
24 B per molecule and frame each, plus species sums.
"""

import gc
import tracemalloc
import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    OnsagerCoefficients,
)
from mda_electrolyte.ion_collection import CHUNK_FRAMES, IonCollector

N_MOLECULES = 10  # of each species
# both beyond two chunks of frames: the per-chunk scratch (per atom, bounded) peaks alike
SHORT, LONG = 600, 1400
BOX = 30.0
IONS = {"LI": "resname LI", "AN": "resname AN"}


def _universe(n_frames, anion_atoms, solvent_atoms, seed=0):
    """Rigid molecules on a random walk (wrapped into the box atom by atom), with velocities."""
    sizes = [1] * N_MOLECULES + [anion_atoms] * N_MOLECULES + [solvent_atoms] * N_MOLECULES
    n_mol = len(sizes)
    resindex = np.repeat(np.arange(n_mol), sizes)
    n_atoms = resindex.size
    u = mda.Universe.empty(n_atoms, n_residues=n_mol, atom_resindex=resindex, trajectory=True)
    u.add_TopologyAttr("resnames", ["LI"] * N_MOLECULES + ["AN"] * N_MOLECULES
                       + ["SOL"] * N_MOLECULES)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    masses = np.full(n_atoms, 12.0)
    masses[:N_MOLECULES] = 6.94
    charges = np.zeros(n_atoms)
    charges[:N_MOLECULES] = 1.0
    charges[first[N_MOLECULES : 2 * N_MOLECULES]] = -1.0  # on the anion's first atom
    u.add_TopologyAttr("masses", masses)
    u.add_TopologyAttr("charges", charges)
    rng = np.random.default_rng(seed)
    offsets = rng.uniform(-1.5, 1.5, size=(n_atoms, 3))
    mol_vel = rng.normal(scale=5.0, size=(n_frames, n_mol, 3))
    centres = rng.uniform(0, BOX, size=(n_mol, 3)) + np.cumsum(mol_vel * 0.01, axis=0)
    pos = (centres[:, resindex] + offsets) % BOX
    vel = mol_vel[:, resindex] + rng.normal(scale=1.0, size=(n_frames, n_atoms, 3))
    u.load_new(pos.astype(np.float32), velocities=vel.astype(np.float32), format=MemoryReader,
               dt=0.01, dimensions=[BOX, BOX, BOX, 90, 90, 90])
    return u


def _collected(u):
    """The analyze path: one collection of every species, then GK, EH, D and Onsager."""
    everything = {"LI": "resname LI", "AN": "resname AN", "SOL": "resname SOL"}
    col = IonCollector(u, everything, unwrap=True).run().collection
    GreenKuboConductivity.from_collections(col, temperature=300, check_sampling=False,
                                           species=["LI", "AN"])
    EinsteinHelfandConductivity.from_collections(col, temperature=300, species=["LI", "AN"])
    Diffusion.from_collections(col)
    OnsagerCoefficients.from_collections(col, temperature=300, species=["LI", "AN"])
    return col


ANALYSES = {
    "collection + GK, EH, D, Onsager": _collected,
    "GreenKuboConductivity": lambda u: GreenKuboConductivity(
        u, IONS, temperature=300, check_sampling=False).run(),
    "EinsteinHelfandConductivity": lambda u: EinsteinHelfandConductivity(
        u, IONS, temperature=300, unwrap=True).run(),
    # blocks: the whole-run MSD of one segment peaks in its byte-bounded FFT chunk, where
    # the collector's per-atom chunk hides it in the larger system (bounded below either way)
    "Diffusion": lambda u: Diffusion(u, IONS, unwrap=True, n_blocks=10).run(),
    "OnsagerCoefficients": lambda u: OnsagerCoefficients(u, IONS, temperature=300,
                                                         unwrap=True).run(),
}


def _peak(func, u):
    """Peak bytes ``func(u)`` allocates (the trajectory is allocated before tracing)."""
    gc.collect()
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            func(u)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _per_frame(func, anion_atoms, solvent_atoms):
    universes = [_universe(n, anion_atoms, solvent_atoms) for n in (SHORT, LONG)]
    # once untraced first: the first call of a process also allocates what lasts (lazy imports,
    # caches), which would count against the shorter run only
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        func(universes[0])
    peaks = [_peak(func, u) for u in universes]
    return (peaks[1] - peaks[0]) / (LONG - SHORT)


def test_lengths_exceed_the_collector_chunks():
    # the per-atom chunk scratch peaks alike at both lengths: it cancels in the difference
    assert SHORT > 2 * CHUNK_FRAMES


@pytest.mark.parametrize("name", list(ANALYSES))
def test_cost_per_frame_does_not_grow_with_atoms(name):
    func = ANALYSES[name]
    small = _per_frame(func, anion_atoms=7, solvent_atoms=10)
    large = _per_frame(func, anion_atoms=31, solvent_atoms=40)
    # one byte per atom-frame would be 540 B per frame more for the larger system
    assert abs(large - small) < 100, (name, small, large)
    # bounded by the per-molecule stores: 30 molecules x 24 B for velocities and centres each,
    # species sums and the estimators' scratch; float32 positions and velocities of every atom
    # would be 180 x 24 = 4320 B per frame already for the small system
    assert small < 30 * 24 * 2 * 3, (name, small)


def test_collection_holds_molecules_not_atoms():
    """What the collection keeps: per-molecule arrays; none has an atom axis."""
    u = _universe(SHORT, anion_atoms=31, solvent_atoms=40)
    col = IonCollector(u, {"LI": "resname LI", "AN": "resname AN", "SOL": "resname SOL"},
                       unwrap=True).run().collection
    assert col.ion_velocities.shape == (SHORT, 3 * N_MOLECULES, 3)
    assert col.ion_positions.shape == (SHORT, 3 * N_MOLECULES, 3)
    assert col.current.shape == (SHORT, 3, 3)
    assert col.nbytes() < SHORT * (2 * 3 * N_MOLECULES * 24 + 1000)


def test_chunk_scratch_is_bounded_by_bytes_and_results_do_not_change(monkeypatch):
    """Frames per chunk shrink on large systems (ion_collection.CHUNK_BYTES): the per-atom
    scratch of a chunk stays bounded, and the collection is the same to 1e-12."""
    from mda_electrolyte import ion_collection as ic

    u = _universe(600, anion_atoms=31, solvent_atoms=40)  # 720 tracked atoms
    everything = {"LI": "resname LI", "AN": "resname AN", "SOL": "resname SOL"}

    def collect():
        collector = IonCollector(u, everything, unwrap=True)
        peak = _peak(lambda _: collector.run(), u)
        return collector, peak

    default, _ = collect()
    # the default bound leaves a few thousand tracked atoms at CHUNK_FRAMES frames per chunk
    assert default._chunk_pos.shape[0] == CHUNK_FRAMES
    monkeypatch.setattr(ic, "CHUNK_BYTES", 2**40)
    full, full_peak = collect()
    monkeypatch.setattr(ic, "CHUNK_BYTES", 16 * 24 * 720)
    small, small_peak = collect()
    assert full._chunk_pos.shape[0] == CHUNK_FRAMES and small._chunk_pos.shape[0] == 16
    # at least three float64 copies of 240 frames x 720 atoms less scratch
    assert full_peak - small_peak > 3 * 240 * 720 * 24, (full_peak, small_peak)
    a, b = full.collection, small.collection
    for name in ("position_sum", "dipole", "com_position", "ion_positions", "velocity_sum",
                 "current", "com_velocity", "ion_velocities", "temperature_series"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-12, atol=1e-12,
                                   err_msg=name)


def test_correlation_scratch_does_not_grow_with_a_long_series_asked_for_few_lags():
    """A per-step series (pressure tensor, charge current) far longer than its lags is
    correlated block by block: the scratch is O(n_lags) per column, not O(T). One FFT of the
    whole series needed ~270 B per sample of a 9-column series (0.76 GB at 10^7 samples and
    10^4 lags); blocked, 17.6 MB."""
    from mda_electrolyte.correlation import time_correlation

    rng = np.random.default_rng(0)
    peaks = {}
    for n in (2**17, 2**18):
        x = rng.normal(size=(n, 9))
        gc.collect()
        tracemalloc.start()
        try:
            acf = time_correlation(x, n_lags=256)
            peaks[n] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert acf[0] == pytest.approx(9.0, rel=0.01)
    # blocks of 16384 origins: three complex spectra of ~17000 points per column, ~7 MB;
    # the whole-series FFT would hold ~70 MB at 2**18 samples, the isfinite check 2.4 MB
    assert peaks[2**18] < 10 * 2**20, peaks
    assert abs(peaks[2**18] - peaks[2**17]) < 2**20, peaks


@pytest.mark.parametrize("cross", [False, True])
@pytest.mark.parametrize("summed", [True, False])
def test_correlation_scratch_at_the_green_kubo_default_lags(cross, summed):
    """Half the series in lags (the Green–Kubo default) is one FFT of the whole series, padded
    to T + n_lags - 1 and multiplied in place: 232-364 B per sample of a 9-column series of
    2**18 samples, against 328-652 B padded to 2T with a separate product array."""
    from mda_electrolyte.correlation import time_correlation

    n = 2**18
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 9))
    y = rng.normal(size=(n, 9)) if cross else None
    gc.collect()
    tracemalloc.start()
    try:
        c = time_correlation(x, y, n_lags=n // 2 + 1, sum_columns=summed)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    total = c if summed else c.sum(axis=1)
    assert total[0] == pytest.approx(0.0 if cross else 9.0, abs=0.05)
    assert peak / n < (380 if cross else 270), peak / n


def test_msd_scratch_of_a_long_series():
    """The MSD's running sums of squares and its S1 - 2C are formed in place: 528 B per sample
    of a 9-column series of 2**18 samples at all lags (was 672: copies of the squares, of their
    cumulative sum and of the difference)."""
    from mda_electrolyte.correlation import mean_squared_displacement

    n = 2**18
    x = np.cumsum(np.random.default_rng(2).normal(size=(n, 9)), axis=0)
    gc.collect()
    tracemalloc.start()
    try:
        msd = mean_squared_displacement(x, sum_columns=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # a random walk of unit steps: MSD(k) = k per column
    assert msd[:100].sum(axis=1)[[10, 99]] == pytest.approx([90.0, 891.0], rel=0.05)
    assert peak / n < 560, peak / n
