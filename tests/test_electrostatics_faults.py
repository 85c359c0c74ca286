"""Electrostatics against an independent Ewald sum, and its refusals of inputs that would exhaust
memory or that contradict themselves (a stated total charge the charges do not have)."""

import math
import re
import time

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.calculator import InputError
from scipy.special import erfc

from ase_electrolyte import Electrostatics, fit_qrd
from ase_electrolyte.electrostatics import COULOMB, _same_group_pairs

pytest.importorskip("torchpme")

MADELUNG_NACL = 1.747564594633182190636
TRICLINIC = np.array([[6.0, 0.0, 0.0], [2.0, 5.5, 0.0], [1.0, -1.5, 7.0]])


def ewald_reference(pos, cell, q, digits=7.0):
    """Converged Ewald energy (eV), tin-foil boundaries, uniform background for a net charge.

    Written independently of torch-pme: real-space erfc sum over images, reciprocal sum over
    k-vectors, self term, and the background term -π Q² / (2 V α²).
    """
    pos, cell, q = (np.asarray(x, dtype=float) for x in (pos, cell, q))
    volume = abs(np.linalg.det(cell))
    alpha = 1.2 / volume ** (1 / 3) * math.sqrt(math.pi)
    r_cut, k_cut = digits / alpha, 2.0 * alpha * digits
    inv = np.linalg.inv(cell)

    def lattice(vectors, reach):
        spacing = 1.0 / np.linalg.norm(np.linalg.inv(vectors).T, axis=1)
        m = np.ceil(reach / spacing).astype(int) + 1
        grid = np.meshgrid(*[np.arange(-k, k + 1) for k in m], indexing="ij")
        return np.stack(grid).reshape(3, -1).T @ vectors

    energy = 0.0
    shifts = lattice(cell, r_cut)
    for i in range(len(q)):
        r = np.linalg.norm(pos[None] - pos[i] + shifts[:, None], axis=2)
        ok = (r > 1e-12) & (r < r_cut)
        energy += 0.5 * q[i] * np.sum((q[None] * erfc(alpha * r) / np.where(ok, r, 1.0))[ok])
    ks = lattice(2.0 * np.pi * inv.T, k_cut)
    k2 = np.sum(ks**2, axis=1)
    ks, k2 = ks[(k2 > 0) & (k2 < k_cut**2)], k2[(k2 > 0) & (k2 < k_cut**2)]
    structure = np.exp(1j * ks @ pos.T) @ q
    energy += 2.0 * np.pi / volume * np.sum(np.exp(-k2 / (4 * alpha**2)) / k2
                                            * np.abs(structure) ** 2)
    energy -= alpha / math.sqrt(math.pi) * np.sum(q**2)
    energy -= math.pi * q.sum() ** 2 / (2.0 * volume * alpha**2)
    return energy * COULOMB


def _ions(n, cell, seed, net=0.0):
    rng = np.random.default_rng(seed)
    while True:
        pos = rng.uniform(0, 1, (n, 3)) @ cell
        atoms = Atoms(f"H{n}", positions=pos, cell=cell, pbc=True)
        if n == 1 or min(atoms.get_all_distances(mic=True)[np.triu_indices(n, 1)]) > 0.8:
            break
    q = rng.normal(size=n)
    return atoms, q - q.mean() + net / n


def test_the_reference_sum_gives_the_madelung_constant():
    atoms = bulk("NaCl", "rocksalt", a=5.64)
    e = ewald_reference(atoms.positions, atoms.cell, [1.0, -1.0])
    assert -e * 2.82 / COULOMB == pytest.approx(MADELUNG_NACL, abs=1e-9)


