"""Transport coefficients whose segments all give the same number have no error bar.

The error of every transport estimate is the scatter of its value over independent segments.
Ions moving strictly periodically with a period that divides the segments, or a run whose
frames repeat segment after segment, give the same value in every segment to rounding: σ came
out 0.0066331 ± 3.7e-19 S/m (valid) by Einstein–Helfand and Onsager, D 1.5e-4 ± 4e-17 Å²/ps
(valid). Now the error is unknown (NaN) and the estimate not valid, saying why.
"""

import warnings

import numpy as np
import pytest
from test_viscosity import DT as DT_P
from test_viscosity import pressure_process
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    EinsteinHelfandViscosity,
    GreenKuboConductivity,
    GreenKuboViscosity,
    OnsagerCoefficients,
)
from mda_electrolyte.correlation import NO_SCATTER_NOTE, transport_estimate

DT, N, NF, BOX, T = 0.05, 4, 4000, 40.0, 300.0


def _oscillating(period_ps, seed=0):
    t = np.arange(NF) * DT
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi, (2 * N, 3))
    return 2.0 * np.cos(2 * np.pi / period_ps * t[:, None, None] + phase)


def _repeated(seed=0):
    # one 400-frame stretch of Ornstein–Uhlenbeck velocities, played 10 times
    rng = np.random.default_rng(seed)
    one = ornstein_uhlenbeck(rng, NF // 10, (2 * N, 3), 0.5, DT, 2.0)
    return np.tile(one, (10, 1, 1))


def _universe(v, seed=0):
    rng = np.random.default_rng(seed + 100)
    return salt_universe(v, integrate(v, DT, rng.uniform(0, BOX, (2 * N, 3))), n_cations=N,
                         dt=DT, box=BOX)


MOTIONS = {"period 1 ps": lambda: _oscillating(1.0), "period 0.5 ps": lambda: _oscillating(0.5),
           "period 4 ps": lambda: _oscillating(4.0), "repeated frames": _repeated}


def _estimates(u):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eh = EinsteinHelfandConductivity(u, IONS, temperature=T).run().results
        on = OnsagerCoefficients(u, IONS, T).run().results
        gk = GreenKuboConductivity(u, IONS, temperature=T, max_lag=2.0).run().results
        d = Diffusion(u, IONS, n_blocks=10).run().results
    return {"EH σ": eh.conductivity, "Onsager σ": on.conductivity,
            "Onsager L Li-Li": on.coefficients["Li-Li"], "GK σ": gk.conductivity,
            "D Li": d.diffusion_coefficient["Li"], "D AN": d.diffusion_coefficient["AN"]}


@pytest.fixture(scope="module", params=list(MOTIONS))
def repeated(request):
    return request.param, _estimates(_universe(MOTIONS[request.param]()))


@pytest.mark.parametrize("which", ["EH σ", "Onsager σ", "Onsager L Li-Li", "GK σ", "D Li",
                                   "D AN"])
def test_segments_that_agree_to_rounding_give_no_error(repeated, which):
    motion, estimates = repeated
    est = estimates[which]
    assert not est.valid, (motion, which, str(est))
    assert np.isnan(est.stderr)
    assert any(n.startswith(NO_SCATTER_NOTE) for n in est.notes)


def test_sampled_motion_keeps_its_error():
    u = _universe(ornstein_uhlenbeck(np.random.default_rng(5), NF, (2 * N, 3), 0.5, DT, 2.0))
    for which, est in _estimates(u).items():
        assert np.isfinite(est.stderr) and est.stderr > 0, which
        assert not any(n.startswith(NO_SCATTER_NOTE) for n in est.notes), which


def test_a_repeated_share_says_its_own_cause_once():
    u = _universe(_repeated())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = EinsteinHelfandConductivity(u, IONS, temperature=T).run().results
    for name, est in t.transference_numbers.items():
        assert not est.valid and np.isnan(est.stderr)
        assert sum(n.startswith("no scatter") for n in est.notes) == 1, (name, est.notes)


@pytest.mark.parametrize("kind", ["green-kubo", "einstein"])
def test_a_repeated_pressure_tensor_gives_no_viscosity_error(kind):
    p = np.tile(pressure_process(0, n=1000), (10, 1, 1))
    cls = GreenKuboViscosity if kind == "green-kubo" else EinsteinHelfandViscosity
    extra = {"max_lag": 0.5} if kind == "green-kubo" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eta = cls(p, temperature=T, volume=2.0e4, dt=DT_P, **extra).run().results
    est = eta.shear_viscosity
    assert not est.valid and np.isnan(est.stderr)
    assert any(n.startswith(NO_SCATTER_NOTE) for n in est.notes)


@pytest.mark.parametrize("samples, flagged", [
    (np.full(10, 0.25), True),
    (np.full(10, -3e-8), True),
    (0.25 * (1 + 1e-13 * np.arange(10)), True),
    (np.full(10, 1e300), True),
    (0.25 * (1 + 1e-8 * np.arange(10)), True),
    (0.25 * (1 + 1e-5 * np.arange(10)), False),
    (np.zeros(10), False),
    (np.random.default_rng(0).normal(1.0, 0.1, 10), False),
])
def test_the_rule_is_relative_to_the_values(samples, flagged):
    est = transport_estimate(samples, "S/m", n_runs=1, n_blocks=10)
    assert any(n.startswith(NO_SCATTER_NOTE) for n in est.notes) == flagged
    if flagged:
        assert not est.valid and np.isnan(est.stderr)
