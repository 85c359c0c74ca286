"""Intra/inter and trans/rot/vib decomposition of model errors: identities and analytic cases."""

import matplotlib

matplotlib.use("Agg")

import warnings  # noqa: E402

import MDAnalysis as mda  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from ase.build import molecule  # noqa: E402
from ase.calculators.calculator import Calculator, all_changes  # noqa: E402
from ase.calculators.singlepoint import SinglePointCalculator  # noqa: E402
from ase.io import write  # noqa: E402
from MDAnalysis.coordinates.memory import MemoryReader  # noqa: E402
from molecular_pair_model import MolecularPairModel  # noqa: E402

from mda_electrolyte import IntraInterErrors  # noqa: E402
from mda_electrolyte.intra_inter_errors import (  # noqa: E402
    IsolatedMoleculeEvaluator,
    dof_decomposition,
)
from mda_electrolyte.molecules import isolated_molecules, make_whole  # noqa: E402

CELL = np.array([[9.0, 0.0, 0.0], [1.0, 8.5, 0.0], [0.5, -0.8, 8.8]])


def _frame(seed=0, cell=CELL):
    """Four molecules (2 water, methanol, CO2), jittered, some cut by the cell faces."""
    rng = np.random.default_rng(seed)
    fractions = [[0.02, 0.3, 0.3], [0.5, 0.97, 0.6], [0.4, 0.45, 0.02], [0.75, 0.3, 0.65]]
    atoms, ids = None, []
    for j, name in enumerate(["H2O", "CH3OH", "CO2", "H2O"]):
        m = molecule(name)
        m.rotate(rng.uniform(0, 360), rng.normal(size=3), center="COM")
        m.positions += np.array(fractions[j]) @ cell - m.get_center_of_mass()
        m.positions += rng.normal(scale=0.03, size=m.positions.shape)
        atoms = m if atoms is None else atoms + m
        ids += [j] * len(m)
    atoms.cell, atoms.pbc = cell, True
    atoms.arrays["molecule_index"] = np.array(ids)
    atoms.wrap()
    return atoms


def _whole(atoms):
    return make_whole(atoms.positions, atoms.arrays["molecule_index"], atoms.cell.array)


def test_dof_parts_sum_to_the_force_and_carry_net_force_and_torque():
    atoms = _frame()
    ids = atoms.arrays["molecule_index"]
    masses = atoms.get_masses()
    whole = _whole(atoms)
    forces = np.random.default_rng(1).normal(size=(len(atoms), 3))
    trans, rot, vib = dof_decomposition(forces, whole, masses, ids)
    np.testing.assert_allclose(trans + rot + vib, forces, rtol=0, atol=1e-14)
    com = np.array(
        [np.average(whole[ids == j], axis=0, weights=masses[ids == j]) for j in range(4)]
    )
    rel = whole - com[ids]
    for j in range(4):
        m = ids == j
        np.testing.assert_allclose(trans[m].sum(0), forces[m].sum(0), atol=1e-12)
        np.testing.assert_allclose((rot[m] + vib[m]).sum(0), 0.0, atol=1e-12)
        torque = np.cross(rel[m], forces[m]).sum(0)
        np.testing.assert_allclose(np.cross(rel[m], rot[m]).sum(0), torque, atol=1e-10)
        np.testing.assert_allclose(np.cross(rel[m], vib[m] + trans[m]).sum(0), 0.0, atol=1e-10)


def test_rigid_body_forces_are_purely_translational_and_rotational():
    atoms = _frame(seed=2)
    ids = atoms.arrays["molecule_index"]
    masses = atoms.get_masses()
    whole = _whole(atoms)
    rng = np.random.default_rng(3)
    acc, alpha = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    com = np.array(
        [np.average(whole[ids == j], axis=0, weights=masses[ids == j]) for j in range(4)]
    )
    rel = whole - com[ids]
    f_trans = masses[:, None] * acc[ids]
    f_rot = masses[:, None] * np.cross(alpha[ids], rel)
    # CO2 is linear: no angular acceleration about its axis can be produced
    axis = rel[ids == 2][0] / np.linalg.norm(rel[ids == 2][0])
    f_rot[ids == 2] = masses[ids == 2, None] * np.cross(
        alpha[2] - axis * (alpha[2] @ axis), rel[ids == 2]
    )
    trans, rot, vib = dof_decomposition(f_trans + f_rot, whole, masses, ids)
    np.testing.assert_allclose(trans, f_trans, atol=1e-10)
    np.testing.assert_allclose(rot, f_rot, atol=1e-9)
    np.testing.assert_allclose(vib, 0.0, atol=1e-9)