@pytest.mark.parametrize("cell", [np.eye(3) * 6.0, TRICLINIC], ids=["cubic", "triclinic"])
@pytest.mark.parametrize("n, net", [(2, 0.0), (5, 0.0), (8, 0.0), (1, 1.0), (4, 2.5)])
@pytest.mark.parametrize("method, cutoff", [("ewald", 3.0), ("ewald", 20.0), ("pme", 8.0)])
def test_energy_equals_an_independent_ewald_sum(cell, n, net, method, cutoff):
    """Neutral and charged (with background) cells, cutoffs below and above the cell size."""
    atoms, q = _ions(n, cell, seed=n, net=net)
    calc = Electrostatics(scheme="fixed", charges=q, method=method, cutoff=cutoff,
                          tolerance=1e-8, background=net != 0.0)
    reference = ewald_reference(atoms.positions, atoms.cell, q)
    assert calc.get_potential_energy(atoms) == pytest.approx(reference, abs=3e-6)


def test_a_background_keeps_the_energy_independent_of_the_origin():
    atoms, q = _ions(4, TRICLINIC, seed=3, net=1.5)
    calc = Electrostatics(scheme="fixed", charges=q, method="ewald", background=True,
                          tolerance=1e-8)
    e0 = calc.get_potential_energy(atoms)
    moved = atoms.copy()
    moved.positions += [1.3, -2.2, 40.4]
    assert calc.get_potential_energy(moved) == pytest.approx(e0, abs=1e-9)
    assert e0 == pytest.approx(ewald_reference(atoms.positions, atoms.cell, q), abs=3e-6)


def _neutral_box(n=8, length=6.0):
    atoms, q = _ions(n, np.eye(3) * length, seed=11)
    return atoms, q


@pytest.mark.parametrize("options, match", [
    ({"cutoff": 400.0}, r"cutoff 400 Å .* pairs .* use a smaller cutoff"),
    ({"short_range": "cutoff", "short_range_length": 400.0},
     r"short_range_length 400 Å .* pairs .* use a smaller short_range_length"),
    ({"short_range": "gaussian", "short_range_length": 1e300},
     r"Gaussian's reach .* use a smaller short_range_length"),
])
def test_pair_lists_beyond_memory_are_refused_before_any_sum(options, match):
    """A 400 Å cutoff in a 6 Å box asked for 4·10⁷ pairs (~7 GB) and ended in a raw allocator
    error; a Gaussian length of 1e300 Å in an OverflowError."""
    atoms, q = _neutral_box()
    calc = Electrostatics(scheme="fixed", charges=q, **options)
    start = time.perf_counter()
    with pytest.raises(InputError, match=match):
        calc.get_potential_energy(atoms)
    # (a bound for a loaded CI machine, imports included: the sum itself took minutes or
    # ended in the allocator's error)
    assert time.perf_counter() - start < 20.0
    assert calc.results == {}


def test_a_direct_sum_beyond_memory_is_refused_before_any_sum():
    rng = np.random.default_rng(0)
    cluster = Atoms("H9000", positions=rng.uniform(0, 400, (9000, 3)))
    calc = Electrostatics(scheme="fixed", charges=np.full(9000, 0.1))
    with pytest.raises(InputError, match=r"9000 atoms needs a direct sum over 4.05e\+07 pairs"):
        calc.get_potential_energy(cluster)


@pytest.mark.parametrize("mode", ["cutoff", "gaussian"])
@pytest.mark.parametrize("pbc", [True, False])
def test_a_vanishing_short_range_length_removes_nothing(mode, pbc):
    """Below the closest allowed distance (0.1 Å) no pair is removed: the plain Coulomb energy
    (vesin refused such a cutoff with a RuntimeError)."""
    atoms, q = _neutral_box()
    atoms.pbc = pbc
    plain = Electrostatics(scheme="fixed", charges=q).get_potential_energy(atoms)
    for length in (1e-300, 1e-3):
        calc = Electrostatics(scheme="fixed", charges=q, short_range=mode,
                              short_range_length=length)
        assert calc.get_potential_energy(atoms) == pytest.approx(plain, abs=1e-10)


