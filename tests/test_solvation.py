"""SolvationShells: hand-built shells, bridging anions, agreement with solvation-analysis."""

import os
import warnings

import matplotlib

matplotlib.use("Agg")

import MDAnalysis as mda
import numpy as np
import pandas as pd
import pytest
import solvation_analysis
from solvation_analysis.solute import Solute

from ase_electrolyte.estimate import Estimate
from mda_electrolyte import SolvationShells
from mda_electrolyte.solvation import oxygen_types

TETRAHEDRON = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3)
# a ring carbonate without hydrogens: Oc=C1(-Oe1-C2-C3-Oe2-C1)
EC_ELEMENTS = ["O", "C", "O", "C", "C", "O"]
EC_BONDS = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 1)]


def _ec(oc, direction, through="Oc", angle_deg=140.0):
    """EC-like coordinates with the coordinating O at ``oc``; M-O-C angle ``angle_deg``."""
    d = direction / np.linalg.norm(direction)
    perp = np.cross(d, [0.3, 0.5, 0.8])
    perp /= np.linalg.norm(perp)
    theta = np.radians(angle_deg)
    # C bonded to the coordinating oxygen, 1.2 Å away, at angle M-O-C = angle_deg
    c_dir = -np.cos(theta) * d + np.sin(theta) * perp
    c1 = oc + 1.2 * c_dir
    ring = c1 + 1.3 * c_dir
    far = [
        ring + 1.3 * perp,
        ring - 1.3 * perp,
        ring + 2.0 * c_dir + 0.7 * perp,
        ring + 2.0 * c_dir - 0.7 * perp,
    ]
    if through == "Oc":
        # order: Oc, C1, Oe1, C2, C3, Oe2
        return np.array([oc, c1, far[0], far[2], far[3], far[1]])
    # coordinate through an ether oxygen: Oe1 at oc, C1 and C2 its two carbons
    return np.array(
        [ring + 3 * c_dir, c1, oc, c1 - 2.4 * perp, c1 - 1.2 * perp + 1.0 * c_dir, c1 + 1.4 * c_dir]
    )


def _pf6(f_pos, direction):
    d = direction / np.linalg.norm(direction)
    p = f_pos + 1.6 * d
    axes = np.eye(3)
    fs = [p + 1.6 * s * a for a in axes for s in (1, -1)]
    # move the F nearest to the metal onto f_pos exactly
    k = int(np.argmin([np.linalg.norm(f - f_pos) for f in fs]))
    fs[k] = f_pos
    return np.array([p] + fs)


def build(shells, box=40.0, cation="Li"):
    """Universe of cations at given centres with their ligands.

    ``shells`` is a list of (centre, ligands); a ligand is ("EC", direction, "Oc"|"Oe") or
    ("PF6", direction) or ("PF6-shared", index of a PF6 already placed, which F to use).
    """
    positions, elements, resindex, resnames, bonds = [], [], [], [], []
    pf6_atoms = []

    def add(xyz, els, name, bnd):
        start = len(elements)
        res = (resindex[-1] + 1) if resindex else 0
        positions.extend(xyz)
        elements.extend(els)
        resindex.extend([res] * len(els))
        resnames.append(name)
        bonds.extend((start + a, start + b) for a, b in bnd)
        return start

    for centre, ligands in shells:
        centre = np.asarray(centre, float)
        add([centre], [cation], cation.upper(), [])
        for k, lig in enumerate(ligands):
            d = TETRAHEDRON[k]
            if lig[0] == "EC":
                add(_ec(centre + 2.0 * d, d, through=lig[2]), EC_ELEMENTS, "EC", EC_BONDS)
            elif lig[0] == "PF6":
                start = add(
                    _pf6(centre + 2.0 * d, d),
                    ["P"] + ["F"] * 6,
                    "PF6",
                    [(0, j) for j in range(1, 7)],
                )
                pf6_atoms.append(start)
    u = mda.Universe.empty(
        len(elements), n_residues=resindex[-1] + 1, atom_resindex=resindex, trajectory=True
    )
    u.add_TopologyAttr("elements", elements)
    u.add_TopologyAttr("names", elements)
    u.add_TopologyAttr("resnames", resnames)
    u.add_TopologyAttr("bonds", bonds)
    u.atoms.positions = np.asarray(positions) % box
    u.dimensions = [box, box, box, 90, 90, 90]
    return u


def groups(u, cation="Li"):
    return (
        u.select_atoms(f"element {cation}"),
        {"PF6": u.select_atoms("resname PF6")},
        {"EC": u.select_atoms("resname EC")},
    )


CUTOFFS = {"EC": 2.3, "PF6": 2.3}


def test_oxygen_types_from_bonds():
    u = build([((5, 5, 5), [("EC", None, "Oc")])])
    types, carbon = oxygen_types(u.atoms)
    ec = u.select_atoms("resname EC")
    assert list(types[ec.ix]) == [1, 0, 2, 0, 0, 2]
    assert carbon[ec.ix[0]] == ec.ix[1]


