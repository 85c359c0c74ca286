"""Rigid-molecule volume scans: analytic E_inter(s), rigidity of the scanned frames, reporting."""

import json

import matplotlib

matplotlib.use("Agg")

import MDAnalysis as mda  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from ase import Atoms  # noqa: E402
from ase.build import molecule  # noqa: E402
from ase.calculators.singlepoint import SinglePointCalculator  # noqa: E402
from ase.io import read  # noqa: E402
from MDAnalysis.coordinates.memory import MemoryReader  # noqa: E402
from molecular_pair_model import MolecularPairModel  # noqa: E402

from mda_electrolyte import RigidVolumeScan  # noqa: E402
from mda_electrolyte.diagnose import diagnose  # noqa: E402
from mda_electrolyte.model_labels import is_calculator  # noqa: E402
from mda_electrolyte.report import registered_analyses, run_analyses  # noqa: E402
from mda_electrolyte.uncertainty import mean_error  # noqa: E402
from mda_electrolyte.volume_scan import rigid_scaled_atoms  # noqa: E402

K, R0, EPS, SIG, RC = 20.0, 1.0, 0.01, 2.5, 5.0


def _dimers(L=12.0):
    """Two stretched diatomics in a cubic box, the second one cut by the box face."""
    a = Atoms("N2", positions=[[2.0, 2.0, 2.0], [2.0, 2.0, 3.1]])
    b = Atoms("CO", positions=[[5.2, 2.4, 2.3], [6.0, 3.0, 2.5]])
    b.positions += [6.3, 0.0, 0.0]  # crosses x = L
    atoms = a + b
    atoms.cell, atoms.pbc = [L, L, L], True
    atoms.arrays["molecule_index"] = np.array([0, 0, 1, 1])
    atoms.wrap()
    return atoms


def _lj(r):
    sr6 = (SIG / r) ** 6
    return np.where(r < RC, 4 * EPS * (sr6**2 - sr6), 0.0)


def _analytic_inter(atoms, s):
    """Σ over intermolecular pairs and all images of LJ, for rigid molecules at scale s."""
    L = atoms.cell.lengths()[0]
    whole = np.array([[2.0, 2.0, 2.0], [2.0, 2.0, 3.1], [11.5, 2.4, 2.3], [12.3, 3.0, 2.5]])
    m = atoms.get_masses()
    com = [
        np.average(whole[:2], axis=0, weights=m[:2]),
        np.average(whole[2:], axis=0, weights=m[2:]),
    ]
    ids = [0, 0, 1, 1]
    pos = np.array([s * com[ids[i]] + whole[i] - com[ids[i]] for i in range(4)])
    energy = 0.0
    shifts = (
        np.array([[i, j, k] for i in range(-1, 2) for j in range(-1, 2) for k in range(-1, 2)])
        * L
        * s
    )
    for i in range(4):
        for j in range(4):
            for t in shifts:
                if ids[i] == ids[j] and not t.any():
                    continue
                r = np.linalg.norm(pos[j] + t - pos[i])
                energy += 0.5 * _lj(r)
    return energy


def _model(**kw):
    params = dict(k=K, r0=R0, epsilon=EPS, sigma=SIG, rc=RC)
    params.update(kw)
    return MolecularPairModel(**params)


def test_inter_energy_follows_the_analytic_curve_and_vanishes_far_apart():
    atoms = _dimers()
    scales = [0.9, 1.0, 1.1, 1.3, 1.6, 4.0]
    scan = RigidVolumeScan([atoms], _model(), scales=scales).run()
    n = len(atoms)
    inter = scan.results.inter[0] * n / 1000.0
    expect = np.array([_analytic_inter(atoms, s) for s in scales])
    assert np.abs(expect[:4]).min() > 1e-4  # the curve is non-trivial where molecules are close
    np.testing.assert_allclose(inter, expect, rtol=1e-10, atol=1e-14)
    assert abs(scan.results.inter[0, -1]) < 1e-9 and expect[-1] == 0.0  # beyond the cutoff
    # E_intra is the harmonic energy of the two molecules, the same at every s
    intra = 0.5 * K * ((1.1 - R0) ** 2 + (np.linalg.norm([0.8, 0.6, 0.2]) - R0) ** 2)
    np.testing.assert_allclose(scan.results.intra[0] * n / 1000.0, intra, rtol=1e-12)
    np.testing.assert_allclose(scan.results.total - scan.results.intra, scan.results.inter, atol=0)
    np.testing.assert_allclose(scan.results.volumes[0], 12.0**3 * np.array(scales) ** 3, rtol=1e-12)
    assert scan.results.scales.tolist() == scales


