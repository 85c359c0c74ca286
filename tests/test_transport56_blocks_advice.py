"""A refusal of too few frames for the segments advises what the user can change.

Before, every such refusal ended "(give fewer n_blocks)" or "analyse more frames or give fewer
n_blocks": to a user who never gave n_blocks (10 by default for one trajectory), for 3 frames
that no n_blocks splits into the 2 segments one trajectory's error needs, beside
"this run is too short even for 2 segments", and (the viscosity's plateau) where max_lag, not
the split, ends the lags. Now the refusal names the n_blocks the frames allow, or that more
frames are needed, and the n_blocks it advises is accepted by the same check.
"""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    GreenKuboViscosity,
    OnsagerCoefficients,
)
from mda_electrolyte.correlation import check_segment_lags
from mda_electrolyte.ion_collection import IonCollection

IONS = {"LI": "resname LI", "AN": "resname AN"}
DT = 0.01
T = 300.0
SPLIT = "cannot be split into 10 blocks"


def _velocities(n):
    return ornstein_uhlenbeck(np.random.default_rng(n), n, (8, 3), 0.1, DT, 3.0)


def _universe(n):
    v = _velocities(n)
    return salt_universe(v, integrate(v, DT), n_cations=4, dt=DT, box=10.0)


def _collection(n):
    v = _velocities(n)
    return IonCollection.from_arrays({"LI": 4, "AN": 4}, dt=DT, velocities=v,
                                     positions=integrate(v, DT),
                                     charges={"LI": 1.0, "AN": -1.0}, volume=1000.0)


def _advised(message, n, fewest=2):
    """The n_blocks the message advises (its largest), checked against the frames' count.
    ``fewest``: the fewest n_blocks the estimator takes for one run (Diffusion's 1, with its
    error over ions; test_transport56b_blocks_remedy_runs)."""
    assert "fewer n_blocks" not in message
    allowed = n // 2
    if allowed < fewest:
        assert "2 blocks need at least 4" in message and "give n_blocks" not in message
        return None
    choice = fewest if allowed == fewest else f"{fewest} to {allowed}"
    assert f"give n_blocks = {choice}" in message
    return allowed


BUILDERS = [
    ("universe", GreenKuboConductivity, {"temperature": T}),
    ("universe", EinsteinHelfandConductivity, {"temperature": T}),
    ("universe", OnsagerCoefficients, {"temperature": T}),
    ("collection", GreenKuboConductivity, {"temperature": T}),
    ("collection", EinsteinHelfandConductivity, {"temperature": T}),
    ("collection", OnsagerCoefficients, {"temperature": T}),
    ("collection", Diffusion, {"n_blocks": 10}),
]


def _build(source, cls, n, **kw):
    if source == "universe":
        return cls(_universe(n), IONS, **kw).run()
    return cls.from_collections(_collection(n), **kw)


@pytest.mark.parametrize("source, cls, kw", BUILDERS,
                         ids=[f"{s}-{c.__name__}" for s, c, _ in BUILDERS])
@pytest.mark.parametrize("n", [3, 5, 9, 12])
def test_the_advice_is_what_the_frames_allow(source, cls, kw, n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=SPLIT) as err:
            _build(source, cls, n, **kw)
        allowed = _advised(str(err.value), n, 1 if cls is Diffusion else 2)
        if allowed is None:
            return
        # the advised split passes the blocks check (it may fail later, on a window)
        try:
            _build(source, cls, n, **{**kw, "n_blocks": allowed})
        except ValueError as exc:
            assert "cannot be split" not in str(exc)


@pytest.mark.parametrize("n_total, fewer", [(8, False), (11, False), (12, True), (30, True)])
def test_fewer_segments_advised_only_where_two_fit(n_total, fewer):
    # the window (0.1, 0.6) needs segments of 6 frames: 2 of them need 12
    with pytest.raises(ValueError, match="fit window") as err:
        check_segment_lags(n_total // 10, DT, where="EH: a run", fit_window=(0.1, 0.6),
                           n_blocks=10, n_total=n_total)
    message = str(err.value)
    assert ("fewer n_blocks" in message) is fewer
    assert ("too short even for 2 segments" in message) is (not fewer)


def test_one_segment_per_run_is_not_advised_fewer():
    with pytest.raises(ValueError, match="fit window") as err:
        check_segment_lags(5, DT, where="EH: a run", fit_window=(0.1, 0.6), n_blocks=1,
                           n_total=5)
    assert "fewer n_blocks" not in str(err.value)


@pytest.fixture(scope="module")
def stress():
    x = ornstein_uhlenbeck(np.random.default_rng(3), 400, (3, 3), 0.05, 0.002, 100.0)
    return 0.5 * (x + x.transpose(0, 2, 1))


@pytest.mark.parametrize("max_lag, advice, not_advice", [
    (0.05, "a longer max_lag", "n_blocks"),
    (None, "fewer n_blocks", "a longer max_lag"),
])
def test_plateau_beyond_the_lags_advises_what_ends_them(stress, max_lag, advice, not_advice):
    col = IonCollection.from_pressure_tensor(stress, dt=0.002, volume=1e4, temperature=T)
    with pytest.raises(ValueError, match="ends beyond the longest lag") as err:
        GreenKuboViscosity.from_collections(col, temperature=T, max_lag=max_lag,
                                            plateau=(0.02, 5.0))
    message = str(err.value)
    assert advice in message and not_advice not in message


def test_plateau_of_one_segment_per_run_does_not_advise_fewer(stress):
    # two runs, one segment each (the default): n_blocks cannot go lower
    cols = [IonCollection.from_pressure_tensor(stress[k * 200:(k + 1) * 200], dt=0.002,
                                               volume=1e4, temperature=T) for k in range(2)]
    with pytest.raises(ValueError, match="ends beyond the longest lag") as err:
        GreenKuboViscosity.from_collections(cols, temperature=T, plateau=(0.02, 5.0))
    message = str(err.value)
    assert "more samples" in message and "n_blocks" not in message
