"""Bad inputs and faults of the analyses (issue 16): each ends in a clear error before work, or
in a correct result that leaves the caller's Universe as it was.

The systems are tiny MemoryReader Universes built with MDAnalysis' own tools; the model is the
harmonic-bond + LJ test calculator of ``molecular_pair_model``.
"""

import MDAnalysis as mda
import numpy as np
import pytest
from ase.build import molecule
from MDAnalysis.coordinates.memory import MemoryReader
from molecular_pair_model import MolecularPairModel
from transport_data import IONS, integrate, ornstein_uhlenbeck, salt_universe

import mda_electrolyte as mdae
from mda_electrolyte.analysis_base import FrameAnalysis
from mda_electrolyte.ion_collection import IonCollector
from mda_electrolyte.solvation import shell_results

# --- systems ---------------------------------------------------------------------------------


def _salt(n_frames=60, n=4, dt=0.01, box=20.0, seed=0):
    """``n`` Li and ``n`` one-atom anions moving as Ornstein–Uhlenbeck particles."""
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, n_frames, (2 * n, 3), 0.05, 0.01, 3.0)
    x = integrate(v, 0.01, start=rng.uniform(0, box, (2 * n, 3)))
    return salt_universe(v, x, n_cations=n, dt=dt, box=box)


def _liquid(n_frames=5, box=12.0, seed=0, boxes=None):
    """Li cations, two-atom "anions" (F–F) and three-atom "solvents" (N–C–N), no oxygens (so no
    bonds are needed for the shells), at random positions in a cubic box."""
    rng = np.random.default_rng(seed)
    n_li, n_an, n_so = 4, 4, 6
    elements = ["Li"] * n_li + ["F", "F"] * n_an + ["N", "C", "N"] * n_so
    resindex = list(range(n_li)) + [n_li + k // 2 for k in range(2 * n_an)] + [
        n_li + n_an + k // 3 for k in range(3 * n_so)]
    resnames = ["LI"] * n_li + ["AN"] * n_an + ["SOL"] * n_so
    u = mda.Universe.empty(len(elements), n_residues=n_li + n_an + n_so,
                           atom_resindex=resindex, trajectory=True)
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("names", elements)
    u.add_TopologyAttr("resnames", resnames)
    u.add_TopologyAttr("masses", [{"Li": 6.94, "F": 19.0, "N": 14.0, "C": 12.0}[e]
                                  for e in elements])
    centres = rng.uniform(0, box, (n_frames, len(resnames), 3))
    offsets = np.zeros((len(elements), 3))
    offsets[n_li:n_li + 2 * n_an, 0] = np.tile([-0.7, 0.7], n_an)
    offsets[n_li + 2 * n_an:, 0] = np.tile([-1.2, 0.0, 1.2], n_so)
    positions = centres[:, resindex] + offsets
    dims = np.tile([box, box, box, 90.0, 90.0, 90.0], (n_frames, 1)) if boxes is None else boxes
    u.load_new(positions.astype(np.float32), format=MemoryReader, dimensions=dims, dt=0.1)
    return u


def _shells(u, **kw):
    kw = {"cutoffs": {"AN": 2.5, "SOL": 2.5}, "rdf_range": (0.0, 5.0), **kw}
    return mdae.SolvationShells(u.select_atoms("resname LI"), {"AN": u.select_atoms("resname AN")},
                                {"SOL": u.select_atoms("resname SOL")}, **kw)


def _model(**kw):
    return MolecularPairModel(**{"k": 20.0, "r0": 1.0, "epsilon": 0.01, "sigma": 2.5, "rc": 5.0,
                                 **kw})


def _molecular_frames(n_frames=3):
    cell = np.array([[9.5, 0.0, 0.0], [1.2, 9.0, 0.0], [-0.6, 0.7, 9.2]])
    fractions = [[0.1, 0.3, 0.3], [0.5, 0.8, 0.6], [0.4, 0.45, 0.1], [0.75, 0.3, 0.65]]
    frames = []
    for seed in range(n_frames):
        rng = np.random.default_rng(seed)
        atoms, ids = None, []
        for j, name in enumerate(["H2O", "CH3OH", "CO2", "H2O"]):
            m = molecule(name)
            m.rotate(rng.uniform(0, 360), rng.normal(size=3), center="COM")
            m.positions += np.array(fractions[j]) @ cell - m.get_center_of_mass()
            atoms = m if atoms is None else atoms + m
            ids += [j] * len(m)
        atoms.cell, atoms.pbc = cell, True
        atoms.arrays["molecule_index"] = np.array(ids)
        atoms.arrays["formal_charge"] = np.zeros(len(atoms), dtype=int)
        atoms.arrays["molecule_species"] = np.array([["W", "M", "C", "W"][i] for i in ids])
        atoms.wrap()
        frames.append(atoms)
    return frames


# every trajectory analysis of the package, as (name, Universe factory, analysis factory)
ANALYSES = [
    ("IntraInterRDF", _liquid, lambda u: mdae.IntraInterRDF(u.atoms, range=(0.0, 5.0), nbins=20)),
    ("SolvationShells", _liquid, _shells),
    ("IonCollector", _salt, lambda u: IonCollector(u, IONS)),
    ("GreenKuboConductivity", _salt,
     lambda u: mdae.GreenKuboConductivity(u, IONS, 300.0, n_blocks=2, max_lag=0.05)),
    ("EinsteinHelfandConductivity", _salt,
     lambda u: mdae.EinsteinHelfandConductivity(u, IONS, 300.0, n_blocks=2)),
    ("Diffusion", _salt, lambda u: mdae.Diffusion(u, IONS, n_blocks=2)),
    ("OnsagerCoefficients", _salt, lambda u: mdae.OnsagerCoefficients(u, IONS, 300.0,
                                                                      n_blocks=2)),
    ("RigidVolumeScan", lambda: mdae.from_ase(_molecular_frames()),
     lambda u: mdae.RigidVolumeScan(u.atoms, _model(), scales=[1.0, 1.1])),
    ("IntraInterErrors", lambda: mdae.from_ase(_molecular_frames()),
     lambda u: mdae.IntraInterErrors(u.atoms, _model(), _model(k=22.0))),
]
IDS = [a[0] for a in ANALYSES]


def _frame_analyses(analysis):
    """The FrameAnalysis objects that read the trajectory for ``analysis``."""
    if isinstance(analysis, FrameAnalysis):
        return [analysis]
    return list(analysis._collectors)


# --- the caller's Universe -------------------------------------------------------------------


@pytest.mark.parametrize("name,universe,make", ANALYSES, ids=IDS)
def test_run_leaves_the_current_frame_and_positions_as_they_were(name, universe, make):
    u = universe()
    analysis = make(u)
    u.trajectory[2]
    positions = u.atoms.positions.copy()
    dimensions = u.dimensions.copy()
    analysis.run()
    # AnalysisBase leaves the trajectory wherever its iteration ended
    assert u.trajectory.frame == 2
    np.testing.assert_array_equal(u.atoms.positions, positions)
    np.testing.assert_array_equal(u.dimensions, dimensions)


def test_parallel_run_leaves_the_frame_and_equals_serial():
    u = _liquid(n_frames=6)
    serial = mdae.IntraInterRDF(u.atoms, range=(0.0, 5.0), nbins=20).run()
    u.trajectory[4]
    parallel = mdae.IntraInterRDF(u.atoms, range=(0.0, 5.0), nbins=20).run(
        backend="multiprocessing", n_workers=2)
    assert u.trajectory.frame == 4
    for key in serial.results.pairs:
        np.testing.assert_array_equal(serial.results.total[key], parallel.results.total[key])


# --- atom groups -----------------------------------------------------------------------------

# every way an analysis takes an AtomGroup, as (name, factory of the analysis from a group
# selected with select_atoms(selection, updating=...)); each analysis fixes its atoms (molecules,
# species, classes) when it is created
GROUP_ARGUMENTS = [
    ("IntraInterRDF(atomgroup)", _liquid, "all",
     lambda u, g: mdae.IntraInterRDF(g, range=(0.0, 5.0), nbins=20)),
    ("SolvationShells(cations)", _liquid, "resname LI",
     lambda u, g: mdae.SolvationShells(g, {"AN": u.select_atoms("resname AN")},
                                       {"SOL": u.select_atoms("resname SOL")},
                                       cutoffs={"AN": 2.5, "SOL": 2.5}, rdf_range=(0.0, 5.0))),
    ("SolvationShells(anions)", _liquid, "resname AN",
     lambda u, g: mdae.SolvationShells(u.select_atoms("resname LI"), {"AN": g},
                                       {"SOL": u.select_atoms("resname SOL")},
                                       cutoffs={"AN": 2.5, "SOL": 2.5}, rdf_range=(0.0, 5.0))),
    ("SolvationShells(solvents)", _liquid, "resname SOL",
     lambda u, g: mdae.SolvationShells(u.select_atoms("resname LI"),
                                       {"AN": u.select_atoms("resname AN")}, {"SOL": g},
                                       cutoffs={"AN": 2.5, "SOL": 2.5}, rdf_range=(0.0, 5.0))),
    ("IonCollector(ions)", _salt, "name Li",
     lambda u, g: IonCollector(u, {"Li": g, "AN": "resname AN"})),
    ("Diffusion(ions)", _salt, "resname AN",
     lambda u, g: mdae.Diffusion(u, {"Li": "name Li", "AN": g}, n_blocks=2)),
    ("GreenKuboConductivity(ions)", _salt, "name Li",
     lambda u, g: mdae.GreenKuboConductivity(u, {"Li": g, "AN": "resname AN"}, 300.0,
                                             n_blocks=2)),
    ("OnsagerCoefficients(ions)", _salt, "name Li",
     lambda u, g: mdae.OnsagerCoefficients(u, {"Li": g, "AN": "resname AN"}, 300.0,
                                           n_blocks=2)),
]
GROUP_IDS = [a[0] for a in GROUP_ARGUMENTS]


@pytest.mark.parametrize("name,universe,selection,make", GROUP_ARGUMENTS, ids=GROUP_IDS)
def test_an_updating_atomgroup_is_refused_by_name(name, universe, selection, make):
    # it was read once, at construction, and silently not followed over the frames analysed
    u = universe()
    make(u, u.select_atoms(selection))  # the same selection, static, is accepted
    with pytest.raises(ValueError, match="is an UpdatingAtomGroup.*pass a static selection"):
        make(u, u.select_atoms(selection, updating=True))


# IntraInterRDF takes one group, whose Universe is the analysed one
_SECOND_GROUPS = [a for a in GROUP_ARGUMENTS if "(atomgroup)" not in a[0]]


@pytest.mark.parametrize("name,universe,selection,make", _SECOND_GROUPS,
                         ids=[a[0] for a in _SECOND_GROUPS])
def test_a_group_of_another_universe_is_refused(name, universe, selection, make):
    u, other = universe(), universe()
    with pytest.raises(ValueError, match="belongs to another Universe"):
        make(u, other.select_atoms(selection))


# --- frame selections ------------------------------------------------------------------------


@pytest.mark.parametrize("selection,match", [
    ({"start": 4, "stop": 1}, "no frames analysed"),
    ({"stop": 0}, "no frames analysed"),
    ({"frames": []}, "no frames analysed"),
    ({"frames": [0, 99]}, "outside the trajectory"),
    ({"step": 0}, "frame selection .* is not one"),
    # a frame twice would count as two independent samples (error bars shrink)
    ({"frames": "all, then 1"}, "frame 1 more than once"),
    ({"frames": "all, then -1"}, "more than once"),   # -1 is the last frame
])
@pytest.mark.parametrize("name,universe,make", ANALYSES, ids=IDS)
def test_an_empty_or_impossible_frame_selection_is_refused_before_any_frame(
        name, universe, make, selection, match, monkeypatch):
    u = universe()
    analysis = make(u)
    if isinstance(selection.get("frames"), str):
        # every frame (enough for the blocks of the transport analyses), then one again
        selection = {"frames": list(range(u.trajectory.n_frames))
                     + [int(selection["frames"].split(", then ")[1])]}
    for reader in _frame_analyses(analysis):
        monkeypatch.setattr(reader, "_single_frame",
                            lambda: pytest.fail("a frame was analysed before the check"))
    with pytest.raises(ValueError, match=match):
        analysis.run(**selection)


@pytest.mark.parametrize("name,universe,make", ANALYSES[:2], ids=IDS[:2])
def test_a_failed_run_leaves_no_results_of_an_earlier_run(name, universe, make):
    # the earlier run's g(r) and shells stood beside the frame count of the failed run
    u = universe()
    analysis = make(u).run(stop=3)
    assert analysis.n_frames == 3 and len(analysis.results)
    with pytest.raises(ValueError, match="more than once"):
        analysis.run(frames=[0, 0])
    assert len(analysis.results) == 0
    analysis.run(stop=3)
    u.trajectory.coordinate_array[3, 0] = np.nan   # the cation of both analyses, frame 3
    with pytest.raises(ValueError, match="frame 3: non-finite|frame 3 has non-finite"):
        analysis.run()
    assert len(analysis.results) == 0
    with pytest.raises(RuntimeError, match=r"run\(\) the analysis"):
        analysis.plot()
    # a good run after the failed one is the plain result
    fresh = make(universe()).run(stop=3)
    again = analysis.run(stop=3).results
    if name == "IntraInterRDF":
        for key in fresh.results.pairs:
            np.testing.assert_array_equal(again.total[key], fresh.results.total[key])
    else:
        assert again.coordination_numbers == fresh.results.coordination_numbers

@pytest.mark.parametrize("dt", [0.0, -0.01, np.nan])
def test_a_time_series_with_a_time_step_that_is_not_positive_is_refused_before_reading(
        dt, monkeypatch):
    u = _salt(dt=dt)
    for cls in (mdae.GreenKuboConductivity, mdae.Diffusion):
        analysis = cls(u, IONS, **({"temperature": 300.0} if cls is not mdae.Diffusion else {}))
        monkeypatch.setattr(analysis._collectors[0], "_single_frame",
                            lambda: pytest.fail("a frame was read before the check"))
        with pytest.raises(ValueError, match="time step is"):
            analysis.run()


@pytest.mark.parametrize("selection,match", [
    ({"frames": [0, 2, 1] + list(range(3, 60))}, "increasing order"),
    # a negative index is the frame it names
    ({"frames": list(range(60)) + [-1]}, "frame 59 more than once"),
    ({"frames": [0, 1] + list(range(1, 60))}, "frame 1 more than once"),
    ({"start": 59, "stop": 0, "step": -1}, "increasing order"),
])
def test_frames_out_of_time_order_are_refused_before_reading(selection, match, monkeypatch):
    analysis = mdae.Diffusion(_salt(), IONS, n_blocks=2)
    monkeypatch.setattr(analysis._collectors[0], "_single_frame",
                        lambda: pytest.fail("a frame was read before the check"))
    with pytest.raises(ValueError, match=match):
        analysis.run(**selection)


def test_negative_frame_indices_in_time_order_are_accepted():
    # [.., 56, -3, 58] is 56, 57, 58: in time order (it was refused by the raw differences)
    u = _salt()
    tail = list(range(57))
    negative = mdae.Diffusion(u, IONS, n_blocks=2).run(frames=tail + [-3, 58])
    positive = mdae.Diffusion(u, IONS, n_blocks=2).run(frames=tail + [57, 58])
    for name in IONS:
        assert negative.results.D[name] == positive.results.D[name]


@pytest.mark.parametrize("name,universe,selection,make", GROUP_ARGUMENTS, ids=GROUP_IDS)
def test_a_group_holding_an_atom_twice_is_refused(name, universe, selection, make):
    # IntraInterRDF paired a repeated atom with itself (g(0) of thousands, CN doubled)
    u = universe()
    group = u.select_atoms(selection)
    with pytest.raises(ValueError, match="more than once|repeated atoms"):
        make(u, group + group[:1])


# --- a stored shell table --------------------------------------------------------------------


@pytest.fixture(scope="module")
def shell_table():
    shells = _shells(_liquid(n_frames=4)).run()
    return shells.results.table, shells.results.coordination_numbers


@pytest.mark.parametrize("kw,error,match", [
    # a zero, negative or NaN cutoff kept no pair: CN 0 "measured"
    ({"cutoffs": {"AN": 0.0, "SOL": 2.5}}, ValueError, r"cutoffs\['AN'\] \(Å\) must be"),
    ({"cutoffs": {"AN": -1.0, "SOL": 2.5}}, ValueError, r"cutoffs\['AN'\] \(Å\) must be"),
    ({"cutoffs": {"AN": np.nan, "SOL": 2.5}}, ValueError, r"cutoffs\['AN'\] \(Å\) must be"),
    ({"cutoffs": {"AN": "2.5", "SOL": 2.5}}, ValueError, r"cutoffs\['AN'\] \(Å\) must be"),
    ({"cutoffs": {"AN": 2.5, "SOL": 2.5, "PF6": 2.0}}, ValueError, "does not hold"),
    ({"cutoffs": {"AN": 2.5}}, ValueError, "no cutoff for species"),
    ({"cutoffs": 2.5}, TypeError, "must be a dict"),
    ({"network_species": ["PF6"]}, ValueError, "unknown species"),
    ({"network_species": "AN"}, TypeError, "not the string"),
    ({"angle_bins": 0}, ValueError, "angle_bins must be an integer"),
    ({"angle_bins": 2.5}, ValueError, "angle_bins must be an integer"),
])
def test_shell_results_of_a_table_refuse_bad_arguments_by_name(shell_table, kw, error, match):
    table, _ = shell_table
    with pytest.raises(error, match=match):
        shell_results(table, **{"cutoffs": {"AN": 2.5, "SOL": 2.5}, **kw})


def test_a_shell_table_loads_by_the_name_it_was_saved_under_and_refuses_other_files(
        shell_table, tmp_path):
    from mda_electrolyte.shell_table import ShellTable

    table, cn = shell_table
    written = table.save(tmp_path / "shells")       # written as shells.npz
    for name in (tmp_path / "shells", written):
        again = shell_results(ShellTable.load(name), {"AN": 2.5, "SOL": 2.5})
        assert again["coordination_numbers"] == cn
    np.savez(tmp_path / "other.npz", a=np.arange(3))
    np.save(tmp_path / "one.npy", np.arange(3))
    (tmp_path / "text.npz").write_text("not a table")
    (tmp_path / "cut.npz").write_bytes(written.read_bytes()[:300])
    (tmp_path / "one.npy").rename(tmp_path / "one.npz")
    for name, match in [("other.npz", "lacks"), ("one.npz", "holds one array"),
                        ("text.npz", "is not a shell table"), ("cut.npz", "is not a shell table")]:
        with pytest.raises(ValueError, match=match):
            ShellTable.load(tmp_path / name)


# --- boxes -----------------------------------------------------------------------------------

# angles MDAnalysis turns into a zero cell: shells were counted without periodic images
# (CN of the solvent 0.08 instead of 0.3) and the RDF failed inside its kernel
FLAT_BOXES = [[12.0, 12.0, 12.0, 0.0, 90.0, 90.0], [12.0, 12.0, 12.0, 180.0, 90.0, 90.0],
              [12.0, 12.0, 12.0, 60.0, 60.0, 150.0], [12.0, 12.0, 12.0, 90.0, 90.0, -90.0]]


@pytest.mark.parametrize("box", FLAT_BOXES)
@pytest.mark.parametrize("name,universe,make", ANALYSES[:2], ids=IDS[:2])
def test_a_box_whose_angles_span_no_cell_is_refused(name, universe, make, box, monkeypatch):
    good = np.tile([12.0, 12.0, 12.0, 90.0, 90.0, 90.0], (5, 1))
    u = _liquid(boxes=np.tile(box, (5, 1)))
    with pytest.raises(ValueError, match="span no cell"):
        make(u)
    # the same box on a later frame: named with its frame, before that frame is counted
    good[3] = box
    u = _liquid(boxes=good)
    analysis = make(u)
    with pytest.raises(ValueError, match="frame 3, .* span no cell"):
        analysis.run()


def test_half_box_width_of_orthorhombic_and_triclinic_boxes():
    from mda_electrolyte.analysis_base import half_box_width

    assert half_box_width([10.0, 12.0, 14.0, 90.0, 90.0, 90.0]) == pytest.approx(5.0)
    # a rhombohedral cell of 60° angles: face distance a·sqrt(2/3)
    assert half_box_width([10.0, 10.0, 10.0, 60.0, 60.0, 60.0]) == pytest.approx(
        5.0 * np.sqrt(2.0 / 3.0))
    for box, match in [(None, "no box dimensions"), ([0.0, 10, 10, 90, 90, 90], "has the box"),
                       ([10.0, 10, 10, 90, 90, np.nan], "has the box"),
                       (FLAT_BOXES[2], "span no cell")]:
        with pytest.raises(ValueError, match=match):
            half_box_width(box, "X", frame=7)


# --- molecules -------------------------------------------------------------------------------


def _one_residue(u, bonds=False):
    """``u`` as a format without residue numbers reads it (XYZ): one residue for all atoms."""
    v = mda.Universe.empty(u.atoms.n_atoms, trajectory=True)
    v.add_TopologyAttr("elements", u.atoms.elements)
    v.load_new(u.trajectory.coordinate_array.copy(), format=MemoryReader,
               dimensions=np.tile(u.dimensions, (u.trajectory.n_frames, 1)))
    if bonds:
        v.add_TopologyAttr("bonds", u.atoms.bonds.indices)
    return v


def _bonded_liquid():
    u = _liquid()
    within = [(a, b) for r in u.residues for a, b in zip(r.atoms.ix[:-1], r.atoms.ix[1:],
                                                         strict=True)]
    u.add_TopologyAttr("bonds", within)
    return u


@pytest.mark.parametrize("bonds", [False, True])
def test_one_residue_holding_many_molecules_is_refused_and_fragments_are_right(bonds):
    # every pair was intramolecular: g_inter = 0 and g_intra the whole g(r), without a word
    u = _bonded_liquid()
    flat = _one_residue(u, bonds=bonds)
    with pytest.raises(ValueError, match="residues are not molecules.*one residue"):
        mdae.IntraInterRDF(flat.atoms, range=(0.0, 5.0), nbins=20)
    if bonds:
        by_fragments = mdae.IntraInterRDF(flat.atoms, range=(0.0, 5.0), nbins=20,
                                          compound="fragments").run()
        by_residues = mdae.IntraInterRDF(u.atoms, range=(0.0, 5.0), nbins=20).run()
        for key in by_residues.results.pairs:
            for part in ("intra", "inter"):
                np.testing.assert_array_equal(by_fragments.results[part][key],
                                              by_residues.results[part][key])


def test_a_bond_between_residues_is_refused_and_one_molecule_in_one_residue_accepted():
    u = _bonded_liquid()
    u.add_bonds([(4, 12)])   # an "anion" atom bonded into a solvent residue
    with pytest.raises(ValueError, match=r"join two residues \(e.g. atoms 4 and 12"):
        mdae.IntraInterRDF(u.atoms, range=(0.0, 5.0), nbins=20)
    water = mda.Universe.empty(3, trajectory=True)
    water.add_TopologyAttr("elements", ["O", "H", "H"])
    water.load_new(np.array([[[5.0, 5, 5], [5.96, 5, 5], [4.76, 5.93, 5]]], dtype=np.float32),
                   format=MemoryReader, dimensions=[12.0, 12, 12, 90, 90, 90])
    rdf = mdae.IntraInterRDF(water.atoms, range=(0.0, 5.0), nbins=50).run()
    # one O around each H, two H around the O, all within the molecule
    assert rdf.results.cn_intra[("H", "O")][-1] == 1.0
    assert rdf.results.cn_intra[("H", "H")][-1] == 1.0
    assert rdf.results.cn_inter[("H", "O")][-1] == 0.0


# --- RDF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kw,match", [
    ({"nbins": float("nan")}, "nbins must be a positive integer"),
    ({"nbins": True}, "nbins must be a positive integer"),
    ({"nbins": 10**9}, "GiB of histograms"),
    ({"range": (0.0,)}, "range must be two numbers"),
    ({"range": "0-5"}, "range must be two numbers"),
    ({"range": (5.0, 1.0)}, "0 <= r_min < r_max"),
])
def test_rdf_parameters_are_refused_by_name(kw, match):
    u = _liquid()
    with pytest.raises(ValueError, match=match):
        mdae.IntraInterRDF(u.atoms, **{"range": (0.0, 5.0), **kw})


