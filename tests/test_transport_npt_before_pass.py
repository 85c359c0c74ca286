"""An NPT box whose volume varies by more than 5 % is refused before the trajectory pass.

Before, the fixed-volume Green–Kubo, Einstein–Helfand and Onsager formulas (and the Yeh–Hummer
correction of Diffusion) refused it only after reading every frame. The boxes are now judged
first: every selected frame's box where it can be read without the coordinates (in memory, the
box dataset of an H5MD file), else 32 frames spread over the selection (XTC, DCD, joined files),
refused only beyond 5 % by three standard errors of the sample's spread. A damaged frame at
the end (NaN positions) shows the order: the pass would stop on it with its own message.
"""

import shutil
import warnings

import h5py
import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from MDAnalysis.coordinates.XTC import XTCReader
from transport_data import IONS, integrate, ion_run_file, ornstein_uhlenbeck

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    OnsagerCoefficients,
)
from mda_electrolyte.bridge import from_ase
from mda_electrolyte.conductivity import charged_species
from mda_electrolyte.ion_collection import VOLUME_PROBE_FRAMES, selection_volumes

T, DT, N, N_FRAMES = 300.0, 0.01, 8, 400
VARIES = "volume varies by .* more than 5 %.*give volume= to accept it"


def _universe(sides, *, seed=2, nan_last=False):
    """N Li and N AN ions in a cubic box of side ``sides[k]`` Å at frame k."""
    rng = np.random.default_rng(seed)
    n_frames = len(sides)
    v = ornstein_uhlenbeck(rng, n_frames, (2 * N, 3), 0.1, DT, 2.0)
    grid = 5.0 * np.array(np.unravel_index(np.arange(2 * N), (4, 4, 4))).T + 2.0
    u = mda.Universe.empty(2 * N, n_residues=2 * N, atom_resindex=np.arange(2 * N),
                           trajectory=True)
    u.add_TopologyAttr("names", ["Li"] * N + ["A"] * N)
    u.add_TopologyAttr("resnames", ["LI"] * N + ["AN"] * N)
    u.add_TopologyAttr("masses", [6.94] * 2 * N)
    u.add_TopologyAttr("formalcharges", [1.0] * N + [-1.0] * N)
    dims = np.column_stack([sides, sides, sides, np.full((n_frames, 3), 90.0)])
    pos = integrate(v, DT, grid).astype(np.float32)
    vel = v.astype(np.float32)
    if nan_last:
        pos[-1, 0] = vel[-1, 0] = np.nan
    u.load_new(pos, format=MemoryReader, dt=DT, dimensions=dims, velocities=vel)
    return u


def _compressing(n_frames=N_FRAMES):
    """Box sides compressing the volume by 40 % over the first half, then steady."""
    final = 40.0 * 0.6 ** (1 / 3)
    half = n_frames // 2
    return np.concatenate([np.linspace(40.0, final, half), np.full(n_frames - half, final)])


ANALYSES = {
    "GreenKuboConductivity": lambda u: GreenKuboConductivity(u, IONS, T, max_lag=0.1),
    "EinsteinHelfandConductivity": lambda u: EinsteinHelfandConductivity(u, IONS, T),
    "OnsagerCoefficients": lambda u: OnsagerCoefficients(u, IONS, T),
    "Diffusion(viscosity=)": lambda u: Diffusion(u, IONS, viscosity=(0.9, 0.05),
                                                 temperature=T),
}


