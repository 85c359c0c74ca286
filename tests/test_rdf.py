"""IntraInterRDF: analytic lattice, agreement with MDAnalysis InterRDF, backends, bad input."""

import matplotlib

matplotlib.use("Agg")

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.analysis.rdf import InterRDF

from mda_electrolyte import IntraInterRDF
from mda_electrolyte.rdf import MIN_PAIR_DISTANCE


def lattice_universe():
    """Simple cubic lattice, 1 Å spacing, 6 Å box, cut into 3-atom molecules along x."""
    grid = np.array(np.meshgrid(*[np.arange(6.0)] * 3, indexing="ij")).reshape(3, -1).T
    u = mda.Universe.empty(216, n_residues=72, atom_resindex=np.arange(216) // 3, trajectory=True)
    u.add_TopologyAttr("elements", ["C"] * 216)
    u.atoms.positions = grid[np.lexsort((grid[:, 0], grid[:, 1], grid[:, 2]))]
    u.dimensions = [6, 6, 6, 90, 90, 90]
    return u


def liquid_universe(n_frames=3, box=(24.0, 24.0, 24.0, 90.0, 90.0, 90.0), seed=1):
    """Random 'molecules' Li / X-O-O / O-H-H-H in a box, with bonds; several frames."""
    rng = np.random.default_rng(seed)
    elements, resindex, bonds = [], [], []
    res = 0
    for kind in ["Li"] * 20 + ["XOO"] * 60 + ["OHHH"] * 60:
        start = len(elements)
        atoms = {"Li": ["Li"], "XOO": ["P", "O", "O"], "OHHH": ["O", "H", "H", "H"]}[kind]
        elements += atoms
        resindex += [res] * len(atoms)
        bonds += [(start, start + k) for k in range(1, len(atoms))]
        res += 1
    n = len(elements)
    u = mda.Universe.empty(n, n_residues=res, atom_resindex=resindex, trajectory=True)
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("bonds", bonds)
    resindex = np.asarray(resindex)
    frames = []
    from MDAnalysis.lib.mdamath import triclinic_vectors

    vectors = triclinic_vectors(np.asarray(box, dtype=np.float32))
    for _ in range(n_frames):
        centres = rng.random((res, 3)) @ vectors
        offsets = rng.normal(scale=0.9, size=(n, 3))
        offsets[np.r_[True, resindex[1:] != resindex[:-1]]] = 0.0
        frames.append(centres[resindex] + offsets)
    u.load_new(np.array(frames, dtype=np.float32), order="fac", dimensions=np.asarray(box))
    return u


def test_lattice_coordination_numbers():
    u = lattice_universe()
    rdf = IntraInterRDF(u.atoms, range=(0.0, 1.2), nbins=3).run()
    key = ("C", "C")
    assert rdf.results.pairs == [key]
    assert rdf.results.cn_total[key][-1] == pytest.approx(6.0)
    # molecule ends have one intramolecular neighbour, the middle atom two
    assert rdf.results.cn_intra[key][-1] == pytest.approx(4.0 / 3.0)
    assert rdf.results.cn_inter[key][-1] == pytest.approx(6.0 - 4.0 / 3.0)
    # every neighbour is at 1 Å, in the last bin [0.8, 1.2]
    assert np.all(rdf.results.total[key][:2] == 0)
    # g(1 Å bin) = count / (N * rho * shell volume)
    shell = 4 / 3 * np.pi * (1.2**3 - 0.8**3)
    assert rdf.results.total[key][2] == pytest.approx(6.0 / (216 / 216.0 * shell))


@pytest.mark.parametrize("box", [(24.0, 24.0, 24.0, 90.0, 90.0, 90.0),
                                 (25.0, 24.0, 26.0, 80.0, 95.0, 70.0)])
def test_matches_interrdf_elements(box):
    u = liquid_universe(box=box)
    rdf = IntraInterRDF(u.atoms, pairs="elements", range=(0.0, 6.0), nbins=60).run()
    assert len(rdf.results.pairs) == 10  # 4 elements
    for a, b in [("O", "O"), ("Li", "O"), ("H", "O"), ("Li", "Li")]:
        ga, gb = u.select_atoms(f"element {a}"), u.select_atoms(f"element {b}")
        total = InterRDF(ga, gb, nbins=60, range=(0.0, 6.0)).run()
        inter = InterRDF(ga, gb, nbins=60, range=(0.0, 6.0), exclude_same="residue").run()
        np.testing.assert_allclose(rdf.results.inter[(a, b)], inter.results.rdf,
                                   rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(rdf.results.total[(a, b)][1:], total.results.rdf[1:],
                                   rtol=1e-6, atol=1e-12)
        # bin 0: InterRDF(g, g) also counts each atom at r = 0 from itself
        n_self = np.intersect1d(ga.ix, gb.ix).size * u.trajectory.n_frames
        counts = rdf.results.counts[rdf.results.pairs.index((a, b))].sum(axis=0)
        assert counts[0] == total.results.count[0] - n_self
        np.testing.assert_allclose(rdf.results.intra[(a, b)] + rdf.results.inter[(a, b)],
                                   rdf.results.total[(a, b)])
    np.testing.assert_allclose(rdf.results.bins, total.results.bins)


def test_selection_pairs_overlapping_and_cn():
    u = liquid_universe()
    pairs = [("element O", "all"), ("element Li", "element O or element H")]
    rdf = IntraInterRDF(u.atoms, pairs=pairs, range=(0.5, 6.0), nbins=40).run()
    for sel_a, sel_b in pairs:
        ga, gb = u.select_atoms(sel_a), u.select_atoms(sel_b)
        ref = InterRDF(ga, gb, nbins=40, range=(0.5, 6.0)).run()
        refi = InterRDF(ga, gb, nbins=40, range=(0.5, 6.0), exclude_same="residue").run()
        np.testing.assert_allclose(rdf.results.total[(sel_a, sel_b)], ref.results.rdf, rtol=1e-6)
        np.testing.assert_allclose(rdf.results.inter[(sel_a, sel_b)], refi.results.rdf, rtol=1e-6)
        # CN(r) = 4 pi rho_b int g r^2 dr = cumulative ordered count per a atom
        n_frames = u.trajectory.n_frames
        expect = np.cumsum(ref.results.count) / (ga.n_atoms * n_frames)
        np.testing.assert_allclose(rdf.results.cn_total[(sel_a, sel_b)], expect, rtol=1e-12)


@pytest.mark.parametrize("box, r_max", [
    ((20.0, 21.0, 22.0, 90.0, 90.0, 90.0), 6.0),
    ((20.0, 21.0, 22.0, 90.0, 90.0, 90.0), 9.999),   # r_max at half the box
    ((20.0, 21.0, 22.0, 80.0, 95.0, 70.0), 6.0),
])
def test_pair_search_finds_the_grid_search_pairs(box, r_max):
    """Every periodic pair once, with MDAnalysis' distance to single-precision rounding."""
    from MDAnalysis.lib.distances import self_capped_distance
    from vesin import NeighborList

    from mda_electrolyte.rdf import _pair_distances

    rng = np.random.default_rng(7)
    box = np.asarray(box, dtype=np.float32)
    # atoms outside the primary cell, on its faces, edges and corners
    positions = ((rng.random((1500, 3)) * 3.0 - 1.0) * box[:3]).astype(np.float32)
    positions[:40, 0] = 0.0
    positions[40:80, 1] = box[1]
    positions[80:120] = box[:3]
    positions[120:160, :2] = 0.0
    # the arrays are views into the neighbour list: it must outlive them
    neighbours = NeighborList(cutoff=r_max, full_list=False)
    pairs, dist = _pair_distances(neighbours, positions, box)
    i, j = pairs[:, 0], pairs[:, 1]
    ref_pairs, ref = self_capped_distance(positions, r_max, box=box, method="nsgrid")
    key = np.minimum(i, j) * len(positions) + np.maximum(i, j)
    ref_key = ref_pairs.min(axis=1) * len(positions) + ref_pairs.max(axis=1)
    assert len(np.unique(key)) == len(key)
    # the two searches may only disagree about pairs within rounding of the cutoff
    only = np.setxor1d(key, ref_key)
    all_d = np.concatenate([dist, ref])
    all_k = np.concatenate([key, ref_key])
    assert np.all(np.abs(all_d[np.isin(all_k, only)] - r_max) < 1e-4)
    common, at, ref_at = np.intersect1d(key, ref_key, return_indices=True)
    assert common.size > 0.99 * len(ref_key)
    np.testing.assert_allclose(dist[at], ref[ref_at], rtol=0, atol=2e-5)


def test_skewed_triclinic_cell_and_a_box_that_shrinks():
    # a strongly skewed cell in which r_max is below half every face-to-face width
    box = (30.0, 30.0, 30.0, 60.0, 60.0, 60.0)
    u = liquid_universe(n_frames=2, box=box)
    from mda_electrolyte.analysis_base import BOX_ROUNDING, half_box_width

    r_max = 0.99 * BOX_ROUNDING * half_box_width(np.asarray(box))
    rdf = IntraInterRDF(u.atoms, pairs=[("element Li", "element O")], range=(0.0, r_max),
                        nbins=40).run()
    ga, gb = u.select_atoms("element Li"), u.select_atoms("element O")
    # brute force over the 27 neighbouring images: valid since r_max < half every width
    from MDAnalysis.lib.mdamath import triclinic_vectors

    cell = triclinic_vectors(np.asarray(box, dtype=np.float64))
    shifts = np.array(np.meshgrid(*[[-1, 0, 1]] * 3)).reshape(3, -1).T @ cell
    counts = np.zeros(40)
    edges = rdf.results.edges
    for _ts in u.trajectory:
        a, b = ga.positions.astype(np.float64), gb.positions.astype(np.float64)
        frac = (b[None] - a[:, None]) @ np.linalg.inv(cell)
        d = (frac - np.round(frac)) @ cell
        dist = np.linalg.norm(d[:, :, None, :] + shifts[None, None], axis=-1).min(axis=-1)
        counts += np.histogram(dist, bins=edges)[0]
    np.testing.assert_array_equal(rdf.results.counts[0].sum(axis=0), counts)
    # the box of frame 1 shrinks below 2 r_max: refused on that frame, not silently undercounted
    u = liquid_universe(n_frames=2, box=(24.0, 24.0, 24.0, 90, 90, 90))
    u.trajectory[1].dimensions = [20.0, 20.0, 20.0, 90, 90, 90]
    frames = np.array([ts.positions.copy() for ts in u.trajectory])
    boxes = np.array([[24.0, 24.0, 24.0, 90, 90, 90], [20.0, 20.0, 20.0, 90, 90, 90]])
    from MDAnalysis.coordinates.memory import MemoryReader

    u.load_new(frames, format=MemoryReader, order="fac", dimensions=boxes)
    with pytest.raises(ValueError, match="frame 1"):
        IntraInterRDF(u.atoms, range=(0.0, 11.0), nbins=10).run()


def test_bins_equal_interrdf_except_at_single_precision_bin_edges():
    u = liquid_universe(n_frames=3)
    edges_n, r_max = 200, 7.0
    ga, gb = u.select_atoms("element O"), u.select_atoms("element H")
    rdf = IntraInterRDF(u.atoms, pairs=[("element O", "element H")], range=(0.0, r_max),
                        nbins=edges_n).run()
    ref = InterRDF(ga, gb, nbins=edges_n, range=(0.0, r_max)).run()
    ours = rdf.results.counts[0].sum(axis=0)
    # pairs within single-precision rounding of a bin edge (MDAnalysis' distances)
    from MDAnalysis.lib.distances import capped_distance

    edges = rdf.results.edges
    n_edge = 0
    for ts in u.trajectory:
        _, d = capped_distance(ga.positions, gb.positions, r_max, box=ts.dimensions)
        n_edge += int(np.sum(np.min(np.abs(d[:, None] - edges[None]), axis=1) < 1e-5))
    moved = int(np.abs(ours - ref.results.count).sum())
    assert moved <= 2 * n_edge
    assert ours.sum() == ref.results.count.sum()
    print(f"{moved // 2} of {int(ours.sum())} pairs in a neighbouring bin; {n_edge} near an edge")


def test_element_keys_centre_first_and_first_peak_per_pair():
    u = liquid_universe(n_frames=2)
    rdf = IntraInterRDF(u.atoms, range=(0.0, 8.0), nbins=80).run()
    assert rdf.results.pairs[:4] == [("Li", "Li"), ("Li", "H"), ("Li", "O"), ("Li", "P")]
    assert ("H", "O") in rdf.results.pairs and ("O", "H") not in rdf.results.pairs
    # cn_total[("Li", "O")] counts O around Li: n_O / n_Li times the count of Li around O
    by_sel = IntraInterRDF(u.atoms, pairs=[("element O", "element Li")], range=(0.0, 8.0),
                           nbins=80).run()
    n_li, n_o = (u.select_atoms(f"element {e}").n_atoms for e in ("Li", "O"))
    np.testing.assert_allclose(rdf.results.cn_total[("Li", "O")] * n_li,
                               by_sel.results.cn_total[("element O", "element Li")] * n_o)
    # first peak of the intramolecular P-O pair: the 0.9 A-wide Gaussian offsets from P
    for key in rdf.results.pairs:
        peak, minimum = rdf.results.first_peak[key], rdf.results.first_minimum[key]
        g = rdf.results.total[key]
        if peak is None:
            continue
        r = rdf.results.bins
        # a first peak, not the global maximum taken anywhere in the range; the bins wholly
        # closer than MIN_PAIR_DISTANCE are overlapping atoms, which the search leaves out
        # (a chance pair 0.05 Å apart reads g = 51 there: tests/test_struct21_overlap_rule.py)
        searched = rdf.results.edges[1:] > MIN_PAIR_DISTANCE
        assert g[np.abs(r - peak) < 0.3].max() >= 0.5 * g[searched & (r < peak + 0.3)].max()
        if minimum is not None:
            assert minimum > peak


@pytest.mark.parametrize("n_columns", [7, 70])
def test_selection_classes(n_columns):
    from mda_electrolyte.rdf import _distinct_rows

    rng = np.random.default_rng(3)
    membership = rng.random((500, n_columns)) < 0.5
    membership[250:] = membership[:250]  # repeated rows
    rows, inverse = _distinct_rows(membership)
    np.testing.assert_array_equal(rows[inverse], membership)
    assert len(np.unique(rows, axis=0)) == len(rows) == len(np.unique(membership, axis=0))


def test_fragments_equal_residues_when_molecules_are_residues():
    u = liquid_universe(n_frames=1)
    by_res = IntraInterRDF(u.atoms, range=(0.0, 5.0), nbins=25).run()
    by_frag = IntraInterRDF(u.atoms, range=(0.0, 5.0), nbins=25, compound="fragments").run()
    for key in by_res.results.pairs:
        np.testing.assert_array_equal(by_res.results.intra[key], by_frag.results.intra[key])
    assert by_res.results.cn_intra[("H", "O")][-1] > 0  # bonded O-H inside one molecule


@pytest.mark.parametrize("backend", ["multiprocessing", "dask"])
def test_parallel_backends_give_serial_result(backend):
    if backend == "dask":
        pytest.importorskip("dask")
    u = liquid_universe(n_frames=4)
    serial = IntraInterRDF(u.atoms, range=(0.0, 6.0), nbins=30).run()
    parallel = IntraInterRDF(u.atoms, range=(0.0, 6.0), nbins=30).run(backend=backend, n_workers=2)
    for key in serial.results.pairs:
        for name in ("total", "intra"):
            np.testing.assert_allclose(parallel.results[name][key], serial.results[name][key],
                                       rtol=1e-12)
    assert parallel.results.volume == pytest.approx(serial.results.volume)


def test_plot():
    u = liquid_universe(n_frames=1)
    rdf = IntraInterRDF(u.atoms, range=(0.0, 5.0), nbins=25).run()
    fig = rdf.plot(pairs=[("Li", "O"), ("O", "O")])
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2


def test_bad_input():
    u = liquid_universe(n_frames=1)
    with pytest.raises(ValueError, match="empty"):
        IntraInterRDF(u.atoms[[]])
    with pytest.raises(ValueError, match="r_min < r_max"):
        IntraInterRDF(u.atoms, range=(5.0, 2.0))
    with pytest.raises(ValueError, match="half the smallest box width"):
        IntraInterRDF(u.atoms, range=(0.0, 13.0))
    with pytest.raises(ValueError, match="matches no atom"):
        IntraInterRDF(u.atoms, pairs=[("element Li", "element Na")])
    with pytest.raises(ValueError, match="nbins"):
        IntraInterRDF(u.atoms, nbins=0)
    nobox = mda.Universe.empty(4, n_residues=1, atom_resindex=[0] * 4, trajectory=True)
    nobox.add_TopologyAttr("elements", ["O", "H", "H", "H"])
    with pytest.raises(ValueError, match="periodic box"):
        IntraInterRDF(nobox.atoms)
    noel = mda.Universe.empty(4, trajectory=True)
    noel.dimensions = [20, 20, 20, 90, 90, 90]
    with pytest.raises(ValueError, match="element"):
        IntraInterRDF(noel.atoms)
    with pytest.raises(ValueError, match="fragments"):
        IntraInterRDF(noel.atoms, pairs=[("all", "all")], compound="fragments")


def test_report_entry(tmp_path):
    from mda_electrolyte.rdf import _report

    u = liquid_universe(n_frames=1)
    summary = _report(u, tmp_path)
    assert set(summary["pairs"]) >= {"Li-O", "O-O"}
    assert (tmp_path / "intra_inter_rdf.png").exists()


def test_report_gives_the_peak_top_with_its_position(tmp_path):
    # the report's g_max comes with g_max_position: both from the analysis' one peak fit
    from mda_electrolyte.rdf import _report

    u = liquid_universe(n_frames=12)
    summary = _report(u, tmp_path)
    for name, entry in summary["pairs"].items():
        height, top = entry["g_max"], entry["g_max_position"]
        assert top.unit == "Å", name
        r = np.asarray(summary["r_angstrom"])
        # one peak: both numbers or neither, one verdict
        assert np.isfinite(top.value) == np.isfinite(height.value), name
        assert top.verdict == height.verdict, name
        if np.isfinite(top.value):
            assert r[0] - 0.5 * (r[1] - r[0]) <= top.value <= r[-1] + 0.5 * (r[1] - r[0])
        if top.converged:
            # the fitted top lies near the highest bin of the total g(r)
            assert abs(top.value - r[np.argmax(entry["g_total"])]) < 0.5, name
        else:
            assert top.verdict, name


@pytest.mark.parametrize("engine", ["auto", "vesin"])
def test_counts_of_a_run_are_the_sums_of_its_frames(engine):
    # the ordered class-pair counts are added to by every frame and reduced once at the end: a
    # run over three frames (boxes changing between them) counts what its frames count alone,
    # with the mean volume of the three
    u = liquid_universe(n_frames=3, box=(16.0, 16.0, 16.0, 90.0, 90.0, 90.0))
    u.trajectory.dimensions_array[1, :3] = (16.0, 15.0, 16.0)
    kwargs = {"range": (0.0, 7.0), "nbins": 35, "engine": engine}
    whole = IntraInterRDF(u.atoms, **kwargs).run()
    parts = [IntraInterRDF(u.atoms, **kwargs).run(frames=[k]) for k in range(3)]
    np.testing.assert_array_equal(whole.results.counts, sum(p.results.counts for p in parts))
    assert whole.results.counts.sum() > 1000
    assert whole.results.volume == pytest.approx(np.mean([p.results.volume for p in parts]))
    np.testing.assert_array_equal(u.trajectory.dimensions_array[1, :3], (16.0, 15.0, 16.0))


@pytest.mark.parametrize("source", ["memory", "dcd"])
def test_report_range_is_half_the_smallest_box_of_the_run_and_the_frame_is_kept(tmp_path, source):
    # an NPT run whose box shrinks in the middle frame: the report's range is half of that
    # box, read from the reader's box array (in memory) or once per frame (a file), and the
    # caller's Universe stays on the frame it was on
    from mda_electrolyte.rdf import _report

    u = liquid_universe(n_frames=3, box=(16.0, 16.0, 16.0, 90.0, 90.0, 90.0))
    boxes = np.array([[16.0, 16.0, 16.0, 90, 90, 90], [16.0, 13.5, 16.0, 90, 90, 90],
                      [16.0, 16.0, 15.0, 90, 90, 90]], dtype=np.float32)
    u.trajectory.dimensions_array[:] = boxes
    if source == "dcd":
        path = str(tmp_path / "npt.dcd")
        with mda.Writer(path, u.atoms.n_atoms) as writer:
            for _ in u.trajectory:
                writer.write(u.atoms)
        u.load_new(path)
    u.trajectory[2]
    summary = _report(u, tmp_path)
    r = np.asarray(summary["r_angstrom"])
    # range (0, 6.75) in int(6.75 * 20) = 135 bins of 0.05 Å
    assert r.size == 135 and r[-1] == pytest.approx(6.75 - 0.025, abs=1e-5)
    assert u.trajectory.ts.frame == 2
    np.testing.assert_allclose(u.dimensions, boxes[2])


def test_report_first_peak_is_the_first_not_the_highest(tmp_path):
    from mda_electrolyte.rdf import _report

    # four Li, each with one F at 2.0 A and twenty F on a sphere of 7.0 A: g(Li-F) is highest at
    # 7 A, but its first peak is at 2 A
    rng = np.random.default_rng(5)
    centres = np.array([[7.5, 7.5, 7.5], [22.5, 22.5, 7.5], [7.5, 22.5, 22.5], [22.5, 7.5, 22.5]])
    positions, elements = [], []
    for c in centres:
        directions = rng.normal(size=(21, 3))
        directions /= np.linalg.norm(directions, axis=1)[:, None]
        positions += [c] + list(c + directions * np.r_[2.0, [7.0] * 20][:, None])
        elements += ["Li"] + ["F"] * 21
    u = mda.Universe.empty(len(elements), n_residues=len(elements),
                           atom_resindex=np.arange(len(elements)), trajectory=True)
    u.add_TopologyAttr("elements", elements)
    u.atoms.positions = np.array(positions)
    u.dimensions = [30.0, 30.0, 30.0, 90, 90, 90]
    summary = _report(u, tmp_path)
    entry = summary["pairs"]["Li-F"]
    r = np.asarray(summary["r_angstrom"])
    assert abs(r[np.argmax(entry["g_total"])] - 7.0) < 0.1  # the global maximum
    assert "F-Li" not in summary["pairs"]
    # four pairs in the first shell: the positions are reported, marked as a small sample
    peak, minimum = entry["first_peak"], entry["first_minimum"]
    assert abs(peak.value - 2.0) < 0.1 and peak.unit == "Å"
    assert not any(k.endswith("_angstrom") for k in entry)  # no bare copies of the Estimates
    # the height of the highest peak comes with where it lies, an Estimate in Å with a verdict
    # (one frame: refused, with its reason, not a bare NaN)
    top = entry["g_max_position"]
    assert top.unit == "Å" and not top.converged and "too few frames" in top.verdict
    assert not minimum.converged
    assert "small sample" in minimum.verdict or "no" in minimum.verdict


@pytest.mark.parametrize("edge", [10.78, 10.831847, 11.7, 12.345679])
def test_r_max_of_half_the_float32_box_is_accepted_and_equals_interrdf(edge):
    # the README's quickstart takes r_max = min(dimensions)/2 from MDAnalysis' float32 box;
    # a width recomputed in float64 must not refuse it over the last float32 digit
    u = liquid_universe()
    # every frame's box (u.dimensions sets the current frame's only: the others kept 24 Å, a
    # box whose volume changes, which IntraInterRDF normalises frame by frame and InterRDF by
    # the mean volume)
    u.trajectory.dimensions_array[:] = np.array([edge, edge, edge, 90, 90, 90],
                                                dtype=np.float32)
    u.trajectory[0]
    r_max = u.dimensions[:3].min() / 2
    rdf = IntraInterRDF(u.atoms, pairs=[("element O", "all")], range=(0, r_max), nbins=20).run()
    ref = InterRDF(u.select_atoms("element O"), u.atoms, nbins=20, range=(0, r_max)).run()
    # the two normalise with float32 box volumes; InterRDF's float32 distances may put a pair
    # within their rounding of a bin edge into the neighbouring bin: one pair's g apart (two
    # for two O atoms, a pair counted in both orders)
    key = ("element O", "all")
    counts = rdf.results.counts[0].sum(axis=0)
    one_pair = rdf.results.total[key] / np.maximum(counts, 1)
    assert np.all(np.abs(rdf.results.total[key][1:] - ref.results.rdf[1:])
                  <= 1e-5 * ref.results.rdf[1:] + 2.01 * one_pair[1:])
    with pytest.raises(ValueError, match="exceeds half the smallest box width"):
        IntraInterRDF(u.atoms, range=(0, r_max * 1.001))
    # the largest r_max the check accepts (the analyze report takes it) runs in the compiled
    # kernel too, and counts what the vesin engine counts
    from mda_electrolyte.analysis_base import BOX_ROUNDING, half_box_width

    widest = BOX_ROUNDING * half_box_width(u.dimensions)
    counts = [
        IntraInterRDF(u.atoms, range=(0, widest), nbins=20, engine=engine).run().results.counts
        for engine in ("auto", "vesin")
    ]
    np.testing.assert_array_equal(counts[0], counts[1])


@pytest.mark.parametrize("box, r_max", [
    ((24.0, 24.0, 24.0, 90.0, 90.0, 90.0), 7.0),    # five or more cells: the forward half
    ((20.0, 21.0, 22.0, 90.0, 90.0, 90.0), 9.999),  # two cells per side: the whole stencil
    ((30.0, 30.0, 30.0, 60.0, 60.0, 60.0), 8.0),    # skewed triclinic
    ((20.0, 21.0, 22.0, 80.0, 95.0, 70.0), 6.0),
])
def test_compiled_pass_counts_what_the_vesin_pass_counts(box, r_max):
    from mda_electrolyte.analysis_base import BOX_ROUNDING, half_box_width
    from mda_electrolyte.pair_histogram import pair_histogram_kernel

    if pair_histogram_kernel() is None:
        pytest.skip("no C++ compiler: the compiled pass cannot be built")
    u = liquid_universe(n_frames=3, box=box)
    r_max = min(r_max, BOX_ROUNDING * half_box_width(np.asarray(box)))
    # atoms outside the primary cell, on its faces and corners
    u.atoms.positions = u.atoms.positions * 1.7 - 0.3 * np.asarray(box[:3])
    kwargs = {"range": (0.5, r_max), "nbins": 37}
    ours = IntraInterRDF(u.atoms, engine="auto", **kwargs).run()
    ref = IntraInterRDF(u.atoms, engine="vesin", **kwargs).run()
    # the same pairs in the same bins (both bin double-precision distances as numpy.histogram)
    assert ours.results.counts.sum() == ref.results.counts.sum()
    moved = np.abs(ours.results.counts - ref.results.counts).sum()
    assert moved == 0, moved
    with pytest.raises(ValueError, match="engine"):
        IntraInterRDF(u.atoms, engine="numba")


def _kernel_inputs(box, r_max, nbins=29, seed=3):
    """Positions (outside the cell too), its lower-triangular cell and the codes of
    IntraInterRDF's layout for the element classes of liquid_universe."""
    from MDAnalysis.lib.mdamath import triclinic_vectors

    u = liquid_universe(n_frames=1, box=box, seed=seed)
    cell = triclinic_vectors(np.asarray(box, dtype=np.float64))
    positions = u.atoms.positions.astype(np.float64) * 1.7 - 0.3 * np.diag(cell)
    classes = np.unique(u.atoms.elements, return_inverse=True)[1]
    n_cls, row = classes.max() + 1, nbins + 1
    codes = (classes * n_cls * 2 * row, classes * 2 * row, u.atoms.resindices)
    edges = np.linspace(0.4, r_max, nbins + 1)
    return positions, cell, edges, codes, row, n_cls * n_cls * 2 * row


@pytest.mark.parametrize("box, r_max", [
    ((24.0, 24.0, 24.0, 90.0, 90.0, 90.0), 7.0),
    ((20.0, 21.0, 22.0, 80.0, 95.0, 70.0), 6.0),
])
def test_compiled_pass_is_rotation_and_thread_invariant_and_finds_every_pair(box, r_max):
    """The shared neighbour engine (ase_electrolyte/csrc/cell_list.h) under the histogram:
    the counts are a brute-force minimum-image histogram, for any orientation of the cell
    (the wrapper rotates it to lower-triangular form) and any number of threads."""
    from scipy.spatial.transform import Rotation

    from mda_electrolyte.pair_histogram import pair_histogram_kernel

    kernel = pair_histogram_kernel()
    if kernel is None:
        pytest.skip("no C++ compiler: the compiled pass cannot be built")
    positions, cell, edges, codes, row, size = _kernel_inputs(box, r_max)
    counts = kernel(positions, cell, edges, *codes, row, np.zeros(size, dtype=np.int64))
    # brute force: every pair i < j at its minimum-image distance (r_max < half every width,
    # so the nearest of the 27 neighbouring images is the minimum image)
    n = len(positions)
    i, j = np.triu_indices(n, k=1)
    frac = (positions[j] - positions[i]) @ np.linalg.inv(cell)
    d = (frac - np.round(frac)) @ cell
    shifts = np.array(np.meshgrid(*[[-1, 0, 1]] * 3)).reshape(3, -1).T @ cell
    dist = np.min([np.linalg.norm(d + s, axis=1) for s in shifts], axis=0)
    first, second, mol = codes
    at = first[i] + second[j] + (mol[i] != mol[j]) * row
    keep = dist <= edges[-1]
    bins = np.clip(np.searchsorted(edges, dist[keep], side="right") - 1, 0, len(edges) - 2)
    # a pair closer than the range counts in the slot after the last bin, not dropped
    bins[dist[keep] < edges[0]] = len(edges) - 1
    assert np.sum(dist < edges[0]) > 0
    brute = np.bincount(at[keep] + bins, minlength=size)
    # the two distances differ by rounding (~1e-15 Å): only a pair that close to an edge moves
    near_edge = int(np.sum(np.min(np.abs(dist[keep, None] - edges[None]), axis=1) < 1e-12))
    assert counts.sum() == brute.sum() > 1000
    assert np.abs(counts - brute).sum() <= 2 * near_edge
    # a rotated and reflected frame: same pairs, same bins
    rotation = Rotation.from_euler("zyx", [0.3, -1.1, 2.0]).as_matrix() @ np.diag([1, 1, -1])
    turned = kernel(positions @ rotation.T, cell @ rotation.T, edges, *codes, row,
                    np.zeros(size, dtype=np.int64))
    np.testing.assert_array_equal(turned, counts)
    for threads in (2, 3):
        threaded = kernel(positions, cell, edges, *codes, row, np.zeros(size, dtype=np.int64),
                          num_threads=threads)
        np.testing.assert_array_equal(threaded, counts)


def test_compiled_pass_refuses_bad_input_with_a_message():
    from mda_electrolyte.pair_histogram import pair_histogram_kernel

    kernel = pair_histogram_kernel()
    if kernel is None:
        pytest.skip("no C++ compiler: the compiled pass cannot be built")
    positions, cell, edges, codes, row, size = _kernel_inputs((24.0,) * 3 + (90.0,) * 3, 7.0)
    counts = np.zeros(size, dtype=np.int64)
    bad = positions.copy()
    bad[5, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        kernel(bad, cell, edges, *codes, row, counts)
    with pytest.raises(ValueError, match="half the cell width"):
        kernel(positions, cell, np.linspace(0.0, 12.5, 30), *codes, row, counts)
    with pytest.raises(ValueError, match="no volume"):
        kernel(positions, np.diag([24.0, 24.0, 0.0]), edges, *codes, row, counts)
    # a code past the end of counts, raised inside a worker thread and carried out of it
    for threads in (1, 2):
        with pytest.raises(ValueError, match="out of range"):
            kernel(positions, cell, edges, *codes, row, np.zeros(size // 2, dtype=np.int64),
                   num_threads=threads)