@pytest.mark.parametrize("cation", ["Li", "Na", "K"])
def test_hand_built_contact_ion_pair(cation):
    u = build(
        [
            ((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
            ((30, 30, 30), [("EC", None, "Oc"), ("EC", None, "Oe")]),
        ],
        cation=cation,
    )
    cats, anions, solvents = groups(u, cation)
    res = SolvationShells(cats, anions, solvents, cutoffs=CUTOFFS).run().results
    assert list(res.shell_labels[0]) == [f"{cation}(ECc)3(PF6)", f"{cation}(ECc)(ECe)"]
    assert list(res.classes[0]) == ["CIP", "SSIP"]
    assert res.fractions == {"SSIP": 0.5, "CIP": 0.5, "AGG": 0.0}
    assert res.coordination_numbers == {"EC": 2.5, "PF6": 0.5}
    assert res.pairing == {"EC": 1.0, "PF6": 0.5}
    assert res.free_cation_fraction == 0.5
    assert res.free_ion_fraction == pytest.approx(1 / 3)  # 1 free cation, 0 free anions, 3 ions
    assert res.network_sizes == {1: 1.0}
    # Oc at tetrahedral directions, M-Oc-Cc built at 140 degrees
    oc_m_oc = res.angles["Oc-M-Oc"]
    assert oc_m_oc["n"] == 3 + 0
    assert oc_m_oc["mean"] == pytest.approx(np.degrees(np.arccos(-1 / 3)), abs=1e-3)
    assert res.angles["M-Oc-Cc"]["n"] == 4
    assert res.angles["M-Oc-Cc"]["mean"] == pytest.approx(140.0, abs=1e-3)
    assert res.angles["M-Oc-Cc"]["density"].sum() * 2.0 == pytest.approx(1.0)
    shells = res.shells
    assert set(shells.loc[shells.species == "EC", "oxygen_type"]) == {"Oc", "Oe"}
    assert res.cutoff_source == {"EC": "given", "PF6": "given"}


def test_bridging_anion_conventions_and_networks():
    # two Li sharing one PF6: Li(PF6) each; second Li's F comes from the first Li's PF6
    u = build([((10, 10, 10), [("PF6", None), ("EC", None, "Oc")])])
    pf6 = u.select_atoms("resname PF6")
    # place a second Li 2.0 Å from another F of the same PF6 (opposite side)
    p = pf6[0].position
    f_far = pf6.positions[np.argmax(np.linalg.norm(pf6.positions - u.atoms[0].position, axis=1))]
    li2 = f_far + 2.0 * (f_far - p) / np.linalg.norm(f_far - p)
    merged = mda.Merge(u.atoms, u.atoms[:1])
    merged.atoms[-1:].positions = [li2]
    merged.add_TopologyAttr("elements", list(u.atoms.elements) + ["Li"])
    merged.dimensions = u.dimensions
    # Merge copies residues: the added Li is its own residue
    cats = merged.select_atoms("element Li")
    anions = {"PF6": merged.select_atoms("resname PF6")}
    solvents = {"EC": merged.select_atoms("resname EC")}
    count = SolvationShells(cats, anions, solvents, cutoffs=CUTOFFS, convention="anion_count").run()
    bridge = SolvationShells(cats, anions, solvents, cutoffs=CUTOFFS, convention="bridging").run()
    assert list(count.results.classes[0]) == ["CIP", "CIP"]
    assert list(bridge.results.classes[0]) == ["AGG", "AGG"]
    assert count.results.network_sizes == {2: 1.0}
    assert count.results.free_cation_fraction == 0.0
    assert list(count.results.shell_labels[0]) == ["Li(ECc)(PF6)", "Li(PF6)"]
    # networks only through solvent: the two cations are separate
    solvent_only = SolvationShells(
        cats, anions, solvents, cutoffs=CUTOFFS, network_species=["EC"]
    ).run()
    assert solvent_only.results.network_sizes == {1: 1.0}


def bn_fec():
    data = os.path.join(
        os.path.dirname(solvation_analysis.__file__), "tests", "data", "bn_fec_data"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        u = mda.Universe(
            os.path.join(data, "bn_fec.data"), os.path.join(data, "bn_fec_short_wrap.dcd")
        )
    u.add_TopologyAttr("elements", np.loadtxt(os.path.join(data, "bn_fec_elements.csv"), dtype=str))
    return u


def test_agrees_with_solvation_analysis_bn_fec():
    u = bn_fec()
    li = u.atoms.select_atoms("type 22")
    pf6 = u.atoms.select_atoms("byres type 20")
    bn = u.atoms.select_atoms("byres type 5")
    fec = u.atoms.select_atoms("byres type 19")
    # the radii of solvation-analysis' own tests
    radii = {"pf6": 2.8, "bn": 2.61468, "fec": 2.43158}
    ref = Solute.from_atoms(li, {"pf6": pf6, "bn": bn, "fec": fec}, radii=radii, skip_rdf=True).run(
        stop=4
    )
    ours = SolvationShells(li, {"pf6": pf6}, {"bn": bn, "fec": fec}, cutoffs=radii).run(stop=4)
    for name in radii:
        assert ours.results.coordination_numbers[name] == pytest.approx(
            ref.coordination.coordination_numbers[name], rel=1e-12
        )
        assert ours.results.pairing[name] == pytest.approx(
            ref.pairing.solvent_pairing[name], rel=1e-12
        )
        # solvation-analysis' by-frame numbers are each frame's share of the mean (divided by
        # n_frames); ours are the coordination numbers of each frame
        np.testing.assert_allclose(
            ours.results.timeseries["coordination_numbers"][name],
            ref.coordination.coordination_numbers_by_frame.loc[name].to_numpy() * ref.n_frames,
            rtol=1e-12,
        )
    # the fraction of cations with an anion is the CIP + AGG fraction in both conventions
    paired = ours.results.fractions["CIP"] + ours.results.fractions["AGG"]
    assert paired == pytest.approx(ref.pairing.solvent_pairing["pf6"])
    # the shells hold the same (frame, cation residue, molecule) triples as solvation-analysis
    sd = ref.solvation_data.reset_index()
    ours_set = set(
        zip(
            ours.results.shells.frame,
            u.atoms[ours.results.shells.cation].resindices,
            ours.results.shells.molecule,
            strict=True,
        )
    )
    assert ours_set == set(zip(sd.frame, sd.solute_ix, sd.solvent_ix, strict=True))


def test_cutoffs_from_rdf_minimum():
    u = bn_fec()
    li = u.atoms.select_atoms("type 22")
    pf6 = u.atoms.select_atoms("byres type 20")
    bn = u.atoms.select_atoms("byres type 5")
    ours = SolvationShells(li, {"pf6": pf6}, {"bn": bn}, cutoffs={"pf6": 2.8}).run(stop=2)
    assert ours.results.cutoff_source == {"bn": "rdf_minimum", "pf6": "given"}
    bins, g = ours.results.rdfs["bn"]
    cut = ours.results.cutoffs["bn"]
    assert 2.0 < cut < 3.5
    # a minimum: lower than the first peak before it
    assert g[np.searchsorted(bins, cut)] < g[bins < cut].max()


def test_plot():
    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)])])
    shells = SolvationShells(*groups(u), cutoffs=CUTOFFS).run()
    fig = shells.plot()
    assert len(fig.axes) == 2