@pytest.mark.parametrize("scheme", ["fixed", "array"])
def test_charges_that_contradict_the_stated_total_charge_are_refused(scheme):
    atoms, q = _neutral_box()
    if scheme == "array":
        atoms.set_initial_charges(q)
        options = {"scheme": "array"}
    else:
        options = {"scheme": "fixed", "charges": q}
    for stated in (1.0, -0.5):
        calc = Electrostatics(total_charge=stated, background=True, **options)
        with pytest.raises(InputError,
                           match=rf"sums? to .* not the stated total_charge {stated:g}"):
            calc.get_potential_energy(atoms)
    agreed = Electrostatics(total_charge=0.0, **options).get_potential_energy(atoms)
    unstated = Electrostatics(**options).get_potential_energy(atoms)
    assert agreed == unstated
    # charged and stated alike: accepted, equal to the reference with background
    charged = q + 0.25
    atoms.set_initial_charges(charged)
    options = {"scheme": "array"} if scheme == "array" else {"scheme": "fixed", "charges": charged}
    calc = Electrostatics(total_charge=2.0, background=True, tolerance=1e-8, **options)
    assert calc.get_potential_energy(atoms) == pytest.approx(
        ewald_reference(atoms.positions, atoms.cell, charged), abs=3e-6)


@pytest.mark.parametrize("seed", range(4))
def test_same_group_pairs_are_the_pairs_of_equal_ids(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    groups = rng.choice([-3, 0, 2, 7, 11, 40], size=n) if seed % 2 else rng.integers(0, n, n)
    want = np.nonzero(np.triu(groups[:, None] == groups[None, :], k=1))
    got = _same_group_pairs(groups)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert all(len(x) == 0 for x in _same_group_pairs(np.arange(5)))


def _random_neutral_ions(n, length, seed):
    """``n`` ions with normal random charges summing to zero, uniform in a cubic cell."""
    rng = np.random.default_rng(seed)
    atoms = Atoms(f"H{n}", positions=rng.uniform(0, length, (n, 3)),
                  cell=np.eye(3) * length, pbc=True)
    q = rng.normal(size=n)
    return atoms, q - q.mean()


@pytest.mark.parametrize("n, length, tol", [(8, 6.0, 1e-5), (2, 20.0, 1e-6), (2, 60.0, 1e-5),
                                            (4, 100.0, 1e-5)])
def test_pme_forces_in_sparse_cells_are_as_accurate_as_in_dense_ones(n, length, tol):
    """torch-pme's PME bound falls as V^(-2/3): 2-4 ions in 20-100 Å boxes had force errors
    14-95 × the tolerance (energies 1 meV off); dense cells, and now sparse ones, stay < 10 ×."""
    atoms, q = _random_neutral_ions(n, length, seed=5)
    exact = Electrostatics(scheme="fixed", charges=q, method="ewald", tolerance=1e-9)
    pme = Electrostatics(scheme="fixed", charges=q, method="pme", tolerance=tol)
    error = pme.get_forces(atoms) - exact.get_forces(atoms)
    assert np.sqrt(np.mean(error**2)) / COULOMB < 10 * tol
    assert abs(pme.get_potential_energy(atoms) - exact.get_potential_energy(atoms)) < 1e3 * tol


@pytest.mark.parametrize("n, length", [(8, 6.0), (16, 12.0)])
@pytest.mark.parametrize("tol", [1e-4, 1e-6])
def test_ewald_forces_meet_the_tolerance(n, length, tol):
    """The documented meaning of ``tolerance``: RMS force error in e²/Å² (Ewald meets it)."""
    atoms, q = _random_neutral_ions(n, length, seed=n)
    exact = Electrostatics(scheme="fixed", charges=q, method="ewald", tolerance=1e-10)
    calc = Electrostatics(scheme="fixed", charges=q, method="ewald", tolerance=tol)
    error = calc.get_forces(atoms) - exact.get_forces(atoms)
    assert np.sqrt(np.mean(np.sum(error**2, axis=1))) / COULOMB < tol


@pytest.mark.parametrize("fault, match", [
    ("slab", r"frame 2: partial periodicity pbc=\[True, True, False\]"),
    ("overlap", r"frame 2: Electrostatics: atoms closer than 0.1 Å: Na0-Cl1"),
    ("direct", r"frame 2: method='direct' is for non-periodic structures"),
])
def test_fit_qrd_refuses_a_bad_frame_before_any_model_call(fault, match):
    """fit_qrd's sums skipped the term's checks: a slab was summed as a molecule, coincident
    atoms entered the fit."""
    from ase.calculators.emt import EMT

    class CountingEMT(EMT):
        calls = 0

        def calculate(self, *args, **kwargs):
            CountingEMT.calls += 1
            super().calculate(*args, **kwargs)

    rng = np.random.default_rng(0)
    frames = []
    for _ in range(3):
        pos = np.array([[0, 0, 0], [2.8, 0, 0], [0, 2.8, 0], [2.8, 2.8, 2.8]]) + rng.normal(
            scale=0.1, size=(4, 3))
        frames.append(Atoms("NaClNaCl", positions=pos, cell=np.eye(3) * 5.6, pbc=True))
    options = {}
    if fault == "slab":
        frames[2].pbc = [True, True, False]
    elif fault == "overlap":
        frames[2].positions[1] = frames[2].positions[0]
    else:
        options["method"] = "direct"
        frames[0].pbc = frames[1].pbc = False
    reference = [{"energy": -1.0, "forces": np.zeros((4, 3))}] * 3
    with pytest.raises(ValueError, match=match):
        fit_qrd(frames, model=CountingEMT(), reference=reference, **options)
    assert CountingEMT.calls == 0


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("method", ["ewald", "pme", "auto"])
@pytest.mark.parametrize("cutoff", [1e-300, 1e-3])
def test_a_vanishing_cutoff_is_refused_without_overflow_warnings(method, cutoff):
    """A cutoff of 1e-300 Å raised numpy's overflow RuntimeWarning (an error under -W error);
    a cutoff at or below the closest distance accepted (0.1 Å) is now refused when the term
    is made, before any structure."""
    with pytest.raises(InputError, match=r"cutoff .* must be a finite number > 0.1"):
        Electrostatics(scheme="fixed", charges=[1, -1], method=method, cutoff=cutoff)


@pytest.mark.parametrize("ids", [[0, 0, 0, 0.5, 0.5, 0.5], [0, 0, 0, np.nan, np.nan, np.nan],
                                 [0, 0, 0, np.inf, np.inf, np.inf], ["a", "a", "a", "b", "b", "b"]])
@pytest.mark.parametrize("pbc", [True, False])
def test_a_molecule_index_that_is_not_whole_numbers_is_refused(ids, pbc, monkeypatch):
    """0.5 was cast to molecule 0 (two waters merged, their 8 pairs removed: 0.106 eV became
    -0.024 eV), NaN to an arbitrary id; whole numbers as floats and negative ids are fine."""
    from ase.build import molecule

    second = molecule("H2O")
    second.positions += [3.0, 0.0, 0.0]
    atoms = molecule("H2O") + second
    atoms.cell = np.eye(3) * 9.0
    atoms.pbc = pbc
    atoms.center()
    q = [-0.8, 0.4, 0.4] * 2
    calc = Electrostatics(scheme="fixed", charges=q, short_range="molecules")
    by_bonds = calc.get_potential_energy(atoms)
    for good in ([0, 0, 0, 1, 1, 1], [0.0, 0.0, 0.0, 1.0, 1.0, 1.0], [5, 5, 5, -1, -1, -1]):
        atoms.arrays["molecule_index"] = np.array(good)
        assert calc.get_potential_energy(atoms) == pytest.approx(by_bonds, abs=1e-12)
    atoms.arrays["molecule_index"] = np.array(ids)

    def no_sum(*args):
        raise AssertionError("the lattice sum ran before the refusal")

    monkeypatch.setattr(Electrostatics, "_coulomb_per_atom", no_sum)
    with pytest.raises(InputError, match="'molecule_index' array must hold whole numbers"):
        calc.get_potential_energy(atoms)


_LIF_QRD = {"Li": (0.8, 1.0), "F": (-0.8, 1.0)}


def _saved_term(tmp_path):
    import json

    path = tmp_path / "term.json"
    Electrostatics(qrd=_LIF_QRD, tolerance=1e-5, dtype="float32").save(path)
    return path, json.loads(path.read_text())


def _damaged_files():
    import json

    def edited(**changes):
        return lambda data, text: json.dumps({**data, **changes})

    return {
        "empty": (lambda data, text: "", r"is not an .*JSON file \(Expecting value"),
        "truncated": (lambda data, text: text[:40], r"is not an .*JSON file \(Unterminated"),
        "binary": (lambda data, text: b"\x00\xff\x10", r"is not an .*JSON file \('utf-8'"),
        "misspelt option": (edited(tolerence=1e-2), r"unknown key\(s\) 'tolerence'"),
        "newer format": (edited(version=2), r"format version 2; .* reads version 1"),
        "other units": (lambda data, text: json.dumps(
            {**data, "units": {**data["units"], "lengths": "nm"}}), r"units .*'nm'"),
    }


@pytest.mark.parametrize("case", sorted(_damaged_files()))
def test_a_damaged_or_foreign_term_file_is_refused_naming_the_file(case, tmp_path):
    """An empty, truncated or binary file raised the JSON decoder's error without the path; a
    misspelt option ('tolerence') was dropped and its default used; a newer format version or
    other units were read as if they were this one. The Calculator refuses them the same way,
    as InputError, before loading any model."""
    path, data = _saved_term(tmp_path)
    damage, message = _damaged_files()[case]
    content = damage(data, path.read_text())
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}.*{message}|{message}"):
        Electrostatics.load(path)
    with pytest.raises(InputError, match=message):
        from ase_electrolyte import Calculator

        Calculator("no such model", electrostatics=path)


