"""IntraInterRDF's first peak and first minimum: one verdict with the g(r) they are read from,
and a counting noise that knows consecutive frames are correlated.

Before, ``first_peak`` and ``first_minimum`` came from a Poisson bootstrap of the pair counts
that took every frame as independent: on 10 frames they were valid while ``g_max`` and
``cn_first_shell`` of the same curve said "too short: correlation not measured", and a run
whose every frame was repeated three times (no information added) read the first minimum's
significance √3 higher (z = 47 instead of 26) and the first peak's error halved, valid. Now
both carry the curve's verdict, and the search reads the counts divided by their statistical
inefficiency.
"""

import numpy as np
import pytest
from shell_shapes import bound_shells

from mda_electrolyte import IntraInterRDF

BOX = 18.0
PAIR = ("Li", "O")
SHELL = ("first_peak", "first_minimum")


def _shells(n_configs, repeat=1, seed=0, n_li=20, n_free=200):
    """Li+ with four bound O at N(2.0, 0.1) Å and free O kept beyond 3 Å of every Li: a first
    shell with a clear minimum. ``n_configs`` independent configurations, each held for
    ``repeat`` consecutive frames (frames correlated over ``repeat``)."""
    return bound_shells(n_configs, repeat, seed, n_li, n_free, box=BOX, one_residue_per_li=True)


def _run(u):
    rdf = IntraInterRDF(u.atoms, range=(0.0, 6.0), nbins=120).run()
    return rdf.results.estimates[PAIR], rdf.results.shell[PAIR]


@pytest.mark.parametrize("n_frames", [5, 10, 19])
def test_runs_too_short_to_measure_the_correlation_refuse_the_shell_too(n_frames):
    est, shell = _run(_shells(n_frames))
    # the shell itself is found, deep and significant: only the frames are too few
    assert shell["cutoff"] is not None and shell["significance"] > 10
    for name in (*SHELL, "g_max", "g_max_position", "cn_first_shell"):
        assert not est[name].valid, name
        assert "correlation not measured" in est[name].verdict, (name, est[name].verdict)
    # said once, not once from the cutoff and once more from the count
    assert est["cn_first_shell"].verdict.count("correlation not measured") == 1


@pytest.mark.parametrize("seed", range(3))
def test_frames_correlated_over_the_blocks_refuse_the_shell_as_they_refuse_g_max(seed):
    # 10 configurations of 4 frames each: 40 frames in 5 blocks, about 10 independent
    est, _ = _run(_shells(10, repeat=4, seed=seed))
    curve = [n for n in est["g_max"].notes if n.startswith("too short")]
    for name in SHELL:
        # the same g(r): the same doubt about it
        assert set(curve) <= set(est[name].notes), (name, est[name].verdict)
        assert est[name].valid == est["g_max"].valid


@pytest.mark.parametrize("seed", range(2))
def test_independent_frames_keep_a_valid_shell(seed):
    est, _ = _run(_shells(40, seed=seed))
    for name in (*SHELL, "g_max", "cn_first_shell"):
        assert est[name].valid, (name, est[name].verdict)


@pytest.mark.parametrize(("seed", "repeat"), [(0, 2), (1, 3), (2, 3)])
def test_repeating_every_frame_adds_no_significance_and_no_precision(seed, repeat):
    """The same configurations, once and each held for ``repeat`` frames: the same
    information, so the minimum's significance and the peak's error stay (before: the
    significance grew by √repeat and the errors shrank)."""
    once_est, once = _run(_shells(20, seed=seed))
    held_est, held = _run(_shells(20, repeat=repeat, seed=seed))
    assert held["significance"] == pytest.approx(once["significance"], rel=0.25)
    assert held_est["first_peak"].stderr > 0.8 * once_est["first_peak"].stderr
    assert held_est["first_minimum"].stderr > 0.8 * once_est["first_minimum"].stderr
    # the pairs counted are still all the frames' pairs
    assert held["n_pairs"] == pytest.approx(repeat * once["n_pairs"])


def _depth_scatter_over_error(n_configs, repeat, n_replicas=12):
    """The scatter of the first minimum's depth (g_peak − g_min, smoothed) over seeded
    replicas, over the RMS of its error ``depth / significance``."""
    depth, err = [], []
    for seed in range(n_replicas):
        shell = _run(_shells(n_configs, repeat=repeat, seed=100 + seed))[1]
        depth.append(shell["g_peak"] - shell["g_min"])
        err.append(depth[-1] / shell["significance"])
    return np.std(depth, ddof=1) / np.sqrt(np.mean(np.square(err)))


def test_the_depth_error_is_as_calibrated_for_correlated_frames_as_for_independent_ones():
    # 12 replicas each of 40 frames: independent, and 10 configurations held for 4 frames.
    # The depth's counting error is conservative alike (scatter/error 0.36 independent); the
    # Poisson error of correlated frames was not: 0.74 (twice as overconfident), now 0.34
    independent = _depth_scatter_over_error(40, 1)
    correlated = _depth_scatter_over_error(10, 4)
    assert correlated < 1.3 * independent, (correlated, independent)
