"""The structure analyses on Universes built the way other MDAnalysis users build them: the same
frames written with MDAnalysis' writers and read back (DCD, TRR, XTC, a ChainReader, in memory),
with on-the-fly transformations, with guessed bonds and with residues that are not molecules.
Each gives the shells and RDFs of the Universe the frames were made in (within the precision
of the file format), or a clear error naming the problem before any frame is analysed.
"""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis import transformations as T
from MDAnalysis.coordinates.memory import MemoryReader
from MDAnalysis.lib.distances import distance_array
from test_structure_invariances import _assert_same, _liquid, _universe

import mda_electrolyte as mdae

SPECIES = ("AN", "SOL")
RDF_RANGE = (0.0, 6.4)


@pytest.fixture(scope="module")
def liquid():
    warnings.simplefilter("ignore", UserWarning)
    molecules, frames = _liquid(n_frames=4)
    u = _universe(molecules, frames)
    return u, _gap_cutoffs(u)


def _gap_cutoffs(u):
    """Per species a cutoff near 2.6 Å with no cation–atom distance within 0.02 Å of it in any
    frame: the shells are then the same for coordinates rounded to XTC's precision (each
    coordinate by up to 0.005 Å, a distance by up to 0.017 Å)."""
    cations = u.select_atoms("resname LI")
    cutoffs = {}
    for name in SPECIES:
        atoms = u.select_atoms(f"resname {name}")
        d = np.concatenate([distance_array(cations.positions, atoms.positions,
                                           box=u.dimensions).ravel() for _ in u.trajectory])
        for cutoff in np.arange(2.6, 3.4, 0.005):
            if not np.any(np.abs(d - cutoff) < 0.02):
                cutoffs[name] = float(cutoff)
                break
    assert set(cutoffs) == set(SPECIES)
    return cutoffs


def _shells(u, cutoffs, **kw):
    return mdae.SolvationShells(u.select_atoms("resname LI"),
                                {"AN": u.select_atoms("resname AN")},
                                {"SOL": u.select_atoms("resname SOL")},
                                cutoffs=cutoffs, rdf_range=RDF_RANGE, **kw).run()


def _rdf(u):
    return mdae.IntraInterRDF(u.atoms, range=(0.0, 6.0), nbins=30).run()


SHELL_KEYS = ("fractions", "coordination_numbers", "pairing", "free_cation_fraction",
              "labels", "network_sizes", "cn_distribution")


def _assert_same_shells(expected, got, angle_tolerance):
    """Counts and shares to 1e-12 (dicts with the same keys in the same order), mean angles to
    ``angle_tolerance`` degrees."""
    for key in SHELL_KEYS:
        _assert_same(expected.results[key], got.results[key], key)
    assert expected.results.angles["Oc-M-Oc"]["n"] > 0  # the comparison compares angles
    for kind, angles in expected.results.angles.items():
        assert got.results.angles[kind]["n"] == angles["n"]
        assert got.results.angles[kind]["mean"] == pytest.approx(angles["mean"],
                                                                 abs=angle_tolerance)


def _written(u, tmp_path, ext, parts=1):
    """``u`` as a PDB topology (elements, bonds) and ``parts`` trajectory files of format ext."""
    top = tmp_path / "top.pdb"
    with_resids = u.copy()  # PDB tells residues apart by their numbers
    with_resids.add_TopologyAttr("resids", np.arange(1, u.residues.n_residues + 1))
    with_resids.atoms.write(str(top))
    n = u.trajectory.n_frames
    bounds = np.linspace(0, n, parts + 1).astype(int)
    paths = []
    for k in range(parts):
        path = tmp_path / f"part{k}.{ext}"
        with mda.Writer(str(path), n_atoms=u.atoms.n_atoms) as writer:
            for _ in u.trajectory[bounds[k]:bounds[k + 1]]:
                writer.write(u.atoms)
        paths.append(str(path))
    u.trajectory[0]
    return str(top), paths


def _in_memory(u):
    v = u.copy()
    v.transfer_to_memory()
    return v


