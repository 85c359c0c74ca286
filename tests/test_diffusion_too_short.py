"""Diffusion counts independent samples as Green–Kubo and Einstein–Helfand do ("too short").

The log-log slope check alone let short segments through once the slope's jackknife error over
few ions had widened its tolerance: five blocks of 4 velocity correlation times (2 ions per
species) gave D 14 % low and "valid" in 7 of 40 replicas. The one rule of
:func:`mda_electrolyte.correlation.independence_notes` now judges the ions' position increments
(the frame-averaged velocities): 50 independent samples over all input and segments of at least
4 correlation times.
"""

import re
import warnings

import numpy as np
import pytest
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import Diffusion, EinsteinHelfandConductivity
from mda_electrolyte.correlation import independence_notes
from mda_electrolyte.ion_collection import IonCollector

S = 2.0


def _salt(seed, n_frames, n_ions, tau, dt):
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, n_frames, (2 * n_ions, 3), tau, dt, S)
    return salt_universe(v, integrate(v, dt), n_cations=n_ions, dt=dt, box=40.0)


def _diffusion(u, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return Diffusion(u, IONS, **kwargs).run().results


def test_short_segments_of_few_ions_are_too_short_not_valid():
    # 400 frames of 0.05 ps, tau = 0.5 ps: 5 segments of 4 tau (8 correlation times of the
    # increments, g ~ 2 tau / dt = 20 frames), 20 independent samples over the run
    values, verdicts = [], []
    for seed in range(20):
        r = _diffusion(_salt(seed, 400, 2, 0.5, 0.05), n_blocks=5, remove_drift=False)
        values.append(r.D["AN"])
        verdicts.append(r.verdict["AN"])
    assert all("too short: the position-increment series of AN holds" in v
               for v in verdicts), verdicts
    assert all(not v.startswith("valid") for v in verdicts)
    # what the verdict protects against: the value is biased low (ballistic start of each
    # segment inside the fit window)
    assert np.mean(values) < 0.95 * S**2 * 0.5


def test_segments_shorter_than_four_correlation_times_are_named():
    # a long run (many independent samples) cut into segments of 2 correlation times
    r = _diffusion(_salt(3, 4000, 4, 0.5, 0.05), n_blocks=100, remove_drift=False)
    assert re.search(r"segments of 39 samples span less than 4 correlation times of the "
                     r"position-increment series of AN \((1\d|2\d)\.\d samples each\)",
                     r.verdict["AN"])


def test_long_runs_stay_valid_and_unbiased():
    # 4000 frames, 10 segments of 20 tau: every replica long enough, D within its error
    z = []
    for seed in range(12):
        r = _diffusion(_salt(100 + seed, 4000, 8, 0.1, 0.05))
        est = r.diffusion_coefficient["AN"]
        assert "too short" not in est.verdict, est.verdict
        z.append((est.value - S**2 * 0.1) / est.stderr)
    assert np.all(np.abs(z) < 4.5) and abs(np.mean(z)) < 4.5 / np.sqrt(len(z)) * 1.5


def test_the_verdict_is_that_of_the_shared_rule_on_the_increments():
    u = _salt(7, 600, 3, 0.5, 0.05)
    r = _diffusion(u, n_blocks=4, remove_drift=False)
    col = IonCollector(u, IONS).run().collection
    sl = col.species_slices()["Li"]
    inc = np.diff(col.ion_positions[:, sl], axis=0).reshape(col.ion_positions.shape[0] - 1, -1)
    expected = independence_notes([inc], 4, "the position-increment series of Li")
    assert expected and all(n in r.diffusion_coefficient["Li"].notes for n in expected)


def test_independent_runs_are_counted_together():
    # three independent runs of 400 frames: 3 x 20 = 60 independent samples together, and
    # one segment per run of 20 correlation times: long enough, where one run alone is not
    runs = [_salt(40 + k, 400, 4, 0.5, 0.05) for k in range(6)]
    alone = _diffusion(runs[0], n_blocks=1, remove_drift=False)
    assert "too short" in alone.verdict["AN"]
    together = _diffusion(runs, remove_drift=False)
    assert "too short" not in together.verdict["AN"], together.verdict["AN"]


@pytest.mark.parametrize("n_frames", [400, 4000])
def test_diffusion_and_einstein_helfand_agree_on_too_short(n_frames):
    # the same increments' correlation: the conductivity and D of one salt are too short
    # together or long enough together
    u = _salt(9, n_frames, 4, 0.5, 0.05)
    d = _diffusion(u, remove_drift=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        eh = EinsteinHelfandConductivity(u, IONS, temperature=300.0).run().results
    assert ("too short" in d.verdict["AN"]) == ("too short" in eh.conductivity.verdict)
