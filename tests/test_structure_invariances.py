"""Physics invariances of the cation shells (SolvationShells): the same liquid written another
way — atoms reordered, moved, wrapped or whole, in an equivalent sheared cell, as a 2x2x2
replica, its frames reversed, run in parts — gives the same classes, coordination numbers,
labels, networks and angles."""

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.coordinates.memory import MemoryReader
from MDAnalysis.lib.mdamath import triclinic_box, triclinic_vectors

import mda_electrolyte as mdae
from mda_electrolyte.analysis_base import half_box_width, reduced_box, trajectory_boxes

# a carbonate-like solvent Oc=C-Oe-C (one carbonyl, one ether oxygen), an F-P-F anion, Li
SOLVENT = (["O", "C", "O", "C"], [[0, 0, 0], [1.2, 0, 0], [1.9, 1.1, 0], [3.2, 1.1, 0.3]],
           [(0, 1), (1, 2), (2, 3)])
ANION = (["F", "P", "F"], [[0, 0, 0], [1.6, 0, 0], [3.2, 0, 0]], [(0, 1), (1, 2)])
CELL = np.diag([13.0, 13.0, 13.0])
CUTOFFS = {"AN": 2.6, "SOL": 2.6}
COUNTS = ("fractions", "coordination_numbers", "pairing", "free_cation_fraction",
          "free_ion_fraction", "labels", "network_sizes", "cn_distribution")


def _rotation(rng):
    q = rng.normal(size=4)
    a, b, c, d = q / np.linalg.norm(q)
    return np.array([[a*a + b*b - c*c - d*d, 2*(b*c - a*d), 2*(b*d + a*c)],
                     [2*(b*c + a*d), a*a - b*b + c*c - d*d, 2*(c*d - a*b)],
                     [2*(b*d - a*c), 2*(c*d + a*b), a*a - b*b - c*c + d*d]])


def _liquid(n_frames=6, n_li=6, n_an=6, n_so=14, seed=0, cell=CELL):
    """Molecules as (name, elements, bonds) and, per frame, each molecule's whole positions at
    a random place and orientation in ``cell``."""
    rng = np.random.default_rng(seed)
    kinds = ([("LI", ["Li"], [[0.0, 0.0, 0.0]], [])] * n_li + [("AN", *ANION)] * n_an
             + [("SOL", *SOLVENT)] * n_so)
    molecules = [(name, elements, bonds) for name, elements, _, bonds in kinds]
    frames = [[rng.uniform(0, 1, 3) @ cell
               + (np.subtract(xyz, np.mean(xyz, axis=0))) @ _rotation(rng).T
               for _, _, xyz, _ in kinds] for _ in range(n_frames)]
    return molecules, frames


def _universe(molecules, frames, cell=CELL, order=None, shift=(0.0, 0.0, 0.0), wrap=True):
    """The liquid as a Universe: molecules in ``order``, moved by ``shift``, atoms wrapped into
    ``cell`` (rows: cell vectors, MDAnalysis orientation) or molecules left whole."""
    order = range(len(molecules)) if order is None else order
    elements, resindex, resnames, bonds = [], [], [], []
    for r, m in enumerate(order):
        name, els, bnd = molecules[m]
        bonds += [(len(elements) + a, len(elements) + b) for a, b in bnd]
        elements += els
        resindex += [r] * len(els)
        resnames.append(name)
    u = mda.Universe.empty(len(elements), n_residues=len(resnames), atom_resindex=resindex,
                           trajectory=True)
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("names", elements)
    u.add_TopologyAttr("resnames", resnames)
    u.add_TopologyAttr("bonds", bonds)
    dims = triclinic_box(*np.asarray(cell, dtype=float))
    vectors = triclinic_vectors(dims).astype(np.float64)
    positions = np.array([np.concatenate([f[m] for m in order]) for f in frames]) + shift
    if wrap:
        fractional = positions @ np.linalg.inv(vectors)
        positions = (fractional - np.floor(fractional)) @ vectors
    u.load_new(positions.astype(np.float32), format=MemoryReader,
               dimensions=np.tile(dims, (len(frames), 1)))
    return u