def _box(seed=0):
    rng = np.random.default_rng(seed)
    cell = np.array([[9.5, 0.0, 0.0], [1.2, 9.0, 0.0], [-0.6, 0.7, 9.2]])
    fractions = [[0.02, 0.3, 0.3], [0.5, 0.97, 0.6], [0.4, 0.45, 0.02], [0.75, 0.3, 0.65]]
    atoms, ids = None, []
    for j, name in enumerate(["H2O", "CH3OH", "CO2", "H2O"]):
        m = molecule(name)
        m.rotate(rng.uniform(0, 360), rng.normal(size=3), center="COM")
        m.positions += np.array(fractions[j]) @ cell - m.get_center_of_mass()
        atoms = m if atoms is None else atoms + m
        ids += [j] * len(m)
    atoms.cell, atoms.pbc = cell, True
    atoms.arrays["molecule_index"] = np.array(ids)
    whole = atoms.copy()
    atoms.wrap()
    return atoms, whole


def test_scanned_frames_keep_every_molecule_rigid_and_scale_its_centre():
    atoms, whole = _box()
    ids = atoms.arrays["molecule_index"]
    scales = [0.85, 1.0, 1.25]
    scan = RigidVolumeScan([atoms], _model(), scales=scales, reference=_model(scale=2.0)).run()
    frames = scan.scanned_frames()
    assert [f.info["scale"] for f in frames] == scales
    for s, frame in zip(scales, frames, strict=True):
        np.testing.assert_allclose(frame.cell.array, s * atoms.cell.array, rtol=1e-15)
        for j in range(4):
            m = ids == j
            d0 = np.linalg.norm(whole.positions[m][:, None] - whole.positions[m][None], axis=-1)
            d = np.linalg.norm(frame.positions[m][:, None] - frame.positions[m][None], axis=-1)
            np.testing.assert_allclose(d, d0, rtol=0, atol=1e-12)
            com = frame[m].get_center_of_mass()
            frac = (com - s * whole[m].get_center_of_mass()) @ np.linalg.inv(frame.cell.array)
            np.testing.assert_allclose(frac, np.round(frac), atol=1e-12)
        assert frame.get_potential_energy() == pytest.approx(
            scan.results.total[0, scales.index(s)] * len(atoms) / 1000, rel=1e-12
        )
    # the reference side by side, and its labels on the frames
    np.testing.assert_allclose(scan.results.reference_total, 2.0 * scan.results.total, rtol=1e-12)
    np.testing.assert_allclose(
        scan.results.reference_inter, 2.0 * scan.results.inter, rtol=1e-10, atol=1e-12
    )
    ref_frames = scan.scanned_frames(labels="reference")
    np.testing.assert_allclose(ref_frames[0].get_forces(), 2.0 * frames[0].get_forces(), rtol=1e-12)
    assert atoms.calc is None and np.array_equal(
        atoms.positions, _box()[0].positions
    )  # input untouched
    ax = scan.plot()
    assert len(ax.lines) == 2 + 1