def test_bad_input():
    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)])])
    cats, anions, solvents = groups(u)
    with pytest.raises(ValueError, match="cation selection is empty"):
        SolvationShells(cats[[]], anions, solvents)
    with pytest.raises(ValueError, match="'EC' is empty"):
        SolvationShells(cats, anions, {"EC": solvents["EC"][[]]})
    with pytest.raises(ValueError, match="overlap"):
        SolvationShells(cats, anions, {"EC": solvents["EC"] + anions["PF6"][:1]})
    with pytest.raises(ValueError, match="outside the RDF range"):
        SolvationShells(cats, anions, solvents, cutoffs={"EC": 9.0}, rdf_range=(0, 8))
    # cutoffs in nm ran the whole pass to coordination number 0, every Li⁺ free, 100 % SSIP
    for nm in (0.26, 0.999):
        with pytest.raises(ValueError, match=rf"cutoff of 'EC' = {nm:g} Å is shorter than any "
                                             r"cation–ligand contact .*is it in nm"):
            SolvationShells(cats, anions, solvents, cutoffs={"EC": nm, "PF6": 0.3})
    SolvationShells(cats, anions, solvents, cutoffs={"EC": 1.0, "PF6": 3.0})
    with pytest.raises(ValueError, match="convention"):
        SolvationShells(cats, anions, solvents, convention="mdgo-ish")
    nobox = build([((10, 10, 10), [("EC", None, "Oc")])])
    nobox.dimensions = None
    c, a, s = groups(nobox)
    with pytest.raises(ValueError, match="periodic box"):
        SolvationShells(c, {}, s)
    nobond = mda.Universe.empty(
        u.atoms.n_atoms,
        n_residues=u.residues.n_residues,
        atom_resindex=u.atoms.resindices,
        trajectory=True,
    )
    nobond.add_TopologyAttr("elements", u.atoms.elements)
    nobond.add_TopologyAttr("resnames", u.residues.resnames)
    nobond.atoms.positions = u.atoms.positions
    nobond.dimensions = u.dimensions
    with pytest.raises(ValueError, match="no bonds"):
        SolvationShells(*groups(nobond))


def test_report_entry(tmp_path):
    from mda_electrolyte.solvation import _report

    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)])])
    charges = np.zeros(u.atoms.n_atoms)
    charges[u.select_atoms("element Li").ix] = 1
    charges[u.select_atoms("element P").ix] = -1
    u.add_TopologyAttr("formalcharges", charges)
    summary = _report(u, tmp_path)
    (label, share), = summary["labels"].items()
    # one frame, one cation: the share is a number, not a result
    assert label == "Li(ECc)3(PF6)" and share.value == 1.0 and not share.valid
    assert "too few ions" in share.verdict and "too few frames" in share.verdict
    for key in ("network_sizes", "cn_distribution_total"):
        assert all(isinstance(v, Estimate) for v in summary[key].values()), key
    assert summary["cn_distribution_total"]["4"].value == 1.0
    assert (tmp_path / "solvation_shells.png").exists()


