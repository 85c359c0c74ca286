"""Shell cutoffs whose counting noise knows that consecutive frames are correlated.

``first_minimum`` took every frame's pairs as independent: its significance, sample size and
Poisson bootstrap read every frame held three times as three times the information. It now
takes the frames' statistical inefficiency (``inefficiency=``), one mechanism for
:class:`~mda_electrolyte.IntraInterRDF` and :class:`~mda_electrolyte.SolvationShells`.
SolvationShells measured its frames' correlation with one of pymbar's two estimators and
gave no "too short" verdict: a cutoff of 10 frames was valid where IntraInterRDF of the same
frames refused its first minimum "too short: correlation not measured".
"""

import math
import warnings

import numpy as np
import pytest
from shell_shapes import bound_shells

from mda_electrolyte import IntraInterRDF, SolvationShells
from mda_electrolyte.shell_cutoffs import first_minimum

BOX = 18.0


def _histogram(n_per_g=2.0, seed=0, r_min=0.0):
    """A Poisson histogram of a first shell at 2 Å and a rising second shell (0.1 Å bins)."""
    edges = np.linspace(r_min, 8.0, int(round((8.0 - r_min) / 0.1)) + 1)
    r = 0.5 * (edges[1:] + edges[:-1])
    g = 3 * np.exp(-((r - 2) / 0.2) ** 2) + 1 / (1 + np.exp(-(r - 3) / 0.15))
    shell = 4 / 3 * np.pi * np.diff(edges**3)
    counts = np.random.default_rng(seed).poisson(n_per_g * shell * g).astype(float)
    return edges, counts / shell, counts


@pytest.mark.parametrize("k", [2, 3, 7])
@pytest.mark.parametrize("n_per_g", [0.3, 3.0])
def test_counts_of_frames_held_k_times_read_with_inefficiency_k_are_the_frames_once(k, n_per_g):
    """The same information: every number of the search equals that of the counts once (the
    bootstrap included), and the pairs counted are all of them."""
    edges, g, counts = _histogram(n_per_g)
    once = first_minimum(edges, g, counts=counts)
    held = first_minimum(edges, g, counts=k * counts, inefficiency=k)
    assert once.cutoff is not None
    for name in ("cutoff", "peak", "cutoff_err", "peak_err", "cutoff_spread", "significance"):
        assert getattr(held, name) == pytest.approx(getattr(once, name), rel=1e-9), name
    assert [w.split("(")[0] for w in held.warnings] == [w.split("(")[0] for w in once.warnings]
    assert held.n_pairs == pytest.approx(k * once.n_pairs)
    assert held.inefficiency == k and once.inefficiency == 1.0
    assert "statistical inefficiency" in held.note
    # read as independent, the held counts claimed √k the significance
    plain = first_minimum(edges, g, counts=k * counts)
    assert plain.significance == pytest.approx(math.sqrt(k) * once.significance, rel=0.05)


@pytest.mark.parametrize("k", [2, 3, 7])
def test_the_estimates_count_the_independent_pairs_not_every_frame_held(k):
    """``Estimate.n_samples`` is the independent samples behind the error: frames held k
    times hold the pairs of the frames once."""
    edges, g, counts = _histogram(3.0, seed=1)
    once = first_minimum(edges, g, counts=counts)
    held = first_minimum(edges, g, counts=k * counts, inefficiency=k)
    for which in ("cutoff", "peak"):
        assert held.estimate(which).n_samples == pytest.approx(
            once.estimate(which).n_samples, abs=1)
        assert held.estimate(which).stderr == pytest.approx(once.estimate(which).stderr)


@pytest.mark.parametrize("k", [2, 5])
def test_the_pairs_below_the_range_are_read_with_the_same_inefficiency(k):
    edges, g, counts = _histogram(2.0, seed=3, r_min=1.0)
    full_edges, _, full_counts = _histogram(2.0, seed=3)
    below = float(full_counts[:10].sum())
    once = first_minimum(edges, g, counts=counts, below=below)
    held = first_minimum(edges, g, counts=k * counts, below=k * below, inefficiency=k)
    assert once.cutoff is not None
    for name in ("cutoff", "cutoff_err", "significance"):
        assert getattr(held, name) == pytest.approx(getattr(once, name), rel=1e-9), name
    assert held.n_pairs == pytest.approx(k * once.n_pairs)