def test_universe_input_triclinic_and_parallel_match_serial():
    frames = [_box(seed=s)[0] for s in range(3)]
    ids = frames[0].arrays["molecule_index"]
    u = mda.Universe.empty(len(frames[0]), n_residues=4, atom_resindex=ids, trajectory=True)
    u.add_TopologyAttr("elements", frames[0].get_chemical_symbols())
    u.add_TopologyAttr("masses", frames[0].get_masses())
    u.add_TopologyAttr("resnames", ["WAT", "MOH", "CO2", "WAT"])
    u.load_new(
        np.array([a.positions for a in frames]),
        format=MemoryReader,
        dimensions=np.array([a.cell.cellpar() for a in frames]),
    )
    model = MolecularPairModel(atomic=True)
    serial = RigidVolumeScan(frames, model, scales=[0.9, 1.1]).run()
    from_u = RigidVolumeScan(u.atoms, model, scales=[0.9, 1.1]).run()
    np.testing.assert_allclose(from_u.results.total, serial.results.total, rtol=1e-5)
    np.testing.assert_allclose(from_u.results.inter, serial.results.inter, rtol=1e-4, atol=1e-6)
    par = RigidVolumeScan(frames, model, scales=[0.9, 1.1]).run(
        backend="multiprocessing", n_workers=2
    )
    np.testing.assert_array_equal(par.results.total, serial.results.total)
    np.testing.assert_array_equal(par.results.frames, [0, 1, 2])
    assert len(par.scanned_frames()) == 6


def test_bad_input_raises_clear_errors():
    atoms, _ = _box()
    free = atoms.copy()
    free.pbc = False
    free.cell = None
    with pytest.raises(ValueError, match="periodic box"):
        RigidVolumeScan([free], _model())
    with pytest.raises(ValueError, match="scales"):
        RigidVolumeScan([atoms], _model(), scales=[1.0, -0.5])
    # each factor on its own: np.asarray took True as 1.0 and "1.1" as 1.1
    for scales, match in (([True, 1.1], r"scales\[0\]"), ([1.0, "1.1"], r"scales\[1\]"),
                          ([1.0, np.nan], r"scales\[1\]"), ([], "non-empty"),
                          ("0.9,1.1", "non-empty sequence"), (1.1, "non-empty sequence"),
                          ([[0.9, 1.1]], "non-empty sequence")):
        with pytest.raises((TypeError, ValueError), match=match):
            RigidVolumeScan([atoms], _model(), scales=scales)
    with pytest.raises(TypeError, match="ASE calculator"):
        RigidVolumeScan([atoms], _model(), reference=42)
    with pytest.raises(RuntimeError, match="isolated molecule"):
        RigidVolumeScan([atoms], _model(fail_on_small=True)).run()
    u = mda.Universe.empty(6, n_residues=2, atom_resindex=[0, 0, 0, 1, 1, 1], trajectory=True)
    u.add_TopologyAttr("elements", ["O", "H", "H"] * 2)
    with pytest.raises(ValueError, match="part of"):
        RigidVolumeScan(u.atoms[:4], _model())
    with pytest.raises(ValueError, match="scale must be a finite number > 0"):
        rigid_scaled_atoms(atoms, atoms.arrays["molecule_index"], 0.0)


