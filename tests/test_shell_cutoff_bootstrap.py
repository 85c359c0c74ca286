"""The shell-cutoff bootstrap and the bond list were restructured for speed (IntraInterRDF's
conclude smooths every resampling of every pair): the results must be those of the plain
implementation, bit for bit up to rounding, on every kind of histogram."""

import math

import MDAnalysis as mda
import numpy as np
import pytest

import mda_electrolyte.shell_cutoffs as sc


def _plain_corrected_positions(edges, g, counts, sigma, x, p1, end, m, n_boot=sc._N_BOOT):
    """The bootstrap as first written: whole-grid smoothing of each resampling, a masked search
    for the minimum and a walk with range checks per step (the reference of the fast one)."""
    from scipy.signal import find_peaks

    def located(x, curves, lo, hi, sign=1.0):
        inside = np.zeros(curves.shape, dtype=bool)
        inside[:, lo : hi + 1] = True
        return sc._refined(x, curves, np.argmin(np.where(inside, sign * curves, np.inf), axis=1),
                           sign)

    def descended(x, curves, lo, hi, start, sign=1.0):
        values = sign * curves
        rows = np.arange(curves.shape[0])
        index = np.clip(np.rint((start - x[0]) / (x[1] - x[0])).astype(int), lo, hi)
        for _ in range(hi - lo + 1):
            here = values[rows, index]
            left = np.where(index > lo, values[rows, np.maximum(index - 1, 0)], np.inf)
            right = np.where(index < hi, values[rows, np.minimum(index + 1, x.size - 1)], np.inf)
            step = np.where((left < here) & (left <= right), -1, np.where(right < here, 1, 0))
            if not step.any():
                break
            index = index + step
        return sc._refined(x, curves, index, sign)

    _, s = sc._smoothed(edges, g, sigma)
    _, fine = sc._smoothed(edges, g, 0.5 * sigma)
    curves, fines = s[None, :], fine[None, :]
    if counts is not None:
        rng = np.random.default_rng(0)
        per_count = np.divide(g, counts, out=np.zeros_like(g), where=counts > 0)
        resampled = rng.poisson(np.broadcast_to(counts, (n_boot, counts.size))) * per_count
        # the weights as (bins × grid), the layout they were first stored in
        curves = np.vstack([curves, resampled @ sc._smoothing_weights(edges.tobytes(), sigma,
                                                                      0.01)[1].T])
        fines = np.vstack([fines, resampled @ sc._smoothing_weights(edges.tobytes(),
                                                                    0.5 * sigma, 0.01)[1].T])
    rows = curves.shape[0]
    at_sigma = located(x, curves, p1, end)
    at_half = descended(x, fines, p1, end, at_sigma)
    low = s[m] + 0.25 * (s[p1] - s[m])
    lo, hi = m, m
    while lo - 1 > p1 and s[lo - 1] < low:
        lo -= 1
    while hi + 1 < end and s[hi + 1] < low:
        hi += 1
    dips = find_peaks(-fine[lo : hi + 1], prominence=0.01 * (s[p1] - s[m]))[0].size
    resolved = 0.5 * sigma >= float(np.diff(edges).max()) * (1 - 1e-9)
    move = at_sigma - at_half
    move_noise = float(np.std(move[1:], ddof=1)) if rows > 2 else 0.0
    clear = rows > 2 and abs(move[0]) > 2.0 * move_noise
    factor = sc._RICHARDSON if dips <= 1 and resolved and clear else 0.0
    cutoff = at_sigma - (1.0 + factor) * move if factor > 0 else at_sigma
    peak = located(x, curves, max(p1 - 1, 0), min(p1 + 1, x.size - 1), sign=-1.0)
    peak_move = peak - descended(x, fines, 0, x.size - 1, peak, sign=-1.0)
    spread_c = float(np.std(cutoff[1:], ddof=1)) if rows > 2 else 0.0
    spread_p = float(np.std(peak[1:], ddof=1)) if rows > 2 else 0.0
    if factor > 0:
        systematic = sc._CUTOFF_SYSTEMATIC * abs(move[0])
    elif rows > 2 and resolved and dips <= 1:
        systematic = (1.0 + sc._RICHARDSON) * math.hypot(move[0], move_noise)
    else:
        systematic = 2.0 * max(abs(move[0]), 2.0 * move_noise)
    cutoff_err = math.hypot(systematic, spread_c)
    return (float(cutoff[0]), cutoff_err, float(peak[0]), math.hypot(2.0 * peak_move[0], spread_p),
            sc._located_spread(factor, move[0], spread_c, cutoff_err, rows > 2 and resolved,
                               move_noise))


