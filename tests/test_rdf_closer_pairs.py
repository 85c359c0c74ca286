"""The pairs closer than an RDF range that starts after 0 Å are counted, never dropped.

Before: the compiled pass dropped them (``if (d < r_min) continue``) while the vesin pass put
them in each row's last slot, so the two engines' ``counts_ordered`` differed; IntraInterRDF
recovered them only from whole bins below the range, down to the last start >= 0 Å, so the
pairs closer than that start (below 0.08 Å for a range from 1.0 Å in 37 bins; every one of
them for a range that starts inside its first bin, 0.05-8 Å in 80 bins, or a narrow range far
from 0 Å) were missing from ``cn_first_shell``, and such ranges' first minima carried a
"cannot be ruled out" warning (not valid). Now both engines count a closer pair in the slot
after the last bin, ``results.cn_below`` holds them all, and ``cn_below + cn_total`` equals a
brute-force minimum-image count and MDAnalysis' InterRDF counted from 0 Å.
"""

import numpy as np
import pytest
from MDAnalysis.analysis.rdf import InterRDF
from MDAnalysis.lib.mdamath import triclinic_vectors

from mda_electrolyte import IntraInterRDF
from mda_electrolyte.pair_histogram import pair_histogram_kernel
from tests.test_rdf import liquid_universe

BOXES = [(24.0, 24.0, 24.0, 90.0, 90.0, 90.0), (22.0, 23.0, 24.0, 80.0, 95.0, 70.0)]
# (range, nbins): bins below reaching 0 Å with a slot from 0 Å left over; a start on a whole
# bin (the bins below reach 0 Å exactly); a start inside the first bin's width (no bins
# below); a narrow range far from 0 Å (the bins below refused: one slot)
RANGES = [((1.0, 7.0), 37), ((2.0, 6.0), 20), ((0.05, 8.0), 80), ((6.0, 6.5), 1500)]
ENGINES = ["auto", "vesin"]


def _brute_force(u, sel_a, sel_b, r):
    """Ordered (a, b) pairs of distinct atoms at minimum-image distance < r, per frame summed."""
    a, b = u.select_atoms(sel_a), u.select_atoms(sel_b)
    total = 0
    for ts in u.trajectory:
        cell = triclinic_vectors(ts.dimensions).astype(np.float64)
        d = b.positions.astype(np.float64)[None] - a.positions.astype(np.float64)[:, None]
        frac = d @ np.linalg.inv(cell)
        d = (frac - np.round(frac)) @ cell
        shifts = np.array(np.meshgrid(*[[-1, 0, 1]] * 3)).reshape(3, -1).T @ cell
        dist = np.min([np.linalg.norm(d + s, axis=-1) for s in shifts], axis=0)
        same = a.ix[:, None] == b.ix[None, :]
        total += int(np.sum((dist < r) & ~same))
    return total


@pytest.fixture(scope="module", params=BOXES, ids=["cubic", "triclinic"])
def universe(request):
    u = liquid_universe(n_frames=3, box=request.param, seed=4)
    # some pairs closer than every range's start (a molecule's atoms 0.01-0.3 Å apart)
    positions = u.trajectory.coordinate_array
    positions[:, 22] = positions[:, 21] + np.array([[0.01, 0, 0], [0.0, 0.03, 0], [0, 0, 0.3]],
                                                 dtype=np.float32)
    return u


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("range_, nbins", RANGES)
def test_every_closer_pair_is_counted_as_by_brute_force(universe, engine, range_, nbins):
    if engine == "auto" and pair_histogram_kernel() is None:
        pytest.fail("the pair-histogram kernel could not be built (no C++ compiler?)",
                    pytrace=False)
    rdf = IntraInterRDF(universe.atoms, range=range_, nbins=nbins, engine=engine).run()
    n_frames = universe.trajectory.n_frames
    for key in [("Li", "O"), ("O", "O"), ("H", "O"), ("O", "P")]:
        a, b = (f"element {e}" for e in key)
        n_a = universe.select_atoms(a).n_atoms
        closer = _brute_force(universe, a, b, range_[0])
        within = _brute_force(universe, a, b, range_[1])
        assert rdf.results.cn_below[key] * n_frames * n_a == pytest.approx(closer, abs=1e-9)
        from_zero = (rdf.results.cn_below[key] + rdf.results.cn_total[key][-1]) * n_frames * n_a
        assert from_zero == pytest.approx(within, abs=1e-9)
    # the O-O pairs 0.01-0.3 Å apart are closer than every range
    assert rdf.results.cn_below[("O", "O")] > 0


@pytest.mark.parametrize("range_, nbins", RANGES)
def test_both_engines_fill_the_same_histogram(universe, range_, nbins):
    if pair_histogram_kernel() is None:
        pytest.fail("the pair-histogram kernel could not be built (no C++ compiler?)",
                    pytrace=False)
    ours = IntraInterRDF(universe.atoms, range=range_, nbins=nbins, engine="auto").run()
    ref = IntraInterRDF(universe.atoms, range=range_, nbins=nbins, engine="vesin").run()
    # the closer pairs' slots included (the compiled pass dropped them)
    np.testing.assert_array_equal(ours.results.counts_ordered, ref.results.counts_ordered)