def test_single_ions_and_linear_molecules_have_no_rotation_by_construction():
    # a Li+ far from the origin (rounding of its centre of mass is ~1e-15 Å), a linear CO2 along
    # a skew axis and an N2 dimer; the Li force is a real SevenNet-0 force of the issue report
    rng = np.random.default_rng(7)
    axis = np.array([0.3, -0.5, 0.81])
    axis /= np.linalg.norm(axis)
    positions = np.array([[1234.567, -89.0123, 45.6789],
                          *(np.array([7.1, 3.3, 2.9]) + t * 1.16 * axis for t in (-1, 0, 1)),
                          *(np.array([-4.0, 2.0, 1.0]) + t * 0.55 * axis for t in (-1, 1))])
    masses = np.array([6.94, 15.999, 12.011, 15.999, 14.007, 14.007])
    ids = np.array([0, 1, 1, 1, 2, 2])
    forces = rng.normal(size=(6, 3))
    forces[0] = [-0.665, 0.667, -0.821]
    trans, rot, vib = dof_decomposition(forces, positions, masses, ids)
    assert np.array_equal(trans[0], forces[0])
    assert np.array_equal(rot[0], np.zeros(3)) and np.array_equal(vib[0], np.zeros(3))
    for j in (1, 2):
        m = ids == j
        com = np.average(positions[m], axis=0, weights=masses[m])
        rel = positions[m] - com
        torque = np.cross(rel, forces[m]).sum(0)
        # brute force: angular acceleration perpendicular to the axis, T / I_perp
        i_perp = (masses[m] * np.einsum("ij,ij->i", rel, rel)).sum()
        alpha = torque / i_perp
        assert abs(torque @ axis) < 1e-12 and abs(alpha @ axis) < 1e-12
        np.testing.assert_allclose(rot[m], masses[m, None] * np.cross(alpha, rel), atol=1e-12)
        # the rotational part of a linear molecule moves nothing along the axis
        np.testing.assert_allclose(rot[m] @ axis, 0.0, atol=1e-12)
        np.testing.assert_allclose(trans[m] + rot[m] + vib[m], forces[m], atol=1e-14)


def test_intra_plus_inter_is_total_and_matches_the_analytic_split():
    frames = [_frame(seed=s) for s in range(2)]
    model = MolecularPairModel()
    bonds_only = MolecularPairModel(epsilon=0.0)
    lj_only = MolecularPairModel(k=0.0)
    err = IntraInterErrors(frames, model, reference=MolecularPairModel(sigma=2.4),
                           keep_arrays=True).run()
    r = err.results
    for _q, comps in (("energy", r.energies), ("forces", r.forces), ("stress", r.stress)):
        for side in ("model", "reference"):
            np.testing.assert_allclose(
                comps[side]["intra"] + comps[side]["inter"],
                comps[side]["total"],
                rtol=0,
                atol=1e-13,
            )
    f = r.forces["model"]
    np.testing.assert_allclose(f["trans"] + f["rot"] + f["vib"], f["total"], rtol=0, atol=1e-13)
    for k, atoms in enumerate(frames):
        # the model's intramolecular part is its harmonic term, the rest its Lennard-Jones term
        a = atoms.copy()
        a.calc = bonds_only
        np.testing.assert_allclose(
            r.energies["model"]["intra"][k], a.get_potential_energy(), atol=1e-12
        )
        np.testing.assert_allclose(r.forces["model"]["intra"][k], a.get_forces(), atol=1e-12)
        np.testing.assert_allclose(r.stress["model"]["intra"][k], a.get_stress(), atol=1e-14)
        a.calc = lj_only
        np.testing.assert_allclose(
            r.energies["model"]["inter"][k], a.get_potential_energy(), atol=1e-12
        )
        np.testing.assert_allclose(r.forces["model"]["inter"][k], a.get_forces(), atol=1e-12)
        np.testing.assert_allclose(r.stress["model"]["inter"][k], a.get_stress(), atol=1e-14)


def test_intra_energy_is_invariant_to_moving_and_rotating_molecules():
    atoms = _frame(seed=4)
    ids = atoms.arrays["molecule_index"]
    moved = atoms.copy()
    whole = _whole(atoms)
    mol = ids == 1
    rot = moved[mol]
    rot.positions = whole[mol]
    centre = rot.get_center_of_mass()
    rot.rotate(73.0, [0.3, 1.0, -0.4], center=centre)
    rotation = np.array([rot.positions[k] - centre for k in range(len(rot))])
    moved.positions[mol] = rot.positions + [0.7, -1.1, 0.4]
    moved.positions[ids == 3] += [2.0, 0.5, -0.3]
    err = IntraInterErrors(
        [atoms, moved], MolecularPairModel(), reference=MolecularPairModel(k=30.0),
        keep_arrays=True,
    ).run()
    e = err.results.energies["model"]["intra"]
    assert abs(e[0] - e[1]) < 1e-11
    assert (
        abs(err.results.energies["model"]["inter"][0] - err.results.energies["model"]["inter"][1])
        > 1e-4
    )
    # intra forces of the rotated molecule are the rotated forces
    f0, f1 = err.results.forces["model"]["intra"][:, mol]
    R = np.linalg.lstsq(whole[mol] - centre, rotation, rcond=None)[0]
    np.testing.assert_allclose(f0 @ R, f1, atol=1e-9)
    np.testing.assert_allclose(
        err.results.molecule_energies["model"][0],
        err.results.molecule_energies["model"][1],
        atol=1e-11,
    )