@pytest.mark.parametrize("name", ANALYSES)
def test_a_compressing_memory_trajectory_is_refused_before_its_damaged_last_frame(name):
    u = _universe(_compressing(), nan_last=True)
    # the refusal is the box's, not the pass's (which names the damaged frame)
    with pytest.raises(ValueError, match=VARIES.replace("analysed", "selected")):
        ANALYSES[name](u).run()
    # the equilibrated half is analysed, up to the damage
    with pytest.raises(ValueError, match="non-finite"):
        ANALYSES[name](u).run(start=N_FRAMES // 2)
    assert u.trajectory.ts.frame == 0


def test_diffusion_without_viscosity_needs_no_volume_and_is_not_refused():
    u = _universe(_compressing())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        d = Diffusion(u, IONS).run().results
    assert d.volume is None and all(np.isfinite(x) for x in d.D.values())


def test_a_given_volume_is_accepted_without_judging_the_boxes():
    u = _universe(_compressing())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = EinsteinHelfandConductivity(u, IONS, T, volume=50000.0).run().results
    assert res.volume == 50000.0 and np.isfinite(res.sigma)


@pytest.fixture(scope="module")
def h5md_files(tmp_path_factory):
    """A run_md H5MD file, and a copy whose box grows by a half over the run and whose last
    frame's positions are NaN."""
    folder = tmp_path_factory.mktemp("npt_h5md")
    steady = ion_run_file(folder, "steady.h5md")
    ramp = folder / "ramp.h5md"
    shutil.copy(steady, ramp)
    with h5py.File(ramp, "r+") as f:
        group = f["particles/trajectory"]
        edges = group["box/edges/value"]
        scale = np.linspace(1.0, 1.5 ** (1 / 3), edges.shape[0])
        edges[...] = edges[...] * scale.reshape((-1,) + (1,) * (edges.ndim - 1))
        pos = group["position/value"]
        last = pos[-1]
        last[0] = np.nan
        pos[-1] = last
    return steady, ramp


def test_an_h5md_box_series_is_read_without_positions_and_refused_before_the_pass(h5md_files):
    steady, ramp = h5md_files
    u = from_ase(ramp)
    assert type(u.trajectory).__name__ == "H5MDReader"
    index = np.arange(len(u.trajectory))
    volumes, exact = selection_volumes(u.trajectory, index)
    assert exact
    frame_by_frame = [ts.volume for ts in u.trajectory[:-1]]
    np.testing.assert_allclose(volumes[:-1], frame_by_frame, rtol=1e-5)
    ions = charged_species(u)
    kw = dict(temperature=600.0, n_blocks=2)
    with pytest.raises(ValueError, match=VARIES.replace("analysed", "selected")):
        EinsteinHelfandConductivity(u, ions, **kw).run()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ok = EinsteinHelfandConductivity(from_ase(steady), ions, **kw).run().results
    assert np.isfinite(ok.sigma)


def _write_xtc(u, path, frames):
    with mda.Writer(str(path), u.atoms.n_atoms) as w:
        for _ts in u.trajectory[frames]:
            w.write(u.atoms)


@pytest.fixture()
def counted_reads(monkeypatch):
    reads = []
    for method in ("_read_next_timestep", "_read_frame"):
        original = getattr(XTCReader, method)

        def counting(self, *args, _original=original, **kwargs):
            reads.append(1)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(XTCReader, method, counting)
    return reads


def test_joined_xtc_files_are_judged_on_a_sample_of_frames_before_the_pass(tmp_path,
                                                                           counted_reads):
    n_frames = 2000
    u = _universe(_compressing(n_frames))
    paths = [tmp_path / "a.xtc", tmp_path / "b.xtc"]
    _write_xtc(u, paths[0], slice(0, n_frames // 2))
    _write_xtc(u, paths[1], slice(n_frames // 2, None))
    joined = mda.Universe(u._topology, [str(p) for p in paths])
    assert type(joined.trajectory).__name__ == "ChainReader"
    volumes, exact = selection_volumes(joined.trajectory, np.arange(n_frames))
    assert not exact and volumes.size == VOLUME_PROBE_FRAMES
    ana = EinsteinHelfandConductivity(joined, IONS, T)
    counted_reads.clear()
    with pytest.raises(ValueError, match="over 32 frames spread over the selection"):
        ana.run()
    # the probe and the chain's joint checks, far fewer than the pass's 2000
    assert len(counted_reads) < n_frames // 10, len(counted_reads)
    assert joined.trajectory.ts.frame == 0


@pytest.mark.parametrize("spread", [0.01, 0.04])
def test_a_steady_npt_box_is_never_refused_by_the_sample(tmp_path, spread):
    """Volume fluctuations under 5 %: the sample of 32 frames does not refuse them (its
    three-standard-error margin), the pass takes the mean volume."""
    rng = np.random.default_rng(7)
    n_frames = 600
    volumes = 40.0**3 * (1 + spread * rng.standard_normal(n_frames))
    u = _universe(np.cbrt(volumes))
    path = tmp_path / "steady.xtc"
    _write_xtc(u, path, slice(None))
    xtc = mda.Universe(u._topology, str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = EinsteinHelfandConductivity(xtc, IONS, T).run().results
    assert res.volume == pytest.approx(np.mean(volumes), rel=1e-3)


def test_a_short_file_selection_is_judged_on_every_frame(tmp_path):
    """Up to 32 selected frames of a file are all read: the refusal is exact, as after the
    pass (a 6 % spread, which a sample's three-error margin would let through)."""
    sides = np.cbrt(40.0**3 * np.linspace(0.9, 1.1, 20))
    u = _universe(sides)
    path = tmp_path / "short.xtc"
    _write_xtc(u, path, slice(None))
    xtc = mda.Universe(u._topology, str(path))
    volumes, exact = selection_volumes(xtc.trajectory, np.arange(20))
    assert exact and np.std(volumes) / np.mean(volumes) > 0.05
    with pytest.raises(ValueError, match="over the selected frames"):
        EinsteinHelfandConductivity(xtc, IONS, T, n_blocks=2, fit_window=(0.1, 0.6)).run()
