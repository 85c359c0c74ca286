"""Transport faults refused before a frame is read: net-charged carriers, segments too short for
a fit window or max_lag, a drift reference of one heavy particle.

Every case builds the analysis and runs it with a collector whose frame hook fails the test, so a
refusal that comes only after reading frames (the old behaviour) is caught.
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    NernstEinstein,
    OnsagerCoefficients,
)
from mda_electrolyte.carriers import check_neutral
from mda_electrolyte.ion_collection import IonCollection, IonCollector, collect

DT, TAU, S, T = 0.01, 0.1, 3.0, 300.0
N_PAIRS, N_FRAMES = 4, 1000


@pytest.fixture(scope="module")
def salt():
    rng = np.random.default_rng(11)
    v = ornstein_uhlenbeck(rng, N_FRAMES, (2 * N_PAIRS, 3), TAU, DT, S)
    x = integrate(v, DT, rng.uniform(0, 40, size=(2 * N_PAIRS, 3)))
    return v, x


@pytest.fixture
def no_reading(monkeypatch):
    def fail(self):
        raise AssertionError("a frame was read before the refusal")

    monkeypatch.setattr(IonCollector, "_single_frame", fail)


CONDUCTIVITIES = [
    (GreenKuboConductivity, {"temperature": T, "max_lag": 0.5}),
    (EinsteinHelfandConductivity, {"temperature": T}),
    (OnsagerCoefficients, {"temperature": T}),
    (OnsagerCoefficients, {"temperature": T, "method": "green-kubo", "max_lag": 0.5}),
]


@pytest.mark.parametrize("cls, kw", CONDUCTIVITIES)
@pytest.mark.parametrize("ions, charges, net", [
    ({"Li": "name Li"}, None, "+4 e"),                    # the anion left out
    (IONS, {"Li": 1, "AN": -2}, "-4 e"),                  # a wrong charge
    (IONS, {"Li": 0.8, "AN": -0.6}, "+0.8 e"),            # scaled charges scaled unequally
])
def test_net_charged_carriers_are_refused_before_reading(salt, no_reading, cls, kw, ions, charges,
                                                          net):
    v, x = salt
    u = salt_universe(v, x, n_cations=N_PAIRS, dt=DT)
    with pytest.raises(ValueError, match=f"net charge of {net.replace('+', '[+]')}"):
        cls(u, ions, charges=charges, **kw)


@pytest.mark.parametrize("cls, kw", CONDUCTIVITIES)
def test_net_charged_collections_are_refused_and_neutral_ones_are_frame_independent(salt, cls,
                                                                                    kw):
    v, x = salt
    u = salt_universe(v, x, n_cations=N_PAIRS, dt=DT)
    col = collect(u, IONS, charges={"Li": 1, "AN": -2})
    with pytest.raises(ValueError, match="net charge of -4 e"):
        cls.from_collections(col, **kw)
    # why: a drift of the whole system (0.5 Å/ps) leaves a neutral set's σ unchanged to
    # round-off, while the current of the charged set gains Q·V
    drifted = salt_universe(v + [0.5, 0.0, 0.0], integrate(v + [0.5, 0.0, 0.0], DT, x[0]),
                            n_cations=N_PAIRS, dt=DT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # convergence is not the point here
        sig = [cls.from_collections(collect(w, IONS), **kw).results.conductivity.value
               for w in (u, drifted)]
    assert sig[1] == pytest.approx(sig[0], rel=1e-4)
    current = [c.current.sum(axis=1) for c in (collect(u, IONS, charges={"Li": 1, "AN": -2})[0],
                                               collect(drifted, IONS,
                                                       charges={"Li": 1, "AN": -2})[0])]
    # J gains Q V with Q = 4·1 + 4·(-2) = -4 e
    np.testing.assert_allclose(current[1] - current[0], -4 * np.array([0.5, 0.0, 0.0])
                               * np.ones((N_FRAMES, 1)), atol=1e-4)


def test_check_neutral_tolerates_round_off_and_neutral_species():
    # partial charges that add up to zero within round-off, a neutral solvent without charges
    check_neutral(["Li", "PF6", "EC"], [np.full(50, 0.8), np.full(50, -0.8 + 1e-5), None], "X")
    check_neutral(["EC"], [None], "X")
    with pytest.raises(ValueError, match=r"net charge of \+1 e \(Li \+3 e, AN -2 e\)"):
        check_neutral(["Li", "AN"], [np.ones(3), -np.ones(2)], "X")
    # Nernst–Einstein is a sum over independent species: a single species is fine
    ne = NernstEinstein(temperature=T, diffusivities={"Li": 1.0}, n_ions={"Li": 4},
                        charges={"Li": 1}, volume=64000.0)
    assert ne.results.sigma > 0


@pytest.mark.parametrize("cls, kw, run, message", [
    # max_lag of 0.5 ps is longer than segments of 10 blocks of 30 frames (0.29 ps)
    (GreenKuboConductivity, {"temperature": T, "max_lag": 0.5}, {"stop": 300},
     r"segments of 30 frames 0.01 ps apart \(0.29 ps each\): max_lag = 0.5 ps needs segments "
     "of more than 50 frames"),
    (GreenKuboConductivity, {"temperature": T, "max_lag": 0.5, "n_blocks": 100}, {},
     "max_lag = 0.5 ps"),
    (OnsagerCoefficients, {"temperature": T, "method": "green-kubo", "max_lag": 1.5},
     {"step": 5}, r"segments of 20 frames 0.05 ps apart \(0.95 ps each\): max_lag = 1.5 ps"),
    # fit windows in ps beyond the data, or too narrow for 3 lags
    (EinsteinHelfandConductivity, {"temperature": T, "fit_window_ps": (5.0, 50.0)}, {},
     r"the fit window \(5.0, 50.0\) ps holds 0 lags"),
    (Diffusion, {"fit_window_ps": (50.0, 100.0)}, {}, r"fit window \(50.0, 100.0\) ps holds 0"),
    (Diffusion, {"fit_window_ps": (0.5, 0.51)}, {}, "holds 2 lags"),
    # fractions of segments too short to hold 3 lags
    (Diffusion, {"n_blocks": 1}, {"stop": 3},
     r"fit window \(0.1, 0.6\) \(fractions of a segment's length\) holds 1 lag;"),
    (Diffusion, {"n_blocks": 200}, {}, "segments of 5 kept frames"),
    (EinsteinHelfandConductivity, {"temperature": T, "n_blocks": 2}, {"stop": 16},
     "holds 2 lags"),
    (OnsagerCoefficients, {"temperature": T, "n_blocks": 2}, {"frames": np.arange(0, 24, 2)},
     r"segments of 6 kept frames 0.02 ps apart"),
])
def test_segments_too_short_are_refused_before_reading(salt, no_reading, cls, kw, run, message):
    v, x = salt
    u = salt_universe(v, x, n_cations=N_PAIRS, dt=DT)
    analysis = cls(u, IONS, **kw)
    with pytest.raises(ValueError, match=message):
        analysis.run(**run)


def test_long_enough_segments_still_run_and_a_failed_run_leaves_no_stale_result(salt):
    v, x = salt
    u = salt_universe(v, x, n_cations=N_PAIRS, dt=DT)
    gk = GreenKuboConductivity(u, IONS, temperature=T, max_lag=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        first = gk.run().results.conductivity
        # exactly at the limit: 10 blocks of 51 frames hold max_lag = 0.5 ps (51 lags)
        at_limit = gk.run(stop=510).results.conductivity
    assert at_limit.value != first.value and np.isfinite(at_limit.value)
    with pytest.raises(ValueError, match="max_lag"):
        gk.run(stop=500)
    # the refused run leaves no results: numbers of an earlier run are not read as its own
    assert "conductivity" not in gk.results
    # the same frames from a collection made elsewhere give the same σ
    col = IonCollector(u, IONS).run(stop=510).collection
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        again = GreenKuboConductivity.from_collections(col, temperature=T, max_lag=0.5)
    assert again.results.conductivity.value == pytest.approx(at_limit.value, rel=1e-12)


def test_drift_reference_of_one_heavy_particle_is_refused_at_construction(salt, no_reading):
    v, x = salt
    u = salt_universe(v, x, n_cations=N_PAIRS, dt=DT, masses=(6.94, 1000.0))
    # one anion carries more than half the analysed mass: the drift reference is that ion
    with pytest.raises(ValueError, match="half the analysed mass"):
        Diffusion(u, {"Li": "name Li", "AN": "index 4"}, n_blocks=10)
    with pytest.raises(ValueError, match="half the analysed mass"):
        Diffusion(u, {"Li": "index 0"}, n_blocks=2)
    # without drift removal the single ion is analysed (its error from blocks)
    col = IonCollection.from_arrays({"Li": 1}, dt=DT, positions=x[:, :1], masses={"Li": 6.94})
    d = Diffusion.from_collections(col, remove_drift=False, n_blocks=2)
    assert np.isfinite(d.results.D["Li"])


@pytest.mark.parametrize("cls, kw", CONDUCTIVITIES + [(Diffusion, {})])
def test_trajectories_of_different_time_steps_are_refused_before_reading(salt, no_reading, cls,
                                                                         kw):
    v, x = salt
    runs = [salt_universe(v, x, n_cations=N_PAIRS, dt=DT),
            salt_universe(v, x, n_cations=N_PAIRS, dt=2 * DT)]
    with pytest.raises(ValueError, match=r"Universe 1 has a time step of 0.02 ps between the "
                                         r"selected frames, Universe 0 has 0.01 ps"):
        cls(runs, IONS, **kw).run()
    # the same spacing passes the check and goes on to read frames
    same = [salt_universe(v[::2], x[::2], n_cations=N_PAIRS, dt=2 * DT), runs[1]]
    with pytest.raises(AssertionError, match="a frame was read"):
        cls(same, IONS, **kw).run()