def _histograms():
    """Shells of three widths sampled with 3 to 1000 pairs per unit g and volume, in uniform
    bins of three widths (bins of 0.2 Å do not resolve σ/2) and in bins growing with r, with and
    without their counts, the shell placed at random against the bins."""
    for width in (0.1, 0.2, 0.4):
        for n in (3, 30, 1000):
            for edges in (np.linspace(0, 8, 41), np.linspace(0, 8, 81), np.linspace(0, 8, 161),
                          np.r_[0.0, np.geomspace(0.5, 8.0, 90)]):
                r = 0.5 * (edges[1:] + edges[:-1])
                shell = 4.0 / 3.0 * np.pi * np.diff(edges**3)
                rng = np.random.default_rng(n + edges.size)
                off = rng.uniform(0, 0.1)
                g = 3 * np.exp(-((r - 2 - off) / width) ** 2) + 1 / (
                    1 + np.exp(-(r - 2.6 - 2 * width - off) / 0.1))
                counts = rng.poisson(n * g * shell).astype(float)
                yield edges, counts / shell, counts
                if n == 30:
                    yield edges, g, None


def test_fast_bootstrap_equals_the_plain_one(monkeypatch):
    # the resamplings smoothed only over the searched window with one sparse product per width,
    # the minimum searched in a slice, the walk on a padded flat array: the same cutoffs, peaks,
    # errors, significances and notes as the plain implementation, to rounding
    fast = [sc.first_minimum(*h[:2], counts=h[2]).as_dict() for h in _histograms()]
    monkeypatch.setattr(sc, "_corrected_positions", _plain_corrected_positions)
    plain = [sc.first_minimum(*h[:2], counts=h[2]).as_dict() for h in _histograms()]
    corrected = 0
    for a, b in zip(fast, plain, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], float):
                assert a[key] == pytest.approx(b[key], rel=0, abs=1e-12), (key, a, b)
            else:
                assert a[key] == b[key], (key, a, b)
        corrected += a["cutoff_err"] is not None
    # the comparison reached the bootstrap in most of the 45 histograms (3 or 30 pairs at 40
    # bins may hold no significant minimum)
    assert corrected >= 35


def _noisy_histograms(n=60):
    """Shells of random width, gap and rise sampled with 0.3 to 10 pairs per unit g and volume
    in 0.05 Å bins: noisy σ/2 curves, whose resampled minima may be walked to far from where
    the σ curve has them (beyond the part of the grid smoothed first)."""
    edges = np.linspace(0, 8, 161)
    r = 0.5 * (edges[1:] + edges[:-1])
    shell = 4.0 / 3.0 * np.pi * np.diff(edges**3)
    for seed in range(n):
        rng = np.random.default_rng(seed)
        width, pairs = rng.uniform(0.05, 0.5), rng.choice([0.3, 1, 3, 10])
        gap = rng.uniform(0.3, 2.5)
        g = 3 * np.exp(-((r - 2) / width) ** 2) + 1 / (
            1 + np.exp(-(r - 2 - gap) / rng.uniform(0.05, 1.0)))
        counts = rng.poisson(pairs * g * shell).astype(float)
        yield edges, counts / shell, counts


def test_bootstrap_smoothed_in_parts_equals_the_plain_one_also_where_walks_go_far(monkeypatch):
    # the σ/2 curves are smoothed first only around where the walks start; a walk that reaches
    # the end of that part is walked again over the whole search range. With the first part cut
    # to the starts' neighbours, noisy histograms take that second path (counted; with the
    # default reach, 2 σ, only the peak's walks over the resamplings did, and the peak is now
    # walked at σ/2 for the histogram alone): the results stay those of the plain implementation
    monkeypatch.setattr(sc, "_FIRST_PART_SIGMAS", 0.0)
    parts = []
    smoothed_part = sc._smoothed_part

    def counted(*args, **kwargs):
        # the squared weights (the trough's counting noise) are no smoothing of the curves
        if not kwargs.get("squared"):
            parts.append(args[1:3])
        return smoothed_part(*args, **kwargs)

    monkeypatch.setattr(sc, "_smoothed_part", counted)
    fast, walked_again = [], 0
    for h in _noisy_histograms():
        parts.clear()
        fast.append(sc.first_minimum(*h[:2], counts=h[2]).as_dict())
        # σ, σ/2 around the minima, σ/2 of the trough, σ/2 around the peak: 4 parts
        walked_again += len(parts) > 4
    monkeypatch.setattr(sc, "_corrected_positions", _plain_corrected_positions)
    plain = [sc.first_minimum(*h[:2], counts=h[2]).as_dict() for h in _noisy_histograms()]
    assert walked_again >= 2
    for a, b in zip(fast, plain, strict=True):
        for key in a:
            if isinstance(a[key], float):
                assert a[key] == pytest.approx(b[key], rel=0, abs=1e-12), (key, a, b)
            else:
                assert a[key] == b[key], (key, a, b)