def test_model_against_itself_has_zero_error_and_a_softened_copy_has_known_errors():
    frames = [_frame(seed=s) for s in range(3)]
    same = IntraInterErrors(frames, MolecularPairModel(), reference=MolecularPairModel(),
                            keep_arrays=True).run()
    for comp, quantities in same.results.rmse.items():
        for q, value in quantities.items():
            assert value.value == 0.0 and value.valid, (comp, q)
    assert set(same.results.rmse) == {"total", "intra", "inter", "trans", "rot", "vib"}
    assert set(same.results.rmse["vib"]) == {"forces"}
    assert set(same.results.rmse["inter"]) == {"energy", "forces", "stress"}
    assert all(abs(v.value - 1.0) < 1e-12 and v.valid for v in same.results.softening.values())

    soft = IntraInterErrors(
        frames, MolecularPairModel(scale=0.8), reference=MolecularPairModel()
    ).run()
    ref = same.results.forces["reference"]
    for comp in ("total", "intra", "inter", "trans", "rot", "vib"):
        f = ref[comp]
        expect = np.sqrt(np.mean((0.2 * f) ** 2))
        assert soft.results.rmse[comp]["forces"].value == pytest.approx(expect, rel=1e-12)
        rr = np.sqrt(np.sum((0.2 * f) ** 2) / np.sum((f - f.mean()) ** 2))
        assert soft.results.rrmse[comp]["forces"].value == pytest.approx(rr, rel=1e-12)
    e = same.results.energies["reference"]["inter"]
    n = len(frames[0])
    assert soft.results.rmse["inter"]["energy"].value == pytest.approx(
        1000 * np.sqrt(np.mean((0.2 * e / n) ** 2)), rel=1e-12
    )
    assert {k: v.value for k, v in soft.results.softening.items()} == pytest.approx(
        {"O": 0.8, "H": 0.8, "C": 0.8}, rel=1e-12)
    # per element: hydrogen's force RMSE from its atoms only
    h = frames[0].numbers == 1
    expect_h = np.sqrt(np.mean((0.2 * ref["total"][:, h]) ** 2))
    assert soft.results.rmse_per_element["H"]["total"]["forces"].value == pytest.approx(
        expect_h, rel=1e-12
    )
    assert set(soft.results.rmse_per_species) == {"H2O", "CH4O", "CO2"}
    w = soft.results.rmse_per_species["H2O"]["intra"]["energy"].value
    me = same.results.molecule_energies["reference"][:, [0, 3]] / 3 * 1000
    assert w == pytest.approx(np.sqrt(np.mean((0.2 * me) ** 2)), rel=1e-12)


def test_stored_labels_extxyz_and_isolated_labels_match_a_reference_calculator(tmp_path):
    frames = [_frame(seed=s) for s in range(2)]
    reference = MolecularPairModel(sigma=2.3, k=25.0)
    direct = IntraInterErrors(frames, MolecularPairModel(), reference=reference).run()
    labelled = []
    for atoms in frames:
        a = atoms.copy()
        a.calc = reference
        a.calc = SinglePointCalculator(
            a, energy=a.get_potential_energy(), forces=a.get_forces(), stress=a.get_stress()
        )
        labelled.append(a)
    path = tmp_path / "labels.extxyz"
    write(path, labelled)
    with pytest.warns(UserWarning, match="trans/rot/vib only"):
        partial = IntraInterErrors(frames, MolecularPairModel(), reference=str(path)).run()
    assert set(partial.results.rmse) == {"total", "trans", "rot", "vib"}
    assert partial.results.rmse["vib"]["forces"].value == pytest.approx(
        direct.results.rmse["vib"]["forces"].value, rel=1e-6
    )
    molecules = partial.unique_isolated_molecules()
    assert len(molecules) == 8
    for mol in molecules:
        mol.calc = reference
        mol.calc = SinglePointCalculator(
            mol, energy=mol.get_potential_energy(), forces=mol.get_forces()
        )
    iso = tmp_path / "isolated.extxyz"
    write(iso, molecules)
    full = IntraInterErrors(
        frames, MolecularPairModel(), reference=str(path), reference_isolated=str(iso)
    ).run()
    for comp in direct.results.rmse:
        for q in direct.results.rmse[comp]:
            assert full.results.rmse[comp][q].value == pytest.approx(
                direct.results.rmse[comp][q].value, rel=1e-5, abs=1e-9
            )
    # labels of the frames themselves (reference=None) and an ASE database
    own = IntraInterErrors(
        labelled, MolecularPairModel(), reference=None, reference_isolated=molecules
    ).run()
    assert own.results.rmse["inter"]["forces"].value == pytest.approx(
        direct.results.rmse["inter"]["forces"].value, rel=1e-12
    )
    db = tmp_path / "labels.db"
    write(db, labelled)
    from_db = IntraInterErrors(
        frames, MolecularPairModel(), reference=str(db), reference_isolated=molecules
    ).run()
    assert from_db.results.rmse["total"]["forces"].value == pytest.approx(
        direct.results.rmse["total"]["forces"].value, rel=1e-9
    )


