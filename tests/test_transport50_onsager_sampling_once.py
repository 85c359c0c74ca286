"""OnsagerCoefficients judges each coefficient by the currents it integrates: the pair a-b by
the summed velocities (Einstein: position increments) of a and of b. Each species' columns took
their statistical inefficiency anew in every pair (78 pymbar calls for 5 species, 2.25 s of
3.6 s at 100k frames); they are computed once per run (15 species columns + 3 of the charge
current) and the verdicts are those of the per-pair computation."""

import warnings

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck

import mda_electrolyte.uncertainty as uncertainty
from mda_electrolyte import OnsagerCoefficients
from mda_electrolyte.correlation import independence_notes
from mda_electrolyte.ion_collection import IonCollection

SPECIES = {"A": 2, "B": 2, "C": 3, "D": 3, "E": 4}
CHARGES = {"A": 1.0, "B": -1.0, "C": 2.0, "D": -2.0, "E": 0.0}
DT = 0.05


def _collections(n_runs, n_frames=800):
    rng = np.random.default_rng(11)
    out = []
    for k in range(n_runs):
        v = ornstein_uhlenbeck(rng, n_frames, (14, 3), 0.2, DT, 1.0)
        out.append(IonCollection.from_arrays(SPECIES, dt=DT, velocities=v,
                                             positions=integrate(v, DT), charges=CHARGES,
                                             volume=8000.0, label=f"run {k}"))
    return out


@pytest.mark.parametrize("method", ["einstein", "green_kubo"])
@pytest.mark.parametrize("n_runs", [1, 2])
def test_each_column_is_judged_once(monkeypatch, method, n_runs):
    calls = []
    original = uncertainty.timeseries_mean

    def counted(x, **kw):
        calls.append(1)
        return original(x, **kw)

    monkeypatch.setattr(uncertainty, "timeseries_mean", counted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        o = OnsagerCoefficients.from_collections(_collections(n_runs), temperature=300.0,
                                                 method=method, n_blocks=2)
    # 3 Cartesian columns per species and per run, and the charge current's 3
    assert len(calls) == n_runs * 3 * (len(SPECIES) + 1)
    monkeypatch.setattr(uncertainty, "timeseries_mean", original)
    # the verdicts are those of each pair's series judged on its own
    names = list(SPECIES)
    eye = np.eye(len(names))
    for a, b in (("A", "A"), ("B", "E"), ("D", "C")):
        i, j = names.index(a), names.index(b)
        got = o._sampling_notes(eye[sorted({i, j})], "x", [np.ones(2)])
        runs = [np.concatenate([np.einsum("tsk,s->tk", f, w) for w in eye[sorted({i, j})]],
                               axis=1) for f in o._current_runs]
        assert got == independence_notes(
            runs, 2, "x" + (" (position increments)" if method == "einstein" else ""))