def _shells(u, **kw):
    kw = {"cutoffs": CUTOFFS, "rdf_range": (0.0, 6.4), **kw}
    return mdae.SolvationShells(u.select_atoms("resname LI"), {"AN": u.select_atoms("resname AN")},
                                {"SOL": u.select_atoms("resname SOL")}, **kw)


def _assert_same(a, b, where):
    """The same numbers to 1e-12, and dicts with the same keys in the same order."""
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}[{key!r}]")
    else:
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12, err_msg=where)


def _assert_same_shells(expected, got, angle_tolerance=1e-4):
    """Counts and shares exactly (to 1e-12); angle densities to 1e-12 and mean angles to
    ``angle_tolerance`` degrees (single-precision coordinates moved or rewrapped, up to 26 Å
    from the origin, round the 2 Å vectors differently: a few 1e-5 degrees)."""
    for key in COUNTS:
        _assert_same(expected.results[key], got.results[key], key)
    for kind, a in expected.results.angles.items():
        b = got.results.angles[kind]
        np.testing.assert_allclose(b["mean"], a["mean"], atol=angle_tolerance, err_msg=kind)
        np.testing.assert_allclose(b["density"], a["density"], atol=1e-12, err_msg=kind)


@pytest.fixture(scope="module")
def liquid():
    warnings.simplefilter("ignore", UserWarning)
    molecules, frames = _liquid()
    reference = _shells(_universe(molecules, frames)).run()
    # a liquid with every kind of shell: otherwise the comparisons below compare zeros
    assert set(reference.results.fractions.values()) != {0.0}
    assert min(reference.results.fractions.values()) > 0
    assert reference.results.angles["Oc-M-Oc"]["n"] > 0
    assert max(reference.results.network_sizes) > 1
    return molecules, frames, reference


a, b, c = CELL
# the cubic lattice written as sheared cells: the same distances, faces closer together
EQUIVALENT_CELLS = {
    "b+a": [a, b + a, c],
    "c+a+b": [a, b + a, c + b + a],
    "b+2a": [a, b + 2 * a, c],
    "c+2a+b, b-a": [a, b - a, c + 2 * a + b],
}


@pytest.mark.parametrize("how", ["permuted", "translated", "whole", *EQUIVALENT_CELLS])
def test_shells_do_not_depend_on_how_the_same_liquid_is_written(liquid, how):
    molecules, frames, reference = liquid
    kw = {}
    if how == "permuted":
        order = np.random.default_rng(7).permutation(len(molecules))
        kw["order"] = order
    elif how == "translated":
        kw["shift"] = (3.3, -7.1, 25.2)
    elif how == "whole":
        kw["wrap"] = False
    else:
        kw["cell"] = EQUIVALENT_CELLS[how]
        # the same lattice: the same range is allowed (not half of the sheared faces' distance)
        assert half_box_width(triclinic_box(*np.array(kw["cell"]))) < 6.4
    for wrap in ([True, False] if how in EQUIVALENT_CELLS else [kw.pop("wrap", True)]):
        got = _shells(_universe(molecules, frames, wrap=wrap, **kw)).run()
        _assert_same_shells(reference, got)
    if how == "permuted":
        # every cation keeps its class and label, wherever it sits in the Universe
        li = [m for m in order if molecules[m][0] == "LI"]
        np.testing.assert_array_equal(got.results.class_codes[:, np.argsort(li)],
                                      reference.results.class_codes)
        assert sorted(got.results.shells["distance"]) == sorted(
            reference.results.shells["distance"])
    else:
        np.testing.assert_array_equal(got.results.class_codes, reference.results.class_codes)