def test_universe_input_matches_atoms_input_and_parallel_backends_match_serial():
    frames = [_frame(seed=s) for s in range(4)]
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
    # Universe frames carry no molecule array: use molecule-agnostic Lennard-Jones models
    model = MolecularPairModel(atomic=True)
    ref = MolecularPairModel(atomic=True, sigma=2.4)
    serial = IntraInterErrors(frames, model, reference=ref, keep_arrays=True).run()
    from_u = IntraInterErrors(u, model, reference=ref).run()
    for comp in serial.results.rmse:
        for q in serial.results.rmse[comp]:
            assert from_u.results.rmse[comp][q].value == pytest.approx(
                serial.results.rmse[comp][q].value, rel=1e-4, abs=1e-8
            )
    assert set(from_u.results.rmse_per_species) == {"WAT", "MOH", "CO2"}
    par = IntraInterErrors(frames, model, reference=ref, keep_arrays=True).run(
        backend="multiprocessing", n_workers=2)
    np.testing.assert_array_equal(
        par.results.forces["model"]["inter"], serial.results.forces["model"]["inter"]
    )
    assert par.results.rmse == serial.results.rmse
    sub = IntraInterErrors(frames, model, reference=ref).run(frames=[3, 1])
    np.testing.assert_array_equal(
        sub.results.energies["model"]["total"], serial.results.energies["model"]["total"][[1, 3]]
    )


def test_isolated_molecule_cache_is_per_geometry_and_translation_invariant():
    atoms = _frame(seed=5)
    ids = atoms.arrays["molecule_index"]
    shifted = atoms.copy()
    shifted.positions += [1.234, -0.5, 3.3]
    calls = IsolatedMoleculeEvaluator(MolecularPairModel())
    e0, f0 = calls.evaluate(isolated_molecules(atoms, ids))
    e1, f1 = calls.evaluate(isolated_molecules(shifted, ids))
    assert calls.n_evaluated == 4
    np.testing.assert_array_equal(e0, e1)
    err = IntraInterErrors(
        [atoms, shifted, atoms], MolecularPairModel(), reference=MolecularPairModel(k=3.0)
    ).run()
    assert err._model.isolated.n_evaluated == 4 and err._reference.isolated.n_evaluated == 4


class _Batched(MolecularPairModel):
    def __init__(self):
        super().__init__()
        self.batches = []

    def calculate_batch(self, molecules):
        self.batches.append(len(molecules))
        out = []
        for mol in molecules:
            mol.calc = MolecularPairModel()
            out.append({"energy": mol.get_potential_energy(), "forces": mol.get_forces()})
        return out


def test_batched_calculators_get_all_missing_molecules_at_once():
    frames = [_frame(seed=s) for s in range(2)]
    batched = _Batched()
    a = IntraInterErrors(frames, batched, reference=MolecularPairModel(sigma=2.0)).run()
    b = IntraInterErrors(
        frames, MolecularPairModel(), reference=MolecularPairModel(sigma=2.0)
    ).run()
    assert batched.batches == [4, 4]
    assert a.results.rmse == b.results.rmse


def test_bad_input_raises_clear_errors(tmp_path):
    atoms = _frame()
    with pytest.raises(ValueError, match="no forces"):
        nolabels = atoms.copy()
        nolabels.calc = SinglePointCalculator(nolabels, energy=1.0)
        IntraInterErrors([nolabels], MolecularPairModel(), reference=None, quantities=["forces"])
    with pytest.raises(ValueError, match="no stress"):
        IntraInterErrors([atoms], MolecularPairModel(), reference=[nolabels], quantities=["stress"])
    free = atoms.copy()
    free.pbc = False
    free.cell = None
    with pytest.raises(ValueError, match="without a periodic box"):
        IntraInterErrors(
            [free], MolecularPairModel(), reference=MolecularPairModel(), quantities=["stress"]
        )
    with pytest.raises(RuntimeError, match="isolated molecule .* needs at least 6 atoms"):
        IntraInterErrors(
            [atoms], MolecularPairModel(fail_on_small=True), reference=MolecularPairModel()
        ).run()
    tiny = atoms.copy()
    tiny.arrays["molecule_index"] = np.zeros(len(atoms), dtype=int)
    with pytest.raises(ValueError, match="cannot be made whole"):
        IntraInterErrors([tiny], MolecularPairModel(), reference=MolecularPairModel()).run()
    with pytest.raises(ValueError, match="reference="):
        u = mda.Universe.empty(3, trajectory=True)
        u.add_TopologyAttr("elements", ["O", "H", "H"])
        IntraInterErrors(u, MolecularPairModel())
    other = _frame(seed=9)
    other.calc = SinglePointCalculator(other, energy=0.0, forces=np.zeros((len(other), 3)))
    with pytest.raises(ValueError, match="other positions"):
        IntraInterErrors([atoms], MolecularPairModel(), reference=[other]).run()
    with pytest.raises(TypeError, match="ASE calculator"):
        IntraInterErrors([atoms], "not a model", reference=MolecularPairModel())
    with pytest.raises(FileNotFoundError):
        IntraInterErrors([atoms], MolecularPairModel(), reference=str(tmp_path / "missing.extxyz"))


def test_plot_draws_one_parity_panel_per_component():
    frames = [_frame(seed=s) for s in range(2)]
    err = IntraInterErrors(
        frames, MolecularPairModel(scale=0.9), reference=MolecularPairModel()
    ).run()
    axes = err.plot()
    assert len(axes) == 6
    assert axes[3].get_title().startswith("trans")
    assert len(axes[0].lines[0].get_xdata()) == 2 * len(frames[0]) * 3


