"""The viscosity sees only the symmetric traceless part of the pressure tensor.

A pressure tensor with a trace (a mean pressure of any size, and its fluctuations) and one that
is not symmetric (an antisymmetric part, as a molecular virial of rigid bodies may give) are
what the shear viscosity formulas must ignore: P° = (P + Pᵀ)/2 − tr(P)/3·1 (Daivis & Evans
1994) and the symmetrised off-diagonal elements. Adding either to a tensor changes neither the
Green–Kubo nor the Einstein–Helfand viscosity, to round-off; transposing the tensor neither.
"""

import warnings

import numpy as np
import pytest
from transport_data import ornstein_uhlenbeck

from mda_electrolyte import EinsteinHelfandViscosity, GreenKuboViscosity

T, V, DT, TAU, S, N = 300.0, 2.0e4, 0.002, 0.02, 300.0, 6000


def _shear(seed):
    rng = np.random.default_rng(seed)
    p = np.zeros((N, 3, 3))
    off = ornstein_uhlenbeck(rng, N, (3,), TAU, DT, S)
    diag = ornstein_uhlenbeck(rng, N, (3,), TAU, DT, S)
    p[:, [0, 1, 2], [0, 1, 2]] = diag - diag.mean(axis=1, keepdims=True)
    for k, (a, b) in enumerate(((0, 1), (0, 2), (1, 2))):
        p[:, a, b] = p[:, b, a] = off[:, k]
    return p


def _viscosities(p, components):
    kw = dict(temperature=T, volume=V, dt=DT, components=components, n_blocks=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gk = GreenKuboViscosity(p, max_lag=10 * TAU, **kw).run().results
        eh = EinsteinHelfandViscosity(p, **kw).run().results
    return np.array([gk.viscosity, gk.viscosity_err, eh.viscosity, eh.viscosity_err])


@pytest.mark.parametrize("components", ["traceless", "offdiagonal"])
@pytest.mark.parametrize("added", ["mean pressure", "fluctuating trace", "antisymmetric",
                                   "transposed"])
def test_trace_and_antisymmetric_parts_do_not_change_the_viscosity(components, added):
    p = _shear(11)
    rng = np.random.default_rng(12)
    q = p.copy()
    if added == "mean pressure":
        # 1 kbar (a compressed liquid); the shear fluctuations are 0.3 kbar
        q += 1000.0 * np.eye(3)
    elif added == "fluctuating trace":
        q += (1000.0 + 200.0 * rng.standard_normal(N))[:, None, None] * np.eye(3)
    elif added == "antisymmetric":
        a = ornstein_uhlenbeck(rng, N, (3,), TAU, DT, 500.0)
        for k, (i, j) in enumerate(((0, 1), (0, 2), (1, 2))):
            q[:, i, j] += a[:, k]
            q[:, j, i] -= a[:, k]
    else:
        q = np.ascontiguousarray(q.transpose(0, 2, 1))
    ref = _viscosities(p, components)
    got = _viscosities(q, components)
    assert np.all(np.isfinite(ref)) and ref[0] > 0
    np.testing.assert_allclose(got, ref, rtol=1e-8)
