"""The share of SSIPs in networks: its Estimate is the pooled share of all SSIP shells.

Its plain value (``ssip_networks["fraction_in_networks"]``) counts every SSIP shell; the
Estimate averaged the frames' own shares, which weighs a frame of one SSIP as one of many and is
biased where the share goes with the number of SSIPs (more SSIPs, more of them joined): 0.525 ±
0.074 beside a plain value of 0.587 on a random cell, 0.5 for 8/9 on frames that alternate one
isolated SSIP with eight joined ones. The Estimate is now :func:`pooled_ratio_estimate` of the
networked and all SSIPs per frame: the plain value, with an error calibrated over replicas.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from mda_electrolyte import SolvationShells
from mda_electrolyte.shell_summary import _ssip_networks, pooled_ratio_estimate

sys.path.insert(0, str(Path(__file__).parent))
from test_struct29_solvation_analysis_cases import _cell  # noqa: E402


def test_alternating_frames_give_the_pooled_share():
    # 9 cations; even frames: one isolated SSIP (8 CIPs), odd frames: 8 SSIPs in one network
    n_frames, n_cat = 60, 9
    codes = np.ones((n_frames, n_cat), dtype=np.int8)
    sizes = np.zeros((n_frames, n_cat), dtype=np.int64)
    codes[0::2, 0] = 0
    sizes[0::2, 0] = 1
    codes[1::2, :8] = 0
    sizes[1::2, :8] = 8
    counts = {"S": np.ones((n_frames, n_cat), dtype=np.int32)}
    out = _ssip_networks(codes, sizes, counts, counts["S"], n_cat)
    plain = out["ssip_networks"]["fraction_in_networks"]
    est = out["_ssip_fraction_estimate"]
    assert plain == pytest.approx(8 / 9)
    assert est.value == pytest.approx(plain, rel=1e-12)


@pytest.mark.parametrize("store_table", [True, False])
@pytest.mark.parametrize("convention", ["anion_count", "bridging"])
@pytest.mark.parametrize("seed", [1, 3])
def test_run_estimate_equals_plain_share(seed, convention, store_table):
    u = _cell(seed=seed, n_li=16, n_dme=30, n_bf4=6, n_frames=12)
    li = u.select_atoms("element Li")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = SolvationShells(li, {"BF4": u.select_atoms("resname BF4")},
                              {"DME": u.select_atoms("resname DME")},
                              cutoffs={"BF4": 2.5, "DME": 3.2}, convention=convention,
                              rdf_range=(0.0, 8.0), store_table=store_table).run().results
    plain = res.ssip_networks["fraction_in_networks"]
    est = res.estimates["ssip_fraction_in_networks"]
    assert res.ssip_networks["n_ssip"] > 0 and 0.0 < plain < 1.0
    assert est.value == pytest.approx(plain, rel=1e-12)


def _replica(rng, n_frames=400, n_max=20):
    # the number of SSIPs per frame and the chance that one is joined go together: the share
    # over all SSIPs, E[N²]/(n_max E[N]) = 0.525, differs from the frames' mean share, 0.5
    n = rng.binomial(n_max, 0.5, size=n_frames)
    s = rng.binomial(n, n / n_max)
    return s, n


def test_pooled_share_error_is_calibrated_over_replicas():
    rng = np.random.default_rng(52)
    truth = (5.0 + 100.0) / 20.0 / 10.0
    z = []
    for _ in range(300):
        s, n = _replica(rng)
        est = pooled_ratio_estimate(s, n, n_cations=20, what="share")
        z.append((est.value - truth) / est.stderr)
    z = np.abs(np.array(z))
    assert 0.60 <= np.mean(z < 1.0) <= 0.78
    assert np.mean(z < 2.0) >= 0.92


def test_frames_without_events_and_none():
    assert pooled_ratio_estimate(np.zeros(8), np.zeros(8), 4) is None
    s = np.array([0, 1, 2, 0, 3, 1, 0, 2, 1, 1.0])
    n = np.array([0, 2, 2, 0, 4, 3, 0, 2, 2, 2.0])
    est = pooled_ratio_estimate(s, n, 4)
    assert est.value == pytest.approx(s.sum() / n.sum())
    assert est.unit == "1"
