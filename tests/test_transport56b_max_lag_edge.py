"""A ``max_lag`` within the checks' 1e-3 of half a lag past a segment's last lag.

:func:`~mda_electrolyte.correlation.check_segment_lags` refuses a ``max_lag`` only where it
needs more rows than a segment holds at any spacing within 1e-3 of the nominal one (the frames'
times decide after the pass). ``max_lag = 10.5049`` frame spacings on segments of 11 frames
passed it, then rounded to 12 lags: Green–Kubo conductivity and Onsager refused it after the
pass ("needs segments of more than 11 frames; a segment has 11 ... use fewer n_blocks", also
with one segment a run), the viscosity failed inside the correlation ("n_lags must be between 1
and the number of frames 11, not 12"). Such a ``max_lag`` now takes the segment's last lag: the
results equal those of a ``max_lag`` just below the half lag, and one beyond the tolerance is
refused before any work, as before.
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import GreenKuboConductivity, GreenKuboViscosity, OnsagerCoefficients

DT = 0.05


@pytest.fixture(scope="module")
def systems():
    rng = np.random.default_rng(11)
    runs = []
    for n_frames in (55, 62):
        v = ornstein_uhlenbeck(rng, n_frames, (4, 3), 0.1, DT, 2.0)
        runs.append(salt_universe(v, integrate(v, DT), n_cations=2, dt=DT, box=40.0))
    off = ornstein_uhlenbeck(rng, 55, (3,), 0.3, DT, 300.0)
    p = np.zeros((55, 3, 3))
    for k, (a, b) in enumerate(((0, 1), (0, 2), (1, 2))):
        p[:, a, b] = p[:, b, a] = off[:, k]
    return runs, p


def _gk(runs, p, max_lag, n_blocks):
    return GreenKuboConductivity(runs, IONS, temperature=300.0, volume=64000.0,
                                 n_blocks=n_blocks, max_lag=max_lag)


def _onsager(runs, p, max_lag, n_blocks):
    return OnsagerCoefficients(runs, IONS, temperature=300.0, volume=64000.0,
                               n_blocks=n_blocks, max_lag=max_lag, method="green-kubo")


def _viscosity(runs, p, max_lag, n_blocks):
    return GreenKuboViscosity(p, temperature=300.0, volume=64000.0, dt=DT,
                              components="offdiagonal", n_blocks=n_blocks, max_lag=max_lag)


def _run(make, systems, ratio, n_blocks):
    runs, p = systems
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make(runs, p, ratio * DT, n_blocks).run().results


def _numbers(results):
    """The correlation/running-integral arrays of the results, by name."""
    out = {}
    for key, value in sorted(vars(results).items() if not hasattr(results, "keys")
                             else results.items()):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            out[key] = value
    return out


# segments of 11 frames/samples: the shortest run (55 frames) in 5 blocks, or 11 blocks of
# the tensor; 10.5 lags is the half lag past the last (10th) lag
CASES = [(_gk, 5), (_onsager, 5), (_viscosity, 5), (_gk, 1), (_onsager, 1)]


@pytest.mark.parametrize("make, n_blocks", CASES, ids=lambda c: getattr(c, "__name__", c))
@pytest.mark.parametrize("ratio", [10.5004, 10.5049, 10.50999])
def test_a_max_lag_at_the_half_lag_edge_takes_the_last_lag(systems, make, n_blocks, ratio):
    # segments of 11 frames (5 blocks of the 55-frame run) or of 55 (one block a run)
    last = 10.0 if n_blocks == 5 else 54.0
    edge = _run(make, systems, last + ratio - 10.0, n_blocks)
    below = _run(make, systems, last + 0.4999, n_blocks)
    a, b = _numbers(edge), _numbers(below)
    assert a and a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("make, n_blocks", CASES, ids=lambda c: getattr(c, "__name__", c))
def test_a_max_lag_beyond_the_tolerance_is_refused_before_the_pass(systems, make, n_blocks):
    runs, p = systems
    # beyond 1e-3 of the half lag at any spacing (54.5 lags: 0.055)
    ratio = 10.52 if n_blocks == 5 else 54.6
    with pytest.raises(ValueError, match=r"needs segments of more than \d+ (frames|samples)\. "
                                         r"The run"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            make(runs, p, ratio * DT, n_blocks).run()
