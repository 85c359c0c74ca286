"""ase_electrolyte.Electrostatics and fit_qrd: Madelung constants, Ewald = PME = direct image sum,
finite-difference forces and stress, charge conservation, invariances, QRd fit recovery, bad input.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule

from ase_electrolyte import Electrostatics, fit_qrd
from ase_electrolyte.electrostatics import COULOMB, qrd_charges

pytest.importorskip("torchpme")

# Madelung constants per ion pair in units of e²/(4πε0 r0), r0 the nearest-neighbour distance
MADELUNG_NACL = 1.747564594633182190636
MADELUNG_CSCL = 1.76267477307099

IONIC = {"Na": (1.0, 1.0), "Cl": (-1.0, 1.0), "Cs": (1.0, 1.0)}


def _random_box(n=16, length=7.0, seed=0, symbols=None):
    """A neutral periodic box of random point charges (fixed scheme)."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0, length, size=(n, 3))
    cell = np.diag([length, 0.95 * length, 1.05 * length])
    cell[1, 0] = 0.6  # triclinic on purpose
    q = rng.normal(size=n)
    q -= q.mean()
    atoms = Atoms(symbols or f"H{n}", positions=pos, cell=cell, pbc=True)
    return atoms, q


@pytest.mark.parametrize("method, tol", [("ewald", 1e-12), ("pme", 1e-10)])
def test_madelung_nacl_and_cscl(method, tol):
    a = 5.64
    nacl = bulk("NaCl", "rocksalt", a=a)
    nacl.calc = Electrostatics(qrd=IONIC, method=method, tolerance=tol)
    m = -nacl.get_potential_energy() * (a / 2) / COULOMB
    assert m == pytest.approx(MADELUNG_NACL, rel=1e-8)

    a = 4.12
    cscl = bulk("CsCl", "cesiumchloride", a=a)
    cscl.calc = Electrostatics(qrd=IONIC, method=method, tolerance=tol)
    m = -cscl.get_potential_energy() * (a * np.sqrt(3) / 2) / COULOMB
    assert m == pytest.approx(MADELUNG_CSCL, rel=1e-8)
    # the two ions of each crystal are equivalent: equal per-atom energies summing to E
    e_i = cscl.get_potential_energies()
    assert e_i.sum() == pytest.approx(cscl.get_potential_energy(), rel=1e-12)
    assert e_i[0] == pytest.approx(e_i[1], rel=1e-8)


def test_ewald_equals_pme_within_tolerance():
    atoms, q = _random_box(n=24, seed=1)
    tol = 1e-5
    res = {}
    for method in ("ewald", "pme"):
        calc = Electrostatics(scheme="fixed", charges=q, method=method, tolerance=tol)
        res[method] = calc.evaluate(atoms, q)
    # tolerance bounds the RMS force error in units of e²/Å² (×COULOMB for eV/Å)
    df = res["ewald"]["forces"] - res["pme"]["forces"]
    assert np.sqrt(np.mean(df**2)) < 2 * tol * COULOMB
    assert res["ewald"]["energy"] == pytest.approx(res["pme"]["energy"], abs=len(q) * tol * COULOMB)
    np.testing.assert_allclose(res["ewald"]["stress"], res["pme"]["stress"], atol=tol * COULOMB)
    # and the tight Ewald sum is far inside that band: both errors are real, not a shared bias
    tight = Electrostatics(scheme="fixed", charges=q, method="ewald", tolerance=1e-11)
    ref = tight.evaluate(atoms, q)
    for method in ("ewald", "pme"):
        err = np.sqrt(np.mean((res[method]["forces"] - ref["forces"]) ** 2))
        assert err < 2 * tol * COULOMB


