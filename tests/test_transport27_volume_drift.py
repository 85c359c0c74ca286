"""A box volume that still drifts marks the transport numbers "not equilibrated"; a stationary
NPT spread below 5 % takes the mean volume.

A linear ramp of 15 % has a standard deviation of 4.3 % (range/sqrt(12)) and passed the 5 %
spread rule: Green–Kubo and Einstein–Helfand gave "valid" conductivities of a compressing box.
"""

import shutil
import warnings

import h5py
import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from scipy.signal import lfilter
from transport_data import IONS, integrate, ion_run_file, ornstein_uhlenbeck, with_volume_ramp

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    GreenKuboViscosity,
    OnsagerCoefficients,
)
from mda_electrolyte.carriers import volume_drift_note

T, DT, TAU, N, FRAMES = 300.0, 0.01, 0.1, 8, 1000
DRIFTS = "not equilibrated: .*box volume drifts by"


def _universe(volumes):
    """N Li and N AN ions with OU velocities in a cubic box of the given volumes, positions
    scaled with the box (as a barostat does)."""
    rng = np.random.default_rng(3)
    v = ornstein_uhlenbeck(rng, FRAMES, (2 * N, 3), TAU, DT, 2.0)
    grid = 5.0 * np.array(np.unravel_index(np.arange(2 * N), (4, 4, 4))).T + 2.0
    side = np.cbrt(volumes)
    pos = integrate(v, DT, grid) * (side / side[0])[:, None, None]
    u = mda.Universe.empty(2 * N, n_residues=2 * N, atom_resindex=np.arange(2 * N),
                           trajectory=True)
    u.add_TopologyAttr("names", ["Li"] * N + ["A"] * N)
    u.add_TopologyAttr("resnames", ["LI"] * N + ["AN"] * N)
    u.add_TopologyAttr("masses", [6.94] * 2 * N)
    u.add_TopologyAttr("formalcharges", [1.0] * N + [-1.0] * N)
    dims = np.column_stack([side, side, side, np.full((FRAMES, 3), 90.0)])
    u.load_new(pos.astype(np.float32), velocities=v.astype(np.float32), format=MemoryReader,
               dt=DT, dimensions=dims)
    return u


def _quiet(func):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return func()


V0 = 40.0**3


def test_a_drifting_volume_marks_green_kubo_einstein_helfand_and_onsager():
    # 5 % over the run: a spread (std/mean) of 1.4 %, far inside the 5 % rule
    ramp = V0 * np.linspace(1.0, 1.05, FRAMES)
    u = _universe(ramp)
    gk = _quiet(lambda: GreenKuboConductivity(u, IONS, temperature=T, n_blocks=5).run())
    eh = _quiet(lambda: EinsteinHelfandConductivity(u, IONS, temperature=T, n_blocks=5).run())
    on = _quiet(lambda: OnsagerCoefficients(u, IONS, temperature=T, n_blocks=5).run())
    for est in (gk.results.conductivity, eh.results.conductivity, on.results.conductivity):
        assert not est.valid
        assert "+4.9 %" in est.verdict and "start=" in est.verdict
        assert any(n.startswith("not equilibrated") and "volume drifts" in n for n in est.notes)


def test_yeh_hummer_of_a_drifting_box_is_marked_and_d_is_not():
    # D needs no volume; the correction's box length L = V^(1/3) does
    d = _quiet(lambda: Diffusion(_universe(V0 * np.linspace(1.0, 1.05, FRAMES)), IONS,
                                 viscosity=(0.9, 0.05), temperature=T, n_blocks=5).run()).results
    for name, e in d.diffusion_coefficient_yeh_hummer.items():
        assert not e.valid and "box volume drifts by +4.9 %" in e.verdict
        assert "volume drifts" not in d.diffusion_coefficient[name].verdict


def test_a_stationary_spread_takes_the_mean_volume():
    # 1.5 % white fluctuations (a few hundred atoms): no drift, σ divides by the mean volume
    rng = np.random.default_rng(4)
    shaken = V0 * (1 + 0.015 * rng.normal(size=FRAMES))
    fixed = _quiet(lambda: GreenKuboConductivity(_universe(np.full(FRAMES, V0)), IONS,
                                                 temperature=T, n_blocks=5).run()).results
    npt = _quiet(lambda: GreenKuboConductivity(_universe(shaken), IONS, temperature=T,
                                               n_blocks=5).run()).results
    assert "volume drifts" not in npt.conductivity.verdict
    assert npt.conductivity.verdict == fixed.conductivity.verdict
    # same velocities: σ scales with 1/<V> (the mean of the per-frame volumes)
    assert npt.volume == pytest.approx(np.mean(shaken.astype(np.float32).astype(float) ** 1),
                                       rel=1e-5)
    assert npt.sigma == pytest.approx(fixed.sigma * V0 / npt.volume, rel=1e-9)