def test_report_falls_back_to_the_donor_preset_without_rdf_minimum(tmp_path):
    from mda_electrolyte import solvation

    # one Li and its own shell in a big box: the RDFs never rise after the first peak
    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)])])
    charges = np.zeros(u.atoms.n_atoms)
    charges[u.select_atoms("element Li").ix] = 1
    charges[u.select_atoms("element P").ix] = -1
    u.add_TopologyAttr("formalcharges", charges)
    summary = solvation._report(u, tmp_path)
    # Ju et al. (2025): Li–O 2.6 Å to the solvent oxygens, Li–P 4.2 Å to the anion's P
    assert summary["settings"]["cutoffs_angstrom"] == {"EC": 2.6, "PF6": 4.2}
    assert summary["settings"]["cutoff_source"] == {"EC": "preset_fallback",
                                                    "PF6": "preset_fallback"}
    assert summary["shell_atoms"] == {"EC": "donor_atoms", "PF6": "donor_atoms"}
    assert "Li–P 4.2 Å" in summary["cutoff_notes"]["PF6"]
    assert "no first minimum" in summary["cutoff_note"]
    assert {k: v.value for k, v in summary["labels"].items()} == {"Li(ECc)3(PF6)": 1.0}
    with pytest.raises(ValueError, match="no first minimum"):
        SolvationShells(*groups(u)).run()


def test_donor_atom_convention_counts_pf6_by_its_phosphorus():
    # the PF6 is 2.0 Å from Li through an F, so its P is at 3.6 Å: inside Li–P 4.2 Å; moving the
    # anion out by 0.7 Å puts F at 2.7 Å and P at 4.3 Å: in the 3.0 Å whole-molecule shell only
    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)])])
    cats, anions, solvents = groups(u)
    res = SolvationShells(cats, anions, solvents, cutoff_convention="donor_atoms").run().results
    assert res.cutoffs == {"EC": 2.6, "PF6": 4.2} and res.classes[0, 0] == "CIP"
    assert res.cutoff_source == {"EC": "preset", "PF6": "preset"}
    assert set(res.shells.loc[res.shells.species == "PF6", "atom"]) == set(
        u.select_atoms("element P").ix)
    assert set(res.shells.loc[res.shells.species == "EC", "oxygen_type"]) == {"Oc"}
    pf6 = anions["PF6"]
    li = cats.positions[0]
    p = u.select_atoms("element P").positions[0]
    pf6.positions = pf6.positions + 0.7 * (p - li) / np.linalg.norm(p - li)
    donor = SolvationShells(cats, anions, solvents, cutoff_convention="donor_atoms").run()
    whole = SolvationShells(cats, anions, solvents, cutoffs={"EC": 2.6, "PF6": 3.0}).run()
    assert donor.results.classes[0, 0] == "SSIP" and whole.results.classes[0, 0] == "CIP"
    with pytest.raises(ValueError, match="Li"):
        nacl = build([((10, 10, 10), [("EC", None, "Oc"), ("PF6", None)])], cation="Na")
        SolvationShells(*groups(nacl, "Na"), cutoff_convention="donor_atoms")
    with pytest.raises(ValueError, match="cutoff_convention"):
        SolvationShells(cats, anions, solvents, cutoff_convention="donors")


def _rdf_of(u, li, group, nbins, frames=None):
    from MDAnalysis.analysis.rdf import InterRDF

    rdf = InterRDF(li, group, range=(0.0, 8.0), nbins=nbins, norm="density",
                   exclude_same="residue").run(frames=frames)
    return rdf.results.edges, rdf.results.rdf, rdf.results.count