def test_a_saved_term_loads_as_the_same_term(tmp_path):
    """Every option that changes the numbers survives save/load (dtype was dropped: a float32
    term came back in float64)."""
    path, _ = _saved_term(tmp_path)
    loaded = Electrostatics.load(path)
    original = Electrostatics(qrd=_LIF_QRD, tolerance=1e-5, dtype="float32")
    assert loaded.todict() == original.todict()
    atoms = bulk("LiF", "rocksalt", a=4.03, cubic=True)
    atoms.rattle(0.05, seed=1)
    energies = []
    for term in (loaded, original):
        work = atoms.copy()
        work.calc = term
        energies.append(work.get_potential_energy())
    assert energies[0] == energies[1]


def test_options_given_as_numpy_values_are_recorded_as_plain_json(tmp_path):
    """``background=np.bool_(True)`` was stored as given: ``todict()`` was no JSON and
    ``save()`` failed ('Object of type bool_ is not JSON serializable')."""
    import json

    numpy_options = {"qrd": {"Na": (np.float64(1.0), np.int64(1)), "Cl": (-1.0, 1.0)},
                     "background": np.bool_(True), "total_charge": np.float64(0.0),
                     "tolerance": np.float64(1e-5), "cutoff": np.int64(7),
                     "short_range": "gaussian", "short_range_length": np.array(0.4)}
    term = Electrostatics(**numpy_options)
    plain = json.loads(json.dumps(term.todict()))
    assert Electrostatics(**plain).todict() == term.todict()
    term.save(tmp_path / "term.json")
    loaded = Electrostatics.load(tmp_path / "term.json")
    assert loaded.todict() == term.todict() and loaded.parameters["background"] is True
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True)
    atoms.rattle(0.05, seed=2)
    energies = []
    for calc in (term, loaded):
        work = atoms.copy()
        work.calc = calc
        energies.append(work.get_potential_energy())
    assert energies[0] == energies[1]


