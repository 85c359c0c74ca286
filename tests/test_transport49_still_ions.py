"""Green–Kubo, Einstein–Helfand and Onsager treat ions that do not move alike: refused.

Found by probing: on frozen ions ``EinsteinHelfandConductivity`` reported σ = 0 ± 0 (not valid)
while Green–Kubo and Onsager refused ("nothing moves"); and where only some segments were still
(a frozen replica beside a moving one, or a trajectory whose first half does not move) Green–Kubo
and Onsager failed with "5 of the estimates to average are NaN ... drop or recompute those"
(an internal step: the transference numbers' 0/0) and Einstein–Helfand called σ valid with
every transference number NaN. Now all three refuse before any result, naming the segments.
Nearly frozen ions (tiny but real motion) are a result: σ scales as the velocities squared.
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    OnsagerCoefficients,
)

DT = 0.01
N = 600
ANALYSES = [EinsteinHelfandConductivity, GreenKuboConductivity, OnsagerCoefficients]


def _moving(scale=1.0, seed=1):
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, N, (8, 3), 0.05, DT, 1.0) * scale
    return v, integrate(v, DT)


def _frozen_everywhere():
    return salt_universe(np.zeros((N, 8, 3)), np.zeros((N, 8, 3)), n_cations=4, dt=DT)


def _frozen_off_origin():
    rng = np.random.default_rng(3)
    p = 10 + rng.uniform(0, 20, (1, 8, 3)) + np.zeros((N, 8, 3))
    return salt_universe(np.zeros((N, 8, 3)), p, n_cations=4, dt=DT)


def _first_half_frozen():
    v, p = _moving()
    v[: N // 2] = 0
    p[: N // 2] = 0
    p[N // 2:] -= p[N // 2]
    return salt_universe(v, p, n_cations=4, dt=DT)


def _one_replica_frozen():
    v, p = _moving()
    return [salt_universe(np.zeros_like(v), np.zeros_like(p), n_cations=4, dt=DT),
            salt_universe(v, p, n_cations=4, dt=DT)]


CASES = {"frozen": _frozen_everywhere, "frozen off origin": _frozen_off_origin,
         "first half frozen": _first_half_frozen, "one replica frozen": _one_replica_frozen}


@pytest.mark.parametrize("cls", ANALYSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("case", list(CASES))
def test_still_ions_are_refused_alike(cls, case):
    u = CASES[case]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="nothing moves") as err:
            cls(u, IONS, 300).run()
    assert "NaN" not in str(err.value)


@pytest.mark.parametrize("cls", ANALYSES, ids=lambda c: c.__name__)
def test_the_still_segments_are_named(cls):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"nothing moves in 5 of the 10 segments "
                                             r"\(Universe 0: segments 1, 2, 3, 4, 5 of 10\)"):
            cls(_first_half_frozen(), IONS, 300).run()
        with pytest.raises(ValueError, match=r"nothing moves in 1 of the 2 segments"):
            cls(_one_replica_frozen(), IONS, 300).run()


@pytest.mark.parametrize("cls", ANALYSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("scale", [1e-3, 1e-6])
def test_nearly_frozen_ions_are_measured(cls, scale):
    # the same motion, slower by `scale`: σ by scale², the transference numbers unchanged
    def sigma(s):
        v, p = _moving(s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cls(salt_universe(v, p, n_cations=4, dt=DT), IONS, 300).run().results

    ref, slow = sigma(1.0), sigma(scale)
    assert np.isfinite(slow.conductivity.value) and slow.conductivity.value > 0
    assert slow.conductivity.value == pytest.approx(ref.conductivity.value * scale**2, rel=1e-4)
    assert slow.conductivity.stderr == pytest.approx(ref.conductivity.stderr * scale**2,
                                                     rel=1e-3)
    for name, t in slow.transference_numbers.items():
        assert t.value == pytest.approx(ref.transference_numbers[name].value, rel=1e-4)
