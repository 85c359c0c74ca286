"""A lone shell followed by a flat plateau has no first minimum to call valid.

Before: the search took the lowest noise dip of the plateau after a lone shell (one shell at
2 Å over a uniform background, no second shell) for the first minimum, and of 100 replicas
each over 40, 120 and 480 frames 6, 3 and 5 gave a valid cutoff (7.7 ± 3.0, 3.7 ± 0.9 Å...),
with a valid coordination number of 60 within 7.7 Å. Now a minimum after which g(r) does not
rise by 3 Poisson sigmas carries a warning (not valid): 1, 0 and 1 of 100.
"""

import warnings

import numpy as np
from scipy.stats import norm

from mda_electrolyte.shell_cutoffs import first_minimum

RHO = 0.03
EDGES = np.linspace(0.0, 8.0, 81)
SHELL = 4.0 / 3.0 * np.pi * np.diff(EDGES**3)


def _valid_cutoffs(expected, frames, seeds):
    scale = 8 * frames * RHO
    valid = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for seed in seeds:
            counts = np.random.default_rng(seed).poisson(scale * expected).astype(float)
            estimate = first_minimum(EDGES, counts / SHELL / scale, counts=counts).estimate()
            if estimate.valid:
                valid.append(estimate.value)
    return valid


def test_a_lone_shell_over_a_plateau_gives_no_valid_cutoff():
    lone = SHELL + 4.0 * np.diff(norm.cdf(EDGES, 2.0, 0.15)) / RHO
    valid = [v for frames in (40, 120, 480) for v in _valid_cutoffs(lone, frames, range(100))]
    # 14 of 300 before
    assert len(valid) <= 3, valid


def test_the_same_shell_before_a_second_one_keeps_its_cutoff():
    # with 3 atoms at 4 Å after it, g rises again: the minimum is real and stays valid
    two = SHELL + (4.0 * np.diff(norm.cdf(EDGES, 2.0, 0.15))
                   + 3.0 * np.diff(norm.cdf(EDGES, 4.0, 0.15))) / RHO
    valid = _valid_cutoffs(two, 120, range(40))
    assert len(valid) >= 36, len(valid)
    r = np.linspace(2.2, 3.9, 20001)
    g = (4.0 * norm.pdf(r, 2.0, 0.15) + 3.0 * norm.pdf(r, 4.0, 0.15)) / (
        4 * np.pi * r**2 * RHO) + 1.0
    assert abs(np.median(valid) - r[np.argmin(g)]) < 0.3