@pytest.mark.parametrize("how", ["dcd", "trr", "xtc", "chain of two dcd", "in memory"])
def test_frames_written_and_read_back_give_the_same_shells_and_rdfs(liquid, tmp_path, how):
    u, cutoffs = liquid
    if how == "in memory":
        v = _in_memory(mda.Universe(*_written(u, tmp_path, "dcd")))
    else:
        ext, parts = ("dcd", 2) if how.startswith("chain") else (how, 1)
        top, paths = _written(u, tmp_path, ext, parts)
        v = mda.Universe(top, paths if parts > 1 else paths[0])
    assert v.trajectory.n_frames == u.trajectory.n_frames
    # XTC rounds positions to 0.01 Å: the shells (no pair near a cutoff) are the same, the
    # angles within the rounding
    tolerance = 1.0 if how == "xtc" else 1e-3
    _assert_same_shells(_shells(u, cutoffs), _shells(v, cutoffs), tolerance)
    expected, got = _rdf(u), _rdf(v)
    assert got.results.pairs == expected.results.pairs
    for key in expected.results.pairs:
        a, b = expected.results.cn_total[key], got.results.cn_total[key]
        if how in ("xtc", "trr"):
            # nm in the file (TRR: float32 nm, 1e-6 Å off; XTC 1e-3 nm): a pair may cross a bin
            # edge (the solvent's C=O bond lies on one), never a bin: neighbour bins bound it
            assert np.all(b[:-1] <= a[1:] + 1e-12)  # (the last: pairs from beyond the range)
            assert np.all(b >= np.insert(a[:-1], 0, 0.0) - 1e-12)
        else:
            np.testing.assert_allclose(b, a, rtol=0, atol=1e-12, err_msg=str(key))


ROTATIONS = {
    "fit_rot_trans": lambda u, ref: T.fit_rot_trans(u.select_atoms("resname SOL"),
                                                    ref.select_atoms("resname SOL")),
    "rotateby": lambda u, ref: T.rotateby(30.0, [0.0, 0.0, 1.0], point=[0.0, 0.0, 0.0]),
}
ANALYSES = {
    "SolvationShells": lambda u: mdae.SolvationShells(
        u.select_atoms("resname LI"), {"AN": u.select_atoms("resname AN")},
        {"SOL": u.select_atoms("resname SOL")}, cutoffs={"AN": 2.6, "SOL": 2.6},
        rdf_range=RDF_RANGE),
    "IntraInterRDF": lambda u: mdae.IntraInterRDF(u.atoms, range=(0.0, 6.0), nbins=30),
}


def _lj():
    from ase.calculators.lj import LennardJones

    return LennardJones(sigma=2.0, epsilon=0.01, rc=5.0)


MODEL_ANALYSES = {
    "RigidVolumeScan": lambda u: mdae.RigidVolumeScan(u.atoms, _lj(), scales=[1.0, 1.2]),
    "IntraInterErrors": lambda u: mdae.IntraInterErrors(u.atoms, _lj(), _lj()),
}


@pytest.mark.parametrize("analysis", [*ANALYSES, *MODEL_ANALYSES])
@pytest.mark.parametrize("rotation", list(ROTATIONS))
def test_a_transformation_that_rotates_the_atoms_but_not_the_box_is_refused(
        liquid, analysis, rotation):
    # the rotated atoms in the unrotated box: shells, RDFs and energies of another structure
    # (SSIP 0.62 -> 0.79, a model's energy off by 1e7 eV), without a word
    make = {**ANALYSES, **MODEL_ANALYSES}[analysis]
    match = (rf"{analysis}: the trajectory has the on-the-fly transformation {rotation} "
             r"\(trajectory.transformations\[0\]\), which rotates the atoms but not the box")
    u = liquid[0].copy()
    created = make(u)  # created before the transformation was added: refused by run()
    u.trajectory.add_transformations(ROTATIONS[rotation](u, liquid[0]))
    with pytest.raises(ValueError, match=match):
        created.run()
    with pytest.raises(ValueError, match=match):
        make(u)