def test_report_registration_and_diagnose(tmp_path):
    needs = registered_analyses()
    assert needs["rigid_volume_scan"] == ("calculator", "box")
    assert needs["intra_inter_errors"] == ("calculator", "forces")
    frames = [_box(seed=s)[0] for s in range(2)]
    ids = frames[0].arrays["molecule_index"]
    u = mda.Universe.empty(len(frames[0]), n_residues=4, atom_resindex=ids, trajectory=True)
    u.add_TopologyAttr("elements", frames[0].get_chemical_symbols())
    u.add_TopologyAttr("masses", frames[0].get_masses())
    u.load_new(
        np.array([a.positions for a in frames]),
        format=MemoryReader,
        dimensions=np.array([a.cell.cellpar() for a in frames]),
    )
    model = MolecularPairModel(atomic=True)
    summary = run_analyses(
        u, tmp_path / "a", calculator=model, only=["rigid_volume_scan", "intra_inter_errors"]
    )
    scan = summary["rigid_volume_scan"]
    # the mean over the two scanned frames with its error over frames, per scale; the frames'
    # own energies in the CSV file
    inter = scan["energies"]["inter"]
    assert set(inter) == {f"{s:g}" for s in scan["scales"]}
    table = np.genfromtxt(tmp_path / "a" / scan["per_frame"], delimiter=",", names=True)
    assert table.size == 2 * len(scan["scales"])
    for key, est in inter.items():
        rows = table["inter_meV_per_atom"][np.isclose(table["scale"], float(key))]
        assert est["value"] == pytest.approx(rows.mean(), rel=1e-9, abs=1e-12)
        # an error over two frames is no error bar (1 degree of freedom)
        assert est["n_samples"] == 2 and not est["converged"] and est["unit"] == "meV/atom"
        assert "too few scanned frames: 1 degree of freedom" in est["verdict"]
        assert est["stderr"] == pytest.approx(mean_error(rows)[1], rel=1e-9, abs=1e-12)
    assert "skipped" in summary["intra_inter_errors"]
    assert (tmp_path / "a" / "rigid_volume_scan.png").exists()

    out = diagnose(
        frames, _model(), tmp_path / "d", reference=_model(sigma=2.4), scales=[0.9, 1.0, 1.2]
    )
    assert json.loads((tmp_path / "d" / "diagnose.json").read_text()) == json.loads(
        json.dumps(out, default=float)
    )
    assert set(out["intra_inter_errors"]["rmse"]) == {
        "total",
        "intra",
        "inter",
        "trans",
        "rot",
        "vib",
    }
    assert (tmp_path / "d" / "intra_inter_errors.png").exists()
    written = read(tmp_path / "d" / "volume_scan_frames.extxyz", ":")
    assert len(written) == 2 * 3
    ref = _model(sigma=2.4)
    probe = written[1].copy()
    probe.calc = ref
    assert written[1].get_potential_energy() == pytest.approx(
        probe.get_potential_energy(), rel=1e-6
    )


def test_diagnose_refuses_a_broken_molecule_before_any_model_evaluation(tmp_path):
    # the case: minutes of model evaluations, then a molecule that cannot be made whole
    frames = [_box(seed=s)[0] for s in range(3)]
    broken = frames[2]
    broken.positions[0] += [0.0, 3.5, 0.0]  # the O of the first water leaves its H atoms
    model = _model()
    calls = []
    original = model.calculate

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    model.calculate = counting
    with pytest.raises(ValueError, match="frame 2"):
        diagnose(frames, model, tmp_path / "d", reference=_model(sigma=2.4), scales=[1.0, 1.1])
    assert calls == []
    assert not (tmp_path / "d" / "diagnose.json").exists()


def test_scan_estimates_mark_one_frame_and_give_model_minus_reference():
    # six frames: five of 4 small molecules (45 orientation values) cannot show whether
    # they are correlated (struct50)
    frames = [_box(seed=s)[0] for s in range(6)]
    scales = [0.95, 1.0, 1.5]
    one = RigidVolumeScan(frames[:1], _model(), scales=scales, reference=_model(sigma=2.4),
                          keep_frames=False).run()
    for component, row in one.results.estimates.items():
        for est in row.values():
            # one frame is a number, not a result: no error over frames, never NaN as a value
            assert not est.valid and "too few frames" in est.verdict, component
            assert np.isfinite(est.value)
    three = RigidVolumeScan(frames[:3], _model(), scales=scales, reference=_model(sigma=2.4),
                            keep_frames=False).run()
    for est in three.results.estimates["inter_error"].values():
        # an error over three frames is no error bar yet (2 degrees of freedom)
        assert not est.valid and "too few scanned frames: 2 degrees" in est.verdict
    five = RigidVolumeScan(frames, _model(), scales=scales, reference=_model(sigma=2.4),
                           keep_frames=False).run()
    r = five.results
    diff = r.inter - r.reference_inter
    assert np.any(np.abs(diff) > 1e-6)
    for k, s in enumerate(scales):
        est = r.estimates["inter_error"][f"{s:g}"]
        assert est.valid and est.n_samples == 6
        assert est.value == pytest.approx(diff[:, k].mean(), rel=1e-12, abs=1e-12)
        assert est.stderr == pytest.approx(mean_error(diff[:, k])[1], rel=1e-12, abs=1e-12)
        # intra is the same at every scale, so are its estimates
        assert r.estimates["intra"][f"{s:g}"].value == pytest.approx(
            r.estimates["intra"]["1"].value, rel=1e-12)