def test_a_2x2x2_replica_has_the_shells_of_its_cell(liquid):
    molecules, frames, reference = liquid
    images = np.array(np.meshgrid([0, 1], [0, 1], [0, 1], indexing="ij")).reshape(3, -1).T
    replica = [[x + image @ CELL for image in images for x in f] for f in frames]
    got = _shells(_universe(molecules * 8, replica, cell=2 * CELL)).run()
    _assert_same_shells(reference, got)
    # each cation and its seven images: the same classes
    np.testing.assert_array_equal(got.results.class_codes.reshape(len(frames), 8, -1),
                                  np.repeat(reference.results.class_codes[:, None], 8, axis=1))
    assert got.results.angles["Oc-M-Oc"]["n"] == 8 * reference.results.angles["Oc-M-Oc"]["n"]


def test_frames_in_reverse_order_give_the_same_averages(liquid):
    molecules, frames, reference = liquid
    got = _shells(_universe(molecules, frames[::-1])).run()
    _assert_same_shells(reference, got, angle_tolerance=1e-12)
    np.testing.assert_array_equal(got.results.class_codes[::-1], reference.results.class_codes)


# (dask, 2 parts: test_solvation, test_shell_summary; a dask start takes 20 s here)
@pytest.mark.parametrize("backend, n_parts", [("serial", 2), ("serial", 3),
                                              ("multiprocessing", 2), ("multiprocessing", 3)])
@pytest.mark.parametrize("store_table", [True, False])
def test_a_run_in_parts_equals_the_serial_run(liquid, backend, n_parts, store_table):
    molecules, frames, reference = liquid
    kw = {} if backend == "serial" else {"n_workers": 2}
    got = _shells(_universe(molecules, frames), store_table=store_table).run(
        backend=backend, n_parts=n_parts, **kw)
    _assert_same_shells(reference, got, angle_tolerance=1e-12)
    np.testing.assert_array_equal(got.results.class_codes, reference.results.class_codes)
    np.testing.assert_array_equal(got.results.timeseries["free_cation_fraction"],
                                  reference.results.timeseries["free_cation_fraction"])


def test_a_second_run_and_a_shorter_run_leave_nothing_of_the_first(liquid):
    molecules, frames, reference = liquid
    u = _universe(molecules, frames)
    shells = _shells(u)
    shells.run()
    shells.run()
    _assert_same_shells(reference, shells, angle_tolerance=0)
    shells.run(stop=2)
    fresh = _shells(_universe(molecules, frames[:2])).run()
    _assert_same_shells(fresh, shells, angle_tolerance=0)
    assert shells.results.class_codes.shape == (2, 6)
    assert shells.results.table.n_frames == 2
    assert len(shells.results.timeseries["free_cation_fraction"]) == 2
    assert set(shells.results.shells["frame"]) <= {0, 1}


def test_a_tilted_cell_is_searched_to_half_its_width():
    """A cell whose faces lie 7.8 Å apart (tilts at half the cell) allows 3.9 Å, more than
    MDAnalysis' grid search accepts for it (3.17 Å); the shells are the KD-tree's, not an
    error of the grid search, and equal those of the same liquid in the sheared cell."""
    cell = np.array([[10.0, 0, 0], [5.0, 9.0, 0], [5.0, 4.5, 8.0]])
    molecules, frames = _liquid(n_frames=2, n_li=12, n_an=8, n_so=16, seed=3, cell=cell)
    half = half_box_width(triclinic_box(*cell))
    assert 3.9 < half < 3.95
    kw = {"rdf_range": (0.0, 3.9), "cutoffs": {"AN": 2.6, "SOL": 3.9}}
    reference = _shells(_universe(molecules, frames, cell=cell), **kw).run()
    assert reference.results.coordination_numbers["SOL"] > 0.5
    for sheared in ([cell[0], cell[1] + cell[0], cell[2] - cell[1]],
                    [cell[0], cell[1] - cell[0], cell[2]]):
        got = _shells(_universe(molecules, frames, cell=sheared), **kw).run()
        _assert_same_shells(reference, got)