@pytest.mark.parametrize("analysis", [*ANALYSES, *MODEL_ANALYSES])
def test_a_transformation_that_averages_positions_over_frames_is_refused(liquid, analysis):
    # running means of wrapped coordinates across box jumps are no structure (the transport
    # analyses refused it already: D 5 times too large, called valid); one check for all
    make = {**ANALYSES, **MODEL_ANALYSES}[analysis]
    match = (rf"{analysis}: the trajectory has the transformation PositionAverager attached "
             r"\(trajectory.transformations\[0\]\), which replaces positions by running means")
    u = liquid[0].copy()
    created = make(u)
    u.trajectory.add_transformations(T.PositionAverager(2))
    with pytest.raises(ValueError, match=match):
        created.run()
    with pytest.raises(ValueError, match=match):
        make(u)


def test_a_rotation_of_frames_without_a_box_is_accepted():
    # no periodic images: a rotation changes no distance (a cluster, fitted for viewing)
    from ase.build import molecule

    frames = [molecule("H2O"), molecule("H2O")]
    frames[1].positions[1] += 0.05
    u = mdae.from_ase(frames, dt=1.0)
    u.trajectory.add_transformations(T.rotateby(40.0, [1.0, 0.0, 0.0], point=[0, 0, 0]))
    errors = mdae.IntraInterErrors(u.atoms, _lj(), _lj()).run()
    # the same model on both sides: no error, whatever the orientation
    assert errors.results.rmse["total"]["energy"].value == 0.0


@pytest.mark.parametrize("name", ["wrap", "unwrap", "center_in_box", "translate",
                                  "fit_translation"])
def test_transformations_that_keep_periodic_distances_give_the_same_shells(liquid, name):
    u, cutoffs = liquid
    v = u.copy()
    v.add_TopologyAttr("masses", [{"Li": 6.94, "F": 19.0, "P": 31.0, "O": 16.0, "C": 12.0}[e]
                                  for e in v.atoms.elements])
    made = {"wrap": lambda: T.wrap(v.atoms, compound="residues"),
            "unwrap": lambda: T.unwrap(v.atoms),
            "center_in_box": lambda: T.center_in_box(v.select_atoms("resname AN")),
            "translate": lambda: T.translate([3.0, -7.5, 11.0]),
            "fit_translation": lambda: T.fit_translation(v.select_atoms("resname SOL"),
                                                         u.select_atoms("resname SOL"))}
    v.trajectory.add_transformations(made[name]())
    _assert_same_shells(_shells(u, cutoffs), _shells(v, cutoffs), 1e-3)


def test_a_chain_that_joins_one_file_twice_is_refused(liquid, tmp_path):
    u = liquid[0]
    top, paths = _written(u, tmp_path, "dcd")
    v = mda.Universe(top, [paths[0], str(tmp_path / "." / "part0.dcd")])
    for make in ANALYSES.values():
        with pytest.raises(ValueError, match=r"joins the file .*part0.dcd twice \(parts 0 and 1\)"):
            make(v)


# --- bonds and residues that are not molecules ----------------------------------------------


def _bonded(u, extra=(), resindex=None):
    """``u`` with its bonds plus ``extra`` ones, its atoms in residues ``resindex``."""
    resindex = u.atoms.resindices if resindex is None else np.asarray(resindex)
    _, first, resindex = np.unique(resindex, return_index=True, return_inverse=True)
    v = mda.Universe.empty(u.atoms.n_atoms, n_residues=len(first), atom_resindex=resindex,
                           trajectory=True)
    v.add_TopologyAttr("elements", u.atoms.elements)
    v.add_TopologyAttr("names", u.atoms.names)
    v.add_TopologyAttr("resnames", u.atoms.resnames[first])
    v.add_TopologyAttr("bonds", [tuple(b) for b in u.bonds.indices] + list(extra))
    v.load_new(u.trajectory.coordinate_array.copy(), format=MemoryReader,
               dimensions=u.trajectory.dimensions_array.copy())
    return v