def test_forces_stored_in_a_trajectory_are_a_reference_in_ev_per_angstrom():
    from mda_electrolyte import from_ase

    model = MolecularPairModel()
    frames = []
    for seed in (0, 1):
        atoms = _frame(seed)
        atoms.arrays["molecule_species"] = np.array(["H2O"] * 3 + ["CH3OH"] * 6 + ["CO2"] * 3
                                                    + ["H2O"] * 3)
        atoms.arrays["formal_charge"] = np.zeros(len(atoms))
        atoms.calc = model
        atoms.calc = SinglePointCalculator(atoms, forces=atoms.get_forces())
        frames.append(atoms)
    universe = from_ase(frames)  # stores forces in kJ/(mol·Å), as MDAnalysis does
    errors = IntraInterErrors(universe, model, reference="trajectory",
                              quantities=("forces",)).run()
    scale = np.sqrt(np.mean(frames[0].get_forces() ** 2))
    assert scale > 0.1
    # float32 storage in the Universe is the only difference
    assert errors.results.rmse["total"]["forces"].value < 1e-5 * scale


def test_ols_softening_with_intercept_and_bond_categories():
    frames = [_frame(seed=s) for s in range(2)]
    soft = IntraInterErrors(frames, MolecularPairModel(scale=0.8), reference=MolecularPairModel(),
                            keep_arrays=True, atom_types="categories").run()
    # water O (H, H) and methanol O (C, H) are plain O; CO2's terminal O has one bond to C
    assert set(soft.results.softening) == {"O", "H", "COHHH", "Oc", "Cc"}
    ref = soft.results.forces["reference"]["total"]
    mod = soft.results.forces["model"]["total"]
    for label, fit in soft.results.softening_ols.items():
        mask = soft.atom_types == label
        x, y = ref[:, mask].ravel(), mod[:, mask].ravel()
        slope, intercept = np.polyfit(x, y, 1)
        assert fit["slope"].value == pytest.approx(slope, rel=1e-9)
        assert fit["intercept"].value == pytest.approx(intercept, abs=1e-12)
        assert fit["slope"].value == pytest.approx(0.8, rel=1e-9) and fit["n"] == x.size
        assert fit["r2"].value == pytest.approx(1.0) and fit["r2"].valid
    with pytest.raises(ValueError, match="categories"):
        IntraInterErrors(frames, MolecularPairModel(), reference=MolecularPairModel(),
                         atom_types="elements")


def test_atom_categories_of_electrolyte_molecules():
    from ase_electrolyte.build import conformer
    from mda_electrolyte.atom_categories import atom_categories
    from mda_electrolyte.molecules import covalent_bonds

    expect = {
        "EC": {"Oc": 1, "Oe": 2, "Cc": 1, "CCOHH": 2, "H": 4},
        "EMC": {"Oc": 1, "Oe": 2, "Cc": 1, "CCOHH": 1, "CCHHH": 1, "COHHH": 1, "H": 8},
        "VC": {"Oc": 1, "Oe": 2, "Cc": 1, "CCOH=": 2, "H": 2},
        "FEC": {"Oc": 1, "Oe": 2, "Cc": 1, "CCOHH": 1, "CCOFH": 1, "FCOFH": 1, "H": 3},
        "PF6": {"P": 1, "FP": 6},
    }
    for name, counts in expect.items():
        mol = conformer(name)
        labels = atom_categories(mol.numbers, covalent_bonds(mol))
        found = dict(zip(*np.unique(labels, return_counts=True), strict=True))
        assert found == counts, name
    with pytest.raises(ValueError, match="bonds index"):
        atom_categories([6, 8], [[0, 2]])


@pytest.mark.parametrize("label", ["energy", "forces", "stress"])
def test_non_finite_reference_labels_are_refused_not_reported_as_nan_errors(label):
    atoms = _frame()
    labelled = atoms.copy()
    values = {
        "energy": 1.0,
        "forces": np.zeros((len(atoms), 3)),
        "stress": np.zeros(6),
    }
    values[label] = np.full_like(np.atleast_1d(values[label]), np.nan, dtype=float)
    if label == "energy":
        values[label] = float("nan")
    labelled.calc = SinglePointCalculator(labelled, **values)
    with pytest.raises(ValueError, match=f"reference {label} .* not finite"):
        IntraInterErrors([atoms], MolecularPairModel(), reference=[labelled]).run()