@pytest.mark.parametrize("damage,match", [
    ("position", "frame 2 has non-finite positions"),
    ("box", "needs a periodic box: frame 2 has the box"),
])
def test_rdf_names_the_frame_with_nan_positions_or_box(damage, match):
    u = _liquid()
    positions = u.trajectory.coordinate_array.copy()
    dims = np.tile(u.dimensions, (len(positions), 1))
    if damage == "position":
        positions[2, 3, 1] = np.nan
    else:
        dims[2, 0] = np.nan
    u.load_new(positions, format=MemoryReader, dimensions=dims)
    with pytest.raises(ValueError, match=match):
        mdae.IntraInterRDF(u.atoms, range=(0.0, 5.0)).run()


@pytest.mark.parametrize("nbins", [1, 2])
def test_rdf_of_fewer_than_three_bins_counts_and_marks_the_shell_not_found(nbins):
    # the first-minimum search raised after the whole pass ("n >= 3"); the counts are valid
    u = _liquid()
    fine = mdae.IntraInterRDF(u.atoms, range=(0.0, 5.0), nbins=20).run()
    coarse = mdae.IntraInterRDF(u.atoms, range=(0.0, 5.0), nbins=nbins).run()
    for key in fine.results.pairs:
        assert coarse.results.cn_total[key][-1] == pytest.approx(fine.results.cn_total[key][-1])
        cutoff = coarse.results.estimates[key]["first_minimum"]
        assert not cutoff.valid and "need at least 3" in cutoff.verdict
        assert coarse.results.first_minimum[key] is None