def _carbonyl_of(u, k):
    """The index of the carbonyl oxygen (first atom) of the k-th solvent molecule."""
    return int(u.select_atoms("resname SOL").residues[k].atoms[0].ix)


def test_bonds_guessed_between_molecules_are_refused_by_the_shells(liquid):
    # guessed bonds (guess_TopologyAttrs(to_guess=['bonds'])) join neighbouring molecules in
    # a liquid: a carbonyl O bonded to another molecule's O is no carbonyl any more, and the
    # labels and angles changed without a word
    u, cutoffs = liquid
    li = int(u.select_atoms("resname LI")[0].ix)
    for extra in ([(_carbonyl_of(u, 0), _carbonyl_of(u, 1))], [(li, _carbonyl_of(u, 2))]):
        v = _bonded(u, extra)
        a, b = sorted(extra[0])
        with pytest.raises(ValueError, match=rf"SolvationShells: 1 bond\(s\) of the topology "
                                             rf"join two molecules \(residues\), e.g. atoms {a} "
                                             rf"and {b} .*universe.delete_bonds"):
            _shells(v, cutoffs)
        # as the message advises: the bonds within residues kept, the shells of the liquid
        v.delete_bonds([bond for bond in v.bonds if bond[0].resindex != bond[1].resindex])
        _assert_same_shells(_shells(u, cutoffs), _shells(v, cutoffs), 1e-9)


def _merged(u, first, second):
    """Residue indices of ``u`` with residue ``second`` joined into ``first``."""
    resindex = u.atoms.resindices.copy()
    resindex[resindex == second] = first
    return resindex


def test_two_molecules_in_one_residue_are_refused(liquid):
    # two solvents (or an ion pair) in one residue: one molecule of the shell, and their
    # pairs intramolecular, without a word (the network sizes changed)
    u, cutoffs = liquid
    sol = u.select_atoms("resname SOL").residues.resindices
    an = u.select_atoms("resname AN").residues.resindices
    li = u.select_atoms("resname LI").residues.resindices
    two_solvents = _bonded(u, resindex=_merged(u, sol[0], sol[1]))
    with pytest.raises(ValueError, match=r"1 residue\(s\) hold several molecules by the "
                                         r"topology's bonds \(e.g. residue \d+ SOL: 2 molecules\)"
                                         r"; SolvationShells counts each residue as one"):
        _shells(two_solvents, cutoffs)
    with pytest.raises(ValueError, match=r"residue \d+ SOL: 2 molecules\); use compound="):
        _rdf(two_solvents)
    ion_pair = _bonded(u, resindex=_merged(u, an[0], li[0]))
    with pytest.raises(ValueError, match=r"residue \d+ LI: 2 molecules"):
        _rdf(ion_pair)
    # by bonded fragments, the molecules again: the RDFs of the liquid
    expected = _rdf(u)
    got = mdae.IntraInterRDF(two_solvents.atoms, range=(0.0, 6.0), nbins=30,
                             compound="fragments").run()
    assert got.results.pairs == expected.results.pairs
    np.testing.assert_array_equal(got.results.counts, expected.results.counts)


