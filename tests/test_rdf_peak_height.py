"""The height of g(r)'s highest peak (``g_max``) and its position, on g(r)s of known peak.

``g_max`` was the highest bin of the histogram with that bin's block error. Both are wrong for
a peak: a bin averages g over its width (the highest bin of a peak 0.08 Å wide in 0.1 Å bins
read 12.8 for a true 15.2, five error bars low, marked valid), and the highest of bins equal
within noise is biased upwards. Now a Gaussian is fitted to the peak's top and its binning
undone (:func:`mda_electrolyte.rdf.peak_top`), the error is the jackknife over blocks of frames
of the whole procedure (bins chosen again), with ``dof = blocks - 1``. Checked on ideal gases
of rigid-bond-free dimers whose bond lengths are normal: the A–B g(r) is known in closed form,
``g(r) = (N-1)/N + V p(r) / (4π r² N)``.
"""

import json
import math

import MDAnalysis as mda
import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import ndtr
from scipy.stats import binom

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import IntraInterRDF
from mda_electrolyte.rdf import peak_top

BOX = 20.0
N_DIMERS = 100
MU = 1.5
KEY = ("Ar", "Kr")


def _dimers(n_frames, sigma, seed, n=N_DIMERS, extra=None):
    """Independent frames of ``n`` Ar–Kr dimers placed uniformly, bond lengths N(MU, sigma).

    ``extra``: (frames, distance) of one more Ar–Kr dimer whose bond is ``distance`` in the
    first ``frames`` frames (a sparse spike at small r), normal after."""
    rng = np.random.default_rng(seed)
    n_all = n + (extra is not None)
    u = mda.Universe.empty(2 * n_all, n_residues=n_all,
                           atom_resindex=np.arange(2 * n_all) // 2, trajectory=True)
    u.add_TopologyAttr("elements", ["Ar", "Kr"] * n_all)
    u.add_TopologyAttr("bonds", [(2 * i, 2 * i + 1) for i in range(n_all)])
    a = rng.uniform(0, BOX, (n_frames, n_all, 3))
    d = rng.normal(MU, sigma, (n_frames, n_all))
    if extra is not None:
        d[:extra[0], -1] = extra[1]
    v = rng.normal(size=(n_frames, n_all, 3))
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    coords = np.stack([a, a + d[..., None] * v], axis=2).reshape(n_frames, 2 * n_all, 3) % BOX
    u.load_new(coords.astype(np.float32), order="fac",
               dimensions=np.tile([BOX] * 3 + [90.0] * 3, (n_frames, 1)).astype(np.float32))
    return u


def _true_peak(sigma, n=N_DIMERS):
    """Height and position of the A–B g(r) of the dimers (closed form, maximised)."""
    scale = BOX**3 / (4 * np.pi * n) / (sigma * np.sqrt(2 * np.pi))

    def minus_g(r):
        return -((n - 1) / n + scale * np.exp(-(r - MU) ** 2 / (2 * sigma**2)) / r**2)

    best = minimize_scalar(minus_g, bounds=(MU - 3 * sigma, MU + 3 * sigma), method="bounded",
                           options={"xatol": 1e-10})
    return -best.fun, best.x


def _rdf(u, nbins):
    return IntraInterRDF(u.atoms, range=(0.0, 6.0), nbins=nbins, compound="fragments").run()


@pytest.mark.parametrize("sigma,nbins,n_frames", [(0.08, 120, 20), (0.1, 80, 60)])
def test_peak_height_and_position_cover_the_truth_over_replicas(sigma, nbins, n_frames):
    height, position = _true_peak(sigma)
    n_replicas = 60
    z, covered, covered_r, old_z, valid = [], 0, 0, [], 0
    for seed in range(n_replicas):
        rdf = _rdf(_dimers(n_frames, sigma, seed=100 + seed), nbins)
        est = rdf.results.estimates[KEY]
        g_max, r_max = est["g_max"], est["g_max_position"]
        assert g_max.dof == rdf.results.counts_blocks.shape[0] - 1 == r_max.dof
        assert g_max.verdict == r_max.verdict
        k = int(np.argmax(rdf.results.total[KEY]))
        old_z.append((rdf.results.total[KEY][k] - height) / rdf.results.total_err[KEY][k])
        if not g_max.valid:
            continue
        valid += 1
        z.append((g_max.value - height) / g_max.stderr)
        low, high = g_max.interval(0.95)
        covered += low <= height <= high
        low, high = r_max.interval(0.95)
        covered_r += low <= position <= high
    if nbins == 80:
        # the highest bin (0.075 Å over a peak 0.1 Å wide): below the peak it stood for
        # (binning), by a bin error on average (-1.1 over 150 replicas of 20 frames)
        assert np.mean(old_z) < -0.7, np.mean(old_z)
    assert valid >= 0.85 * n_replicas
    # 95 % intervals, t quantiles of blocks - 1: the coverage of n replicas, 4 sigma binomial
    floor = binom.ppf(1e-4, valid, 0.95) / valid
    assert covered / valid >= floor, (covered, valid)
    assert covered_r / valid >= floor, (covered_r, valid)
    # no bias left beyond a fraction of an error bar (the mean of z over the replicas)
    assert abs(np.mean(z)) < 4 * np.std(z) / math.sqrt(len(z)) + 0.2, np.mean(z)


@pytest.mark.parametrize("offset", np.linspace(-0.5, 0.5, 7))
@pytest.mark.parametrize("width", [1.0, 1.5, 3.0])
def test_the_binning_of_a_gaussian_peak_is_undone_exactly(offset, width):
    # bin averages of a Gaussian of height 10 and width `width` bins, its top `offset` bins
    # from a bin centre: the top of the bins is lower by up to a third at one bin width
    edges = np.arange(-30.0, 31.0)
    centres = 0.5 * (edges[1:] + edges[:-1]) * 0.05 + 2.0
    cdf = ndtr((edges - offset) / width)
    g = 10.0 * width * math.sqrt(2 * math.pi) * np.diff(cdf)
    top = peak_top(centres, g, np.full(g.size, 1e6))
    # the top is the mean of a Gaussian above 0 (this one, exact) and one above 1 fitted to
    # the same bins, half their difference its resolution (test_struct54_peak_baseline)
    assert abs(top.height - 10.0) <= top.resolution + 1e-4
    assert top.resolution < 0.01 * 10.0
    assert top.position == pytest.approx(2.0 + 0.05 * offset, abs=5e-3 * 0.05)
    assert top.width == pytest.approx(0.05 * width, rel=1e-4)
    assert g.max() < 10.0


def test_bins_wider_than_the_peak_are_refused_as_too_coarse():
    # 0.2 Å bins over a peak of width 0.08 Å: the highest bin is 20 % low, and no fit of three
    # bins restores it; refused, not reported low
    rdf = _rdf(_dimers(20, 0.08, seed=1), 30)
    g_max = rdf.results.estimates[KEY]["g_max"]
    assert not g_max.valid and "too coarse" in g_max.verdict
    assert "use narrower bins" in g_max.verdict


@pytest.mark.parametrize("n_frames", [20, 60])
def test_an_ideal_gas_has_no_peak_height(n_frames):
    # the highest of a flat g's bins stood 2-3 bin errors above the truth, valid
    for seed in range(6):
        rng = np.random.default_rng(seed)
        n = 200
        u = mda.Universe.empty(n, n_residues=n // 2, atom_resindex=np.arange(n) // 2,
                               trajectory=True)
        u.add_TopologyAttr("elements", ["Ar", "Kr"] * (n // 2))
        u.add_TopologyAttr("bonds", [(2 * i, 2 * i + 1) for i in range(n // 2)])
        u.load_new(rng.uniform(0, BOX, (n_frames, n, 3)).astype(np.float32), order="fac",
                   dimensions=np.tile([BOX] * 3 + [90.0] * 3, (n_frames, 1)).astype(np.float32))
        rdf = IntraInterRDF(u.atoms, range=(0.0, 8.0), nbins=40, compound="fragments").run()
        for key in rdf.results.pairs:
            g_max = rdf.results.estimates[key]["g_max"]
            # (a noise bump of a bin or two, narrower than the bins, is no peak: "too coarse
            # ... use narrower bins" sent the user after a peak that is not there)
            assert not g_max.valid and g_max.verdict.startswith(
                ("no resolved peak", "no peak")), \
                (seed, key, g_max)
        # the curve itself is valid: its panel is not stamped
        assert rdf._curve_verdict(KEY) is None


def test_a_close_pair_or_two_at_small_r_does_not_hide_the_peak():
    # one dimer squeezed to 0.03 Å in 2 of 20 frames: a shell of 5e-4 Å³ makes its bin's g
    # ten times the peak's; that bin was "the highest bin" and refused g_max as sparse
    u = _dimers(20, 0.08, seed=2, extra=(2, 0.03))
    rdf = _rdf(u, 120)
    total = rdf.results.total[KEY]
    assert np.argmax(total) == 0 and total.max() > 5 * total[25:35].max()
    g_max = rdf.results.estimates[KEY]["g_max"]
    r_max = rdf.results.estimates[KEY]["g_max_position"]
    height, position = _true_peak(0.08, n=N_DIMERS + 1)
    assert g_max.valid and abs(g_max.value - height) < 4 * g_max.stderr
    assert abs(r_max.value - position) < 4 * r_max.stderr


def test_peak_estimates_round_trip_through_json_with_their_dof():
    rdf = _rdf(_dimers(20, 0.08, seed=3), 120)
    for name in ("g_max", "g_max_position", "cn_first_shell"):
        est = rdf.results.estimates[KEY][name]
        back = Estimate.from_dict(json.loads(json.dumps(est.to_dict())))
        assert back == est and back.dof == est.dof
    assert rdf.results.estimates[KEY]["g_max"].dof == 4


@pytest.mark.parametrize("backend,kwargs", [("serial", {"n_parts": 3}),
                                            ("multiprocessing", {"n_workers": 2})])
def test_parallel_runs_give_the_serial_peak(backend, kwargs):
    u = _dimers(23, 0.08, seed=4)
    serial = IntraInterRDF(u.atoms, range=(0.0, 6.0), nbins=120, compound="fragments").run()
    other = IntraInterRDF(u.atoms, range=(0.0, 6.0), nbins=120,
                          compound="fragments").run(backend=backend, **kwargs)
    for name in ("g_max", "g_max_position"):
        a, b = serial.results.estimates[KEY][name], other.results.estimates[KEY][name]
        assert a.verdict == b.verdict and a.value == pytest.approx(b.value, rel=1e-12)
        assert a.stderr == pytest.approx(b.stderr, rel=1e-9)


@pytest.mark.parametrize("centres,g,counts", [
    (np.arange(5.0), np.array([1.0, 2.0, np.nan, 2.0, 1.0]), np.full(5, 10.0)),
    (np.array([0.0, 1.0, 3.0, 4.0, 5.0]), np.array([1.0, 2.0, 3.0, 2.0, 1.0]), np.full(5, 10.0)),
    (np.arange(5.0), np.ones(4), np.ones(5)),
])
def test_peak_top_refuses_what_it_would_misread(centres, g, counts):
    # a NaN bin was taken as the highest, unequal bins as equal ones
    with pytest.raises(ValueError, match="peak_top"):
        peak_top(centres, g, counts)
