"""A frame missing from a long run is refused, at any time and before the pass when it can be.

``check_time_spacing`` allows the round-off of single-precision times, 8 float32 epsilons of
the largest time: 0.0019 ps at 2 ns, 0.019 ps at 20 ns, 0.19 ps at 200 ns. From 10.5 ns on,
frames 10 fs apart with one missing were accepted and ``dt`` came out the mean step
(0.01001 ps), the frames around the gap correlated as if 10 fs apart. A step off by half a
step while the other steps agree to a quarter of one is now refused wherever it lies; times that
single precision cannot resolve are judged as before. A selection of frames with a gap
(``frames=``) on a one-file trajectory is refused from the reader's time step before any frame
is read (it was refused after reading all of them), and the refused run leaves no results of the
run before it.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte.density import Density
from mda_electrolyte.ion_collection import check_time_spacing

DT = 0.01


def _times(t0, n=1000, missing=None, precision=np.float64):
    t = t0 + DT * np.arange(float(n))
    if missing is not None:
        t = np.delete(t, missing)
    return t.astype(precision).astype(np.float64)


@pytest.mark.parametrize("t0", [0.0, 2e3, 2e4, 2e5])
def test_a_missing_frame_of_double_precision_times_is_refused_at_any_time(t0):
    t = _times(t0, missing=500)
    with pytest.raises(ValueError, match=r"not equally spaced in time .*into frame 500, from "
                                         rf"{t0 + 4.99:.10g} to {t0 + 5.01:.10g} ps"):
        check_time_spacing(t, np.arange(t.size), "run")
    assert check_time_spacing(_times(t0), np.arange(1000), "run") == pytest.approx(DT, rel=1e-9)


@pytest.mark.parametrize("t0", [0.0, 2e3, 1.5e4])
def test_single_precision_times_pass_and_their_gaps_are_refused(t0):
    # XTC/TRR times (float32), and LAMMPS fs read as ps (float32 times scaled by 1e-3)
    t32 = _times(t0, precision=np.float32)
    assert check_time_spacing(t32, np.arange(1000), "xtc") == pytest.approx(DT, rel=1e-4)
    scaled = (1000 * _times(t0)).astype(np.float32).astype(np.float64) * 1e-3
    assert check_time_spacing(scaled, np.arange(1000), "dcd") == pytest.approx(DT, rel=1e-4)
    gap = _times(t0, missing=500, precision=np.float32)
    with pytest.raises(ValueError, match="not equally spaced in time"):
        check_time_spacing(gap, np.arange(gap.size), "xtc")


@pytest.mark.parametrize("factor", [0.5, 1.5, 2.0, 3.0])
def test_any_step_off_by_half_a_step_or_more_is_refused(factor):
    t = _times(2e4)
    t[600:] += (factor - 1.0) * DT
    with pytest.raises(ValueError, match="into frame 600"):
        check_time_spacing(t, np.arange(t.size), "run")


@pytest.fixture(scope="module")
def late_salt():
    """A salt whose frames start at 20 ns (a production continued from an equilibration)."""
    rng = np.random.default_rng(4)
    v = ornstein_uhlenbeck(rng, 1000, (8, 3), 0.1, DT, 2.0)
    u = salt_universe(v, integrate(v, DT) + 20.0, n_cations=4, dt=DT, box=40.0)
    u.load_new(u.trajectory.coordinate_array.copy(), format=MemoryReader, dt=DT,
               velocities=u.trajectory.velocity_array.copy(),
               dimensions=[40.0, 40.0, 40.0, 90.0, 90.0, 90.0], time_offset=2e4)
    return u


ANALYSES = {
    "Diffusion": lambda u: Diffusion(u, IONS),
    "GreenKubo": lambda u: GreenKuboConductivity(u, IONS, temperature=300.0),
    "EinsteinHelfand": lambda u: EinsteinHelfandConductivity(u, IONS, temperature=300.0),
    "Onsager": lambda u: OnsagerCoefficients(u, IONS, 300.0),
}


@pytest.mark.parametrize("name", list(ANALYSES))
def test_a_frame_selection_with_a_gap_is_refused_before_any_frame_is_read(late_salt, name):
    read = []
    u = late_salt.copy()
    u.trajectory.add_transformations(lambda ts: read.append(ts.frame) or ts)
    read.clear()  # a MemoryReader applies a transformation to every frame as it is added
    frames = np.delete(np.arange(u.trajectory.n_frames), 500)
    with pytest.raises(ValueError, match=r"into frame 501, from 20004.99 to 20005.01 ps\); "
                                         r"found before reading the frames"):
        ANALYSES[name](u).run(frames=frames)
    assert len(set(read)) <= 1
    # the evenly spaced selections of the same Universe run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ANALYSES[name](u).run(frames=np.arange(0, u.trajectory.n_frames, 2))


def test_an_xtc_of_a_late_run_with_a_frame_missing_is_refused(late_salt, tmp_path):
    # XTC times are single precision: at 20 ns their round-off (2 ms) resolves 10 fs frames
    path = str(tmp_path / "gap.xtc")
    u = late_salt
    with mda.Writer(path, u.atoms.n_atoms) as w:
        for _ in u.trajectory[np.delete(np.arange(u.trajectory.n_frames), 500)]:
            w.write(u.atoms)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = mda.Universe(u._topology, path)
    assert v.trajectory[501].time - v.trajectory[499].time == pytest.approx(3 * DT, abs=5e-3)
    with pytest.raises(ValueError, match="not equally spaced in time"):
        Density(v)
    with pytest.raises(ValueError, match="not equally spaced in time"):
        Diffusion(v, IONS).run()


@pytest.mark.parametrize("name", list(ANALYSES))
def test_a_refused_rerun_leaves_no_results_of_the_run_before(late_salt, name):
    # before, d.run(); d.run(frames=<gap>) raised and d.results still held the first run's
    # numbers, which read as the refused selection's
    analysis = ANALYSES[name](late_salt.copy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        analysis.run(frames=np.arange(0, 1000, 2))
    assert len(analysis.results)
    with pytest.raises(ValueError, match="not equally spaced in time"):
        analysis.run(frames=np.delete(np.arange(1000), 500))
    assert len(analysis.results) == 0
    with pytest.raises(RuntimeError, match="run\\(\\) the analysis"):
        analysis.plot()
    if name == "Diffusion":
        with pytest.raises(ValueError, match="has been run"):
            NernstEinstein(analysis, temperature=300.0)