@pytest.mark.parametrize("levels", [3, 50])
def test_walk_to_the_extremum_equals_the_step_by_step_walk(levels):
    # the walk downhill found for all rows at once (it never turns) against stepping to the lower
    # neighbour, the left one on a tie, on curves of few levels (plateaus, ties, both ends)
    rng = np.random.default_rng(levels)
    values = rng.integers(0, levels, size=(400, 30)).astype(float)
    padded = np.pad(values, ((0, 0), (1, 1)), constant_values=np.inf)
    start = rng.integers(1, 31, size=400)
    index = start.copy()
    rows = np.arange(400)
    for _ in range(40):
        here, left, right = (padded[rows, index + k] for k in (0, -1, 1))
        step = np.where((left < here) & (left <= right), -1, np.where(right < here, 1, 0))
        index += step
    np.testing.assert_array_equal(sc._walked(padded, start), index)
    # a plateau is not walked along; a descent to the bound stops at the last real point
    flat = np.array([[np.inf, 1.0, 1.0, 1.0, np.inf], [np.inf, 3.0, 2.0, 1.0, np.inf],
                     [np.inf, 1.0, 2.0, 3.0, np.inf]])
    np.testing.assert_array_equal(sc._walked(flat, np.array([2, 1, 3])), [2, 3, 1])


def test_bootstrap_resamples_the_counts_n_boot_times(monkeypatch):
    # the number of resamplings is the one the calibration was checked with, and the spread is
    # the Poisson one: from a million pairs per unit of g and volume the errors of the cutoff
    # and peak are those of the smoothing alone, from one pair (30 in the first peak's bins)
    # twice and ten times larger
    seen = []
    default_rng = np.random.default_rng

    class Recorded:
        def __init__(self, seed):
            self._rng = default_rng(seed)

        def poisson(self, lam, size=None):
            seen.append(np.shape(lam))
            return self._rng.poisson(lam, size)

    monkeypatch.setattr(np.random, "default_rng", Recorded)
    edges = np.linspace(0, 8, 81)
    r = 0.5 * (edges[1:] + edges[:-1])
    shell = 4.0 / 3.0 * np.pi * np.diff(edges**3)
    g = 3 * np.exp(-((r - 2) / 0.2) ** 2) + 1 / (1 + np.exp(-(r - 3) / 0.15))
    few, many = (sc.first_minimum(edges, g, counts=n * g * shell) for n in (1.0, 1e6))
    assert seen == [(sc._N_BOOT, 80)] * 2 and sc._N_BOOT == 100
    assert few.cutoff_err > 1.5 * many.cutoff_err and few.peak_err > 5 * many.peak_err


def _universe(bonds):
    u = mda.Universe.empty(12, n_residues=3, atom_resindex=np.repeat([0, 1, 2], 4),
                           trajectory=True)
    if bonds is not None:
        u.add_TopologyAttr("bonds", bonds)
    return u


@pytest.mark.parametrize("bonds, change", [
    ([(3, 2), (0, 1), (1, 2), (10, 8), (4, 5), (5, 7), (5, 6)], None),
    ([(3, 2), (0, 1)], ("add", [(9, 8), (11, 10), (8, 10)])),
    ([(3, 2), (0, 1), (1, 2), (4, 5)], ("delete", [(2, 1)])),
    ([(0, 1), (1, 0), (2, 3)], None),
    ([(0, 1)], ("delete", [(0, 1)])),
    ([], None),
    (None, None),
])
def test_bond_indices_are_the_public_bond_list(bonds, change):
    # read from the topology's list (ten times faster than building universe.bonds): each bond
    # once with i < j, sorted, after bonds were added or deleted, listed twice or reversed
    u = _universe(bonds)
    if change is not None:
        getattr(u, f"{change[0]}_bonds")(change[1])
    try:
        expected = np.asarray(u.bonds.indices, dtype=np.intp).reshape(-1, 2)
    except Exception:  # noqa: BLE001 - no bonds at all: MDAnalysis raises NoDataError
        expected = np.zeros((0, 2), dtype=np.intp)
    found = sc.bond_indices(u)
    assert found.dtype == np.intp and found.shape == expected.shape
    np.testing.assert_array_equal(found, expected)