def test_ewald_equals_converged_direct_image_sum():
    # a cubic 4-charge cell with a dipole: spherical summation of whole cells converges to the
    # tin-foil Ewald energy plus the surface term 2π|D|²/(3V) (de Leeuw, Perram, Smith 1980)
    length = 4.0
    pos = np.array([[0.3, 0.2, 0.1], [2.1, 1.7, 0.4], [1.2, 3.1, 2.5], [3.3, 0.9, 3.0]])
    q = np.array([1.0, -0.6, 0.9, -1.3])
    atoms = Atoms("H4", positions=pos, cell=np.eye(3) * length, pbc=True)
    calc = Electrostatics(scheme="fixed", charges=q, method="ewald", tolerance=1e-12)
    e_ewald = calc.evaluate(atoms, q)["energy"] / COULOMB
    dipole = q @ pos
    target = e_ewald + 2 * np.pi / (3 * length**3) * dipole @ dipole

    def sphere(n_max):
        r = np.arange(-n_max, n_max + 1)
        n = np.stack(np.meshgrid(r, r, r, indexing="ij"), -1).reshape(-1, 3)
        n = n[(n**2).sum(1) <= n_max**2] * length
        d = np.linalg.norm(pos[None, :, None] - pos[:, None, None] + n[None, None], axis=-1)
        with np.errstate(divide="ignore"):
            inv = np.where(d > 1e-12, 1.0 / np.where(d > 1e-12, d, 1.0), 0.0)
        return 0.5 * np.einsum("i,j,ijn->", q, q, inv)

    errors = [abs(sphere(n) - target) / abs(target) for n in (8, 16, 32)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-6


def test_direct_sum_for_a_molecule_is_pairwise_coulomb():
    atoms = molecule("CH3OH")
    q = np.array([0.2, -0.6, 0.05, 0.4, 0.0, -0.05])
    calc = Electrostatics(scheme="fixed", charges=q)
    res = calc.evaluate(atoms, q)
    d = atoms.get_all_distances()
    i, j = np.triu_indices(len(atoms), 1)
    assert res["energy"] == pytest.approx(COULOMB * np.sum(q[i] * q[j] / d[i, j]), rel=1e-12)
    assert "stress" not in res


def _fd_forces(calc, atoms, q, h=1e-4, idx=(0, 7)):
    out = []
    for a in idx:
        for x in range(3):
            e = []
            for sign in (1, -1):
                at = atoms.copy()
                at.positions[a, x] += sign * h
                e.append(calc.evaluate(at, q)["energy"])
            out.append(-(e[0] - e[1]) / (2 * h))
    return np.array(out)


def _fd_stress(calc, atoms, q, h=1e-5):
    """σ_ab = (1/V) ∂E/∂ε_ab by central differences of symmetric strains (Voigt order)."""
    out = []
    for a, b in ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)):
        e = []
        for sign in (1, -1):
            eps = np.eye(3)
            eps[a, b] += sign * h / (1 if a == b else 2)
            eps[b, a] += 0 if a == b else sign * h / 2
            at = atoms.copy()
            at.set_cell(atoms.cell.array @ eps, scale_atoms=True)
            e.append(calc.evaluate(at, q)["energy"])
        out.append((e[0] - e[1]) / (2 * h) / atoms.cell.volume)
    return np.array(out)


@pytest.mark.parametrize(
    "options",
    [
        {"method": "ewald"},
        {"method": "pme"},
        {"method": "ewald", "short_range": "gaussian", "short_range_length": 0.8},
        {"method": "pme", "short_range": "cutoff", "short_range_length": 3.0},
    ],
)
def test_forces_and_stress_match_finite_differences(options):
    atoms, q = _random_box(n=12, length=6.0, seed=2)
    # the derivative of the sum as evaluated is exact at any tolerance; a loose one keeps it fast
    calc = Electrostatics(scheme="fixed", charges=q, tolerance=1e-6, **options)
    res = calc.evaluate(atoms, q)
    idx = (0, 7)
    np.testing.assert_allclose(res["forces"][list(idx)].ravel(), _fd_forces(calc, atoms, q),
                               atol=2e-6)
    np.testing.assert_allclose(res["stress"], _fd_stress(calc, atoms, q), atol=2e-7)
    assert res["energies"].sum() == pytest.approx(res["energy"], rel=1e-10)
    # no net force on a periodic cell: exact for Ewald, up to the interpolation error for PME
    atol = 1e-9 if options["method"] == "ewald" else len(q) * 1e-6 * COULOMB
    np.testing.assert_allclose(res["forces"].sum(axis=0), 0.0, atol=atol)


