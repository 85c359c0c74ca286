"""IntraInterRDF's errors are over blocks of consecutive frames: the frames must be in order.

Shuffled frames of a correlated run spread every stretch of the run over all blocks: the
blocks look independent and their error shrinks. A random-walk gas (0.1 Å steps per frame,
200 frames), "too short" in order (8 independent segments), read 192 independent segments and
a valid g_max of a gas (a frozen noise bump taken for a peak) when its frames were shuffled.
Now shuffled frames are refused before any frame is read, as SolvationShells refuses them;
frames in reverse order give the blocks in reverse, and a second run with other frames gives
that run's results, not the first's.
"""

import numpy as np
import pytest
from test_rdf_correlated_blocks import _random_walk_gas

from mda_electrolyte import IntraInterRDF

KEY = ("Ar", "Kr")


def _rdf(u):
    return IntraInterRDF(u.atoms, range=(0.0, 8.0), nbins=40, compound="fragments")


def test_shuffled_frames_are_refused_before_reading():
    u = _random_walk_gas(200, 0.1, 0)
    frames = np.random.default_rng(1).permutation(200)
    rdf = _rdf(u)
    with pytest.raises(ValueError, match="frames must follow the trajectory's order"):
        rdf.run(frames=frames)
    assert not hasattr(rdf.results, "total")


def test_frames_in_reverse_give_the_same_histogram_and_mirrored_blocks():
    u = _random_walk_gas(40, 0.3, 2)
    forward = _rdf(u).run()
    backward = _rdf(u).run(frames=np.arange(39, -1, -1))
    np.testing.assert_array_equal(forward.results.counts, backward.results.counts)
    np.testing.assert_array_equal(forward.results.counts_blocks,
                                  backward.results.counts_blocks[::-1])
    np.testing.assert_allclose(forward.results.total_err[KEY], backward.results.total_err[KEY],
                               rtol=1e-12)


def test_a_second_run_gives_its_own_frames_results():
    u = _random_walk_gas(40, 1.0, 3)
    rdf = _rdf(u)
    rdf.run()
    rdf.run(stop=12)
    fresh = _rdf(u).run(stop=12)
    assert rdf.n_frames == 12 and rdf.results.frames_blocks.sum() == 12
    np.testing.assert_array_equal(rdf.results.counts_segments, fresh.results.counts_segments)
    for name in ("g_max", "cn_first_shell"):
        assert rdf.results.estimates[KEY][name] == fresh.results.estimates[KEY][name]
