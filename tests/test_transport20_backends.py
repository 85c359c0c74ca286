"""Every MDAnalysis backend gives the serial transport results, for every number of ``results``.

The carrier analyses are multi-Universe orchestrators (not AnalysisBase): ``run`` hands its
backend to one IonCollector per Universe. Here Green–Kubo and Einstein–Helfand conductivity,
Diffusion (unwrapped) and Onsager coefficients of two OU-velocity salt runs, with a start/stop/
step selection split into 3 parts over 2 workers, are compared with serial runs field by field
(Estimates by value, error and verdict). The Onsager case is repeated with dask (slow to start,
so once).
"""

import warnings

import numpy as np
import pytest
from MDAnalysis.analysis.base import AnalysisBase
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    OnsagerCoefficients,
)
from mda_electrolyte.carriers import CarrierAnalysis
from mda_electrolyte.ion_collection import IonCollector

DT = 0.02  # ps


def _universe(seed, n_frames=300):
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, n_frames, (8, 3), 0.1, DT, 0.05)
    # positions wander across the 12 Å box, so unwrapping matters
    return salt_universe(v, 20 + integrate(v, DT), n_cations=4, dt=DT, box=12.0)


CASES = {
    "green-kubo": (GreenKuboConductivity, {"temperature": 300.0, "max_lag": 0.2,
                                           "check_sampling": False}),
    "einstein-helfand": (EinsteinHelfandConductivity, {"temperature": 300.0}),
    "diffusion": (Diffusion, {"unwrap": True}),
    "onsager": (OnsagerCoefficients, {"temperature": 300.0, "unwrap": True}),
}
SELECTION = {"start": 3, "stop": 290, "step": 2}


def _flat(x, key=""):
    """Every leaf of ``results``: arrays, numbers, strings; an Estimate as (value, error,
    verdict)."""
    if isinstance(x, Estimate):
        return {key: (float(x.value), float(x.stderr)), key + ".verdict": x.verdict}
    if hasattr(x, "items"):
        out = {}
        for k, v in x.items():
            out.update(_flat(v, f"{key}.{k}"))
        return out
    if isinstance(x, (list, tuple)) and x and any(isinstance(v, (Estimate, dict)) for v in x):
        out = {}
        for k, v in enumerate(x):
            out.update(_flat(v, f"{key}[{k}]"))
        return out
    return {key: x}


def _assert_same(serial, parallel):
    a, b = _flat(serial), _flat(parallel)
    assert a.keys() == b.keys()
    numeric = 0
    for k in a:
        try:
            x, y = np.asarray(a[k], dtype=float), np.asarray(b[k], dtype=float)
        except (TypeError, ValueError):
            assert str(a[k]) == str(b[k]), k
            continue
        numeric += 1
        np.testing.assert_allclose(y, x, rtol=1e-10, atol=0, equal_nan=True, err_msg=k)
    assert numeric >= 5      # the comparison saw the numbers, not an empty results


def _run(cls, kw, universes, selection=SELECTION, **run_kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(universes, IONS, **kw).run(**selection, **run_kw).results


@pytest.fixture(scope="module")
def runs():
    return [_universe(1), _universe(2)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_multiprocessing_equals_serial_over_several_universes(runs, name):
    cls, kw = CASES[name]
    serial = _run(cls, kw, runs)
    parallel = _run(cls, kw, runs, backend="multiprocessing", n_workers=2, n_parts=3)
    _assert_same(serial, parallel)


def test_dask_equals_serial():
    pytest.importorskip("dask")
    cls, kw = CASES["onsager"]
    u = _universe(3, n_frames=400)
    # one run in 10 blocks: a longer selection than for two runs
    selection = {"start": 3, "stop": 390, "step": 2}
    _assert_same(_run(cls, kw, u, selection),
                 _run(cls, kw, u, selection, backend="dask", n_workers=2, n_parts=2))


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_orchestrator_names_its_backends_and_is_no_analysisbase(name):
    cls, _ = CASES[name]
    # the backends run() takes are those of the collector it hands them to
    assert cls.get_supported_backends() == IonCollector.get_supported_backends()
    assert {"serial", "multiprocessing", "dask"} <= set(cls.get_supported_backends())
    assert issubclass(cls, CarrierAnalysis) and not issubclass(cls, AnalysisBase)
    assert "not** an :class:`MDAnalysis.analysis.base.AnalysisBase`" in CarrierAnalysis.__doc__