def test_molecule_forces_and_intramolecular_exclusion():
    atoms = molecule("CH3CH2OH")
    rng = np.random.default_rng(3)
    q = rng.normal(scale=0.3, size=len(atoms))
    for options in ({}, {"short_range": "gaussian", "short_range_length": 0.7}):
        calc = Electrostatics(scheme="fixed", charges=q, **options)
        res = calc.evaluate(atoms, q)
        np.testing.assert_allclose(res["forces"][[0, 7]].ravel(), _fd_forces(calc, atoms, q),
                                   atol=1e-6)
    # excluding intramolecular pairs of a single molecule leaves nothing
    calc = Electrostatics(scheme="fixed", charges=q, short_range="molecules")
    res = calc.evaluate(atoms, q)
    assert res["energy"] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(res["forces"], 0.0, atol=1e-12)


def test_exclusion_of_molecules_in_a_box_leaves_intermolecular_coulomb():
    # two water molecules far apart in a big box: with exclusion only the intermolecular
    # interaction (≈ dipole–dipole + images) remains; without it the intramolecular one adds
    w1, w2 = molecule("H2O"), molecule("H2O")
    w2.translate([5.0, 0.3, 0.2])
    atoms = w1 + w2
    atoms.set_cell([14.0, 14.0, 14.0])
    atoms.center()
    atoms.pbc = True
    atoms.arrays["molecule_index"] = np.array([0, 0, 0, 1, 1, 1])
    q = np.array([-0.8, 0.4, 0.4, -0.8, 0.4, 0.4])
    full = Electrostatics(scheme="fixed", charges=q, tolerance=1e-10).evaluate(atoms, q)
    excl_calc = Electrostatics(scheme="fixed", charges=q, tolerance=1e-10,
                               short_range="molecules")
    excl = excl_calc.evaluate(atoms, q)
    d = atoms.get_all_distances(mic=True)
    intra = sum(q[i] * q[j] / d[i, j] for m in (0, 3) for i in range(m, m + 3)
                for j in range(i + 1, m + 3))
    assert full["energy"] - excl["energy"] == pytest.approx(COULOMB * intra, rel=1e-9)
    np.testing.assert_allclose(excl["forces"][[0, 4]].ravel(),
                               _fd_forces(excl_calc, atoms, q, idx=(0, 4)), atol=1e-6)


def test_qrd_conserves_total_charge_for_any_composition():
    rng = np.random.default_rng(4)
    params = {z: (rng.normal(), rng.uniform(0.2, 2.0)) for z in (1, 3, 6, 8, 9, 15)}
    for _ in range(50):
        numbers = rng.choice(list(params), size=rng.integers(1, 40))
        total = float(rng.integers(-3, 4))
        q = qrd_charges(numbers, params, total)
        assert q.sum() == pytest.approx(total, abs=1e-12)
        # same element, same charge: QRd charges depend on composition only
        for z in np.unique(numbers):
            assert np.ptp(q[numbers == z]) < 1e-14


def test_total_charge_from_formal_charges_and_background():
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    calc = Electrostatics(qrd={"Na": (0.9, 1.0), "Cl": (-0.9, 1.0)})
    atoms.arrays["formal_charge"] = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    assert calc.total_charge(atoms) == 4
    atoms.calc = calc
    with pytest.raises(ValueError, match="net charge"):
        atoms.get_potential_energy()
    atoms.calc = Electrostatics(qrd={"Na": (0.9, 1.0), "Cl": (-0.9, 1.0)}, background=True)
    assert atoms.calc.get_charges(atoms).sum() == pytest.approx(4.0, abs=1e-12)
    assert np.isfinite(atoms.get_potential_energy())


def test_translation_invariance_and_atoms_untouched():
    atoms, q = _random_box(n=20, seed=5)
    before = atoms.positions.copy()
    calc = Electrostatics(scheme="fixed", charges=q, method="pme", tolerance=1e-8)
    ref = calc.evaluate(atoms, q)
    shifted = atoms.copy()
    shifted.translate([1.37, -2.11, 0.53])
    shifted.wrap()
    res = calc.evaluate(shifted, q)
    assert res["energy"] == pytest.approx(ref["energy"], abs=1e-7)
    np.testing.assert_allclose(res["forces"], ref["forces"], atol=1e-6)
    np.testing.assert_array_equal(atoms.positions, before)


