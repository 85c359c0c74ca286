"""Mean-squared displacements of many particles take bounded scratch, with unchanged numbers.

Before, ``mean_squared_displacement`` of a (T, m) series held four copies of it (the centred
series, the cumulative sums, S1 and the autocorrelation), and Diffusion and Onsager first
copied every kept per-ion position minus the drift reference: 4-5x the kept positions
(Diffusion of two runs of 10^4 kept frames of 1000 ions peaked at 993 MB, now 382 MB; of two runs
of 2000 frames of 500 ions 126 -> 51 MB; Onsager 104 -> 29 MB).
Now columns and particles go a chunk at a time (``correlation._MSD_CHUNK_BYTES``).
"""

import tracemalloc
import warnings

import numpy as np
import pytest

import mda_electrolyte.correlation as corr
from mda_electrolyte import Diffusion, OnsagerCoefficients
from mda_electrolyte.correlation import mean_squared_displacement, particle_msd
from mda_electrolyte.ion_collection import IonCollection


def _direct_msd(x):
    """Σ_t |x(t+k) - x(t)|² / (T - k) per column, by the definition."""
    n = x.shape[0]
    return np.array([np.mean((x[k:] - x[: n - k]) ** 2, axis=0) for k in range(n)])


@pytest.fixture
def walk():
    rng = np.random.default_rng(7)
    return 50.0 + np.cumsum(rng.normal(size=(120, 9, 3)), axis=0)


@pytest.mark.parametrize("chunk_bytes", [1, 3000, 2**30])
def test_chunked_msd_equals_the_definition(walk, monkeypatch, chunk_bytes):
    # 1 byte: one column (one particle) per chunk; 3000: a few; 2**30: all at once
    monkeypatch.setattr(corr, "_MSD_CHUNK_BYTES", chunk_bytes)
    x = walk.reshape(walk.shape[0], -1)
    direct = _direct_msd(x)
    scale = direct.max()
    np.testing.assert_allclose(mean_squared_displacement(x, sum_columns=False), direct,
                               rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(mean_squared_displacement(x), direct.sum(axis=1),
                               rtol=0, atol=1e-12 * scale * x.shape[1])
    ref = walk.mean(axis=1)
    rel = walk - ref[:, None, :]
    per_particle = _direct_msd(rel.reshape(rel.shape[0], -1)).reshape(-1, 9, 3).sum(axis=2)
    np.testing.assert_allclose(particle_msd(walk, ref), per_particle, rtol=0,
                               atol=1e-12 * scale)
    np.testing.assert_allclose(particle_msd(walk, ref, n_lags=40, sum_particles=True),
                               per_particle[:40].sum(axis=1), rtol=0, atol=1e-11 * scale)


def _collections(n_frames, n_ions, n_runs=2):
    rng = np.random.default_rng(1)
    pos = np.cumsum(rng.normal(size=(n_frames, 2 * n_ions, 3)), axis=0)
    return [IonCollection.from_arrays({"A": n_ions, "B": n_ions}, dt=0.1, positions=pos + k,
                                      charges={"A": 1, "B": -1}, masses={"A": 7.0, "B": 19.0},
                                      volume=1e5) for k in range(n_runs)]


def test_estimates_do_not_depend_on_the_chunks(monkeypatch):
    cols = _collections(300, 6)
    results = []
    for chunk_bytes in (1, 2**30):
        monkeypatch.setattr(corr, "_MSD_CHUNK_BYTES", chunk_bytes)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            d = Diffusion.from_collections(cols).results
            o = OnsagerCoefficients.from_collections(cols, temperature=300).results
        results.append((d.D, d.D_err, o.L, o.L_err, o.L_self))
    (d1, e1, l1, le1, s1), (d2, e2, l2, le2, s2) = results
    for name in d1:
        assert d1[name] == pytest.approx(d2[name], rel=1e-12)
        # NaN: the runs repeat one motion (pos + k), whose D has no scatter to give an error
        assert e1[name] == pytest.approx(e2[name], rel=1e-12, nan_ok=True)
    # relative to L itself: with drift removed, two species' errors are round-off (1e-15)
    scale = np.abs(l1).max()
    for a, b in ((l1, l2), (le1, le2), (s1, s2)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * scale)


def _peak(func):
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_scratch_does_not_grow_as_a_multiple_of_the_kept_positions():
    # 1000 kept frames per run, one segment per run; 500 then 1500 ions: +24 MB of positions
    peaks = {}
    stored = []
    for n_ions in (250, 750):
        cols = _collections(1000, n_ions)
        stored.append(cols[0].ion_positions.nbytes)
        peaks.setdefault("onsager", []).append(
            _peak(lambda cols=cols: OnsagerCoefficients.from_collections(cols, temperature=300)))
        peaks.setdefault("diffusion", []).append(
            _peak(lambda cols=cols: Diffusion.from_collections(cols)))
        del cols
    more = stored[1] - stored[0]
    # Onsager keeps sums over ions: its scratch is the chunks' (grew by 4.5x the positions)
    assert peaks["onsager"][1] - peaks["onsager"][0] < 0.5 * more
    # Diffusion keeps |dr|^2 per ion and lag of each run (1/3 of the positions each) and joins
    # them per species (grew by 5.2x the positions)
    assert peaks["diffusion"][1] - peaks["diffusion"][0] < 2.5 * more
