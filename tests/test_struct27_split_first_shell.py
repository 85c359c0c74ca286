"""A split first shell is not given a valid cutoff past its first minimum.

A first peak at 2.0 Å with a second, narrower one 0.45 Å after it (a shell of two kinds of
contact, e.g. mono- and bidentate) has its first minimum between them (2.26 Å); the σ = 0.2 Å
smoothing merges the two into one trough, and the σ/2 look for an earlier minimum merged them
too: the cutoff 2.7 Å after both peaks was valid with an error of 0.13 Å in 28 of 30 Poisson
replicas. first_minimum now looks at the bins' own resolution as well (0.05 Å bins), which
finds the earlier minimum; single-minimum shells keep their verdicts.
"""

import numpy as np
import pytest
from shell_shapes import poisson_replicas

from mda_electrolyte.shell_cutoffs import first_minimum

EDGES = np.linspace(0.0, 8.0, 161)
SHELL = 4.0 / 3.0 * np.pi * np.diff(EDGES**3)


def _split_g(r, first, second_shell, shoulder):
    """First peak ``first`` at 2 Å, a narrower one ``shoulder`` at 2.45 Å, a second shell at 4 Å
    and a background rising to 1 at 3 Å."""
    return (first * np.exp(-((r - 2.0) / 0.15) ** 2)
            + shoulder * np.exp(-((r - 2.45) / 0.12) ** 2)
            + second_shell * np.exp(-((r - 4.0) / 0.3) ** 2)
            + 1.0 / (1.0 + np.exp(-(r - 3.0) / 0.2)))


def _replicas(scale, seeds, **shape):
    fine = np.linspace(0.0, 9.0, 18001)
    g = _split_g(fine, **shape)
    cum = np.concatenate([[0.0], np.cumsum(g[1:] * 4 * np.pi * fine[1:] ** 2 * np.diff(fine))])
    expected = scale * np.diff(np.interp(EDGES, fine, cum))
    for seed in seeds:
        counts = np.random.default_rng(seed).poisson(expected).astype(float)
        yield counts, counts / SHELL / scale


def _true_minimum(**shape):
    r = np.linspace(1.5, 4.0, 25001)
    g = _split_g(r, **shape)
    k = int(np.argmax(np.where(r < 2.2, g, 0.0)))  # the first peak
    while g[k + 1] <= g[k]:
        k += 1
    return float(r[k])


@pytest.mark.parametrize("shape,scale", [
    ({"first": 10.0, "second_shell": 3.0, "shoulder": 5.0}, 2.0),
    ({"first": 3.0, "second_shell": 1.0, "shoulder": 1.0}, 5.0),
])
def test_a_cutoff_past_the_first_minimum_of_a_split_shell_is_not_valid(shape, scale):
    true = _true_minimum(**shape)
    assert 2.2 < true < 2.35
    found = valid_wrong = 0
    for counts, g in _replicas(scale, range(20), **shape):
        result = first_minimum(EDGES, g, counts=counts)
        if result.cutoff is None:
            continue
        found += 1
        estimate = result.estimate()
        if estimate.valid and abs(result.cutoff - true) > 2 * estimate.stderr:
            valid_wrong += 1
    assert found >= 15
    # before: 19-20 of 20 valid, 0.4-0.5 Å (3-4 error bars) past the true minimum
    assert valid_wrong <= 4, valid_wrong


@pytest.mark.parametrize("shape", [(3, 0.15, 0.1, 3.0, 0.15), (2, 0.2, 0.3, 3.0, 0.3)])
def test_single_minimum_shells_are_not_taken_for_split_ones(shape):
    for scale in (5, 500):
        for edges, counts, g in poisson_replicas(*shape, scale, range(10)):
            result = first_minimum(edges, g, counts=counts)
            assert not any("two minima" in w for w in result.warnings), result.warnings
