"""A run too short for its segments is refused with the run's length and what would suffice.

20 frames of a 1.9 ps trajectory, split into the default 10 segments, were refused with "the
fit window ((0.1, 0.6) of a 0.1 ps segment) holds 0 lags" from collections (the CLI's one pass)
and "segments of 2 frames of 0.1 ps (0.1 ps)" from a Universe: neither said the run was 1.9 ps,
that it was split into 10 segments for the error bar, nor how long a run or how few segments
would do.
"""

import re
import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    OnsagerCoefficients,
)
from mda_electrolyte.correlation import check_segment_lags
from mda_electrolyte.ion_collection import IonCollector

SPECIES = {"LI": "resname LI", "PF": "resname PF"}


@pytest.fixture(scope="module")
def short_run():
    """8 ions, 20 frames 0.1 ps apart (a 1.9 ps dump), with velocities."""
    rng = np.random.default_rng(0)
    u = mda.Universe.empty(8, n_residues=8, atom_resindex=np.arange(8), trajectory=True)
    u.add_TopologyAttr("resname", ["LI"] * 4 + ["PF"] * 4)
    u.add_TopologyAttr("charges", [1.0] * 4 + [-1.0] * 4)
    u.add_TopologyAttr("masses", [7.0] * 4 + [145.0] * 4)
    pos = 10 + np.cumsum(0.3 * rng.normal(size=(20, 8, 3)), axis=0)
    u.load_new(pos.astype(np.float32), format=MemoryReader, dt=0.1,
               dimensions=np.array([20.0, 20, 20, 90, 90, 90]),
               velocities=rng.normal(size=(20, 8, 3)).astype(np.float32))
    return u


ANALYSES = {
    "diffusion": (Diffusion, {"n_blocks": 10}),
    "einstein-helfand": (EinsteinHelfandConductivity, {"temperature": 300.0}),
    # frames 0.1 ps apart are too coarse for Green–Kubo (its own refusal, after the pass)
    "green-kubo": (GreenKuboConductivity, {"temperature": 300.0, "max_lag": 0.5,
                                           "check_sampling": False}),
    "onsager": (OnsagerCoefficients, {"temperature": 300.0}),
}


def _refusal(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as info:
            make()
    return str(info.value)


@pytest.mark.parametrize("route", ["universe", "collections"])
@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_the_refusal_says_the_run_its_split_and_what_suffices(short_run, name, route):
    cls, kw = ANALYSES[name]
    if route == "universe":
        message = _refusal(lambda: cls(short_run, SPECIES, **kw).run())
    else:
        col = IonCollector(short_run, SPECIES).run().collection
        message = _refusal(lambda: cls.from_collections(col, **kw))
    assert "1.9 ps" in message                      # the run, not only its segment
    assert "The run (20 frames" in message          # its exact length, by either route
    assert "n_blocks = 10 segments" in message      # why it is cut
    assert "error bar is their scatter" in message
    need = int(re.search(r"needs segments of at least (\d+) frames", message).group(1))
    # the run that would do at this spacing: 10 segments of `need` frames
    assert f"a run of {10 * need} frames ({(10 * need - 1) * 0.1:.4g} ps)" in message
    allowed = re.search(r"this run allows n_blocks = (\d+)", message)
    if allowed is None:
        assert 20 // need < 2 and "too short even for 2 segments" in message
        return
    # the n_blocks it names is accepted by the same check (the estimate itself may still be
    # "too short": this run is short)
    n_blocks = int(allowed.group(1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cls(short_run, SPECIES, **{**kw, "n_blocks": n_blocks}).run()


@pytest.mark.parametrize("window", [dict(fit_window=(0.1, 0.6)), dict(fit_window=(0.1, 0.3)),
                                    dict(fit_window=(0.5, 0.55)), dict(max_lag=0.5),
                                    dict(max_lag=2.0), dict(fit_window_ps=(0.2, 1.0)),
                                    dict(fit_window_ps=(1.05, 1.3))])
@pytest.mark.parametrize("dt", [0.1, 0.03])
def test_the_segment_length_named_is_the_shortest_that_passes(window, dt):
    # checked against the check itself: `need` rows pass, `need - 1` are refused
    message = _refusal(lambda: check_segment_lags(3, dt, where="X: segments of 3 frames",
                                                  n_blocks=4, n_total=13, **window))
    found = re.search(r"needs segments of at least (\d+) frames", message)
    assert found, message
    need = int(found.group(1))
    check_segment_lags(need, dt, where="X", **window)
    with pytest.raises(ValueError):
        check_segment_lags(need - 1, dt, where="X", **window)
    assert "The run (13 frames" in message and "n_blocks = 4 segments" in message


def test_a_window_too_narrow_for_any_segment_names_no_length():
    # 3 lags of 0.1 ps cannot fit 0.2-0.25 ps whatever the run: only a wider window helps
    message = _refusal(lambda: check_segment_lags(3, 0.1, where="X: segments of 3 frames",
                                                  fit_window_ps=(0.2, 0.25), n_blocks=4))
    assert "needs segments of at least" not in message
    assert "a wider window fit_window_ps" in message
    assert "The run (at least 12 frames, 1.1 ps)" in message


@pytest.mark.parametrize("fit_window", [(0.1, 0.6), (0.1, 0.3), (0.2, 0.7)])
def test_the_fit_and_the_check_before_reading_agree_on_every_segment_length(fit_window):
    # before: 6 frames 0.1 ps apart passed the check (lags 1-3 of 0.5-3.0 in lag units) but
    # the fit refused them after the whole pass, 0.6 x 0.5 ps < 3 x 0.1 ps in floating point
    from mda_electrolyte.correlation import fit_window_slice

    for dt in (0.1, 0.03, 0.07, 0.002):
        for n in range(3, 60):
            time = np.arange(n) * dt
            try:
                check_segment_lags(n, dt, where="X", fit_window=fit_window)
            except ValueError:
                with pytest.raises(ValueError, match="holds"):
                    fit_window_slice(time, fit_window, None)
                continue
            window = fit_window_slice(time, fit_window, None)
            assert window.stop - window.start >= 3, (dt, n)