def test_nan_positions_and_an_empty_frame_selection_are_named():
    good, _ = _box(seed=0)
    bad = good.copy()
    bad.positions[5] = np.nan
    with pytest.raises(ValueError, match="non-finite positions of 1 atom"):
        RigidVolumeScan([good, bad], _model(), scales=[1.0]).run()
    with pytest.raises(ValueError, match="no frames analysed"):
        RigidVolumeScan([good, good], _model(), scales=[1.0]).run(start=1, stop=1)


def _counting(**kw):
    model = _model(**kw)
    calls = []
    original = model.calculate

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    model.calculate = counting
    return model, calls


@pytest.mark.parametrize("scales, repeated", [([1.0, 1.1, 1.0], "1"),
                                              ([0.9, 1.0, 1.0000001], "1"),
                                              ([1.2, 0.9, 1.2, 0.9], "0.9, 1.2")])
def test_repeated_scale_factors_are_refused(scales, repeated):
    atoms, _ = _box()
    with pytest.raises(ValueError, match=f"repeat the factor\\(s\\) {repeated} "):
        RigidVolumeScan([atoms], _model(), scales=scales)


def test_unsorted_scale_factors_are_scanned_in_increasing_order():
    frames = [_box(seed=s)[0] for s in range(2)]
    given = RigidVolumeScan(frames, _model(), scales=[1.3, 0.9, 1.0]).run().results
    ordered = RigidVolumeScan(frames, _model(), scales=[0.9, 1.0, 1.3]).run().results
    assert given.scales.tolist() == [0.9, 1.0, 1.3]
    assert list(given.estimates["inter"]) == ["0.9", "1", "1.3"]
    np.testing.assert_array_equal(given.inter, ordered.inter)
    np.testing.assert_array_equal(given.volumes, ordered.volumes)
    assert np.all(np.diff(given.volumes, axis=1) > 0)


@pytest.mark.parametrize("scale, message", [(0.3, "atoms closer than 0.5 Å"),
                                            (0.05, "0.449 Å thin")])
def test_a_compression_that_pushes_molecules_into_each_other_is_refused_first(scale, message):
    frames = [_box(seed=s)[0] for s in range(3)]
    model, calls = _counting()
    with pytest.raises(ValueError, match=f"frame 0 scaled by s = {scale:g} .*{message}"):
        RigidVolumeScan(frames, model, scales=[scale, 1.0]).run()
    scan = RigidVolumeScan(frames, model, scales=[1.0, scale])
    # the last frame too, before the first one is evaluated
    with pytest.raises(ValueError, match=f"frame 2 scaled by s = {scale:g}"):
        scan.run(frames=[2, 0])
    with pytest.raises(ValueError, match=f"frame 1 scaled by s = {scale:g}"):
        scan.check_frames(start=1)
    assert calls == []
    # the default compression of a liquid-like frame passes
    RigidVolumeScan(frames, _model(), scales=[0.85, 1.0]).check_frames()