@pytest.mark.parametrize("box", [[np.nan, 12.0, 12.0, 90.0, 90.0, 90.0],
                                 [12.0, -12.0, 12.0, 90.0, 90.0, 90.0],
                                 [12.0, 12.0, 12.0, 90.0, np.inf, 90.0]])
def test_rdf_refuses_an_invalid_box_of_the_current_frame_when_created(box):
    u = _liquid()
    u.load_new(u.trajectory.coordinate_array.copy(), format=MemoryReader,
               dimensions=np.array(box, dtype=np.float32))
    with pytest.raises(ValueError, match="needs a periodic box: the current frame has the box"):
        mdae.IntraInterRDF(u.atoms, range=(0.0, 5.0))


# --- solvation shells ------------------------------------------------------------------------


@pytest.mark.parametrize("kw,error,match", [
    ({"rdf_range": (-1.0, 5.0)}, ValueError, "rdf_range: r_min .* >= 0, got -1.0"),
    ({"rdf_range": (0.0, float("nan"))}, ValueError, "rdf_range: r_max .* finite number, got nan"),
    ({"rdf_range": (0.0,)}, ValueError, "rdf_range"),
    # 12 Å box: the RDF (and so the per-type g(r)) would miss images beyond 6 Å
    ({"rdf_range": (0.0, 7.0)}, ValueError, "beyond half the smallest box width"),
    ({"rdf_nbins": 0}, ValueError, "rdf_nbins must be an integer"),
    ({"rdf_nbins": 2.5}, ValueError, "rdf_nbins must be an integer"),
    ({"rdf_nbins": 10**9}, ValueError, "rdf_nbins must be an integer"),
    ({"angle_bins": -1}, ValueError, "angle_bins must be an integer"),
    ({"rdf_smoothing": 0.0}, ValueError, "rdf_smoothing .* must be a finite number > 0"),
    ({"rdf_smoothing": float("nan")}, ValueError, "rdf_smoothing .* must be a finite number > 0"),
])
def test_shell_parameters_are_refused_by_name(kw, error, match):
    with pytest.raises(error, match=match):
        _shells(_liquid(), **kw)