def test_array_scheme_reads_initial_charges():
    atoms = bulk("NaCl", "rocksalt", a=5.64)
    atoms.set_initial_charges([1.0, -1.0])
    atoms.calc = Electrostatics(scheme="array", tolerance=1e-10)
    m = -atoms.get_potential_energy() * (5.64 / 2) / COULOMB
    assert m == pytest.approx(MADELUNG_NACL, rel=1e-8)


def test_bad_input_is_refused_before_any_sum():
    atoms = bulk("NaCl", "rocksalt", a=5.64)
    with pytest.raises(ValueError, match="Cl"):
        atoms.calc = Electrostatics(qrd={"Na": (1.0, 1.0)})
        atoms.get_potential_energy()
    for tol in (0.0, 1.0, 2.0, -1e-3):
        with pytest.raises(ValueError, match="tolerance"):
            Electrostatics(qrd=IONIC, tolerance=tol)
    flat = atoms.copy()
    flat.cell[2] = flat.cell[0] + flat.cell[1]
    flat.calc = Electrostatics(qrd=IONIC)
    with pytest.raises(ValueError, match="volume"):
        flat.get_potential_energy()
    charged = atoms.copy()
    charged.calc = Electrostatics(scheme="fixed", charges=[1.0, -0.5])
    with pytest.raises(ValueError, match="background"):
        charged.get_potential_energy()
    slab = atoms.copy()
    slab.pbc = [True, True, False]
    slab.calc = Electrostatics(qrd=IONIC)
    with pytest.raises(ValueError, match="periodicity"):
        slab.get_potential_energy()
    with pytest.raises(ValueError, match="sum to zero"):
        qrd_charges([11, 17], {"Na": (1, 1.0), "Cl": (-1, -1.0)})
    # ASE's InputError for a misspelt option, as every calculator of the package
    from ase.calculators.calculator import InputError

    with pytest.raises(InputError, match="unknown.*tolerence"):
        Electrostatics(qrd=IONIC, tolerence=1e-5)