def test_first_minimum_is_bin_count_independent_on_bn_fec():
    from mda_electrolyte.shell_cutoffs import first_minimum

    u = bn_fec()
    li = u.atoms.select_atoms("type 22")
    species = {"pf6": "byres type 20", "P": "type 20", "bn": "byres type 5",
               "fec": "byres type 19"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, sel in species.items():
            found = [first_minimum(*_rdf_of(u, li, u.select_atoms(sel), n))
                     for n in (40, 80, 160, 320)]
            cutoffs = [f.cutoff for f in found]
            assert None not in cutoffs, name
            assert max(cutoffs) - min(cutoffs) <= 0.1, (name, cutoffs)
            # never inside the first peak
            assert all(f.cutoff > f.peak + 0.3 for f in found), name
            # a minimum of the raw histogram within the smoothing width
            edges, g, _ = _rdf_of(u, li, u.select_atoms(sel), 320)
            r = 0.5 * (edges[1:] + edges[:-1])
            near = np.abs(r - found[-1].cutoff) < found[-1].smoothing
            peak = np.abs(r - found[-1].peak) < found[-1].smoothing
            assert g[near].mean() < 0.6 * g[peak].mean(), name


def test_first_minimum_refuses_noise_and_flags_small_samples():
    from mda_electrolyte.shell_cutoffs import first_minimum

    edges = np.linspace(0, 8, 161)
    r = 0.5 * (edges[1:] + edges[:-1])
    # a first peak that decays to a plateau: no minimum (the old search took the first dip)
    rng = np.random.default_rng(0)
    decay = 2 * np.exp(-((r - 2) / 0.3) ** 2) + 1 / (1 + np.exp(-(r - 1.8) / 0.1))
    wiggly = decay * (1 + 0.01 * rng.standard_normal(r.size)) * (r > 1.2)
    result = first_minimum(edges, wiggly)
    assert result.cutoff is None and ("shallow" in result.note or "rise" in result.note)
    # a clear minimum from few pairs: found, with a small-sample warning; many pairs: none
    shell = 4 / 3 * np.pi * np.diff(edges**3)
    truth = 3 * np.exp(-((r - 2) / 0.2) ** 2) + 1 / (1 + np.exp(-(r - 3.2) / 0.15))
    for scale, small in ((1.0, True), (50.0, False)):
        counts = rng.poisson(truth * shell * scale).astype(float)
        found = first_minimum(edges, counts / shell, counts=counts)
        assert found.cutoff is not None and 2.4 < found.cutoff < 3.0
        assert any("small sample" in w for w in found.warnings) == small
        # the same verdict on the Estimate; its error covers the smoothing's outward shift of
        # the minimum (test_calibration checks it over replicas), at least the σ/2 resolution
        est = found.estimate()
        assert est.value == found.cutoff and est.stderr == pytest.approx(found.cutoff_err)
        assert 0 < found.cutoff_err < 2 * found.smoothing
        assert est.converged == (not small) and ("small sample" in est.verdict) == small
    # a handful of pairs: the dip is counting noise, not a minimum
    counts = rng.poisson(truth * shell * 0.02).astype(float)
    none = first_minimum(edges, counts / shell, counts=counts)
    assert none.cutoff is None
    assert not none.estimate().converged and np.isnan(none.estimate().value)
    assert "not significant" in none.estimate().verdict
    with pytest.raises(ValueError, match="edges"):
        first_minimum(edges, truth[:-1])


def _assert_identical(a, b, path="results"):
    if isinstance(a, dict):
        assert list(a) == list(b), path
        for key in a:
            _assert_identical(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, tuple):
        assert len(a) == len(b), path
        for x, y in zip(a, b, strict=True):
            _assert_identical(x, y, path)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, path
        np.testing.assert_array_equal(a, b, err_msg=path)
    else:
        assert a == b, path


@pytest.mark.parametrize("backend", ["multiprocessing", "dask"])
def test_parallel_backends_equal_serial_bn_fec(backend):
    if backend == "dask":
        pytest.importorskip("dask")
    u = bn_fec()
    li = u.atoms.select_atoms("type 22")
    args = (
        li,
        {"pf6": u.atoms.select_atoms("byres type 20")},
        {"bn": u.atoms.select_atoms("byres type 5"), "fec": u.atoms.select_atoms("byres type 19")},
    )
    # bn and fec cutoffs from the RDF minimum over all 4 frames; the second worker's frames
    # alone (2, 3) would put the fec minimum at 2.45 Å instead of 2.75 Å
    serial = SolvationShells(*args, cutoffs={"pf6": 2.8}).run(stop=4).results
    parallel = (
        SolvationShells(*args, cutoffs={"pf6": 2.8})
        .run(stop=4, backend=backend, n_workers=2)
        .results
    )
    assert serial.cutoff_source == {"bn": "rdf_minimum", "fec": "rdf_minimum", "pf6": "given"}
    assert sorted(parallel) == sorted(serial)
    for key in (
        "cutoffs",
        "cutoff_source",
        "rdfs",
        "fractions",
        "labels",
        "coordination_numbers",
        "pairing",
        "free_cation_fraction",
        "free_ion_fraction",
        "network_sizes",
        "angles",
        "timeseries",
        "classes",
        "shell_labels",
        "cn_distribution",
        "cn_distribution_by_class",
        "ssip_networks",
        "by_type",
        "by_type_bins",
        "cutoff_details",
    ):
        _assert_identical(serial[key], parallel[key], key)
    assert parallel.angles["Oc-M-Oc"]["n"] > 0 and len(parallel.timeseries["frames"]) == 4
    pd.testing.assert_frame_equal(serial.shells, parallel.shells, check_exact=True)
    assert sorted(set(parallel.shells.frame)) == [0, 1, 2, 3]


def test_per_type_rdfs_and_angles_against_brute_force():
    u = build([((10, 10, 10), [("EC", None, "Oc")] * 3 + [("PF6", None)]),
               ((30, 30, 30), [("EC", None, "Oc"), ("EC", None, "Oe")])])
    res = SolvationShells(*groups(u), cutoffs=CUTOFFS, rdf_range=(0.0, 6.0),
                          rdf_nbins=30).run().results
    assert set(res.by_type) == {"Li(ECc)3(PF6)", "Li(ECc)(ECe)"}
    types, _ = oxygen_types(u.atoms)
    box = u.dimensions[0]
    edges = np.linspace(0.0, 6.0, 31)
    shell = 4 / 3 * np.pi * np.diff(edges**3)
    for c, label in enumerate(["Li(ECc)3(PF6)", "Li(ECc)(ECe)"]):
        entry = res.by_type[label]
        assert entry["n_shells"] == 1
        li = u.select_atoms("element Li").positions[c]
        for kind, code in (("M-Oc", 1), ("M-Oe", 2)):
            d = u.atoms.positions[types == code] - li
            d -= box * np.round(d / box)
            hist = np.histogram(np.linalg.norm(d, axis=1), bins=edges)[0]
            rho = (types == code).sum() / box**3
            np.testing.assert_allclose(entry["rdf"][kind], hist / (rho * shell), rtol=1e-6)
            np.testing.assert_allclose(entry["cn"][kind], np.cumsum(hist))
    cip = res.by_type["Li(ECc)3(PF6)"]["angles"]
    assert cip["Oc-M-Oc"]["n"] == 3
    assert cip["Oc-M-Oc"]["mean"] == pytest.approx(np.degrees(np.arccos(-1 / 3)), abs=1e-3)
    assert cip["M-Oc-Cc"]["n"] == 3 and cip["M-Oc-Cc"]["mean"] == pytest.approx(140, abs=1e-3)
    ssip = res.by_type["Li(ECc)(ECe)"]["angles"]
    assert ssip["Oc-M-Oc"]["n"] == 0 and ssip["M-Oc-Cc"]["n"] == 1
    fig = SolvationShells(*groups(u), cutoffs=CUTOFFS).run().plot_by_type()
    assert len(fig.axes) == 3


def test_cn_distributions_and_ssip_networks_against_the_shell_table():
    u = bn_fec()
    li = u.atoms.select_atoms("type 22")
    radii = {"pf6": 2.8, "bn": 2.61468, "fec": 2.43158}
    res = SolvationShells(li, {"pf6": u.atoms.select_atoms("byres type 20")},
                          {"bn": u.atoms.select_atoms("byres type 5"),
                           "fec": u.atoms.select_atoms("byres type 19")},
                          cutoffs=radii).run(stop=3).results
    table = res.shells.drop_duplicates(["frame", "cation", "molecule"])
    n_shells = 3 * li.n_atoms
    per = table.groupby(["frame", "cation", "species"]).size()
    for name in radii:
        counts = per.xs(name, level="species") if name in set(table.species) else per[:0]
        expect = {int(k): v / n_shells for k, v in counts.value_counts().items()}
        zeros = n_shells - len(counts)
        if zeros:
            expect[0] = zeros / n_shells
        assert res.cn_distribution[name] == pytest.approx(expect), name
    # SSIP networks: union-find over SSIP cations sharing a solvent molecule, per frame
    sizes, per_frame = [], []
    for frame in range(3):
        rows = table[table.frame == frame]
        anion = set(rows.loc[rows.species == "pf6", "cation"])
        ssip = [c for c in li.ix if c not in anion]
        parent = {c: c for c in ssip}

        def find(c, parent=parent):
            while parent[c] != c:
                c = parent[c]
            return c

        solvent = rows[rows.cation.isin(ssip) & rows.species.isin(["bn", "fec"])]
        for _, hosts in solvent.groupby("molecule").cation:
            hosts = list(hosts)
            for h in hosts[1:]:
                parent[find(h)] = find(hosts[0])
        roots = [find(c) for c in ssip]
        sizes += [roots.count(r) for r in roots]
        if roots:
            per_frame.append(np.mean([roots.count(r) > 1 for r in roots]))
    sizes = np.array(sizes)
    # the Estimate is the pooled share of all SSIPs (3 frames: too few for a block error)
    est = res.estimates["ssip_fraction_in_networks"]
    assert est.value == pytest.approx(np.mean(sizes > 1)) and "too few frames" in est.verdict
    net = res.ssip_networks
    assert net["n_ssip"] == sizes.size
    assert net["fraction_in_networks"] == pytest.approx(np.mean(sizes > 1))
    assert net["sizes"] == pytest.approx(
        {int(k): v / sizes.size for k, v in zip(*np.unique(sizes, return_counts=True),
                                                strict=True)})
    assert sum(res.cn_distribution_by_class["SSIP"].values()) == pytest.approx(1.0)


# --- derivations on a stored table, no trajectory -------------------------------------------

def _hand_table():
    """Two frames of three Li, EC (Oc 3/6/9, Oe 5/8/11) and PF6 (F 13, 15) by hand."""
    from mda_electrolyte.shell_table import OC, OE, ShellLayout, ShellTable

    n_atoms = 16
    species = np.full(n_atoms, -1, dtype=np.int8)
    species[3:12], species[12:16] = 0, 1
    molecule = np.array([0, 1, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 7, 7], dtype=np.int32)
    oxygen = np.zeros(n_atoms, dtype=np.int8)
    oxygen[[3, 6, 9]], oxygen[[5, 8, 11]] = OC, OE
    layout = ShellLayout(species=("EC", "PF6"), anions=("PF6",), solvents=("EC",),
                         cation_ix=np.arange(3), cation_symbol="Li", atom_species=species,
                         atom_molecule=molecule, atom_oxygen=oxygen, n_anion_molecules=2,
                         n_oxygens=(3, 3))
    x, y = np.eye(3)[0], np.eye(3)[1]
    # (cation, atom, distance, m_to_o, o_to_c): the C at 2.9 Å and the Oc at 3.0 Å of cation 0
    # in frame 0 lie beyond the 2.5 Å cutoff
    frame0 = [(0, 3, 2.0, 2 * x, 1.2 * x), (0, 4, 2.9), (0, 9, 3.0, 3 * y, 1.2 * x),
              (0, 13, 2.1), (1, 13, 2.2), (1, 8, 2.3), (2, 9, 2.0, 2 * x, 1.2 * y),
              (2, 11, 2.4), (2, 6, 2.2, 2.2 * y, 1.2 * x)]
    frame1 = [(0, 3, 2.1, 2.1 * x, 1.2 * y), (0, 6, 2.2, -2.2 * x, 1.2 * y), (1, 13, 2.0),
              (1, 15, 2.1)]
    edges = np.linspace(0.0, 6.0, 13)
    chunks = []
    for frame, rows in enumerate((frame0, frame1)):
        oc = [r for r in rows if len(r) == 5]
        # cation–oxygen rows of the per-type RDFs: the member oxygens, bin of their distance
        oxy = [r for r in rows if oxygen[r[1]]]
        chunks.append((
            frame * 10, 1000.0, np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
            np.array([r[2] for r in rows]), np.array([r[3] for r in oc]),
            np.array([r[4] for r in oc]), np.array([r[0] for r in oxy]),
            np.array([oxygen[r[1]] - 1 for r in oxy]),
            np.searchsorted(edges, [r[2] for r in oxy], side="right") - 1))
    return ShellTable.from_frames(layout, 6.0, edges, chunks)


def test_shell_results_on_a_hand_built_table(tmp_path):
    from mda_electrolyte.shell_table import ShellTable
    from mda_electrolyte.solvation import shell_results

    table = _hand_table()
    assert table.cation.dtype == np.int32 and table.distance.dtype == np.float32
    res = shell_results(table, {"EC": 2.5, "PF6": 2.5})
    assert res["shell_labels"].tolist() == [["Li(ECc)(PF6)", "Li(ECe)(PF6)", "Li(ECc)2"],
                                            ["Li(ECc)2", "Li(PF6)2", "Li"]]
    assert res["classes"].tolist() == [["CIP", "CIP", "SSIP"], ["SSIP", "AGG", "SSIP"]]
    assert res["fractions"] == pytest.approx({"SSIP": 0.5, "CIP": 1 / 3, "AGG": 1 / 6})
    assert res["coordination_numbers"] == pytest.approx({"EC": 1.0, "PF6": 4 / 6})
    assert res["pairing"] == pytest.approx({"EC": 4 / 6, "PF6": 0.5})
    # frame 0: one free Li and PF6 molecule 7 free; frame 1: two free Li, both PF6 bound
    assert res["free_ion_fraction"] == pytest.approx(0.4)
    # frame 0: Li 0 and 1 share PF6 6, Li 1 and 2 share EC 4: one network of three
    assert res["network_sizes"] == {1: 0.5, 3: 0.5}
    assert res["ssip_networks"]["n_ssip"] == 3
    assert res["ssip_networks"]["fraction_in_networks"] == 0.0
    assert res["cn_distribution"]["total"] == pytest.approx({0: 1 / 6, 2: 5 / 6})
    # the Oc beyond the cutoff is dropped with its vectors: 90° and 180° Oc–M–Oc
    assert res["angles"]["Oc-M-Oc"]["n"] == 2
    assert res["angles"]["Oc-M-Oc"]["mean"] == pytest.approx(135.0)
    assert res["angles"]["M-Oc-Cc"]["n"] == 5
    assert res["angles"]["M-Oc-Cc"]["mean"] == pytest.approx((180 + 4 * 90) / 5)
    two_ec = res["by_type"]["Li(ECc)2"]
    assert two_ec["n_shells"] == 2 and two_ec["angles"]["Oc-M-Oc"]["n"] == 2
    # four Oc within 6 Å of those two shells (Oe: one, EC 5's at 2.4 Å)
    assert two_ec["cn"]["M-Oc"][-1] == pytest.approx(4 / 2)
    assert two_ec["cn"]["M-Oe"][-1] == pytest.approx(1 / 2)
    bridging = shell_results(table, {"EC": 2.5, "PF6": 2.5}, convention="bridging")
    assert bridging["classes"].tolist() == [["AGG", "AGG", "SSIP"], ["SSIP", "AGG", "SSIP"]]
    # a larger EC cutoff takes in the Oc at 3.0 Å: cation 0 of frame 0 gets a second EC
    wider = shell_results(table, {"EC": 3.0, "PF6": 2.5})
    assert wider["shell_labels"][0, 0] == "Li(ECc)2(PF6)"
    with pytest.raises(ValueError, match="collection radius"):
        shell_results(table, {"EC": 7.0, "PF6": 2.5})
    # stored and read back: the same results
    table.save(tmp_path / "shells.npz")
    again = shell_results(ShellTable.load(tmp_path / "shells.npz"), {"EC": 2.5, "PF6": 2.5})
    _assert_identical({k: v for k, v in res.items() if k not in ("shells", "estimates")},
                      {k: v for k, v in again.items() if k not in ("shells", "estimates")})
    pd.testing.assert_frame_equal(res["shells"], again["shells"])
    # two frames of three ions: values, but no valid error bar
    est = res["estimates"]["fractions"]["SSIP"]
    assert est.value == 0.5 and not est.converged
    assert "too few frames" in est.verdict and "too few ions" in est.verdict


def test_stored_table_rederives_other_cutoffs_bn_fec(tmp_path):
    from mda_electrolyte.shell_table import ShellTable
    from mda_electrolyte.solvation import shell_results

    u = bn_fec()
    li = u.atoms.select_atoms("type 22")
    args = (li, {"pf6": u.atoms.select_atoms("byres type 20")},
            {"bn": u.atoms.select_atoms("byres type 5"),
             "fec": u.atoms.select_atoms("byres type 19")})
    wide = SolvationShells(*args, cutoffs={"pf6": 3.2, "bn": 3.0, "fec": 3.0}).run(stop=3)
    wide.results.table.save(tmp_path / "t.npz")
    narrow = {"pf6": 2.8, "bn": 2.61468, "fec": 2.43158}
    direct = SolvationShells(*args, cutoffs=narrow).run(stop=3).results
    derived = shell_results(ShellTable.load(tmp_path / "t.npz"), narrow)
    for key in ("fractions", "labels", "coordination_numbers", "pairing", "network_sizes",
                "cn_distribution", "ssip_networks", "free_ion_fraction"):
        _assert_identical(direct[key], derived[key], key)
    pd.testing.assert_frame_equal(direct.shells, derived["shells"])


def test_headline_estimates_bn_fec():
    u = bn_fec()
    li = u.atoms.select_atoms("type 22")
    res = SolvationShells(li, {"pf6": u.atoms.select_atoms("byres type 20")},
                          {"bn": u.atoms.select_atoms("byres type 5")},
                          cutoffs={"pf6": 2.8, "bn": 2.61468}).run().results
    est = res.estimates
    for name, value in res.fractions.items():
        assert est["fractions"][name].value == pytest.approx(value)
    cn = est["coordination_numbers"]["bn"]
    assert cn.value == pytest.approx(res.coordination_numbers["bn"]) and cn.unit == "1"
    # 49 Li over 10 frames: an error (the larger of the five-block and the statistical-
    # inefficiency error), but 10 frames cannot show that they are independent
    series = res.timeseries["coordination_numbers"]["bn"]
    blocks = series.reshape(5, 2).mean(axis=1)
    from mda_electrolyte.uncertainty import MIN_INDEPENDENT_SAMPLES, mean_error, timeseries_mean
    assert 0 < cn.stderr < 0.5
    assert cn.stderr == pytest.approx(max(mean_error(blocks)[1], timeseries_mean(series)[1]))
    assert not cn.converged and cn.verdict.startswith("too short")
    assert cn.n_samples < MIN_INDEPENDENT_SAMPLES


def test_frame_average_error_is_calibrated_over_replicas():
    from mda_electrolyte.frame_estimates import frame_average

    rng = np.random.default_rng(3)
    z = []
    for _ in range(1500):
        # AR(1) per-frame values (correlation time ~2 frames) around a known mean of 2
        noise = rng.standard_normal(60)
        series = np.empty(60)
        series[0] = noise[0] / np.sqrt(1 - 0.5**2)
        for k in range(1, 60):
            series[k] = 0.5 * series[k - 1] + noise[k]
        est = frame_average(2.0 + series, n_ions=50)
        z.append((est.value - 2.0) / est.stderr)
    assert 0.85 < np.std(z) < 1.2


def test_one_pass_through_the_analysis_hooks_into_a_compact_table():
    from mda_electrolyte.analysis_base import FrameAnalysis

    # AnalysisBase.run drives the pass (FrameAnalysis only checks the frame selection and
    # restores the current frame): nothing else is run before it
    assert SolvationShells.run is FrameAnalysis.run
    u = bn_fec()
    li = u.atoms.select_atoms("type 22")
    shells = SolvationShells(li, {"pf6": u.atoms.select_atoms("byres type 20")},
                             {"bn": u.atoms.select_atoms("byres type 5")},
                             cutoffs={"pf6": 2.8}).run(stop=4)
    table = shells.results.table
    assert table.n_frames == 4 and table.radius == 6.0
    assert table.atom.dtype == np.int32 and table.oxygen_bin.dtype == np.int32
    # compact: about 12 bytes per candidate pair within 6 Å, nothing per (frame, cation, atom)
    rows = table.atom.size + table.oxygen_cation.size
    assert table.nbytes < 14 * rows + 64 * table.n_frames + 24 * table.m_to_o.shape[0]
    assert table.nbytes / (4 * li.n_atoms) < 2000
    # with every cutoff given the table keeps only pairs within the largest one
    given = SolvationShells(li, {"pf6": u.atoms.select_atoms("byres type 20")},
                            {"bn": u.atoms.select_atoms("byres type 5")},
                            cutoffs={"pf6": 2.8, "bn": 2.6}).run(stop=4).results.table
    assert given.radius == 2.8 and given.distance.max() <= 2.8


@pytest.mark.parametrize("box,damage,match", [
    # 4.4 Å box: half of it (2.2 Å) is below the 2.3 Å cutoffs (and the RDF range), shells
    # would miss images
    (4.4, None, "half the smallest box width"),
    (40.0, "nan", "frame 0: non-finite positions of shell atoms"),
    (40.0, "inf", "frame 0: non-finite positions of shell atoms"),
])
def test_box_below_twice_the_cutoff_and_non_finite_positions_are_refused(box, damage, match):
    u = build([((1, 1, 1), [("EC", None, "Oc")])], box=box)
    if damage:
        positions = u.atoms.positions
        positions[0] = float(damage)
        u.atoms.positions = positions
    cats, anions, solvents = groups(u)
    with pytest.raises(ValueError, match=match):
        SolvationShells(cats, {}, solvents, cutoffs={"EC": 2.3}).run()
