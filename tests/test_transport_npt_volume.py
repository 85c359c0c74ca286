"""A box volume that varies (an NPT run still compressing) is refused by every transport path
that divides by one volume, unless the volume is given; a small spread takes the mean.

Before, only the frame paths of the conductivities refused a spread beyond 5 %: the
``charge_current`` and ``pressure_tensor`` observables of run_md files divided by their mean
volume unchecked, and Nernst–Einstein and the Yeh–Hummer correction took the mean box volume of
a Diffusion whatever its spread.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from transport_data import IONS, integrate, ion_run_file, ornstein_uhlenbeck, with_volume_ramp

from mda_electrolyte import (
    Diffusion,
    GreenKuboConductivity,
    GreenKuboViscosity,
    NernstEinstein,
)
from mda_electrolyte.conductivity import read_charge_current
from mda_electrolyte.ion_collection import IonCollection
from mda_electrolyte.viscosity import read_pressure_tensor

T, DT, TAU, N = 300.0, 0.01, 0.1, 8
VARIES = "volume varies by .* more than 5 %.*give volume= to accept it"


def _currents(seed=0, n_frames=4000):
    rng = np.random.default_rng(seed)
    return ornstein_uhlenbeck(rng, n_frames, (2, 3), TAU, DT, 3.0)


@pytest.mark.parametrize("spread, refused", [(0.02, False), (0.12, True)])
def test_charge_current_collections_check_the_volume_spread(spread, refused):
    mean = 40.0**3
    col = IonCollection.from_charge_current(
        _currents(), ["LI", "AN"], dt=DT, volume=mean,
        charges={"LI": {"charge": 1.0, "source": "formal"},
                 "AN": {"charge": -1.0, "source": "formal"}},
        volume_range=(mean * (1 - 2 * spread), mean * (1 + 2 * spread)), volume_spread=spread)
    if refused:
        with pytest.raises(ValueError, match=VARIES):
            GreenKuboConductivity.from_collections(col, temperature=T, max_lag=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        given = GreenKuboConductivity.from_collections(col, temperature=T, max_lag=1.0,
                                                       volume=mean).results
        taken = None if refused else GreenKuboConductivity.from_collections(
            col, temperature=T, max_lag=1.0).results
    assert np.isfinite(given.sigma) and given.volume == mean
    if taken is not None:
        assert taken.sigma == pytest.approx(given.sigma, rel=1e-12)


@pytest.mark.parametrize("spread, refused", [(0.02, False), (0.12, True)])
def test_pressure_tensor_collections_check_the_volume_spread(spread, refused):
    rng = np.random.default_rng(1)
    p = np.zeros((4000, 3, 3))
    off = ornstein_uhlenbeck(rng, 4000, (3,), TAU, DT, 300.0)
    for k, (a, b) in enumerate(((0, 1), (0, 2), (1, 2))):
        p[:, a, b] = p[:, b, a] = off[:, k]
    mean = 2.0e4
    col = IonCollection.from_pressure_tensor(
        p, dt=DT, volume=mean, temperature=T,
        volume_range=(mean * (1 - 2 * spread), mean * (1 + 2 * spread)), volume_spread=spread)
    kw = dict(components="offdiagonal", max_lag=1.0)
    if refused:
        # refused on construction, before any correlation
        with pytest.raises(ValueError, match=VARIES):
            GreenKuboViscosity(col, **kw)
        eta = GreenKuboViscosity(col, volume=mean, **kw).run().results
    else:
        eta = GreenKuboViscosity(col, **kw).run().results
        same = GreenKuboViscosity(col, volume=mean, **kw).run().results
        assert eta.viscosity == pytest.approx(same.viscosity, rel=1e-12)
    assert np.isfinite(eta.viscosity) and eta.volume == mean


@pytest.fixture(scope="module")
def compressing_file(tmp_path_factory):
    """A run_md H5MD file whose recorded volume falls by a third over the run."""
    folder = tmp_path_factory.mktemp("npt")
    path = ion_run_file(folder)
    return path, with_volume_ramp(path, folder / "compressing.h5md", 2.0 / 3.0)


def test_observables_of_a_compressing_run_are_refused(compressing_file):
    steady, ramp = compressing_file
    assert read_charge_current(steady)["volume_spread"] < 1e-12
    rec = read_charge_current(ramp)
    assert rec["volume_spread"] > 0.05
    assert rec["volume_range"][0] == pytest.approx(rec["volume_range"][1] * 2 / 3, rel=1e-6)
    assert read_pressure_tensor(ramp)["volume_spread"] == pytest.approx(rec["volume_spread"])
    kw = dict(ions=None, temperature=600.0, check_sampling=False, n_blocks=2)
    with pytest.raises(ValueError, match=VARIES):
        GreenKuboConductivity(str(ramp), **kw).run()
    with pytest.raises(ValueError, match=VARIES):
        GreenKuboViscosity(str(ramp), check_sampling=False, n_blocks=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ok = GreenKuboConductivity(str(steady), **kw).run().results
    assert ok.source == "charge_current observable" and np.isfinite(ok.sigma)


def _compressing_universe(factor):
    """N Li and N AN ions in a cubic box whose volume falls by ``factor`` over the run."""
    rng = np.random.default_rng(2)
    n_frames = 1000
    v = ornstein_uhlenbeck(rng, n_frames, (2 * N, 3), TAU, DT, 2.0)
    grid = 5.0 * np.array(np.unravel_index(np.arange(2 * N), (4, 4, 4))).T + 2.0
    u = mda.Universe.empty(2 * N, n_residues=2 * N, atom_resindex=np.arange(2 * N),
                           trajectory=True)
    u.add_TopologyAttr("names", ["Li"] * N + ["A"] * N)
    u.add_TopologyAttr("resnames", ["LI"] * N + ["AN"] * N)
    u.add_TopologyAttr("masses", [6.94] * 2 * N)
    u.add_TopologyAttr("formalcharges", [1.0] * N + [-1.0] * N)
    side = 40.0 * np.linspace(1.0, factor ** (1 / 3), n_frames)
    dims = np.column_stack([side, side, side, np.full((n_frames, 3), 90.0)])
    u.load_new(integrate(v, DT, grid).astype(np.float32), format=MemoryReader, dt=DT,
               dimensions=dims)
    return u, float(np.mean(side**3))


def test_nernst_einstein_and_yeh_hummer_refuse_the_mean_of_a_varying_volume():
    u, mean = _compressing_universe(0.6)
    d = Diffusion(u, IONS).run()
    # D needs no volume: it stays a result
    assert d.results.volume is None
    assert all(np.isfinite(v) for v in d.results.D.values())
    with pytest.raises(ValueError, match="Nernst–Einstein: .*" + VARIES):
        NernstEinstein(d, temperature=T)
    ne = NernstEinstein(d, temperature=T, volume=mean).results
    assert np.isfinite(ne.sigma)
    with pytest.raises(ValueError, match=VARIES):
        Diffusion(u, IONS, viscosity=(0.9, 0.05), temperature=T).run()
    col = d.collections[0]
    with pytest.raises(ValueError, match="Nernst–Einstein: .*" + VARIES):
        NernstEinstein.from_collections(col, temperature=T)
    assert np.isfinite(NernstEinstein.from_collections(col, temperature=T,
                                                       volume=mean).results.sigma)


def test_a_small_npt_spread_takes_the_mean_volume():
    u, mean = _compressing_universe(0.95)
    d = Diffusion(u, IONS).run()
    assert d.results.volume == pytest.approx(mean, rel=1e-5)
    ne = NernstEinstein(d, temperature=T).results
    given = NernstEinstein(d, temperature=T, volume=d.results.volume).results
    assert ne.sigma == pytest.approx(given.sigma, rel=1e-12)