def _synthetic_frames(truth, offsets, seed=6):
    """Frames of varying composition and charge, labelled by a known QRd term plus offsets."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(6):
        n = {"Li": rng.integers(1, 4), "O": rng.integers(2, 6), "H": rng.integers(2, 7)}
        symbols = "".join(f"{s}{c}" for s, c in n.items())
        m = sum(n.values())
        length = 6.0 + 0.3 * k
        atoms = Atoms(symbols, positions=rng.uniform(0, length, (m, 3)),
                      cell=[length] * 3, pbc=True)
        atoms.info["charge"] = float(rng.integers(-1, 2))
        term = Electrostatics(qrd=truth, tolerance=1e-9, background=True)
        atoms.calc = term
        e = atoms.get_potential_energy() + sum(offsets[s] for s in atoms.get_chemical_symbols())
        frames.append((atoms, {"energy": e, "forces": atoms.get_forces(),
                               "stress": atoms.get_stress()}))
    return frames


def _canonical(qrd):
    el = sorted(qrd)
    b = np.array([qrd[e][0] for e in el])
    s = np.array([qrd[e][1] for e in el])
    s = np.sign(s.sum()) * s / np.linalg.norm(s)
    return b - (b @ s) * s, s


def test_fit_qrd_recovers_known_parameters_and_round_trips_json(tmp_path):
    truth = {"H": (0.3, 0.5), "Li": (0.9, 0.2), "O": (-0.5, 1.1)}
    offsets = {"H": -1.2, "Li": -0.3, "O": -4.0}
    data = _synthetic_frames(truth, offsets)
    frames = [a for a, _ in data]
    fit = fit_qrd(frames, None, [lab for _, lab in data], regularization=0.0,
                  tolerance=1e-9, background=True)
    assert fit.success
    b_true, s_true = _canonical(truth)
    b_fit, s_fit = _canonical(fit.qrd)
    np.testing.assert_allclose(b_fit, b_true, atol=1e-5)
    np.testing.assert_allclose(s_fit, s_true, atol=1e-5)
    for e in offsets:
        assert fit.offsets[e] == pytest.approx(offsets[e], abs=1e-5)
    assert fit.errors_after["forces"] < 1e-6 < fit.errors_before["forces"]
    assert fit.errors_after["energy_per_atom"] < fit.errors_before["energy_per_atom"]

    path = tmp_path / "qrd.json"
    fit.electrostatics.save(path)
    loaded = Electrostatics.load(path)
    atoms = frames[0].copy()
    atoms.calc = loaded
    e_loaded = atoms.get_potential_energy()
    atoms.calc = Electrostatics(qrd=truth, tolerance=1e-9, background=True)
    assert e_loaded == pytest.approx(atoms.get_potential_energy(), abs=1e-6)
    with pytest.raises(ValueError, match="not an"):
        (tmp_path / "bad.json").write_text("{}")
        Electrostatics.load(tmp_path / "bad.json")


def test_calculator_sums_electrostatics_like_dispersion(electrolyte_box_small, tmp_path):
    pytest.importorskip("sevenn")
    from ase_electrolyte import Calculator

    atoms = electrolyte_box_small.copy()
    qrd = {"Li": (0.8, 0.3), "P": (1.2, 0.5), "F": (-0.35, 0.4), "C": (0.1, 0.6),
           "O": (-0.4, 0.8), "H": (0.1, 0.5)}
    term = Electrostatics(qrd=qrd, tolerance=1e-8)
    path = tmp_path / "term.json"
    term.save(path)
    summed = Calculator("sevennet-0", device="cpu", electrostatics=path)
    props = ["energy", "forces", "stress", "energies"]

    def get(calc):
        calc.calculate(atoms.copy(), props)
        return dict(calc.results)

    b = get(summed)
    c = term.get_properties(props, atoms)
    # the same loaded model without the term (one model load keeps the test short)
    assert isinstance(summed.electrostatics, Electrostatics)
    summed.electrostatics = None
    a = get(summed)
    # to SevenNet's float32 reproducibility between two calls
    assert b["energy"] == pytest.approx(a["energy"] + c["energy"], abs=1e-5)
    np.testing.assert_allclose(b["forces"], a["forces"] + c["forces"], atol=1e-5)
    np.testing.assert_allclose(b["stress"], a["stress"] + c["stress"], atol=1e-7)
    np.testing.assert_allclose(b["energies"], a["energies"] + c["energies"], atol=1e-5)
    assert np.abs(c["forces"]).max() > 1e-2  # the term is not negligible in this check
    # total charge from the box's formal charges (LiPF6 is neutral) is conserved by QRd
    assert term.get_charges(atoms).sum() == pytest.approx(0.0, abs=1e-12)
    summed.electrostatics = Electrostatics(qrd={k: v for k, v in qrd.items() if k != "Li"})
    summed.reset()
    with pytest.raises(ValueError, match="Li"):
        summed.get_potential_energy(atoms)


WATER_QRD = {"H": (0.4, 1.0), "O": (-0.8, 1.0)}


def _water_box():
    atoms = molecule("H2O")
    atoms.set_cell([8.0, 8.0, 8.0])
    atoms.pbc = True
    atoms.center()
    return atoms


@pytest.mark.parametrize("options, match", [
    ({"cutoff": True}, "cutoff"),
    ({"cutoff": "8"}, "cutoff"),
    ({"cutoff": None}, "cutoff"),
    ({"tolerance": "1e-6"}, "tolerance"),
    ({"total_charge": float("nan")}, "total_charge"),
    ({"total_charge": True}, "total_charge"),
    ({"total_charge": "1"}, "total_charge"),
    ({"short_range": "cutoff", "short_range_length": float("inf")}, "short_range_length"),
    ({"short_range": "gaussian", "short_range_length": True}, "short_range_length"),
    ({"qrd": {"H": (0.4,), "O": (-0.8, 1.0)}}, "QRd parameters of H"),
    ({"qrd": {"H": (0.4, 1.0, 2.0), "O": (-0.8, 1.0)}}, "QRd parameters of H"),
    ({"qrd": {"H": (True, 1.0), "O": (-0.8, 1.0)}}, "QRd b of H"),
    ({"qrd": {"H": (0.4, "s"), "O": (-0.8, 1.0)}}, "QRd s of H"),
    ({"scheme": "array", "array": 3}, "array"),
    ({"scheme": "fixed", "charges": [True, False, False]}, "fixed charges"),
    ({"scheme": "fixed", "charges": "abc"}, "fixed charges"),
])
def test_options_of_the_wrong_kind_are_refused_by_name(options, match):
    from ase.calculators.calculator import InputError

    with pytest.raises(InputError, match=match):
        Electrostatics(**{"qrd": WATER_QRD, **options})
    calc = Electrostatics(qrd=WATER_QRD)
    before = calc.todict()
    with pytest.raises(InputError, match=match):
        calc.set(**options)
    assert calc.todict().keys() == before.keys()
    assert all(np.array_equal(calc.todict()[k], v) if isinstance(v, np.ndarray)
               else calc.todict()[k] == v for k, v in before.items())


def test_numpy_numbers_are_accepted_as_options():
    calc = Electrostatics(qrd={"H": (np.float32(0.4), np.int64(1)), "O": (-0.8, 1.0)},
                          tolerance=np.float32(1e-6), cutoff=np.array(8.0),
                          total_charge=np.int64(0))
    assert calc.parameters["tolerance"] == pytest.approx(1e-6)
    assert calc.parameters["cutoff"] == 8.0 and calc.parameters["total_charge"] == 0.0


def _damaged_charges():
    cases = []
    for value in (np.nan, np.inf, "abc", [1, 2]):
        atoms = _water_box()
        atoms.info["charge"] = value
        cases.append((atoms, {"background": True}, "info\\['charge'\\]"))
    atoms = _water_box()
    atoms.arrays["formal_charge"] = np.array([np.nan, 0.0, 0.0])
    cases.append((atoms, {"background": True}, "formal_charge"))
    for values in ([np.inf, 0.0, 0.0], [True, False, False], [[0.4, -0.4]] * 3):
        atoms = _water_box()
        atoms.arrays["q"] = np.array(values)
        cases.append((atoms, {"scheme": "array", "array": "q"}, "'q' array"))
    # one charge too few or too many for the atoms
    for charges in ([-0.8, 0.4], [-0.8, 0.4, 0.4, 0.0]):
        cases.append((_water_box(), {"scheme": "fixed", "charges": charges},
                      f"{len(charges)} charges for 3 atoms"))
    return cases


@pytest.mark.parametrize("charges", [np.zeros((2, 3)), [[0.4], [-0.4]], 0.0])
def test_fixed_charges_must_be_one_flat_value_per_atom(charges):
    # a (2, 3) table was flattened and taken as the charges of six atoms
    from ase.calculators.calculator import InputError

    with pytest.raises(InputError, match="one charge per atom.*shape"):
        Electrostatics(scheme="fixed", charges=charges)
    calc = Electrostatics(scheme="fixed", charges=[0.4, -0.4])
    with pytest.raises(InputError, match="one charge per atom"):
        calc.set(charges=charges)
    np.testing.assert_array_equal(calc.parameters["charges"], [0.4, -0.4])


@pytest.mark.parametrize("atoms, options, match", _damaged_charges())
def test_charges_that_are_not_finite_numbers_are_refused_before_any_sum(
        atoms, options, match, monkeypatch):
    # a NaN total charge made every QRd charge NaN, and the lattice-sum tuning then asked
    # torch for a 600 GB mesh
    from ase.calculators.calculator import InputError

    # QRd parameters only where the scheme reads them (beside others they are refused)
    qrd = {"qrd": WATER_QRD} if options.get("scheme", "qrd") == "qrd" else {}
    calc = Electrostatics(**{**qrd, **options})
    monkeypatch.setattr(calc, "_evaluate", lambda *a: pytest.fail("summed"))
    atoms.calc = calc
    with pytest.raises(InputError, match=match):
        atoms.get_potential_energy()
    assert not calc.results


def _broken_structures():
    coincident = molecule("H2O")
    coincident.positions[1] = coincident.positions[0]
    coincident_box = _water_box()
    coincident_box.positions[2] = coincident_box.positions[1] + [8.0, 0.0, 0.0]  # an image
    thin = _water_box()
    thin.set_cell([[8.0, 0.0, 0.0], [7.99, 0.01, 0.0], [0.0, 0.0, 8.0]])
    tiny = _water_box()
    tiny.set_cell([0.5, 0.5, 0.5])  # 24 atoms/Å³: refused as a cell given in nm
    return [(coincident, "O0-H1 at 0 Å"), (coincident_box, "H1-H2 at"),
            (thin, "thin across a face"), (tiny, "is the cell in nm instead of Å"),
            (Atoms(), "at least one atom"), (Atoms(cell=[5, 5, 5], pbc=True), "at least one atom")]


@pytest.mark.parametrize("atoms, match", _broken_structures())
def test_overlapping_atoms_thin_cells_and_no_atoms_are_refused_before_any_sum(
        atoms, match, monkeypatch):
    # coincident atoms gave -4.6e15 eV and a 0.01 Å thin cell 3.7e3 eV, finite and meaningless
    from ase.calculators.calculator import InputError

    calc = Electrostatics(qrd=WATER_QRD)
    monkeypatch.setattr(calc, "_evaluate", lambda *a: pytest.fail("summed"))
    atoms.calc = calc
    with pytest.raises(InputError, match=match):
        atoms.get_potential_energy()


def _change_charge_inputs():
    def info_charge(atoms):
        atoms.info["charge"] = 1.0

    def formal_charge(atoms):
        atoms.arrays["formal_charge"] = np.array([1, 0, 0, 0, 0, 0])

    def charge_array(atoms):
        atoms.arrays["q"] *= 2.0

    def molecule_index(atoms):
        # from two waters to every atom its own molecule (an index of two waters as one
        # molecule is refused: test_electrostatics_joined_boxes.py)
        atoms.arrays["molecule_index"][:] = np.arange(6)

    return [
        ({"qrd": WATER_QRD, "background": True}, info_charge),
        ({"qrd": WATER_QRD, "background": True}, formal_charge),
        ({"scheme": "array", "array": "q"}, charge_array),
        ({"qrd": WATER_QRD, "short_range": "molecules"}, molecule_index),
    ]


def _two_waters():
    atoms = molecule("H2O")
    other = atoms.copy()
    other.translate([4.0, 4.0, 4.0])
    atoms += other
    atoms.set_cell([16.0, 16.0, 16.0])
    atoms.pbc = True
    atoms.translate([2.0, 2.0, 2.0])
    atoms.arrays["q"] = np.array([-0.8, 0.4, 0.4, -0.6, 0.3, 0.3])
    atoms.arrays["molecule_index"] = np.array([0, 0, 0, 1, 1, 1])
    return atoms


@pytest.mark.parametrize("options, change", _change_charge_inputs())
def test_a_changed_charge_input_is_not_answered_from_the_last_results(options, change):
    # ASE's check_state compares positions, numbers, cell, pbc and initial charges only: a
    # changed info["charge"] or charge array returned the previous energy
    calc = Electrostatics(**options)
    atoms = _two_waters()
    atoms.calc = calc
    before = atoms.get_potential_energy()
    change(atoms)
    after = atoms.get_potential_energy()
    fresh = atoms.copy()
    fresh.calc = Electrostatics(**options)
    # the lattice-sum set is kept for charges it still meets the tolerance for (changed
    # charges are not a new set-up): a fresh term's differs by the two sums' errors, ~1e-7 eV
    assert after == pytest.approx(fresh.get_potential_energy(), abs=1e-6)
    assert abs(after - before) > 1e-4
    # and unchanged inputs still reuse the results
    assert calc.check_state(atoms) == []


def _sparse_nacl(scale):
    """Rocksalt NaCl with every length scaled: 8 ions in a box of 5.64·scale Å."""
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    atoms.set_cell(atoms.cell * scale, scale_atoms=True)
    return atoms, -MADELUNG_NACL * 4 * COULOMB / (2.82 * scale)


@pytest.mark.parametrize("method", ["auto", "ewald", "pme"])
def test_a_sparse_cell_gets_its_energy_or_a_clear_refusal(method):
    from ase.calculators import calculator as ase_calculator

    # torch-pme's force bounds fall as 1/V: in a sparse cell they accepted a k-space resolution
    # coarser than the smearing, the Gaussians' self-energy was then summed only in part (the
    # 5640 Å box gave -5.37 eV for -0.036 eV; 564 Å was 0.5 % off); Ewald there asked for 10⁹
    # terms and the process was killed for memory
    atoms, exact = _sparse_nacl(100)
    atoms.calc = Electrostatics(qrd=IONIC, method=method)
    refused = r"needs (a PME mesh|an Ewald sum) of .*raise the cutoff"
    with pytest.raises(ase_calculator.InputError, match=refused):
        atoms.get_potential_energy()
    # a cutoff that follows the box: the energy within the tolerance (in e²/Å per atom)
    for scale, cutoff in ((100, 40.0), (1000, 400.0)):
        atoms, exact = _sparse_nacl(scale)
        atoms.calc = Electrostatics(qrd=IONIC, method=method, cutoff=cutoff)
        assert atoms.get_potential_energy() == pytest.approx(exact, abs=len(atoms) * 1e-6 * COULOMB)


def test_auto_takes_pme_where_ewald_would_need_too_many_terms():
    atoms, exact = _sparse_nacl(30)
    calc = Electrostatics(qrd=IONIC)
    assert calc.lattice_parameters(atoms, calc.get_charges(atoms))["method"] == "pme"
    atoms.calc = calc
    assert atoms.get_potential_energy() == pytest.approx(exact, abs=len(atoms) * 1e-6 * COULOMB)
    dense = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    assert calc.lattice_parameters(dense, calc.get_charges(dense))["method"] == "ewald"


def test_the_kspace_resolution_follows_the_smearing():
    from scipy.special import erfc

    # the energy the k-space sum leaves out, <q²>/(√(2π)σ)·erfc(πσ√2/x) per atom, stays
    # within the tolerance, for dense and sparse cells
    for scale in (1, 3, 10):
        atoms, _ = _sparse_nacl(scale)
        for method, key in (("ewald", "lr_wavelength"), ("pme", "mesh_spacing")):
            calc = Electrostatics(qrd=IONIC, method=method, tolerance=1e-6)
            p = calc.lattice_parameters(atoms, calc.get_charges(atoms))
            sigma, x = p["smearing"], p[key]
            missed = erfc(np.pi * sigma * np.sqrt(2.0) / x) / (np.sqrt(2.0 * np.pi) * sigma)
            assert missed <= 1e-6 * (1 + 1e-9)


@pytest.mark.parametrize("pbc", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_atoms_far_from_the_origin_keep_their_energy_in_either_precision(dtype, pbc):
    # float32 spaces coordinates of 10⁵ Å by 0.008 Å: the pair vectors of a crystal 10⁷ Å
    # away were built from them (energy off by 0.55 eV in 35.7 eV, forces 0.33 eV/Å)
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    atoms.rattle(0.05, seed=1)
    if not pbc:
        atoms.pbc = False
        atoms.cell = np.zeros((3, 3))
    reference = atoms.copy()
    reference.calc = Electrostatics(qrd=IONIC)
    e0, f0 = reference.get_potential_energy(), reference.get_forces()
    # float64: the input itself is rounded to 2e-9 Å at 10⁷ Å
    tol = {"float32": 2e-6, "float64": 1e-10}[dtype]
    for offset in (1e4, 1e6, 1e7):
        moved = atoms.copy()
        moved.positions += offset * np.array([1.0, 0.3, -0.6])
        moved.calc = Electrostatics(qrd=IONIC, dtype=dtype)
        assert moved.get_potential_energy() == pytest.approx(e0, rel=tol), offset
        np.testing.assert_allclose(moved.get_forces(), f0, atol=50 * tol * np.abs(f0).max())
        if pbc:
            np.testing.assert_allclose(moved.get_stress(), reference.get_stress(),
                                       atol=50 * tol * np.abs(reference.get_stress()).max())
