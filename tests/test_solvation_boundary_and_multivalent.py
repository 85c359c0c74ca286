"""Shell membership at the cutoff, multivalent cations, polydentate anions, empty shells.

An atom at exactly the cutoff is inside the shell (``<=``). The search's own distances
(:func:`MDAnalysis.lib.distances.capped_distance`) carry single-precision rounding that depends
on the method it picks for the system's size: an O at exactly 2.5 Å from a Li read 2.50000013 Å
(brute force, 30 Å box) and fell outside a 2.5 Å shell, which counted it as SSIP, while the grid
search read 2.5 Å. The distances are now recomputed in double precision from the coordinates,
as :class:`~mda_electrolyte.rdf.IntraInterRDF`'s are: the shell is the same whatever the search
method, the box or the backend. Mg²⁺/Zn²⁺ with a bidentate nitrate count the anion once, and a
cation with no neighbour at all is a bare SSIP shell in every result.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.lib.distances import minimize_vectors

from mda_electrolyte import SolvationShells

BACKENDS = [({}, {}), ({"store_table": False}, {}),
            ({}, {"backend": "multiprocessing", "n_workers": 2}),
            ({"store_table": False}, {"backend": "multiprocessing", "n_workers": 2}),
            ({}, {"n_parts": 3})]


def _universe(molecules, frames, dims):
    """``molecules``: (resname, elements, bonds); ``frames``: (n_frames, n_atoms, 3)."""
    elements, resindex, names, bonds = [], [], [], []
    for k, (name, els, bnd) in enumerate(molecules):
        start = len(elements)
        elements += els
        resindex += [k] * len(els)
        names.append(name)
        bonds += [(start + a, start + b) for a, b in bnd]
    u = mda.Universe.empty(len(elements), n_residues=len(molecules), atom_resindex=resindex,
                           trajectory=True)
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("names", elements)
    u.add_TopologyAttr("resnames", names)
    u.add_TopologyAttr("bonds", bonds)
    frames = np.asarray(frames, dtype=np.float32)
    u.load_new(frames, order="fac",
               dimensions=np.tile(np.asarray(dims, dtype=np.float32), (len(frames), 1)))
    return u


def _boundary(box, cutoff=2.5, n_frames=8, tilt=90.0):
    """Li 0 with a water O at exactly ``cutoff`` along x in every frame and an F⁻ at exactly
    ``cutoff`` along -y in even frames, one float32 step farther in odd ones; Li 1 alone."""
    li0 = np.array([10.0, 10.0, 10.0])
    atoms = [li0, [box - 3.0, box - 3.0, box - 3.0],
             li0 + [cutoff, 0, 0], li0 + [cutoff + 0.5, 0.75, 0], li0 + [cutoff + 0.5, -0.75, 0],
             li0 - [0, cutoff, 0]]
    frames = np.repeat(np.asarray(atoms, dtype=np.float32)[None], n_frames, axis=0)
    frames[1::2, 5, 1] = np.nextafter(frames[0, 5, 1], np.float32(0))
    molecules = [("LI", ["Li"], []), ("LI", ["Li"], []),
                 ("WAT", ["O", "H", "H"], [(0, 1), (0, 2)]), ("FA", ["F"], [])]
    return _universe(molecules, frames, [box, box, box, 90.0, 90.0, tilt])


def _run(u, cations="element Li", cutoffs=None, kwargs=None, run=None, **extra):
    species = {name: u.select_atoms(f"resname {name}") for name in set(u.residues.resnames)
               if name not in ("LI", "MG", "ZN")}
    anions = {n: g for n, g in species.items() if n in ("FA", "NO3")}
    solvents = {n: g for n, g in species.items() if n not in anions}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SolvationShells(u.select_atoms(cations), anions, solvents,
                               cutoffs=cutoffs or {n: 2.5 for n in species},
                               **(kwargs or {}), **extra).run(**(run or {}))


@pytest.mark.parametrize("box", [30.0, 17.3, 41.0, 100.0])
@pytest.mark.parametrize("kwargs,run", BACKENDS)
def test_an_atom_exactly_at_the_cutoff_is_inside_whatever_the_box_or_backend(box, kwargs, run):
    u = _boundary(box)
    # the distances really are exact: 2.5 Å in double precision from the coordinates
    pos = u.atoms.positions.astype(np.float64)
    assert np.linalg.norm(pos[2] - pos[0]) == 2.5 and np.linalg.norm(pos[5] - pos[0]) == 2.5
    r = _run(u, kwargs=kwargs, run=run).results
    # Li 0: water in every frame, the anion in half of them; Li 1: empty
    assert r.coordination_numbers == pytest.approx({"WAT": 0.5, "FA": 0.25})
    assert r.fractions == pytest.approx({"SSIP": 0.75, "CIP": 0.25, "AGG": 0.0})
    assert r.labels == pytest.approx({"Li": 0.5, "Li(WAT)": 0.25, "Li(WAT)(FA)": 0.25})
    assert r.pairing == pytest.approx({"WAT": 0.5, "FA": 0.25})
    if "classes" in r:
        assert r.classes[:, 0].tolist() == ["CIP", "SSIP"] * 4
        assert r.classes[:, 1].tolist() == ["SSIP"] * 8


def test_the_same_pair_in_a_tilted_cell_is_inside_too():
    u = _boundary(30.0, tilt=75.0)
    r = _run(u).results
    assert r.coordination_numbers == pytest.approx({"WAT": 0.5, "FA": 0.25})


def test_the_table_distances_are_the_double_precision_minimum_image_ones():
    rng = np.random.default_rng(3)
    n_frames, box = 6, 18.0
    li = rng.uniform(0, box, (n_frames, 4, 3))
    o = rng.uniform(0, box, (n_frames, 60, 3))
    molecules = [("LI", ["Li"], [])] * 4 + [("WAT", ["F"], [])] * 60
    u = _universe(molecules, np.concatenate([li, o], axis=1), [box] * 3 + [90.0] * 3)
    r = _run(u, cutoffs={"WAT": 4.0}).results
    table = r.table
    frames = table.row_frames()
    for f in range(n_frames):
        pos = u.trajectory[f].positions.astype(np.float64)
        vectors = (pos[None, 4:] - pos[:4, None]).reshape(-1, 3)
        d = np.linalg.norm(minimize_vectors(vectors, np.array([box] * 3 + [90.0] * 3)),
                           axis=-1)
        mine = frames == f
        expect = np.sort(d[d <= table.radius])
        assert np.allclose(np.sort(table.distance[mine]), expect, rtol=0, atol=1e-6)
        assert np.sum(mine) == expect.size


def _nitrate_shells(cation, n_frames=6, bridge=False):
    """Cation 0 with a bidentate nitrate (both O at 2.1 Å) and four waters; cation 1 alone,
    or (``bridge``) at the nitrate's far side sharing it through its third O."""
    c0 = np.array([10.0, 10.0, 10.0])
    o1 = c0 + 2.1 * np.array([np.cos(0.55), np.sin(0.55), 0.0])
    o2 = c0 + 2.1 * np.array([np.cos(-0.55), np.sin(-0.55), 0.0])
    n = 0.5 * (o1 + o2) + [0.6, 0.0, 0.0]
    o3 = n + [1.25, 0.0, 0.0]
    c1 = o3 + [2.1, 0.0, 0.0] if bridge else np.array([22.0, 22.0, 22.0])
    atoms = [c0, c1, n, o1, o2, o3]
    molecules = [(cation.upper(), [cation], []), (cation.upper(), [cation], []),
                 ("NO3", ["N", "O", "O", "O"], [(0, 1), (0, 2), (0, 3)])]
    for d in ([-1, 0, 0], [0, 0, 1], [0, 0, -1], [0, -1, 0.2]):
        d = np.asarray(d, float) / np.linalg.norm(d)
        o = c0 + 2.1 * d
        atoms += [o, o + [0.0, 0.76, 0.59], o + [0.0, -0.76, 0.59]]
        molecules.append(("WAT", ["O", "H", "H"], [(0, 1), (0, 2)]))
    rng = np.random.default_rng(0)
    frames = np.asarray(atoms)[None] + rng.normal(0, 0.01, (n_frames, len(atoms), 3))
    return _universe(molecules, frames, [30.0] * 3 + [90.0] * 3)