def test_shell_species_given_as_a_selection_string_is_refused():
    u = _liquid()
    with pytest.raises(TypeError, match="must be an AtomGroup"):
        mdae.SolvationShells(u.select_atoms("resname LI"), {"AN": "resname AN"},
                             {"SOL": u.select_atoms("resname SOL")}, cutoffs={"AN": 2.5})


def test_shells_refuse_a_frame_whose_box_shrank_below_twice_the_rdf_range():
    boxes = np.tile([12.0, 12.0, 12.0, 90.0, 90.0, 90.0], (5, 1))
    boxes[3, :3] = 12.0 / 4 ** (1 / 3)  # an NPT box compressed 4x in volume
    with pytest.raises(ValueError, match="frame 3: rdf_range ends at 5.0"):
        _shells(_liquid(boxes=boxes)).run()


@pytest.mark.parametrize("cls", [mdae.GreenKuboConductivity, mdae.EinsteinHelfandConductivity,
                                 mdae.Diffusion])
def test_a_flat_cell_is_no_box_for_volume_or_unwrapping(cls):
    # gamma = 0: lengths are positive but the cell has no volume (GK divided by ~0 before, the
    # unwrapping raised ZeroDivisionError from inside MDAnalysis)
    u = _salt()
    u.load_new(u.trajectory.coordinate_array.copy(), format=MemoryReader, dt=0.01,
               dimensions=[20.0, 20.0, 20.0, 90.0, 90.0, 0.0],
               velocities=u.trajectory.velocity_array.copy())
    extra = {} if cls is mdae.Diffusion else {"temperature": 300.0}
    if cls is not mdae.GreenKuboConductivity:
        extra["unwrap"] = True
    with pytest.raises(ValueError, match="no box"):
        cls(u, IONS, **extra)