@pytest.mark.parametrize("how", list(EQUIVALENT_CELLS))
def test_the_rdf_of_a_sheared_cell_is_that_of_its_lattice(how, tmp_path):
    """The cubic 13 Å lattice written as a sheared cell (faces down to 3.75 Å apart): the RDF
    to 6 Å has the cubic cell's counts (it was refused: r_max beyond half the width), and
    ``electrolyte analyze`` takes the lattice's 6.5 Å range (it took 3.75 Å)."""
    from mda_electrolyte.rdf import _report

    molecules, frames = _liquid(n_frames=3)
    # unwrapped: the same single-precision positions in both cells
    cubic = _universe(molecules, frames, wrap=False)
    sheared = _universe(molecules, frames, cell=EQUIVALENT_CELLS[how], wrap=False)
    assert half_box_width(sheared.dimensions) < 6.0
    kw = {"range": (0.0, 6.0), "nbins": 57}  # no distance of the molecules on a bin edge
    reference = mdae.IntraInterRDF(cubic.atoms, **kw).run()
    for engine in ("auto", "vesin"):
        got = mdae.IntraInterRDF(sheared.atoms, engine=engine, **kw).run()
        np.testing.assert_array_equal(got.results.counts, reference.results.counts)
        # the volume of the sheared float32 dimensions: within their rounding
        assert got.results.volume == pytest.approx(reference.results.volume, rel=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = _report(sheared, tmp_path)
    assert summary["r_angstrom"][-1] == pytest.approx(6.5, abs=0.05)


@pytest.mark.parametrize("seed", range(4))
def test_reduced_box_is_the_same_lattice_with_the_widest_faces(seed):
    rng = np.random.default_rng(seed)
    cell = np.array([[rng.uniform(8, 12), 0, 0],
                     [rng.uniform(-4, 4), rng.uniform(8, 12), 0],
                     [*rng.uniform(-4, 4, 2), rng.uniform(8, 12)]])
    if seed == 0:  # tilts of exactly half: the hexagonal-like cell, two narrower neighbours
        cell = np.array([[10.0, 0, 0], [5.0, 9.0, 0], [5.0, 4.5, 8.0]])
    widest = half_box_width(reduced_box(triclinic_box(*cell)))
    assert widest >= half_box_width(triclinic_box(*cell)) * (1 - 1e-6)
    # unimodular shears of the cell: each reduces to a cell of the same lattice, as wide
    for n_ba, n_ca, n_cb in [(1, 0, 0), (-1, 0, 0), (0, 2, 1), (-3, 1, -2), (2, -2, 3)]:
        sheared = np.array([cell[0], cell[1] + n_ba * cell[0],
                            cell[2] + n_ca * cell[0] + n_cb * cell[1]])
        box = reduced_box(triclinic_box(*sheared))
        vectors = triclinic_vectors(box).astype(float)
        shear = vectors @ np.linalg.inv(cell)
        np.testing.assert_allclose(shear, np.round(shear), atol=1e-5)
        assert round(abs(np.linalg.det(np.round(shear)))) == 1
        np.testing.assert_allclose(half_box_width(box), widest, rtol=1e-6)
        assert half_box_width(box) > half_box_width(triclinic_box(*sheared))
    # an already reduced box is returned as it is, and no box as no box
    box = triclinic_box(*np.diag([10.0, 11.0, 12.0]))
    assert reduced_box(box) is box
    assert reduced_box(None) is None


def test_trajectory_boxes_read_the_array_and_keep_the_frame(tmp_path):
    molecules, frames = _liquid(n_frames=4)
    u = _universe(molecules, frames)
    u.trajectory.dimensions_array[2] = [12.0, 13.0, 14.0, 90, 90, 90]
    u.trajectory[1]
    before = u.atoms.positions.copy()
    boxes = trajectory_boxes(u.trajectory)
    assert [f for f, _ in boxes] == [0, 1, 2, 3]
    np.testing.assert_array_equal(boxes[2][1], [12.0, 13.0, 14.0, 90, 90, 90])
    # each distinct box once, at its first frame
    distinct = trajectory_boxes(u.trajectory, distinct=True)
    assert [f for f, _ in distinct] == [0, 2]
    np.testing.assert_array_equal(distinct[0][1], boxes[0][1])
    # a file reader: every frame read, and the caller's frame kept
    path = tmp_path / "liquid.dcd"
    with mda.Writer(str(path), u.atoms.n_atoms) as writer:
        for _ in u.trajectory:
            writer.write(u.atoms)
    u.trajectory[1]
    from_file = mda.Universe(u._topology, str(path))
    from_file.trajectory[3]
    read = trajectory_boxes(from_file.trajectory)
    assert from_file.trajectory.ts.frame == 3
    np.testing.assert_allclose(np.array([b for _, b in read]), np.array([b for _, b in boxes]),
                               rtol=1e-6)
    assert u.trajectory.ts.frame == 1
    np.testing.assert_array_equal(u.atoms.positions, before)
    # no box: None, as Timestep.dimensions gives it
    empty = mda.Universe.empty(3, trajectory=True)
    empty.load_new(np.zeros((2, 3, 3), np.float32), format=MemoryReader)
    assert trajectory_boxes(empty.trajectory) == [(0, None), (1, None)]


def test_the_report_leaves_the_universe_on_its_frame(tmp_path):
    """``electrolyte analyze``'s shells read every frame's box first: the Universe stays on the
    frame it was on (it was left on frame 0)."""
    from mda_electrolyte.solvation import _report

    # seed 2: no two molecules' atoms closer than 0.57 Å (seed 0 put a C 0.49 Å from a Li⁺,
    # overlapping atoms that made the shells' RDF's first peak, now refused by name)
    molecules, frames = _liquid(n_frames=4, n_an=0, seed=2)
    u = _universe(molecules, frames)
    # Li⁺ +1: cations of formal charge 0 tell a topology that records no charges (skipped)
    u.add_TopologyAttr("formalcharges", (u.atoms.elements == "Li").astype(int))
    u.trajectory[2]
    before = u.atoms.positions.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = _report(u, tmp_path)
    assert u.trajectory.ts.frame == 2
    np.testing.assert_array_equal(u.atoms.positions, before)
    assert summary["settings"]["frames"] == 4
    # the RDF range of the report: half the 13 Å box
    assert summary["cutoffs"]["SOL"].value <= 6.5


# --- model diagnostics: IntraInterErrors and RigidVolumeScan -----------------------------------

def _diagnostic_frames():
    from test_intra_inter_errors import _frame

    return [_frame(seed=s) for s in range(3)]


def _rotated(atoms, rotation):
    m = atoms.copy()
    m.positions = atoms.positions @ rotation.T + [3.3, -1.2, 7.0]
    m.cell = atoms.cell.array @ rotation.T
    return m


def _sheared(atoms):
    m = atoms.copy()
    a, b, c = atoms.cell.array
    m.set_cell([a, b + a, c - b + 2 * a], scale_atoms=False)
    return m


def _shifted(atoms):
    m = atoms.copy()
    m.positions += [5.1, -23.3, 0.7]
    m.wrap()
    return m


def _atom_order(atoms):
    """Molecules in another order, and the atoms of each reversed."""
    ids = atoms.arrays["molecule_index"]
    return np.concatenate([np.flatnonzero(ids == j)[::-1] for j in (2, 0, 3, 1)])


def _pair_models():
    """Two models with every neighbour found in any cell (ASE's neighbour lists)."""
    from ase.calculators.emt import EMT
    from ase.calculators.lj import LennardJones

    return EMT(), LennardJones(sigma=1.2, epsilon=0.01, rc=4.0, smooth=True)


@pytest.mark.parametrize("how", ["rotated", "sheared", "translated", "permuted"])
def test_intra_inter_parts_follow_the_frame(how):
    from scipy.spatial.transform import Rotation

    frames = _diagnostic_frames()
    rotation = np.eye(3)
    order = np.arange(len(frames[0]))
    if how == "rotated":
        rotation = Rotation.from_euler("xyz", [30, 50, -70], degrees=True).as_matrix()
        moved = [_rotated(a, rotation) for a in frames]
    elif how == "sheared":
        moved = [_sheared(a) for a in frames]
    elif how == "translated":
        moved = [_shifted(a) for a in frames]
    else:
        order = _atom_order(frames[0])
        moved = [a[order] for a in frames]
    model, reference = _pair_models()
    base = mdae.IntraInterErrors(frames, model, reference=reference,
                                 keep_arrays=True).run().results
    got = mdae.IntraInterErrors(moved, model, reference=reference,
                                keep_arrays=True).run().results
    for side in ("model", "reference"):
        forces = base.forces[side]
        assert set(forces) == {"total", "intra", "inter", "trans", "rot", "vib"}
        for part, f in forces.items():
            # every part (intra, inter, trans, rot, vib) turns with the frame
            np.testing.assert_allclose(got.forces[side][part], f[:, order] @ rotation.T,
                                       atol=1e-9, err_msg=f"{side} {part}")
        for part, e in base.energies[side].items():
            np.testing.assert_allclose(got.energies[side][part], e, rtol=1e-12, atol=1e-10)
        f = got.forces[side]
        np.testing.assert_allclose(f["intra"] + f["inter"], f["total"], atol=1e-8)
        np.testing.assert_allclose(f["trans"] + f["rot"] + f["vib"], f["total"], atol=1e-8)
    for part, per_quantity in base.rmse.items():
        for quantity, estimate in per_quantity.items():
            assert got.rmse[part][quantity].value == pytest.approx(
                estimate.value, rel=1e-9, abs=1e-12), (part, quantity)


def test_a_model_exact_for_the_molecules_has_no_intra_error():
    """The same intramolecular terms, other intermolecular ones: every intra error is zero
    exactly, and the whole error is the inter part's."""
    from molecular_pair_model import MolecularPairModel

    frames = _diagnostic_frames()
    model = MolecularPairModel(sigma=2.6, epsilon=0.012)
    reference = MolecularPairModel(sigma=2.4)
    results = mdae.IntraInterErrors(frames, model, reference=reference,
                                    keep_arrays=True).run().results
    for quantity in ("energy", "forces", "stress"):
        assert results.rmse["intra"][quantity].value == 0.0
        assert results.rmse["inter"][quantity].value == pytest.approx(
            results.rmse["total"][quantity].value, rel=1e-12)
        assert results.rmse["total"][quantity].value > 0
    f = results.forces["model"]
    np.testing.assert_array_equal(f["intra"], results.forces["reference"]["intra"])


@pytest.mark.parametrize("how", ["rotated", "sheared", "translated", "permuted"])
def test_a_volume_scan_follows_the_frame(how):
    from scipy.spatial.transform import Rotation

    frames = _diagnostic_frames()[:2]
    rotation = np.eye(3)
    order = np.arange(len(frames[0]))
    if how == "rotated":
        rotation = Rotation.from_euler("xyz", [30, 50, -70], degrees=True).as_matrix()
        moved = [_rotated(a, rotation) for a in frames]
    elif how == "sheared":
        moved = [_sheared(a) for a in frames]
    elif how == "translated":
        moved = [_shifted(a) for a in frames]
    else:
        order = _atom_order(frames[0])
        moved = [a[order] for a in frames]
    model, reference = _pair_models()
    kw = {"scales": [0.95, 1.0, 1.3], "reference": reference}
    base = mdae.RigidVolumeScan(frames, model, **kw).run()
    got = mdae.RigidVolumeScan(moved, model, **kw).run()
    for key in ("total", "intra", "inter", "reference_total", "reference_inter", "volumes"):
        np.testing.assert_allclose(got.results[key], base.results[key], rtol=1e-12, atol=1e-10,
                                   err_msg=key)
    assert np.ptp(base.results.inter[0]) > 1e-3  # the scan changes the inter energy
    for a, b in zip(base.scanned_frames(), got.scanned_frames(), strict=True):
        np.testing.assert_allclose(b.get_forces(), a.get_forces()[order] @ rotation.T,
                                   atol=1e-9)
