"""Density and EquationOfState name a source of the wrong kind and say what to pass.

An AtomGroup, a trajectory file that is not H5MD, or a Universe given as an NVT run's pressure
series were refused "the density series must be real numbers, got <AtomGroup [...]>": neither
the problem nor the fix. The sources each reader takes still work (probed: a drifting series
is "not equilibrated", an AR(1) series of 3000 samples covers the mean in 0.973 of 300 replicas
with its 95 % interval).
"""

import numpy as np
import pytest
from transport_data import salt_universe

from mda_electrolyte import Density, EquationOfState


@pytest.fixture(scope="module")
def npt_universe():
    rng = np.random.default_rng(0)
    n = 60
    u = salt_universe(rng.normal(size=(n, 8, 3)), 5 + rng.random((n, 8, 3)), n_cations=4,
                      dt=0.1, box=20.0)
    # an NPT box: the edge breathes around 20 Å
    for k, ts in enumerate(u.trajectory):
        ts.dimensions = [20.0 + 0.05 * np.sin(k), 20.0, 20.0, 90.0, 90.0, 90.0]
    return u


def test_an_atomgroup_is_refused_naming_the_universe(npt_universe):
    with pytest.raises(ValueError, match=r"whole mass over its box: pass the Universe "
                                         r"\(here \.universe of the AtomGroup\)"):
        Density(npt_universe.atoms[:4])
    # what the message offers gives the Universe's density
    est = Density(npt_universe.atoms[:4].universe).run().results.equilibrium_density
    mass = npt_universe.atoms.masses.sum()
    volumes = [ts.volume for ts in npt_universe.trajectory]
    expect = np.mean(mass / np.array(volumes)) / 0.602214076
    assert est.value == pytest.approx(expect, rel=1e-6)


@pytest.mark.parametrize("path", ["run.traj", "run.xtc", "run"])
def test_a_trajectory_file_that_is_not_h5md_names_the_readers(path, tmp_path):
    (tmp_path / path).write_text("")
    with pytest.raises(ValueError, match=r"is not an H5MD file .*Universe of any trajectory"
                                         r".*or give an array of density values with dt="):
        Density(str(tmp_path / path))
    with pytest.raises(ValueError, match=r"is not an H5MD file"):
        Density(tmp_path / path)


def test_a_universe_as_a_pressure_series_says_it_holds_no_pressure(npt_universe):
    with pytest.raises(ValueError, match=r"Universe's frames hold no pressure: pass the H5MD "
                                         r"file of run_md"):
        EquationOfState([1.0, 1.1, 1.2, 1.3], sources=[npt_universe] * 4)
    # arrays of pressures are still read
    rng = np.random.default_rng(1)
    series = [p + 20 * rng.normal(size=400) for p in (-300.0, 100.0, 600.0, 1300.0)]
    eos = EquationOfState([1.0, 1.1, 1.2, 1.3], sources=series, dt=0.01).run()
    assert 1.0 < eos.results.zero_pressure_density.value < 1.1