def test_shells_with_rdf_cutoffs_refuse_fewer_than_three_bins_before_any_frame(monkeypatch):
    u = _liquid()
    monkeypatch.setattr(mdae.SolvationShells, "_single_frame",
                        lambda self: pytest.fail("a frame was read before the check"))
    with pytest.raises(ValueError, match="rdf_nbins = 2: the cutoffs of \\['AN'\\]"):
        _shells(u, cutoffs={"SOL": 2.5}, rdf_nbins=2)
    monkeypatch.undo()
    # with every cutoff given the RDF is a by-product and any bin count is kept
    assert _shells(u, rdf_nbins=2).run().results.cutoffs == {"AN": 2.5, "SOL": 2.5}


@pytest.mark.parametrize("kw,error,match", [
    ({"cutoffs": 2.5}, TypeError, "cutoffs must be a dict"),
    ({"network_species": "AN"}, TypeError, "network_species must be a list"),
])
def test_shell_mappings_given_as_scalars_are_refused(kw, error, match):
    with pytest.raises(error, match=match):
        _shells(_liquid(), **kw)


# --- transport parameters --------------------------------------------------------------------


@pytest.mark.parametrize("cls", [mdae.GreenKuboConductivity, mdae.EinsteinHelfandConductivity,
                                 mdae.Diffusion, mdae.OnsagerCoefficients])
def test_an_infinite_volume_and_a_fractional_block_count_are_refused(cls):
    extra = {} if cls is mdae.Diffusion else {"temperature": 300.0}
    with pytest.raises(ValueError, match="volume .* must be a finite number > 0, got inf"):
        cls(_salt(), IONS, volume=np.inf, **extra)
    with pytest.raises(ValueError, match="n_blocks must be a whole number >= 1, got 2.5"):
        cls(_salt(), IONS, n_blocks=2.5, **extra)


@pytest.mark.parametrize("charge", [np.nan, np.inf, "one"])
def test_a_charge_that_is_not_a_number_is_refused_before_reading(charge):
    # NaN/inf were found only after the whole pass, as "current contains NaN"
    with pytest.raises(ValueError, match="charges\\['Li'\\] .* must be a finite number"):
        mdae.GreenKuboConductivity(_salt(), IONS, 300.0, charges={"Li": charge})


def test_non_finite_topology_charges_are_refused_by_species():
    u = _salt()
    u.del_TopologyAttr("formalcharges")
    u.add_TopologyAttr("charges", [np.nan] * 4 + [-1.0] * 4)
    with pytest.raises(ValueError, match="species 'Li': the topology's partial charges"):
        mdae.GreenKuboConductivity(u, IONS, 300.0)