def test_a_small_sample_is_judged_by_its_independent_pairs_and_says_so():
    # about 150 pairs in the shell: enough; over frames of inefficiency 4, about 37
    edges, g, counts = _histogram(3.0)
    once = first_minimum(edges, g, counts=counts)
    assert once.estimate().valid
    held = first_minimum(edges, g, counts=counts, inefficiency=4.0)
    small = [w for w in held.warnings if w.startswith("small sample")]
    assert small and "statistical inefficiency 4" in small[0]
    assert not held.estimate().valid
    assert held.n_pairs == pytest.approx(once.n_pairs, rel=0.1)


@pytest.mark.parametrize("bad", [0.5, 0.0, -2.0, math.nan, math.inf, True, "3", [2.0]])
def test_an_inefficiency_that_is_not_a_number_of_at_least_one_is_refused(bad):
    edges, g, counts = _histogram()
    with pytest.raises(ValueError, match=r"inefficiency \(frames per independent frame\) must"):
        first_minimum(edges, g, counts=counts, inefficiency=bad)


def test_an_inefficiency_without_counts_would_change_nothing_and_is_refused():
    edges, g, _ = _histogram()
    with pytest.raises(ValueError, match="needs counts"):
        first_minimum(edges, g, inefficiency=2.0)
    # 1 (independent frames) is the default, also without counts
    assert first_minimum(edges, g, inefficiency=1.0).cutoff == first_minimum(edges, g).cutoff


def _shells(n_configs, repeat=1, seed=0, n_li=16, n_free=160):
    """Li⁺ each with four water O (one molecule each) at N(2.0, 0.1) Å and free O beyond 3 Å
    of every Li: ``n_configs`` independent configurations, each held for ``repeat`` frames."""
    return bound_shells(n_configs, repeat, seed, n_li, n_free, box=BOX)


def _cutoff(u):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = SolvationShells(u.select_atoms("element Li"), {}, {"W": u.select_atoms("element O")},
                            rdf_range=(0.0, 6.0), rdf_nbins=60).run()
    return s.results.cutoff_estimates["W"], s.results.cutoff_details["W"], s.results


def _rdf_cutoff(u):
    rdf = IntraInterRDF(u.atoms, range=(0.0, 6.0), nbins=60).run()
    return rdf.results.estimates[("Li", "O")]["first_minimum"]


@pytest.mark.parametrize(("n_configs", "repeat", "why"), [
    (10, 1, "correlation not measured"), (19, 1, "correlation not measured"),
    (12, 5, "independent segments")])
def test_a_run_too_short_for_the_rdf_is_too_short_for_the_cutoff(n_configs, repeat, why):
    u = _shells(n_configs, repeat)
    est, detail, results = _cutoff(u)
    # the minimum itself is deep and significant: only the frames are too few
    assert detail["significance"] > 5
    assert not est.valid and why in est.verdict, est.verdict
    rdf = _rdf_cutoff(u)
    assert not rdf.valid and why in rdf.verdict
    # and the coordination number counted within it says so
    cn = results.estimates["coordination_numbers"]["W"]
    assert not cn.valid and "too short" in cn.verdict


def test_independent_frames_keep_a_valid_cutoff_as_the_rdf_does():
    u = _shells(40)
    est, _, _ = _cutoff(u)
    assert est.valid, est.verdict
    assert _rdf_cutoff(u).valid


@pytest.mark.parametrize(("seed", "repeat"), [(0, 3), (1, 4)])
def test_holding_every_frame_adds_neither_significance_nor_precision(seed, repeat):
    once, once_detail, _ = _cutoff(_shells(24, seed=seed))
    held, held_detail, _ = _cutoff(_shells(24, repeat, seed=seed))
    assert held_detail["significance"] < 1.25 * once_detail["significance"]
    assert held.stderr > 0.8 * once.stderr
    assert held_detail["cutoff_spread"] > 0.8 * once_detail["cutoff_spread"]
    assert held.valid <= once.valid
    assert held_detail["inefficiency"] > 0.6 * repeat
    assert held_detail["n_pairs"] == pytest.approx(repeat * once_detail["n_pairs"], rel=0.01)


def test_the_depth_error_of_held_frames_is_calibrated_as_that_of_independent_ones():
    """Over replicas, the scatter of the minimum's depth over its error (depth / z): frames
    held four times as calibrated as independent ones (the error of repeated frames is not
    overconfident)."""
    def ratio(n_configs, repeat):
        depth, err = [], []
        for seed in range(5):
            d = _cutoff(_shells(n_configs, repeat, seed=50 + seed, n_li=8, n_free=80))[1]
            depth.append(d["g_peak"] - d["g_min"])
            err.append(depth[-1] / d["significance"])
        return np.std(depth, ddof=1) / np.sqrt(np.mean(np.square(err)))

    assert ratio(10, 4) < 1.5 * ratio(40, 1)
