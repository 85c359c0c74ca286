"""The self and distinct parts of the Onsager coefficients carry their errors and verdicts.

Found by probing: ``OnsagerCoefficients(...).results.L_distinct`` was a bare matrix without an
error (``L_self`` had ``L_self_err``, neither an Estimate or a verdict), so the distinct part of
L_aa, the ion-ion correlation the papers discuss, came as a number alone. Now
``results.self_coefficients`` and ``results.distinct_coefficients`` are Estimates judged as
L_aa is, and ``results.L_distinct_err`` the segments' error of the matrix.
"""

import warnings

import numpy as np
import pytest
from scipy import constants
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import OnsagerCoefficients

DT, N, BOX, TAU, S_V = 0.01, 8, 40.0, 0.05, 1.0


@pytest.fixture(scope="module")
def salt():
    rng = np.random.default_rng(11)
    v = ornstein_uhlenbeck(rng, 3000, (2 * N, 3), TAU, DT, S_V)
    return salt_universe(v, integrate(v, DT), n_cations=N, dt=DT, box=BOX)


@pytest.mark.parametrize("method", ["einstein", "green-kubo"])
def test_parts_are_estimates_that_add_up(salt, method):
    kw = {} if method == "einstein" else {"max_lag": 0.5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = OnsagerCoefficients(salt, IONS, 300, method=method, **kw).run().results
    # independent ions: self part N D e²/(V k_B T) with D = s² τ, distinct part 0
    exact = (constants.e**2 * N * S_V**2 * TAU * 1e-8
             / (BOX**3 * 1e-30 * constants.k * 300.0))
    for i, name in enumerate(r.species):
        self_part = r.self_coefficients[name]
        distinct = r.distinct_coefficients[f"{name}-{name}"]
        assert isinstance(self_part, Estimate) and isinstance(distinct, Estimate)
        assert self_part.unit == distinct.unit == "S/m"
        assert self_part.value == pytest.approx(r.L_self[i, i], rel=1e-12)
        assert self_part.stderr == pytest.approx(r.L_self_err[i, i], rel=1e-9)
        assert distinct.value == pytest.approx(r.L_distinct[i, i], rel=1e-9, abs=1e-12)
        assert distinct.stderr == pytest.approx(r.L_distinct_err[i, i], rel=1e-9)
        assert self_part.value + distinct.value == pytest.approx(
            r.coefficients[f"{name}-{name}"].value, rel=1e-9)
        assert abs(self_part.value - exact) < 4 * self_part.stderr, (self_part, exact)
        assert abs(distinct.value) < 4 * distinct.stderr, distinct
        # judged as the coefficient they are parts of
        assert set(r.coefficients[f"{name}-{name}"].notes) <= set(self_part.notes)
    assert r.L_distinct_err.shape == r.L.shape and np.all(r.L_distinct_err > 0)
