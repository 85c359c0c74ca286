"""A segment too short for ``max_lag`` or a fit window: the advice counts the runs.

:func:`~mda_electrolyte.correlation.check_segment_lags` said "this run is too short even for 2
segments" of two runs of 8 frames each split in 2, with ``max_lag`` needing 6 frames a
segment, though with several runs one segment each is accepted (and Diffusion takes one
segment of one run, its error being over the ions). Now such a refusal says the ``n_blocks``
the run allows (1) and advises fewer, and that advice is accepted; one run of the estimators
whose error is the scatter of its segments is still told it is too short for 2.
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    GreenKuboConductivity,
    GreenKuboViscosity,
    OnsagerCoefficients,
)

DT = 0.05
KW = dict(temperature=300.0, volume=64000.0)


def _universe(seed):
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, 8, (4, 3), 0.1, DT, 2.0)
    return salt_universe(v, integrate(v, DT), n_cations=2, dt=DT, box=40.0)


def _tensor(seed):
    a = np.random.default_rng(seed).normal(size=(8, 3, 3))
    return a + a.transpose(0, 2, 1)


# each needs segments of 6 frames (max_lag 0.25 ps) or 5 (3 lags in 0.1-0.3 ps); 8 a run
MAKERS = {
    "green_kubo": lambda runs, nb: GreenKuboConductivity(runs, IONS, n_blocks=nb,
                                                         max_lag=0.25, **KW).run(),
    "onsager": lambda runs, nb: OnsagerCoefficients(runs, IONS, n_blocks=nb, max_lag=0.25,
                                                    method="green-kubo", **KW).run(),
    "einstein_helfand": lambda runs, nb: EinsteinHelfandConductivity(
        runs, IONS, n_blocks=nb, fit_window_ps=(0.1, 0.3), **KW).run(),
    "diffusion": lambda runs, nb: Diffusion(runs, IONS, n_blocks=nb,
                                            fit_window_ps=(0.1, 0.3)).run(),
    "viscosity": lambda runs, nb: GreenKuboViscosity(
        [_tensor(k) for k in range(len(runs))] if isinstance(runs, list) else _tensor(0),
        dt=DT, n_blocks=nb, max_lag=0.25, **KW),
}


def _refusal(make, runs, n_blocks):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            make(runs, n_blocks)
        except ValueError as exc:
            return str(exc)
    return None


@pytest.mark.parametrize("name", sorted(MAKERS))
@pytest.mark.parametrize("n_runs", [1, 2])
def test_the_advice_counts_the_runs(name, n_runs):
    runs = [_universe(k) for k in range(n_runs)] if n_runs > 1 else _universe(0)
    text = _refusal(MAKERS[name], runs, 2)
    assert text is not None and "needs segments of at least" in text, text
    one_segment_allowed = n_runs > 1 or name == "diffusion"
    if one_segment_allowed:
        assert "this run allows n_blocks = 1" in text and "give fewer n_blocks" in text, text
        assert "too short even for 2 segments" not in text, text
        later = _refusal(MAKERS[name], runs, 1)
        assert later is None or "segments of" not in later, later
    else:
        assert "too short even for 2 segments" in text and "fewer n_blocks" not in text, text