def test_errors_are_estimates_and_an_undefined_rrmse_is_marked_not_nan_with_a_warning():
    import warnings

    from mda_electrolyte.uncertainty import mean_error

    # ten frames: over fewer, 45 force components per frame cannot show whether consecutive
    # frames are correlated (error_metrics._unresolved_note)
    frames = [_frame(seed=s) for s in range(10)]
    soft = IntraInterErrors(
        frames, MolecularPairModel(scale=0.8), reference=MolecularPairModel(), keep_arrays=True
    ).run()
    est = soft.results.estimates["rmse"]["inter"]["forces"]
    assert est is soft.results.rmse["inter"]["forces"] and est.unit == "eV/Å"
    assert est.converged and est.n_samples == 10
    # four frames: 3 degrees of freedom, an error over frames that is not valid
    four = IntraInterErrors(frames[:4], MolecularPairModel(scale=0.8),
                            reference=MolecularPairModel()).run().results
    assert four.rmse["inter"]["forces"].verdict == (
        "too few frames: 3 degrees of freedom for the error over frames (a calibrated error "
        "needs at least 4)")
    # the error of the mean squared error over the five frames, propagated to the RMSE
    diff = 0.2 * soft.results.forces["reference"]["inter"]
    per_frame = (diff**2).reshape(10, -1).mean(axis=1)
    assert est.stderr == pytest.approx(mean_error(per_frame)[1] / (2 * est.value), rel=1e-9)
    assert soft.results.estimates["rrmse"]["total"]["stress"].unit == "1"
    assert soft.results.estimates["rmse"]["total"]["stress"].unit == "eV/Å^3"
    per_el = soft.results.estimates["rmse_per_element"]["O"]["vib"]["forces"]
    assert per_el is soft.results.rmse_per_element["O"]["vib"]["forces"]
    # one frame: the energy does not vary, so its RRMSE is undefined, marked, without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = IntraInterErrors(frames[:1], MolecularPairModel(scale=0.8),
                               reference=MolecularPairModel()).run()
    rr = one.results.estimates["rrmse"]["total"]["energy"]
    assert not rr.converged and "does not vary" in rr.verdict and "too few frames" in rr.verdict
    assert not one.results.estimates["rmse"]["total"]["forces"].converged
    assert one.results.rmse["total"]["forces"].value > 0


def test_nan_positions_and_an_empty_frame_selection_are_named():
    good = _frame(seed=0)
    bad = _frame(seed=1)
    bad.positions[2] = [np.inf, 0.0, 0.0]
    with pytest.raises(ValueError, match="non-finite positions of 1 atom"):
        IntraInterErrors([good, bad], MolecularPairModel(), reference=MolecularPairModel()).run()
    with pytest.raises(ValueError, match="no frames analysed"):
        IntraInterErrors([good, good], MolecularPairModel(),
                         reference=MolecularPairModel()).run(frames=[])


class _ForceFree(Calculator):
    """A reference under which no atom feels a force (E = 0, F = 0): an ideal gas."""

    implemented_properties = ["energy", "forces"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.results = {"energy": 0.0, "forces": np.zeros((len(self.atoms), 3))}


def test_softening_without_reference_forces_is_marked_never_nan():
    # the model against a reference whose forces all vanish: slope undefined. Stored labels
    # of zero forces in every frame are an exporter's placeholder, refused when asked for
    # (tests/test_intra_inter_errors_placeholder_labels.py); a calculator's zeros are its own
    frames = [_frame(seed=s) for s in range(3)]
    zero = []
    for atoms in frames:
        labelled = atoms.copy()
        labelled.calc = SinglePointCalculator(labelled, energy=0.0,
                                              forces=np.zeros((len(atoms), 3)))
        zero.append(labelled)
    with pytest.raises(ValueError, match="forces are exactly zero in every one of the 3 frames"):
        IntraInterErrors(frames, MolecularPairModel(), reference=zero, quantities=("forces",))
    errors = IntraInterErrors(frames, MolecularPairModel(), reference=_ForceFree(),
                              quantities=("forces",)).run()
    for label, slope in errors.results.softening.items():
        assert not slope.valid and "does not vary" in slope.verdict, label
    for fits in errors.results.softening_ols.values():
        assert all(not fits[k].valid for k in ("slope", "intercept", "r2"))
    # the RRMSE against a reference that does not vary is marked too
    rr = errors.results.rrmse["total"]["forces"]
    assert not rr.valid and "does not vary" in rr.verdict


def _water_and_ion():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), np.array([1.0, 16.0, 1.0, 7.0]),
            np.array([0, 0, 0, 1]))


@pytest.mark.parametrize("change, message", [
    ({"masses": np.array([1.0, np.nan, 1.0, 7.0])}, "masses must be finite and >= 0"),
    ({"masses": np.array([1.0, -16.0, 1.0, 7.0])}, "masses must be finite and >= 0"),
    ({"masses": np.array([0.0, 0.0, 0.0, 7.0])}, r"molecule\(s\) \[0\] have zero total mass"),
    ({"masses": np.array([1.0, 16.0, 1.0])}, "must be \\(n, 3\\), \\(n, 3\\), \\(n,\\)"),
    ({"ids": np.array([0, 0, 0, -1])}, "ids must be molecule indices"),
    ({"ids": np.array([0.0, 0.0, 0.0, 1.5])}, "ids must be molecule indices"),
    ({"positions": np.full((4, 3), np.nan)}, "forces or positions contain NaN"),
    ({"forces": np.full((4, 3), np.inf)}, "forces or positions contain NaN"),
    ({"forces": np.zeros((4, 3)) + 1j}, "forces: complex values"),
])
def test_force_decomposition_refuses_bad_molecular_arrays(change, message):
    # NaN masses or positions reached LAPACK ("Eigenvalues did not converge"), NaN forces gave
    # NaN parts, negative masses silently wrong parts, a massless molecule NaN centres
    from mda_electrolyte.force_decomposition import dof_decomposition, intramolecular_stress

    forces, positions, masses, ids = _water_and_ion()
    args = {"forces": forces, "positions": positions, "masses": masses, "ids": ids, **change}
    with pytest.raises(ValueError, match=message):
        dof_decomposition(args["forces"], args["positions"], args["masses"], args["ids"])
    with pytest.raises(ValueError, match=message):
        intramolecular_stress(args["forces"], args["positions"], args["masses"], args["ids"],
                              100.0)


