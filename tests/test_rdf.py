"""IntraInterRDF: analytic lattice, agreement with MDAnalysis InterRDF, backends, bad input."""

import matplotlib

matplotlib.use("Agg")

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.analysis.rdf import InterRDF

from mda_electrolyte import IntraInterRDF


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
    ((20.0, 21.0, 22.0, 90.0, 90.0, 90.0), 6.0),     # non-periodic trees with ghost images
    ((20.0, 21.0, 22.0, 90.0, 90.0, 90.0), 9.999),   # r_max near half the box: periodic tree
    ((20.0, 21.0, 22.0, 80.0, 95.0, 70.0), 6.0),     # triclinic: MDAnalysis' grid search
])
def test_pair_search_is_mdanalysis_grid_search(box, r_max):
    """Every periodic pair once, with the grid search's distance bit for bit."""
    from MDAnalysis.lib.distances import self_capped_distance

    from mda_electrolyte.rdf import _pair_distance_chunks

    rng = np.random.default_rng(7)
    box = np.asarray(box, dtype=np.float32)
    # atoms outside the primary cell, on its faces, edges and corners
    positions = ((rng.random((1500, 3)) * 3.0 - 1.0) * box[:3]).astype(np.float32)
    positions[:40, 0] = 0.0
    positions[40:80, 1] = box[1]
    positions[80:120] = box[:3]
    positions[120:160, :2] = 0.0
    found_i, found_j, found_d = [], [], []
    for i, j, dist, beyond in _pair_distance_chunks(positions, box, r_max):
        keep = np.ones(len(i), dtype=bool) if beyond is None else ~beyond
        found_i.append(i[keep])
        found_j.append(j[keep])
        found_d.append(dist[keep])
    i, j, dist = (np.concatenate(x) for x in (found_i, found_j, found_d))
    pairs, ref = self_capped_distance(positions, r_max, box=box, method="nsgrid")
    key = np.minimum(i, j) * len(positions) + np.maximum(i, j)
    ref_key = pairs.min(axis=1) * len(positions) + pairs.max(axis=1)
    assert len(np.unique(key)) == len(key) == len(ref_key)
    order, ref_order = np.argsort(key), np.argsort(ref_key)
    np.testing.assert_array_equal(key[order], ref_key[ref_order])
    np.testing.assert_array_equal(dist[order], ref[ref_order])


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
