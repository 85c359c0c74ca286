"""first_minimum without the pair counts: a cutoff whose significance nobody checked is not
valid, and its error does not claim a bootstrap that was not run.

Before: without ``counts`` the search skipped the significance, rise and sample-size checks and
its error held no counting noise, yet the cutoff's Estimate was valid and its method read
"⊕ Poisson bootstrap of the pair counts": over 100 Poisson replicas of a lone shell falling to
a flat plateau (no minimum at all) 3 cutoffs were valid, and 1 of a g(r) of noise alone; with
the counts none was.
"""

import numpy as np
import pytest

from mda_electrolyte.shell_cutoffs import first_minimum

EDGES = np.linspace(0, 8, 161)
R = 0.5 * (EDGES[1:] + EDGES[:-1])
SHELL = 4 / 3 * np.pi * np.diff(EDGES**3)

SHAPES = {
    # a first shell falling onto a flat plateau: no minimum
    "lone shell": (3 * np.exp(-((R - 2) / 0.2) ** 2) + 1 / (1 + np.exp(-(R - 2.2) / 0.1)), 3.0),
    # nothing but a step: no shell at all
    "noise only": ((R > 1.5).astype(float), 0.3),
    # a clear first minimum near 2.5 Å
    "clear minimum": (3 * np.exp(-((R - 2) / 0.2) ** 2)
                      + 1 / (1 + np.exp(-(R - 3) / 0.3)), 30.0),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_no_cutoff_found_without_counts_is_valid(shape):
    truth, scale = SHAPES[shape]
    rng = np.random.default_rng(1)
    found = valid_without = valid_with = 0
    for _ in range(60):
        counts = rng.poisson(scale * SHELL * truth).astype(float)
        g = counts / (scale * SHELL)
        bare = first_minimum(EDGES, g)
        if bare.cutoff is not None:
            found += 1
            est = bare.estimate()
            valid_without += est.valid
            assert any("no pair counts (counts=)" in w for w in bare.warnings)
            assert "bootstrap" not in est.method and "no pair counts" in est.method
            assert "bootstrap" not in bare.estimate("peak").method
            assert bare.significance is None
        counted = first_minimum(EDGES, g, counts=counts)
        if counted.cutoff is not None:
            valid_with += counted.estimate().valid
            assert not any("no pair counts" in w for w in counted.warnings)
            assert "bootstrap" in counted.estimate().method
    assert found > 30
    assert valid_without == 0
    # the counts decide: a clear minimum is valid with them, no shape without a minimum is
    assert (valid_with > 55) == (shape == "clear minimum")


def test_without_counts_the_cutoff_is_still_located():
    truth, _ = SHAPES["clear minimum"]
    bare = first_minimum(EDGES, truth)
    counted = first_minimum(EDGES, truth, counts=1e5 * SHELL * truth)
    # the place is the curve's (smoothed, not extrapolated without the counts: within its
    # error); only the verdict needs the counts
    assert abs(bare.cutoff - counted.cutoff) <= bare.cutoff_err
    assert not bare.estimate().valid and counted.estimate().valid