@pytest.mark.parametrize("volume", [0.0, -1.0, np.nan, np.inf, "100"])
def test_intramolecular_stress_refuses_a_bad_volume(volume):
    # a zero volume gave ±inf and NaN stresses, a negative one the opposite sign
    from mda_electrolyte.force_decomposition import intramolecular_stress

    with pytest.raises(ValueError, match="volume"):
        intramolecular_stress(*_water_and_ion(), volume)


def test_a_massless_virtual_site_is_part_of_its_molecule():
    from mda_electrolyte.force_decomposition import dof_decomposition

    forces, positions, masses, ids = _water_and_ion()
    masses = np.array([1.0, 16.0, 0.0, 7.0])
    trans, rot, vib = dof_decomposition(forces, positions, masses, ids)
    np.testing.assert_allclose(trans + rot + vib, forces, atol=1e-12)
    # a massless site takes no share of the net force or of the rigid-body rotation
    assert np.all(trans[2] == 0) and np.all(rot[2] == 0)


def _labelled(atoms, calc, factor=1.0):
    probe = atoms.copy()
    probe.calc = calc
    labels = {"energy": probe.get_potential_energy() * factor,
              "forces": probe.get_forces() * factor, "stress": probe.get_stress() * factor}
    out = atoms.copy()
    out.calc = SinglePointCalculator(out, **labels)
    return out