@pytest.mark.parametrize("make,error,match", [
    (lambda u: mdae.GreenKuboConductivity(u, IONS, 300.0, check_sampling="no"), TypeError,
     "check_sampling must be True or False"),
    (lambda u: mdae.OnsagerCoefficients(u, IONS, 300.0, check_sampling="no"), TypeError,
     "check_sampling must be True or False"),
    (lambda u: IonCollector(u, IONS, velocities="yes"), TypeError, "velocities must be"),
    (lambda u: IonCollector(u, IONS, positions="yes"), TypeError, "positions must be"),
    (lambda u: IonCollector(u, IONS, ion_velocity_budget=-1), ValueError,
     "ion_velocity_budget .* must be a whole number >= 0"),
])
def test_switches_that_are_not_switches_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make(_salt())


@pytest.mark.parametrize("cls", [mdae.GreenKuboViscosity, mdae.EinsteinHelfandViscosity])
@pytest.mark.parametrize("kw,match", [
    ({"temperature": np.inf}, "temperature .* must be a finite number > 0"),
    ({"volume": np.inf}, "volume .* must be a finite number > 0"),
    ({"dt": np.inf}, "dt .* must be a finite number > 0"),
])
def test_viscosity_refuses_infinite_parameters(cls, kw, match):
    rng = np.random.default_rng(0)
    tensor = ornstein_uhlenbeck(rng, 200, (3, 3), 0.05, 0.01, 300.0)
    with pytest.raises(ValueError, match=match):
        cls(tensor, **{"dt": 0.01, "volume": 8000.0, "temperature": 300.0, **kw})


# every numeric argument of the analyses, as (name, factory taking the value); a bool or a
# string was taken as a number (True as 1 K, 1 Å³, 1 ps, 1 e; "300" as 300 K)
_VISC = {"dt": 0.01, "volume": 8000.0, "temperature": 300.0}
_NE_ARGS = {"temperature": 300.0, "diffusivities": {"Li": 0.1, "AN": 0.1},
            "diffusivity_errors": {"Li": 0.01, "AN": 0.01}, "n_ions": {"Li": 8, "AN": 8},
            "charges": {"Li": 1.0, "AN": -1.0}, "volume": 8000.0}
NUMBERS = [
    ("IntraInterRDF(range r_min)", lambda x: mdae.IntraInterRDF(_liquid().atoms, range=(x, 5.0))),
    ("IntraInterRDF(range r_max)", lambda x: mdae.IntraInterRDF(_liquid().atoms, range=(0.0, x))),
    ("SolvationShells(rdf_range)", lambda x: _shells(_liquid(), rdf_range=(0.0, x))),
    ("SolvationShells(cutoffs)", lambda x: _shells(_liquid(), cutoffs={"AN": x, "SOL": 2.5})),
    ("SolvationShells(rdf_smoothing)", lambda x: _shells(_liquid(), rdf_smoothing=x)),
    ("SolvationShells(max_cutoff)", lambda x: _shells(_liquid(), max_cutoff=x)),
    ("GreenKuboConductivity(temperature)",
     lambda x: mdae.GreenKuboConductivity(_salt(), IONS, x)),
    ("GreenKuboConductivity(max_lag)",
     lambda x: mdae.GreenKuboConductivity(_salt(), IONS, 300.0, max_lag=x)),
    ("GreenKuboConductivity(plateau)",
     lambda x: mdae.GreenKuboConductivity(_salt(), IONS, 300.0, plateau=(0.0, x))),
    ("GreenKuboConductivity(charges)",
     lambda x: mdae.GreenKuboConductivity(_salt(), IONS, 300.0, charges={"Li": x})),
    ("EinsteinHelfandConductivity(temperature)",
     lambda x: mdae.EinsteinHelfandConductivity(_salt(), IONS, x)),
    ("EinsteinHelfandConductivity(volume)",
     lambda x: mdae.EinsteinHelfandConductivity(_salt(), IONS, 300.0, volume=x)),
    ("Diffusion(temperature)", lambda x: mdae.Diffusion(_salt(), IONS, temperature=x)),
    ("Diffusion(n_blocks)", lambda x: mdae.Diffusion(_salt(), IONS, n_blocks=x)),
    ("Diffusion(fit_window)", lambda x: mdae.Diffusion(_salt(), IONS, fit_window=(0.1, x))),
    ("Diffusion(fit_window_ps)",
     lambda x: mdae.Diffusion(_salt(), IONS, fit_window_ps=(0.01, x))),
    ("OnsagerCoefficients(temperature)",
     lambda x: mdae.OnsagerCoefficients(_salt(), IONS, x)),
    ("OnsagerCoefficients(max_lag)",
     lambda x: mdae.OnsagerCoefficients(_salt(), IONS, 300.0, max_lag=x)),
    ("IonCollector(max_ion_frames)", lambda x: IonCollector(_salt(), IONS, max_ion_frames=x)),
    ("GreenKuboViscosity(dt)",
     lambda x: mdae.GreenKuboViscosity(np.zeros((100, 3, 3)), **{**_VISC, "dt": x})),
    ("GreenKuboViscosity(volume)",
     lambda x: mdae.GreenKuboViscosity(np.zeros((100, 3, 3)), **{**_VISC, "volume": x})),
    ("EinsteinHelfandViscosity(temperature)",
     lambda x: mdae.EinsteinHelfandViscosity(np.zeros((100, 3, 3)),
                                             **{**_VISC, "temperature": x})),
    ("GreenKuboViscosity(max_lag)",
     lambda x: mdae.GreenKuboViscosity(np.zeros((100, 3, 3)), **_VISC, max_lag=x)),
    ("Density(dt)", lambda x: mdae.Density(np.full(50, 1.2), dt=x)),
    ("TaitCompressibility(reference_pressure)",
     lambda x: mdae.TaitCompressibility([1, 100, 200, 300], [100, 99.5, 99, 98.6],
                                        reference_pressure=x)),
    ("ThermalExpansion(reference_temperature)",
     lambda x: mdae.ThermalExpansion([280, 300, 320], [1.22, 1.21, 1.2],
                                     reference_temperature=x)),
    ("NernstEinstein(temperature)",
     lambda x: mdae.NernstEinstein(**{**_NE_ARGS, "temperature": x})),
    ("NernstEinstein(charges)",
     lambda x: mdae.NernstEinstein(**{**_NE_ARGS, "charges": {"Li": x, "AN": -1.0}})),
    ("RigidVolumeScan(vacuum)",
     lambda x: mdae.RigidVolumeScan(_molecular_frames(1), _model(), scales=[1.0], vacuum=x)),
]