@pytest.mark.parametrize("range_, nbins", RANGES[:3])
def test_counts_from_zero_equal_interrdf(universe, range_, nbins):
    rdf = IntraInterRDF(universe.atoms, pairs=[("element Li", "element O")], range=range_,
                        nbins=nbins).run()
    key = ("element Li", "element O")
    li, o = universe.select_atoms(key[0]), universe.select_atoms(key[1])
    ref = InterRDF(li, o, nbins=nbins, range=range_).run()
    np.testing.assert_allclose(rdf.results.total[key], ref.results.rdf, rtol=1e-12)
    closer = InterRDF(li, o, nbins=1, range=(0.0, range_[0])).run()
    n = universe.trajectory.n_frames * li.n_atoms
    assert rdf.results.cn_below[key] == pytest.approx(closer.results.count.sum() / n, abs=1e-12)
    np.testing.assert_allclose(rdf.results.cn_total[key],
                               np.cumsum(ref.results.count) / n, atol=1e-12)


def test_range_from_zero_has_nothing_below(universe):
    rdf = IntraInterRDF(universe.atoms, range=(0.0, 7.0), nbins=35).run()
    assert all(v == 0.0 for v in rdf.results.cn_below.values())
    n_frames = universe.trajectory.n_frames
    n_o = universe.select_atoms("element O").n_atoms
    assert rdf.results.cn_total[("O", "O")][-1] * n_frames * n_o == _brute_force(
        universe, "element O", "element O", 7.0)


def test_first_shell_count_includes_the_pairs_closer_than_the_range():
    """cn_first_shell of a range from 0.05 Å (inside the first bin's width: no bins below)
    counts from 0 Å as a brute-force count does, and its minimum is as valid as the range
    from 0 Å's (before: "cannot be ruled out", not valid)."""
    u = liquid_universe(n_frames=20, seed=2)
    key = ("element Li", "element O")
    # an O 1.9-2.1 Å from every Li in every frame: a first shell
    positions = u.trajectory.coordinate_array
    rng = np.random.default_rng(5)
    li = u.select_atoms(key[0]).ix
    o = u.select_atoms("element O").ix
    direction = rng.normal(size=(positions.shape[0], len(li), 3))
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
    radius = rng.uniform(1.9, 2.1, size=(positions.shape[0], len(li), 1))
    positions[:, o[: len(li)]] = positions[:, li] + (radius * direction).astype(np.float32)
    full = IntraInterRDF(u.atoms, pairs=[key], range=(0.0, 8.0), nbins=80).run()
    late = IntraInterRDF(u.atoms, pairs=[key], range=(0.05, 8.0), nbins=80).run()
    assert not any("cannot be ruled out" in w for w in late.results.shell[key]["warnings"])
    # the liquid after this shell has no trough (g 0.7-1.2 from 2.2 Å on): its minimum, 3.74 Å,
    # is not located (± 1.60 Å, the low points of the trough weighted by their noise; it was
    # ± 0.80 Å, valid, before the trough's reach counted its disjoint low points). The late
    # range's verdict is the full range's, and the count carries it
    verdicts = [rdf.results.estimates[key]["first_minimum"].verdict for rdf in (full, late)]
    assert [v.split(":")[0] for v in verdicts] == ["first minimum not located"] * 2, verdicts
    for rdf in (full, late):
        cutoff = rdf.results.estimates[key]["first_minimum"]
        shell = rdf.results.estimates[key]["cn_first_shell"]
        assert shell.converged == cutoff.converged
        # linear within the bin of the cutoff: between the brute-force counts at its edges
        edges = rdf.results.edges
        k = np.searchsorted(edges, cutoff.value) - 1
        n = len(li) * u.trajectory.n_frames
        lo = _brute_force(u, key[0], key[1], edges[k]) / n
        hi = _brute_force(u, key[0], key[1], edges[k + 1]) / n
        assert lo - 1e-9 <= shell.value <= hi + 1e-9
    assert late.results.cn_below[key] == 0.0


def test_kernel_refuses_a_layout_without_a_slot_for_closer_pairs():
    kernel = pair_histogram_kernel()
    if kernel is None:
        pytest.fail("the pair-histogram kernel could not be built (no C++ compiler?)",
                    pytrace=False)
    positions = np.array([[1.0, 1.0, 1.0], [1.5, 1.0, 1.0], [3.0, 1.0, 1.0]])
    codes = np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64), np.arange(3)
    edges = np.linspace(1.0, 4.0, 4)
    # row = nbins: the closer pair (0.5 Å) would land in the next row's first bin
    with pytest.raises(ValueError, match="row > nbins"):
        kernel(positions, np.eye(3) * 10.0, edges, *codes, 3, np.zeros(8, dtype=np.int64))
    counts = kernel(positions, np.eye(3) * 10.0, edges, *codes, 4, np.zeros(8, dtype=np.int64))
    # intermolecular row: 1.5 Å and 2.0 Å in bin 0 and 1, the 0.5 Å pair in slot 3
    assert counts.tolist() == [0, 0, 0, 0, 1, 1, 0, 1]