def _one_molecule_crystal(repeat):
    # a covalent network marked as one molecule: one bonded group, so the stored index fits
    # its bonds (an ionic crystal marked so is refused earlier, as several groups:
    # test_electrostatics_joined_boxes.py)
    atoms = bulk("Si", "diamond", a=5.43, cubic=True).repeat(repeat)
    atoms.arrays["molecule_index"] = np.zeros(len(atoms), dtype=int)
    return atoms


@pytest.mark.parametrize("case", ["beyond the pair budget", "spanning half the cell"])
def test_a_molecule_the_exclusion_cannot_take_is_refused_before_any_sum(case, monkeypatch):
    """short_range='molecules' on a crystal marked as one molecule: the refusal of a molecule
    spanning half the cell came after the lattice sum (4096 ions: 80 s and 2 GB, after a
    Calculator's model), and a larger one built its N²/2 pairs without any bound (216 000
    ions: 2.3·10¹⁰ pairs). Both are refused by check_input, which a Calculator runs before
    its model."""
    import ase_electrolyte.electrostatics as module

    message = {"beyond the pair budget": r"a molecule of 512 atoms \(1\.31e\+05 "
                                         r"intramolecular pairs.*'molecule_index' array right",
               "spanning half the cell": r"a molecule spans half the cell"}[case]
    if case == "beyond the pair budget":
        monkeypatch.setattr(module, "_MAX_PAIRS", 10**5)
    atoms = _one_molecule_crystal(4)
    term = Electrostatics(qrd={"Si": (0.0, 1.0)}, short_range="molecules")

    def no_sum(*args, **kwargs):
        raise AssertionError("a lattice sum was started")

    monkeypatch.setattr(Electrostatics, "_coulomb_per_atom", no_sum)
    with pytest.raises(InputError, match=message):
        term.check_input(atoms)
    atoms.calc = term
    with pytest.raises(InputError, match=message):
        atoms.get_potential_energy()


