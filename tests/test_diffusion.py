"""Self-diffusion from MSDs: Brownian particles with known D, unwrapping, molecules, backends."""

import matplotlib
import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis import units
from MDAnalysis.coordinates.memory import MemoryReader
from scipy import stats

from mda_electrolyte import Diffusion

matplotlib.use("Agg")

DT = 0.5  # ps


def brownian_universe(seed, n=40, n_frames=1000, d=0.2, box=None, n_atoms_per_mol=1):
    """Random walks with D = ``d`` Å²/ps per Cartesian direction: <Δx²> = 2 d Δt."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(scale=np.sqrt(2 * d * DT), size=(n_frames, n, 3))
    steps[0] = rng.uniform(0, 20, size=(n, 3))
    com = np.cumsum(steps, axis=0)
    if n_atoms_per_mol == 1:
        pos = com
    else:
        # atoms of equal mass at ±b from the centre along a randomly jiggling bond
        b = rng.normal(size=(n_frames, n, 3))
        pos = np.stack([com + b, com - b], axis=2).reshape(n_frames, 2 * n, 3)
    n_atoms = n * n_atoms_per_mol
    u = mda.Universe.empty(
        n_atoms,
        n_residues=n,
        atom_resindex=np.repeat(np.arange(n), n_atoms_per_mol),
        trajectory=True,
    )
    u.add_TopologyAttr("names", (["X", "Y"] if n_atoms_per_mol == 2 else ["X"]) * n)
    u.add_TopologyAttr("resnames", ["MOL"] * n)
    u.add_TopologyAttr("masses", [10.0] * n_atoms)
    dims = None if box is None else [box, box, box, 90, 90, 90]
    stored = pos if box is None else pos % box
    u.load_new(stored.astype(np.float32), format=MemoryReader, dt=DT, dimensions=dims)
    return u, pos


def test_brownian_particles_give_known_D():
    d = 0.2
    u, _ = brownian_universe(0, d=d)
    r = Diffusion(u, {"X": "name X"}, n_blocks=1).run().results
    assert abs(r.D["X"] - d) < 3 * r.D_err["X"]
    assert r.D["X"] == pytest.approx(d, rel=0.1)
    assert r.r2["X"] > 0.98
    # default window: 10 % to 60 % of the trajectory length
    length = (1000 - 1) * DT
    assert r.fit_window[0] == pytest.approx(0.1 * length, abs=DT)
    assert r.fit_window[1] == pytest.approx(0.6 * length, abs=DT)
    to_si = units.convert(1.0, "A", "nm") ** 2 * 1e-18 / (units.convert(1.0, "ps", "ns") * 1e-9)
    assert r.D_m2_s["X"] == pytest.approx(r.D["X"] * to_si, rel=1e-12)
    # the MSD of a random walk is 6 d t at every lag
    k = 100
    assert r.msd["X"][k] == pytest.approx(6 * d * k * DT, rel=0.1)
    assert r.n_ions == {"X": 40} and r.charges is None and r.volume is None


@pytest.mark.parametrize("remove_drift", [False, True])
def test_msd_and_slope_match_direct_computation(remove_drift):
    u, pos = brownian_universe(1, n=3, n_frames=120)
    r = Diffusion(u, {"X": "name X"}, remove_drift=remove_drift, n_blocks=1).run().results
    p = pos.astype(np.float32).astype(np.float64)
    if remove_drift:
        # equal masses, w = 1/3: relative MSDs m_rel,i = (1 - 2/3) m_i + Σ_j m_j / 9, so with
        # c = w²/(1-2w) = 1/3 the common term is Σ c m_rel / (1 + Σ c) = Σ m_rel / 6
        rel = p - p.mean(axis=1, keepdims=True)
        m_rel = np.array(
            [np.mean((rel[k:] - rel[: 120 - k]) ** 2, axis=0).sum(axis=1) for k in range(120)]
        )
        per = (m_rel - (m_rel.sum(axis=1) / 6)[:, None]) * 3
        msd = per.mean(axis=1)
    else:
        msd = np.array(
            [np.mean(np.sum((p[k:] - p[: 120 - k]) ** 2, axis=2)) for k in range(120)]
        )
    np.testing.assert_allclose(r.msd["X"], msd, rtol=1e-6, atol=1e-6)
    t = np.arange(120) * DT
    sel = (t >= 0.1 * t[-1]) & (t <= 0.6 * t[-1])
    assert r.D["X"] == pytest.approx(np.polyfit(t[sel], msd[sel], 1)[0] / 6, rel=1e-6)
    if remove_drift:
        per_ion = [np.polyfit(t[sel], per[sel, i], 1)[0] / 6 for i in range(3)]
    else:
        per_ion = [
            np.polyfit(
                t[sel],
                [
                    np.mean(np.sum((p[k:, i] - p[: 120 - k, i]) ** 2, axis=1))
                    for k in np.nonzero(sel)[0]
                ],
                1,
            )[0]
            / 6
            for i in range(3)
        ]
    # Student-t factor of the 68 % interval for 2 degrees of freedom
    assert r.D_err["X"] == pytest.approx(
        np.std(per_ion, ddof=1) / np.sqrt(3) * stats.t.ppf(0.84134, 2), rel=1e-4
    )


def test_wrapped_trajectory_is_unwrapped_on_request():
    u_free, _ = brownian_universe(2, n=10, n_frames=400)
    u_wrapped, _ = brownian_universe(2, n=10, n_frames=400, box=8.0)
    with pytest.raises(ValueError, match="look wrapped"):
        Diffusion(u_wrapped, {"X": "name X"}).run()
    free = Diffusion(u_free, {"X": "name X"}).run().results
    unwrapped = Diffusion(u_wrapped, {"X": "name X"}, unwrap=True).run().results
    np.testing.assert_allclose(unwrapped.msd["X"], free.msd["X"], rtol=1e-4, atol=1e-3)
    assert unwrapped.volume == pytest.approx(8.0**3)


def test_molecule_centre_of_mass_diffuses():
    d = 0.1
    u, _ = brownian_universe(3, d=d, n=30, n_frames=800, box=15.0, n_atoms_per_mol=2)
    com = Diffusion(u, {"MOL": "resname MOL"}, unwrap=True).run().results
    assert abs(com.D["MOL"] - d) < 3 * com.D_err["MOL"]
    # following one atom adds the bond jiggle, a constant offset of the MSD but not its slope
    atom = (
        Diffusion(u, {"MOL": "resname MOL"}, ion_center={"MOL": "name X"}, unwrap=True)
        .run()
        .results
    )
    assert atom.msd["MOL"][50] > com.msd["MOL"][50]
    assert atom.D["MOL"] == pytest.approx(com.D["MOL"], abs=3 * atom.D_err["MOL"])


def test_several_trajectories_and_blocks():
    runs = [brownian_universe(s, n=10, n_frames=300)[0] for s in (4, 5)]
    both = Diffusion(runs, {"X": "name X"}).run().results
    singles = [Diffusion(u, {"X": "name X"}, n_blocks=1).run().results for u in runs]
    np.testing.assert_allclose(
        both.msd["X"], (singles[0].msd["X"] + singles[1].msd["X"]) / 2, rtol=1e-10
    )
    assert both.n_segments == 2
    blocks = Diffusion(runs[0], {"X": "name X"}, n_blocks=3).run().results
    assert blocks.n_segments == 3 and blocks.time.size == 100


@pytest.mark.parametrize("backend", ["multiprocessing", "dask"])
def test_parallel_backends_match_serial(backend):
    if backend == "dask":
        pytest.importorskip("dask")
    u, _ = brownian_universe(6, n=5, n_frames=200, box=6.0)
    serial = Diffusion(u, {"X": "name X"}, unwrap=True).run().results
    par = Diffusion(u, {"X": "name X"}, unwrap=True).run(backend=backend, n_workers=2).results
    # workers unwrap their own frames: positions, hence the MSD and D, agree to rounding
    np.testing.assert_allclose(par.msd["X"], serial.msd["X"], rtol=1e-12)
    assert par.D["X"] == pytest.approx(serial.D["X"], rel=1e-12)
    assert par.D_err["X"] == pytest.approx(serial.D_err["X"], rel=1e-9)
    assert par.verdict == serial.verdict


def test_bad_input():
    u, _ = brownian_universe(7, n=1, n_frames=50)
    with pytest.raises(ValueError, match="single ion"):
        Diffusion(u, {"X": "name X"}, n_blocks=1)
    with pytest.raises(ValueError, match="half the analysed mass"):
        Diffusion(u, {"X": "name X"}, n_blocks=10).run()
    u, _ = brownian_universe(7, n=4, n_frames=50)
    with pytest.raises(ValueError, match="fractions"):
        Diffusion(u, {"X": "name X"}, fit_window=(0.6, 0.1))
    with pytest.raises(ValueError, match="no box"):
        Diffusion(u, {"X": "name X"}, unwrap=True)
    with pytest.raises(ValueError, match="at least 3"):
        Diffusion(u, {"X": "name X"}, fit_window_ps=(1.0, 1.6)).run()


def test_plot():
    u, _ = brownian_universe(8, n=5, n_frames=100)
    ax = Diffusion(u, {"X": "name X"}).run().plot()
    assert len(ax.lines) == 2 and ax.get_ylabel() == "MSD (Å²)"
    matplotlib.pyplot.close("all")


def test_triclinic_and_fluctuating_box_unwrapping():
    from MDAnalysis.lib.distances import apply_PBC

    u_free, pos = brownian_universe(9, n=6, n_frames=300)
    rng = np.random.default_rng(9)
    boxes = np.array([[9.0, 10.0, 11.0, 70.0, 80.0, 100.0]] * 300)
    boxes[:, :3] *= 1 + 0.002 * rng.normal(size=(300, 1))  # NPT-like breathing
    wrapped = np.array(
        [apply_PBC(p.astype(np.float32), b) for p, b in zip(pos, boxes, strict=True)]
    )
    u = mda.Universe.empty(6, n_residues=6, atom_resindex=np.arange(6), trajectory=True)
    u.add_TopologyAttr("names", ["X"] * 6)
    u.add_TopologyAttr("masses", [10.0] * 6)
    u.load_new(wrapped, format=MemoryReader, dt=DT, dimensions=boxes.astype(np.float32))
    with pytest.raises(ValueError, match="look wrapped"):
        Diffusion(u, {"X": "name X"}, n_blocks=10).run()
    free = Diffusion(u_free, {"X": "name X"}).run().results
    unwrapped = Diffusion(u, {"X": "name X"}, unwrap=True).run().results
    # breathing rescales images slightly; the MSD is reproduced to the box fluctuation
    np.testing.assert_allclose(unwrapped.msd["X"], free.msd["X"], rtol=2e-2, atol=1e-2)