@pytest.mark.parametrize("value", [True, "2"], ids=["bool", "string"])
@pytest.mark.parametrize("name,make", NUMBERS, ids=[n for n, _ in NUMBERS])
def test_a_number_given_as_a_bool_or_a_string_is_refused_by_name(name, make, value):
    with pytest.raises(ValueError, match=f"must be a (finite|whole) number.*got {value!r}"):
        make(value)


# --- densities and equations of state --------------------------------------------------------


@pytest.mark.parametrize("series,dt,match", [
    (np.r_[np.full(50, 1.2), 0.0], 0.01, "sample.* <= 0"),
    (-np.ones(50), 0.01, "sample.* <= 0"),
    (np.full(50, 1.2), np.inf, "spacing dt"),
])
def test_density_refuses_samples_that_are_not_densities(series, dt, match):
    with pytest.raises(ValueError, match=match):
        mdae.Density(series, dt=dt)


@pytest.mark.parametrize("make,match", [
    (lambda: mdae.EquationOfState([1.2, 1.21, 1.22, 1.23], [1.0, 1.0, 1.0, 1.0]),
     "3 distinct pressures"),
    (lambda: mdae.EquationOfState([1.2, 1.2, 1.2, 1.23], [1.0, 2.0, 3.0, 4.0]),
     "3 distinct densities"),
    (lambda: mdae.EquationOfState([1.2, 1.21, 1.22, 1.23], [1, 100, 200, 300],
                                  pressure_errors=[1, np.inf, 1, 1]), "pressure errors"),
    (lambda: mdae.TaitCompressibility([1, 100, 200, np.nan], [100, 99.5, 99, 98.6]),
     "pressures finite"),
    (lambda: mdae.TaitCompressibility([1, 100, 200, 300], [100, 99.5, 99, 98.6],
                                      reference_pressure=np.nan), "reference_pressure"),
    (lambda: mdae.TaitCompressibility([1, 1, 1, 1], [100, 99.5, 99, 98.6]),
     "3 distinct pressures"),
    (lambda: mdae.ThermalExpansion([300, 300, 300], [1.22, 1.21, 1.2]),
     "2 distinct temperatures"),
    (lambda: mdae.ThermalExpansion([0, 300, 320], [1.22, 1.21, 1.2]), "temperatures must be"),
    (lambda: mdae.ThermalExpansion([280, 300, 320], [1.22, 1.21, 1.2], [0.01, 0.0, 0.01]),
     "density errors"),
    (lambda: mdae.ThermalExpansion([280, 300, 320], [1.22, 1.21, 1.2], [0.01, np.nan, 0.01]),
     "density errors"),
])
def test_fits_refuse_undetermined_or_non_finite_input_by_name(make, match):
    # these ended in numpy's LinAlgError ("SVD did not converge") or scipy's regression error
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("make,field", [
    (lambda u: mdae.GreenKuboConductivity(u, IONS, 300.0, n_blocks=2), "velocities"),
    (lambda u: mdae.Diffusion(u, IONS, n_blocks=2), "positions"),
    (lambda u: mdae.Diffusion(u, IONS, n_blocks=2, unwrap=True), "positions"),
    (lambda u: mdae.EinsteinHelfandConductivity(u, IONS, 300.0, n_blocks=2), "positions"),
    (lambda u: mdae.OnsagerCoefficients(u, IONS, 300.0, n_blocks=2), "positions"),
    (lambda u: IonCollector(u, IONS, positions=False), "velocities"),
])
@pytest.mark.parametrize("frame", [0, 37, 59])
def test_a_frame_with_non_finite_coordinates_is_named_with_its_atom(make, field, frame):
    # was "velocity_sum contains NaN or infinite values" after the whole pass, naming no frame
    u = _salt()
    arrays = {"positions": u.trajectory.coordinate_array.copy(),
              "velocities": u.trajectory.velocity_array.copy()}
    arrays[field][frame, 5, 1] = np.inf if frame == 37 else np.nan
    u.load_new(arrays["positions"], format=MemoryReader, dt=0.01, velocities=arrays["velocities"],
               dimensions=[20.0, 20.0, 20.0, 90.0, 90.0, 90.0])
    with pytest.raises(ValueError, match=f"frame {frame} has non-finite {field} "
                                         "\\(atom index 5\\)"):
        make(u).run()


# --- Nernst–Einstein -------------------------------------------------------------------------

_NE = {"temperature": 300.0, "diffusivities": {"Li": 0.1, "AN": 0.1},
       "diffusivity_errors": {"Li": 0.01, "AN": 0.01}, "n_ions": {"Li": 8, "AN": 8},
       "charges": {"Li": 1.0, "AN": -1.0}, "volume": 8000.0}


@pytest.mark.parametrize("key,value,match", [
    ("n_ions", {"Li": 0, "AN": 8}, "n_ions of 'Li' must be a whole number >= 1"),
    ("n_ions", {"Li": 2.5, "AN": 8}, "n_ions of 'Li' must be a whole number >= 1"),
    ("charges", {"Li": 0.0, "AN": -1.0}, "charge of 'Li' must be finite and non-zero"),
    ("charges", {"Li": np.nan, "AN": -1.0}, "charge of 'Li' .* must be a finite number"),
    ("volume", np.inf, "volume .* must be a finite number > 0"),
    ("diffusivities", {}, "diffusivities is empty"),
])
def test_nernst_einstein_refuses_inputs_by_name(key, value, match):
    with pytest.raises(ValueError, match=match):
        mdae.NernstEinstein(**{**_NE, key: value})


def test_a_negative_conductivity_gives_no_valid_degree_of_dissociation():
    from ase_electrolyte.estimate import Estimate

    sigma = Estimate(-0.5, 0.1, "S/m", "t-scaled standard error over 10 blocks", n_samples=10)
    alpha = mdae.NernstEinstein(**_NE, conductivity=sigma).results.dissociation
    assert not alpha.valid and "not positive" in alpha.verdict
    positive = Estimate(0.5, 0.1, "S/m", "t-scaled standard error over 10 blocks", n_samples=10)
    assert mdae.NernstEinstein(**_NE, conductivity=positive).results.dissociation.valid


# --- model diagnostics and files -------------------------------------------------------------