def test_the_excluded_pairs_are_the_minimum_image_pairs_of_each_molecule():
    """Water molecules broken across the faces of a skewed cell: the exclusion removes
    q_i q_j / r_ij over the minimum-image vector of every intramolecular pair (brute force
    over neighbouring images)."""
    cell = np.array([[7.0, 0.0, 0.0], [2.5, 6.5, 0.0], [-1.5, 1.0, 7.5]])
    water = np.array([[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]])
    rng = np.random.default_rng(3)
    positions = np.concatenate([water + rng.uniform(-0.5, 0.5, 3) + corner for corner in
                                (np.zeros(3), cell[0] + cell[1], cell.sum(axis=0) * 0.5)])
    atoms = Atoms("OH2" * 3, positions=positions, cell=cell, pbc=True)
    atoms.wrap()
    atoms.arrays["molecule_index"] = np.repeat([0, 1, 2], 3)
    q = np.tile([-0.8, 0.4, 0.4], 3)
    full = Electrostatics(scheme="fixed", charges=q, tolerance=1e-9, method="ewald")
    excluded = Electrostatics(scheme="fixed", charges=q, tolerance=1e-9, method="ewald",
                              short_range="molecules")
    energies = []
    for term in (full, excluded):
        work = atoms.copy()
        work.calc = term
        energies.append(work.get_potential_energy())
    images = np.array(np.meshgrid(*[range(-1, 2)] * 3, indexing="ij")).reshape(3, -1).T @ cell
    removed = 0.0
    for m in range(3):
        for a in range(3 * m, 3 * m + 3):
            for b in range(a + 1, 3 * m + 3):
                r = np.linalg.norm(atoms.positions[b] - atoms.positions[a] + images, axis=1)
                removed += q[a] * q[b] / r.min()
    assert energies[0] - energies[1] == pytest.approx(removed * COULOMB, abs=1e-8)