@pytest.mark.parametrize("cation", ["Mg", "Zn"])
@pytest.mark.parametrize("kwargs,run", BACKENDS)
def test_a_bidentate_anion_counts_once_around_a_divalent_cation(cation, kwargs, run):
    u = _nitrate_shells(cation)
    r = _run(u, cations=f"element {cation}", cutoffs={"NO3": 2.6, "WAT": 2.6},
             kwargs=kwargs, run=run).results
    # two O of one nitrate in the shell: one anion, one molecule
    assert r.coordination_numbers == pytest.approx({"WAT": 2.0, "NO3": 0.5})
    assert r.cn_distribution["NO3"] == pytest.approx({0: 0.5, 1: 0.5})
    assert r.cn_distribution["total"] == pytest.approx({0: 0.5, 5: 0.5})
    assert r.fractions == pytest.approx({"SSIP": 0.5, "CIP": 0.5, "AGG": 0.0})
    assert r.labels == pytest.approx({cation: 0.5, f"{cation}(WAT)4(NO3)": 0.5})
    # the bare cation: an SSIP shell of its own, no network
    assert r.network_sizes == {1: 1.0}
    assert r.free_cation_fraction == pytest.approx(0.5)


@pytest.mark.parametrize("convention,classes", [("anion_count", {"CIP": 1.0}),
                                                ("bridging", {"AGG": 1.0})])
def test_a_nitrate_bridging_two_divalent_cations(convention, classes):
    u = _nitrate_shells("Mg", bridge=True)
    r = _run(u, cations="element Mg", cutoffs={"NO3": 2.6, "WAT": 2.6},
             convention=convention).results
    assert {k: v for k, v in r.fractions.items() if v} == pytest.approx(classes)
    assert r.coordination_numbers["NO3"] == pytest.approx(1.0)
    # both cations in one network through the shared anion
    assert r.network_sizes == {2: 1.0}