@pytest.mark.parametrize("vacuum,match", [
    (0.0, "vacuum .* must be a finite number > 0"), (-1.0, "vacuum .* must be a finite number > 0"),
    (np.nan, "vacuum .* must be a finite number > 0"), ("ten", "a length in Å"), (True, "got True"),
])
@pytest.mark.parametrize("cls", ["RigidVolumeScan", "IntraInterErrors"])
def test_vacuum_is_checked_before_any_model_evaluation(cls, vacuum, match):
    model = _model()
    calls = []
    model.calculate = lambda *a, **k: calls.append(a) or pytest.fail("model evaluated")
    frames = _molecular_frames(1)
    with pytest.raises(ValueError, match=match):
        if cls == "RigidVolumeScan":
            mdae.RigidVolumeScan(frames, model, scales=[1.0], vacuum=vacuum)
        else:
            mdae.IntraInterErrors(frames, model, _model(k=22.0), vacuum=vacuum)
    assert not calls


def test_from_ase_refuses_a_folder_by_name(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        mdae.from_ase(tmp_path)


# --- plots -----------------------------------------------------------------------------------

_UNRUN = [
    ("IntraInterRDF", lambda: ANALYSES[0][2](_liquid())),
    ("SolvationShells", lambda: _shells(_liquid())),
    ("GreenKuboConductivity", lambda: ANALYSES[3][2](_salt())),
    ("EinsteinHelfandConductivity", lambda: ANALYSES[4][2](_salt())),
    ("Diffusion", lambda: ANALYSES[5][2](_salt())),
    ("OnsagerCoefficients", lambda: ANALYSES[6][2](_salt())),
    ("GreenKuboViscosity", lambda: mdae.GreenKuboViscosity(
        np.zeros((100, 3, 3)), dt=0.01, volume=8000.0, temperature=300.0)),
    ("EinsteinHelfandViscosity", lambda: mdae.EinsteinHelfandViscosity(
        np.zeros((100, 3, 3)), dt=0.01, volume=8000.0, temperature=300.0)),
    ("Density", lambda: mdae.Density(np.full(50, 1.2), dt=0.01)),
    ("EquationOfState", lambda: mdae.EquationOfState([1.2, 1.21, 1.22, 1.23], [1, 100, 200, 300])),
    ("TaitCompressibility", lambda: mdae.TaitCompressibility([1, 100, 200, 300],
                                                             [100, 99.5, 99, 98.6])),
    ("ThermalExpansion", lambda: mdae.ThermalExpansion([280, 300, 320], [1.22, 1.21, 1.2])),
    ("RigidVolumeScan", lambda: ANALYSES[7][2](ANALYSES[7][1]())),
    ("IntraInterErrors", lambda: ANALYSES[8][2](ANALYSES[8][1]())),
]


@pytest.mark.parametrize("make", [m for _, m in _UNRUN], ids=[n for n, _ in _UNRUN])
def test_plot_before_run_says_so(make):
    # was an AttributeError from inside MDAnalysis' Results
    with pytest.raises(RuntimeError, match="run\\(\\) the analysis before plot"):
        make().plot()


def _stamped(ax):
    return any("NOT VALID" in t.get_text() for t in ax.texts)


def test_shell_plots_stamp_numbers_that_are_not_valid():
    import matplotlib.pyplot as plt

    # three frames: every shell statistic is "too few frames", and the bars must say so
    shells = _shells(_liquid(n_frames=3)).run()
    assert not shells.results.estimates["fractions"]["SSIP"].valid
    fig = shells.plot()
    assert all(_stamped(ax) for ax in fig.axes)
    plt.close(fig)
    valid = _shells(_liquid(n_frames=100)).run()
    assert valid.results.estimates["fractions"]["SSIP"].valid
    fig = valid.plot()
    assert not _stamped(fig.axes[0])
    plt.close(fig)


@pytest.mark.parametrize("cls", [mdae.GreenKuboConductivity, mdae.EinsteinHelfandConductivity,
                                 mdae.Diffusion, mdae.OnsagerCoefficients])
@pytest.mark.parametrize("selection,n_blocks", [
    ({"step": 25}, 2),           # 3 frames of 60
    ({"start": 55}, 3),          # 5 frames
    ({"frames": [0, 1, 2]}, 2),
    ({"stop": 19}, 10),          # 19 frames: fewer than 2 per block
])
def test_a_selection_too_short_for_the_blocks_is_refused_before_reading(cls, selection, n_blocks,
                                                                         monkeypatch):
    kw = {} if cls is mdae.Diffusion else {"temperature": 300.0}
    analysis = cls(_salt(), IONS, n_blocks=n_blocks, **kw)
    monkeypatch.setattr(analysis._collectors[0], "_single_frame",
                        lambda: pytest.fail("a frame was read before the check"))
    with pytest.raises(ValueError, match=f"cannot be split into {n_blocks} blocks of at least 2"):
        analysis.run(**selection)


@pytest.mark.parametrize("cls", [mdae.Diffusion, mdae.OnsagerCoefficients])
def test_thinned_ion_frames_too_few_for_the_blocks_are_refused_before_reading(cls, monkeypatch):
    kw = {} if cls is mdae.Diffusion else {"temperature": 300.0}
    analysis = cls(_salt(n_frames=60), IONS, n_blocks=2, **kw)
    # as if max_ion_frames had thinned a long trajectory: every 30th frame keeps the ion
    # centres, so 20 selected frames keep one
    monkeypatch.setattr(analysis._collectors[0], "_keep_every", 30)
    monkeypatch.setattr(analysis._collectors[0], "_single_frame",
                        lambda: pytest.fail("a frame was read before the check"))
    with pytest.raises(ValueError, match="kept frames, which cannot be split into 2 blocks"):
        analysis.run(stop=20)


def test_a_selection_that_fills_the_blocks_runs():
    d = mdae.Diffusion(_salt(), IONS, n_blocks=2).run(step=2)
    assert np.isfinite(float(d.results.D["Li"]))


@pytest.mark.parametrize("plateau,match", [
    ((0.0, 0.1, 0.2), "plateau \\(ps\\) must be two numbers"),
    ("abc", "plateau must be 'auto'"),
    ((0.2, 0.1), "plateau \\(ps\\) must satisfy 0 <= start < stop"),
    ((np.nan, 0.1), "plateau \\(ps\\) start"),
    ((0.0, True), "plateau \\(ps\\) stop"),
    ((0.0, 5.0), "beyond max_lag"),
])
def test_a_malformed_green_kubo_plateau_is_refused_when_created(plateau, match):
    with pytest.raises(ValueError, match=match):
        mdae.GreenKuboConductivity(_salt(), IONS, 300.0, max_lag=0.2, plateau=plateau)
