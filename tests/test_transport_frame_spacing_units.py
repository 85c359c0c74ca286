"""A frame spacing in another unit than ps is refused before any frame is read.

Before, a Universe loaded with ``dt=1e-15`` (1 fs given in seconds) gave D = 2.6e27 Å²/ps and
σ as absurd, marked valid wherever the series was long enough: a spacing is only checked to
be positive. Now a spacing below 1e-5 ps (0.01 fs, ten times below the shortest MD time step)
is refused by name, for a Universe (before any frame is read), a file whose stored times are
that close, collections built from arrays and a correlation function's spacing; spacings of
real runs (0.25 fs to 1 ns) pass.
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
    OnsagerCoefficients,
)
from mda_electrolyte.correlation import MIN_FRAME_SPACING_PS, check_sampling
from mda_electrolyte.ion_collection import IonCollection

T, N_FRAMES = 300.0, 400
SHORT = r"shorter than any MD time step .*give it in ps"


def _salt(dt, n_frames=N_FRAMES):
    rng = np.random.default_rng(3)
    v = ornstein_uhlenbeck(rng, n_frames, (8, 3), 0.1, 0.01, 2.0)
    x = integrate(v, 0.01, np.full((8, 3), 10.0))
    return salt_universe(v, x, n_cations=4, dt=dt)


ANALYSES = {
    "Diffusion": lambda u: Diffusion(u, IONS),
    "EinsteinHelfandConductivity": lambda u: EinsteinHelfandConductivity(u, IONS, T),
    "GreenKuboConductivity": lambda u: GreenKuboConductivity(u, IONS, T),
    "OnsagerCoefficients": lambda u: OnsagerCoefficients(u, IONS, T),
}


@pytest.mark.parametrize("dt", [1e-15, 1e-6, 9.9e-6])  # 1 fs in s, in ns; just below
@pytest.mark.parametrize("name", ANALYSES)
def test_a_spacing_in_seconds_or_ns_is_refused_before_any_frame(name, dt, monkeypatch):
    u = _salt(dt)
    u.trajectory[2]
    reads = []
    original = MemoryReader._read_frame
    monkeypatch.setattr(MemoryReader, "_read_frame",
                        lambda reader, frame: reads.append(frame) or original(reader, frame))
    with pytest.raises(ValueError, match="time step = .* ps is " + SHORT):
        ANALYSES[name](u).run()
    assert len(reads) <= 1 and u.trajectory.ts.frame == 2


@pytest.mark.parametrize("dt", [MIN_FRAME_SPACING_PS, 2.5e-4, 0.01, 1000.0])
def test_spacings_of_real_runs_pass(dt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = Diffusion(_salt(dt), IONS).run().results.D
        reference = Diffusion(_salt(0.01), IONS).run().results.D
    # the same frames at another spacing: D scales as 1/dt
    for name in d:
        assert d[name] * dt == pytest.approx(reference[name] * 0.01, rel=1e-6)


def test_stored_times_that_close_are_refused(tmp_path):
    u = _salt(0.01, n_frames=40)
    path = str(tmp_path / "seconds.trr")
    with mda.Writer(path, n_atoms=u.atoms.n_atoms) as writer:
        for k, _ in enumerate(u.trajectory):
            u.trajectory.ts.time = k * 1e-14  # 10 fs written in seconds
            writer.write(u.atoms)
    from_file = mda.Universe(u._topology, path)
    with pytest.raises(ValueError, match=SHORT):
        Diffusion(from_file, IONS, n_blocks=2).run()


def test_arrays_and_correlations_refuse_it_too():
    v = np.zeros((50, 2, 3))
    with pytest.raises(ValueError, match="dt \\(ps\\) = 1e-15 ps is " + SHORT):
        IonCollection.from_arrays({"Li": 1, "AN": 1}, dt=1e-15, velocities=v,
                                  charges={"Li": 1.0, "AN": -1.0}, volume=1e3)
    with pytest.raises(ValueError, match=SHORT):
        check_sampling(np.exp(-np.arange(20.0)), 1e-12)
    assert IonCollection.from_arrays({"Li": 1, "AN": 1}, dt=2.5e-4, velocities=v,
                                     charges={"Li": 1.0, "AN": -1.0}, volume=1e3).dt == 2.5e-4