def test_residues_the_bonds_do_not_cover_and_virtual_sites_are_not_judged():
    # a PDB whose CONECT records cover some residues only, and a TIP4P water whose massless
    # M site has no bond: one molecule per residue, accepted
    u = mda.Universe.empty(9, n_residues=3, atom_resindex=[0, 0, 0, 0, 1, 1, 1, 2, 2],
                           trajectory=True)
    u.add_TopologyAttr("elements", ["O", "H", "H", "", "O", "H", "H", "F", "F"])
    u.add_TopologyAttr("masses", [16.0, 1.0, 1.0, 0.0, 16.0, 1.0, 1.0, 19.0, 19.0])
    u.add_TopologyAttr("bonds", [(0, 1), (0, 2), (4, 5), (4, 6)])
    u.load_new(np.array([[[5, 5, 5], [5.96, 5, 5], [4.76, 5.93, 5], [5.1, 5.1, 5],
                          [9, 9, 9], [9.96, 9, 9], [8.76, 9.93, 9],
                          [2, 12, 2], [3.4, 12, 2]]], dtype=np.float32),
               format=MemoryReader, dimensions=[14.0, 14, 14, 90, 90, 90])
    rdf = mdae.IntraInterRDF(u.select_atoms("not element ''"), pairs=[("element O", "element H"),
                                                                   ("element F", "element F")],
                             range=(0.0, 6.0), nbins=60).run()
    assert rdf.results.cn_intra[("element O", "element H")][-1] == 2.0
    assert rdf.results.cn_intra[("element F", "element F")][-1] == 1.0


def test_a_gro_and_xtc_with_guessed_elements_and_bonds_gives_the_shells_once_as_advised(
        liquid, tmp_path):
    # the way a GROMACS user builds it: no elements, no bonds; each refusal says what to do,
    # and doing it gives the shells of the liquid
    u, cutoffs = liquid
    with_resids = u.copy()
    with_resids.add_TopologyAttr("resids", np.arange(1, u.residues.n_residues + 1))
    with_resids.atoms.write(str(tmp_path / "top.gro"))
    _, paths = _written(u, tmp_path, "xtc")
    v = mda.Universe(str(tmp_path / "top.gro"), paths[0])
    with pytest.raises(ValueError, match=r"needs element symbols .*guess_TopologyAttrs"):
        _shells(v, cutoffs)
    v.guess_TopologyAttrs(to_guess=["elements"])  # MDAnalysis writes Li as 'LI'
    # read as Li, as MDAnalysis' PDB parser reads it (atom_categories.element_symbols): the
    # next step is the bonds
    assert "LI" in set(v.atoms.elements)
    with pytest.raises(ValueError, match=r"has oxygen atoms but the topology has no bonds.*"
                                         r"box=universe.dimensions"):
        _shells(v, cutoffs)
    without_box = v.copy()
    without_box.guess_TopologyAttrs(to_guess=["bonds"])
    # molecules that cross the box lose their bonds across it: several pieces per residue
    without_box.delete_bonds([b for b in without_box.bonds
                              if b[0].resindex != b[1].resindex])
    with pytest.raises(ValueError, match=r"hold several molecules by the topology's bonds .*"
                                         r"guess them with the box"):
        _shells(without_box, cutoffs)
    v.guess_TopologyAttrs(to_guess=["bonds"], box=v.dimensions)
    if any(b[0].resindex != b[1].resindex for b in v.bonds):  # molecules in contact
        with pytest.raises(ValueError, match=r"join two molecules \(residues\)"):
            _shells(v, cutoffs)
        v.delete_bonds([b for b in v.bonds if b[0].resindex != b[1].resindex])
    _assert_same_shells(_shells(u, cutoffs), _shells(v, cutoffs), 1.0)


def test_rdf_pairs_of_a_cation_guessed_as_li_upper_case_put_the_cation_first(liquid):
    # MDAnalysis' guesser writes Li as 'LI': its pairs were keyed ('C', 'LI'), the cation last,
    # so cn_total counted Li around C where every Li pair counts atoms around the cation; then
    # ('LI', 'C'), keyed unlike the same system written 'Li'. Now 'LI' is read as 'Li'
    # (atom_categories.element_symbols, MDAnalysis' PDB parser's rule): the same keys
    u = liquid[0]
    v = u.copy()
    v.add_TopologyAttr("elements", [e.upper() for e in u.atoms.elements])
    expected, got = _rdf(u), _rdf(v)
    assert expected.results.pairs[:3] == [("Li", "Li"), ("Li", "C"), ("Li", "F")]
    assert got.results.pairs == expected.results.pairs
    for a in expected.results.pairs:
        np.testing.assert_array_equal(got.results.cn_total[a], expected.results.cn_total[a])