def _diagnose_case(case, frames):
    ref = _model(sigma=2.4)

    def labelled(atoms, calc=ref):
        probe = atoms.copy()
        probe.calc = calc
        out = atoms.copy()
        out.calc = SinglePointCalculator(out, energy=probe.get_potential_energy(),
                                         forces=probe.get_forces())
        return out

    labels = [labelled(a) for a in frames]
    if case == "labels of other frames":
        return {"reference": [labelled(_box(seed=s + 10)[0]) for s in range(3)]}, "other pos"
    if case == "fewer labels":
        return {"reference": labels[:2]}, "hold 2 frames, the trajectory 3"
    if case == "NaN label":
        labels[2].calc.results["forces"][0, 0] = np.nan
        return {"reference": labels}, "reference frame 2: .* not finite"
    if case in ("frame 0 unlabelled", "frame 1 unlabelled"):
        k = int(case[6])
        labels[k].calc = None
        return {"frames": labels}, f"1 of 3 frames have no energy \\(frame {k}\\)"
    if case == "bad scale":
        return {"reference": ref, "scales": [1.0, 1.0]}, "repeat the factor"
    if case == "overlapping scale":
        return {"reference": ref, "scales": [0.3, 1.0]}, "frame 0 scaled by s = 0.3"
    if case == "bad vacuum":
        return {"reference": ref, "vacuum": 0.0}, "vacuum"
    name, value = case.split("=")
    value = {"0": 0, "-1": -1, "2.5": 2.5, "True": True}[value]
    return {"reference": ref, name: value}, f"{name} must be a whole number >= 1"


@pytest.mark.parametrize("case", [
    "labels of other frames", "fewer labels", "NaN label", "frame 0 unlabelled",
    "frame 1 unlabelled", "bad scale", "overlapping scale", "bad vacuum",
    "max_scan_frames=0", "max_error_frames=-1", "max_scan_frames=2.5", "max_error_frames=True",
])
def test_diagnose_refuses_bad_labels_and_settings_before_any_evaluation(tmp_path, case):
    frames = [_box(seed=s)[0] for s in range(3)]
    kwargs, message = _diagnose_case(case, frames)
    data = kwargs.pop("frames", frames)
    earlier = tmp_path / "d"
    earlier.mkdir()
    (earlier / "diagnose.json").write_text('{"earlier": 1}')
    kwargs.setdefault("scales", [1.0, 1.1])
    model, calls = _counting()
    with pytest.raises(ValueError, match=message):
        diagnose(data, model, earlier, **kwargs)
    assert calls == []
    # a call refused before work keeps the earlier run's results
    assert json.loads((earlier / "diagnose.json").read_text()) == {"earlier": 1}
    assert not (tmp_path / "new").exists()
    # nor is an empty output folder left behind
    with pytest.raises(ValueError, match=message):
        diagnose(data, model, tmp_path / "new", **kwargs)
    assert not (tmp_path / "new").exists() and calls == []
    # a model (and a reference) given as loaders is not even loaded
    if is_calculator(kwargs.get("reference")):
        kwargs["reference"] = lambda: pytest.fail("the reference was loaded before the check")
    with pytest.raises(ValueError, match=message):
        diagnose(data, lambda: pytest.fail("the model was loaded before the check"),
                 tmp_path / "new", **kwargs)
    assert not (tmp_path / "new").exists()


def test_diagnose_loads_models_given_as_loaders_once_and_gives_the_same_result(tmp_path):
    frames = [_box(seed=s)[0] for s in range(3)]
    loads = []

    def loader(**kw):
        def load():
            loads.append(kw)
            return _model(**kw)
        return load

    direct = diagnose(frames, _model(), tmp_path / "a", reference=_model(sigma=2.4),
                      scales=[1.0, 1.1, 1.5])
    loaded = diagnose(frames, loader(), tmp_path / "b", reference=loader(sigma=2.4),
                      scales=[1.0, 1.1, 1.5])
    assert loads == [{}, {"sigma": 2.4}]
    assert json.dumps(loaded, sort_keys=True) == json.dumps(direct, sort_keys=True)
    with pytest.raises(TypeError, match="loader returned str"):
        diagnose(frames, lambda: "sevennet-0", tmp_path / "c", reference=_model(sigma=2.4))


@pytest.mark.parametrize("scale", [100.5, 1e300])
def test_a_scale_factor_beyond_any_cutoff_is_refused(scale):
    with pytest.raises(ValueError, match=r"scales\[1\] .*<= 100"):
        RigidVolumeScan([_box()[0]], _model(), scales=[1.0, scale])