class _CountingPairModel(MolecularPairModel):
    """MolecularPairModel that counts its evaluations (in this process); a class of the
    module, so that a multiprocessing run can send it to its workers."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.calls = []

    def calculate(self, *args, **kwargs):
        self.calls.append(1)
        return super().calculate(*args, **kwargs)


def _counting_model(**kw):
    model = _CountingPairModel(**kw)
    return model, model.calls


def test_errors_are_invariant_to_rotating_and_translating_frames_with_their_labels():
    from scipy.spatial.transform import Rotation

    frames = [_frame(seed=s) for s in range(3)]
    ref = MolecularPairModel(sigma=2.4)
    labels = [_labelled(a, ref) for a in frames]
    rot = Rotation.from_euler("xyz", [30, 50, -70], degrees=True).as_matrix()
    moved, moved_labels = [], []
    for atoms, lab in zip(frames, labels, strict=True):
        m = atoms.copy()
        m.positions = atoms.positions @ rot.T + [3.3, -1.2, 7.0]
        m.cell = atoms.cell.array @ rot.T
        moved.append(m)
        r = lab.calc.results
        tensor = rot @ r["stress"][[[0, 5, 4], [5, 1, 3], [4, 3, 2]]] @ rot.T
        out = m.copy()
        out.calc = SinglePointCalculator(out, energy=r["energy"], forces=r["forces"] @ rot.T,
                                         stress=tensor[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]])
        moved_labels.append(out)
    model = MolecularPairModel(scale=0.9)
    for reference, moved_reference in ((labels, moved_labels), (ref, ref)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # stored labels without reference_isolated
            a = IntraInterErrors(frames, model, reference=reference).run().results
            b = IntraInterErrors(moved, model, reference=moved_reference).run().results
        for key in ("rmse", "rrmse", "rmse_per_element", "rrmse_per_element"):
            flat_a, flat_b = _flatten(a[key]), _flatten(b[key])
            assert flat_a.keys() == flat_b.keys()
            for name, est in flat_a.items():
                assert flat_b[name].value == pytest.approx(est.value, rel=1e-7, abs=1e-12), name
        assert "total/stress" in _flatten(a.rmse) and "total/stress" in _flatten(a.rrmse)
    # the stress RMSE is that of the nine tensor components (off-diagonals twice in Voigt)
    d = a.stress["model"]["total"] - a.stress["reference"]["total"]
    nine = np.sqrt(np.mean(np.sum(d[:, :3] ** 2 + 2 * d[:, 3:] ** 2, axis=1) / 9))
    assert a.rmse["total"]["stress"].value == pytest.approx(nine, rel=1e-12)


def _flatten(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}/"))
        else:
            out[f"{prefix}{key}"] = value
    return out


@pytest.mark.parametrize("key, value, message", [
    ("forces", lambda n: np.zeros((n + 1, 3)), r"forces .* shape \(16, 3\), not \(15, 3\)"),
    ("forces", lambda n: np.zeros(3 * n), r"forces .* shape \(45,\), not \(15, 3\)"),
    ("stress", lambda n: np.zeros(4), r"stress .* shape \(4,\), not 6 Voigt"),
    ("stress", lambda n: np.arange(9.0).reshape(3, 3), "not symmetric"),
    ("energy", lambda n: np.zeros(2), "holds 2 values, not one number"),
    ("energy", lambda n: "-12.5", "is '-12.5', not a number"),
    ("energy", lambda n: True, "is True, not a number"),
    ("energy", lambda n: 1 + 2j, "complex values"),
    ("forces", lambda n: np.full((n, 3), np.inf), "not finite"),
    ("energy", lambda n: None, r"1 of 3 frames have no energy \(frame 1\)"),
    ("forces", lambda n: None, r"1 of 3 frames have no forces \(frame 1\)"),
])
def test_malformed_or_partly_missing_reference_labels_are_named_before_any_evaluation(
        key, value, message):
    from mda_electrolyte.intra_inter_errors import check_reference_frames

    frames = [_frame(seed=s) for s in range(3)]
    labels = [_labelled(a, MolecularPairModel(sigma=2.4)) for a in frames]
    labels[1].calc.results[key] = value(len(frames[1]))
    if value(15) is None:
        del labels[1].calc.results[key]
    model, calls = _counting_model()
    with pytest.raises(ValueError, match=message):
        IntraInterErrors(frames, model, reference=labels)
    # the check that `electrolyte diagnose` runs before the model loads says the same
    with pytest.raises(ValueError, match=message):
        check_reference_frames(frames, labels)
    # labels stored on the analysed frames themselves
    with pytest.raises(ValueError, match=message):
        IntraInterErrors(labels, model)
    assert calls == []


@pytest.mark.parametrize("unit, factor", [("kcal/mol", 23.0605), ("kJ/mol", 96.4853),
                                          ("Hartree", 1 / 27.2114)])
def test_labels_in_another_unit_mark_every_error_and_say_which(unit, factor):
    frames = [_frame(seed=s) for s in range(3)]
    # a liquid's stress (4 meV/Å³; k = 20 gives 0.5 eV/Å³, which times 23 is refused before the
    # model runs as no liquid's stress)
    model = MolecularPairModel(k=0.2)
    labels = [_labelled(a, model, factor) for a in frames]
    # forces named in the force unit (kcal/mol/Å), not the energy's
    with pytest.warns(UserWarning, match=f"in {unit}/Å rather than eV/Å"):
        r = IntraInterErrors(frames, model, reference=labels).run().results
    for tree in (r.estimates, r.softening, r.softening_ols):
        for name, est in _flatten(tree).items():
            if hasattr(est, "verdict"):
                assert not est.valid and f"in {unit}" in est.verdict, name
    # the same labels in eV: the model against itself, no doubt and no error
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", message="stored reference labels")
        same = IntraInterErrors(frames, model,
                                reference=[_labelled(a, model) for a in frames]).run().results
    assert same.rmse["total"]["forces"].valid and same.rmse["total"]["forces"].value == 0


def test_parts_that_are_zero_to_rounding_have_no_rrmse():
    # one methanol per 9 Å cell, beyond the 6 Å cutoff of its images: its inter part and net
    # force are differences of rounding; an RRMSE over them would be noise over noise
    frames = []
    # ten frames (over fewer, 18 force components cannot show whether the frames are
    # correlated); in seed 6 an atom comes within the cutoff of an image
    for s in (0, 1, 2, 3, 4, 5, 7, 8, 9, 10):
        atoms = _frame(seed=s)
        one = atoms[atoms.arrays["molecule_index"] == 1]
        one.arrays["molecule_index"][:] = 0
        frames.append(one)
    r = IntraInterErrors(frames, MolecularPairModel(k=18.0),
                         reference=MolecularPairModel()).run().results
    for component, quantities in (("inter", ("energy", "forces", "stress")),
                                  ("trans", ("forces",)), ("rot", ("forces",))):
        for q in quantities:
            rr = r.rrmse[component][q]
            assert not rr.valid and "zero to rounding" in rr.verdict, (component, q)
            assert r.rmse[component][q].value < 1e-9
    # the intramolecular parts carry the whole error, and are valid
    assert r.rrmse["intra"]["forces"].valid and r.rrmse["intra"]["forces"].value > 0.01
    assert r.rrmse["vib"]["forces"].valid


@pytest.mark.parametrize("backend", [None, "multiprocessing"])
def test_a_molecule_broken_in_the_last_frame_is_named_before_any_model_call(backend):
    frames = [_frame(seed=s) for s in range(4)]
    broken = frames[3]
    # one methanol H half a cell away from its molecule: no image makes the molecule whole
    h = np.flatnonzero(broken.arrays["molecule_index"] == 1)[-1]
    broken.positions[h] += 0.5 * broken.cell.array.sum(axis=0)
    model, calls = _counting_model()
    reference, reference_calls = _counting_model(sigma=2.4)
    analysis = IntraInterErrors(frames, model, reference=reference)
    kwargs = {} if backend is None else {"backend": backend, "n_workers": 2}
    with pytest.raises(ValueError, match="IntraInterErrors: frame 3: .*cannot be made whole"):
        analysis.run(**kwargs)
    # before: frames 0-2 were evaluated first (and in a parallel run, every other part)
    assert calls == [] and reference_calls == []
    # the frames that are whole still run, with the same analysis object
    done = analysis.run(frames=[0, 1, 2]).results
    assert done.energies["model"]["total"].shape == (3,)