def _ar1(rng, n, phi, std):
    x = lfilter([1.0], [1.0, -phi], rng.normal(size=n))
    return x / x.std() * std


def test_volume_drift_note_false_alarms_and_power():
    # stationary NPT volumes (AR(1), 1.5 % std): at most a few of 100 marked
    alarms = sum(volume_drift_note(V0 * (1 + _ar1(np.random.default_rng(s), 2000, 0.9, 0.015)))
                 is not None for s in range(100))
    assert alarms <= 3
    # the same noise with a 4 % ramp: found in (nearly) every replica (98 of 100; 3 %: 85)
    ramp = np.linspace(0.0, 0.04, 2000)
    found = sum(volume_drift_note(V0 * (1 + ramp + _ar1(np.random.default_rng(s), 2000, 0.9,
                                                        0.015))) is not None
                for s in range(100, 140))
    assert found >= 37
    # significant but small (0.5 % over the run): below MAX_VOLUME_DRIFT, no note
    assert volume_drift_note(V0 * np.linspace(1.0, 1.005, 2000)) is None
    # a smooth barostat ramp too short for the jackknife's blocks is still a drift
    assert "-3.0 %" in volume_drift_note(V0 * np.linspace(1.0, 0.97, 30), "run 1")
    assert volume_drift_note(np.full(500, V0)) is None


@pytest.fixture(scope="module")
def observed_files(tmp_path_factory):
    """A run_md H5MD file, and its copy whose recorded volume falls by 4 % over the run (a
    spread of 1.2 %)."""
    folder = tmp_path_factory.mktemp("drift")
    path = ion_run_file(folder)
    return path, with_volume_ramp(path, folder / "compressing.h5md", 0.96)


def test_observables_of_a_drifting_volume_are_marked(observed_files):
    steady, ramp = observed_files
    kw = dict(ions=None, temperature=600.0, check_sampling=False, n_blocks=2)
    for path, drifts in ((steady, False), (ramp, True)):
        gk = _quiet(lambda p=path: GreenKuboConductivity(str(p), **kw).run()).results
        eta = _quiet(lambda p=path: GreenKuboViscosity(str(p), check_sampling=False,
                                                       n_blocks=2).run()).results
        assert gk.source == "charge_current observable"
        for est in (gk.conductivity, eta.shear_viscosity):
            assert ("box volume drifts by -4.1 %" in est.verdict) is drifts
            if drifts:
                assert not est.valid


def _edit_times(src, dst, edit):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        for series in f["parameters/ase_electrolyte/series"].values():
            series["time"][...] = edit(series["time"][()])
    return dst


def test_observable_times_take_the_frames_round_off_allowance(observed_files, tmp_path):
    steady, _ = observed_files
    # float32-like round-off: 1e-9 ps on 1 fs samples (refused before at 1e-6 of a step, while
    # the same times of frames were accepted)
    sign = np.random.default_rng(0).choice([-1.0, 1.0], size=10**4)
    jitter = _edit_times(steady, tmp_path / "jitter.h5md",
                         lambda t: t + 1e-9 * sign[: t.size])
    kw = dict(ions=None, temperature=600.0, check_sampling=False, n_blocks=2)
    exact = _quiet(lambda: GreenKuboConductivity(str(steady), **kw).run()).results
    rounded = _quiet(lambda: GreenKuboConductivity(str(jitter), **kw).run()).results
    assert rounded.source == "charge_current observable"
    assert rounded.sigma == pytest.approx(exact.sigma, rel=1e-6)
    # a sample missing is refused, naming where, before any correlation
    gap = _edit_times(steady, tmp_path / "gap.h5md",
                      lambda t: np.where(np.arange(t.size) >= 20, t + (t[1] - t[0]), t))
    with pytest.raises(ValueError, match="'charge_current' observable: the samples are not "
                                         "equally spaced in time .*into sample 20"):
        GreenKuboConductivity(str(gap), **kw)
