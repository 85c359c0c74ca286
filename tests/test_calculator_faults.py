"""The Calculator on Atoms users really have: a structure a summed term refuses is refused before
the model; cells of either handedness, far from the origin or with atoms outside give the same
numbers; constraints, ghost atoms and bad options of the terms.

The model is ASE's EMT loaded in place of a registered one (float64, analytic stress, counted
calls), so that the numbers of our wrapper are checked tightly and cheaply.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, fcc111
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms, FixCom

from ase_electrolyte import Calculator, Electrostatics
from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.d3 import D3

# EMT's elements
EMT_NUMBERS = frozenset({1, 6, 7, 8, 13, 28, 29, 46, 47, 78, 79})
D3_SHORT = {"cutoff": 9.0, "cn_cutoff": 6.0}
CU_QRD = {"Cu": (0.1, 1.0)}


class CountingEMT(EMT):
    calls = 0

    def calculate(self, *args, **kwargs):
        CountingEMT.calls += 1
        super().calculate(*args, **kwargs)


@pytest.fixture
def emt_model(monkeypatch):
    """``Calculator("sevennet-0")`` loads EMT (no sevenn weights): its calls are counted."""
    from ase_electrolyte import models

    def load(source, device, dtype, options):
        return CountingEMT(), EMT_NUMBERS, False

    monkeypatch.setattr(models, "_LOADERS", {**models._LOADERS, "sevennet": load})
    monkeypatch.setattr(models, "_require", lambda backend: None)
    CountingEMT.calls = 0
    return lambda **kw: Calculator("sevennet-0", device="cpu", **kw)


def _box():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.rattle(0.05, seed=3)
    return atoms


def _slab():
    return fcc111("Cu", (2, 2, 2), a=3.6, vacuum=6.0)


# (structure, options, message): each a refusal of a summed term, not of the model
TERM_REFUSALS = {
    "electrostatics of a slab": (
        _slab, {"electrostatics": {"qrd": CU_QRD}}, r"partial periodicity"),
    "direct sum in a periodic cell": (
        _box, {"electrostatics": {"qrd": CU_QRD, "method": "direct"}},
        r"method='direct' is for non-periodic"),
    "charged cell without background": (
        _box, {"electrostatics": {"qrd": CU_QRD, "total_charge": 1.0}},
        r"net charge of 1 e; give background=True"),
    "fixed charges of another count": (
        _box, {"electrostatics": {"scheme": "fixed", "charges": [0.1, -0.1]}},
        r"2 charges for 4 atoms"),
    "missing charge array": (
        _box, {"electrostatics": {"scheme": "array", "array": "nope"}},
        r"no per-atom array 'nope'"),
    "Coulomb pair list beyond memory": (
        _box, {"electrostatics": {"qrd": CU_QRD, "cutoff": 400.0}}, r"cutoff 400 Å .* pairs"),
    "total charge beyond the atoms": (
        _box, {"electrostatics": {"qrd": CU_QRD, "total_charge": 1e6, "background": True}},
        r"total charge"),
    "D3 cutoff over too many images": (
        _box, {"dispersion": {"cutoff": 5000.0}}, r"D3: the largest cutoff \(5000 Å\)"),
    "D3 three-body term over too many triples": (
        _box, {"dispersion": {"atm": True, "atm_cutoff": 300.0}}, r"ATM term .* 300 Å"),
}


@pytest.mark.parametrize("case", sorted(TERM_REFUSALS))
def test_a_structure_a_summed_term_refuses_costs_no_model_evaluation(case, emt_model):
    """The terms refused these only after the model had been evaluated (a SevenNet-0 call on
    a large box is seconds; on an MD run's first step, minutes of a GPU job)."""
    make, options, message = TERM_REFUSALS[case]
    atoms = make()
    atoms.calc = emt_model(**options)
    with pytest.raises(InputError, match=message):
        atoms.get_potential_energy()
    assert CountingEMT.calls == 0


def test_the_terms_checks_pass_what_they_evaluate(emt_model):
    """The early checks refuse nothing the terms evaluate: the sum is the model plus D3 plus
    Coulomb, each computed alone (a neutral cell; a slab with D3; a molecule with the direct
    sum), with one model call per state."""
    for atoms, options in [
        (_box(), {"dispersion": D3_SHORT, "electrostatics": {"qrd": CU_QRD, "total_charge": 0}}),
        (_slab(), {"dispersion": D3_SHORT}),
        (Atoms("Cu2", positions=[[0, 0, 0], [2.4, 0, 0]]),
         {"dispersion": D3_SHORT, "electrostatics": {"qrd": {"Cu": (0.3, 1.0)},
                                                     "total_charge": 0.2}}),
    ]:
        CountingEMT.calls = 0
        atoms.calc = emt_model(**options)
        energy = atoms.get_potential_energy()
        expected = 0.0
        for term in [EMT(), D3(device="cpu", **D3_SHORT)] + (
                [Electrostatics(**options["electrostatics"])] if "electrostatics" in options
                else []):
            alone = atoms.copy()
            alone.calc = term
            expected += alone.get_potential_energy()
        assert energy == pytest.approx(expected, abs=1e-9)
        assert CountingEMT.calls == 1


def _reference(atoms):
    """EMT + D3 of ``atoms`` evaluated by each calculator directly."""
    out = {"energy": 0.0, "forces": 0.0, "stress": 0.0}
    for term in (EMT(), D3(device="cpu", **D3_SHORT)):
        alone = atoms.copy()
        alone.calc = term
        out["energy"] += alone.get_potential_energy()
        out["forces"] = out["forces"] + alone.get_forces()
        out["stress"] = out["stress"] + alone.get_stress()
    return out


def _left_handed(atoms):
    out = atoms.copy()
    out.cell = -atoms.cell[:]
    return out


def _swapped(atoms):
    out = atoms.copy()
    out.set_cell(atoms.cell[[1, 0, 2]], scale_atoms=False)
    return out


def _far(atoms):
    out = atoms.copy()
    out.positions += 1e5
    return out


def _outside(atoms):
    out = atoms.copy()
    out.positions[0] += 7 * atoms.cell[0] - 3 * atoms.cell[1] + 11 * atoms.cell[2]
    return out


@pytest.mark.parametrize("how", [_left_handed, _swapped, _far, _outside],
                         ids=["negated cell", "swapped vectors", "1e5 Å away", "atom outside"])
def test_the_same_crystal_written_another_way_gives_the_same_numbers(how, emt_model):
    atoms = _box()
    expected = _reference(atoms)
    other = how(atoms)
    other.calc = emt_model(dispersion=D3_SHORT)
    assert other.get_potential_energy() == pytest.approx(expected["energy"], abs=1e-8)
    np.testing.assert_allclose(other.get_forces(), expected["forces"], atol=1e-8)
    np.testing.assert_allclose(other.get_stress(), expected["stress"], atol=1e-9)


def test_the_stress_of_a_left_handed_cell_is_its_strain_derivative(emt_model):
    atoms = _left_handed(_box())
    assert np.linalg.det(atoms.cell[:]) < 0
    atoms.calc = emt_model(dispersion=D3_SHORT)
    stress = atoms.get_stress(voigt=False)
    cell, positions = atoms.cell[:].copy(), atoms.positions.copy()
    volume, h = atoms.get_volume(), 1e-5
    numeric = np.zeros((3, 3))
    for i, j in np.ndindex(3, 3):
        energies = []
        for sign in (1, -1):
            strain = np.eye(3)
            strain[i, j] += sign * h
            atoms.set_cell(cell @ strain, scale_atoms=False)
            atoms.positions = positions @ strain
            energies.append(atoms.get_potential_energy())
        numeric[i, j] = (energies[0] - energies[1]) / (2 * h) / volume
    np.testing.assert_allclose(stress, numeric, atol=1e-8)


@pytest.mark.parametrize("constraint", [FixAtoms([0, 2]), FixCom()], ids=["FixAtoms", "FixCom"])
def test_constraints_act_on_the_callers_forces_only(constraint, emt_model):
    """The raw results are the unconstrained ones; ASE applies the constraint in
    ``get_forces()`` and ``apply_constraint=False`` gives the raw forces back."""
    atoms = _box()
    expected = _reference(atoms)
    atoms.set_constraint(constraint)
    atoms.calc = emt_model(dispersion=D3_SHORT)
    raw = atoms.get_forces(apply_constraint=False)
    np.testing.assert_allclose(raw, expected["forces"], atol=1e-8)
    np.testing.assert_allclose(atoms.calc.results["forces"], expected["forces"], atol=1e-8)
    constrained = atoms.get_forces()
    if isinstance(constraint, FixAtoms):
        assert np.all(constrained[[0, 2]] == 0) and np.allclose(constrained[[1, 3]], raw[[1, 3]])
    else:
        np.testing.assert_allclose(constrained.sum(axis=0), 0.0, atol=1e-12)
    assert atoms.constraints == [constraint]


@pytest.mark.parametrize("symbols, named", [
    (["Cu", "X"], r"X \(Z=0, a ghost atom: remove it\)"),
    (["Cu", "Am"], r"Am"), (["Cu", "Cm"], r"Cm"),
])
def test_ghost_atoms_and_elements_beyond_the_tables_are_named_before_any_work(
        symbols, named, emt_model):
    atoms = Atoms(symbols, positions=[[0, 0, 0], [2.5, 0, 0]])
    with pytest.raises(InputError, match=rf"D3 \(tabulated for H to Pu\) does not cover the "
                                         rf"element\(s\) {named}"):
        atoms.calc = D3(device="cpu", **D3_SHORT)
        atoms.get_potential_energy()
    atoms.calc = emt_model(dispersion=D3_SHORT)
    with pytest.raises(InputError, match=rf"does not cover the element\(s\) {named}"):
        atoms.get_potential_energy()
    assert CountingEMT.calls == 0


def test_one_calculator_for_two_structures_of_different_sizes_alternately(emt_model):
    small = _box()
    large = small.repeat((2, 1, 1))
    large.rattle(0.02, seed=7)
    options = {"dispersion": D3_SHORT, "electrostatics": {"qrd": CU_QRD, "total_charge": 0.0}}
    expected = {}
    for atoms in (small, large):
        fresh = atoms.copy()
        fresh.calc = emt_model(**options)
        expected[len(atoms)] = (fresh.get_potential_energy(), fresh.get_stress())
    shared = emt_model(**options)
    for _ in range(2):
        for atoms in (small, large):
            atoms.calc = shared
            assert atoms.get_potential_energy() == pytest.approx(expected[len(atoms)][0],
                                                                 abs=1e-10)
            np.testing.assert_allclose(atoms.get_stress(), expected[len(atoms)][1], atol=1e-12)
    del small[0]  # the same Atoms, one atom fewer
    alone = small.copy()
    alone.calc = emt_model(**options)
    assert small.get_potential_energy() == pytest.approx(alone.get_potential_energy(), abs=1e-10)


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "4", float("nan")])
def test_a_thread_count_that_is_no_count_is_refused(value):
    with pytest.raises(InputError, match=r"num_threads must be a whole number >= 1"):
        D3(device="cpu", num_threads=value)
    calc = D3(device="cpu", num_threads=1)
    with pytest.raises(InputError, match="num_threads"):
        calc.set(num_threads=value)
    assert calc.parameters["num_threads"] == 1


@pytest.mark.parametrize("value", [2**32 + 1, 2**31, 10**6, 1e308])
def test_a_thread_count_beyond_the_cpus_is_a_ceiling(value, monkeypatch):
    """The kernel takes a C int: 2**32 + 1 threads ran on one, 2**31 on all CPUs and 10**6
    spawned a thread per atom, while the calculator recorded the number asked for."""

    from ase_electrolyte.d3 import backend
    from ase_electrolyte.environment import _usable_cpus

    # the package's count (affinity and any cgroup CPU quota), as the kernel's ceiling is
    cpus = _usable_cpus()
    given = []
    run = backend.run_kernel
    monkeypatch.setattr(backend, "run_kernel", lambda *a: given.append(a[-1]) or run(*a))
    atoms = _box()
    expected = atoms.copy()
    expected.calc = D3(device="cpu", num_threads=1, **D3_SHORT)
    energy = expected.get_potential_energy()
    atoms.calc = D3(device="cpu", num_threads=value, **D3_SHORT)
    assert atoms.get_potential_energy() == pytest.approx(energy, abs=1e-12)
    assert given == [1, cpus]
    assert atoms.calc.num_threads == cpus
    assert atoms.calc.todict()["num_threads"] == int(value)


@pytest.mark.parametrize(("option", "value", "message"), [
    ("charges", "x", "the fixed charges must hold finite numbers"),
    ("charges", [0.1, float("nan")], "the fixed charges must hold finite numbers"),
    ("charges", object(), "the fixed charges must hold finite numbers"),
    ("charges", [[0.1, -0.1]], "one charge per atom"),
    ("short_range_length", -1.0, r"short_range_length \(Å\) must be a finite number > 0"),
    ("short_range_length", "x", r"short_range_length \(Å\) must be a finite number > 0"),
    ("short_range_length", float("nan"), r"short_range_length \(Å\) must be a finite number"),
])
def test_an_option_the_scheme_does_not_read_yet_is_still_checked(option, value, message):
    """Under scheme='qrd' and short_range=None, garbage charges and lengths were stored, put
    into todict() and read only after a later set(scheme='fixed'). A bad value is named as
    such; a good one is refused as without effect (tests/test_calc53_idle_options.py)."""
    with pytest.raises(InputError, match=message):
        Electrostatics(qrd=CU_QRD, **{option: value})
    calc = Electrostatics(qrd=CU_QRD)
    before = calc.todict()
    with pytest.raises(InputError, match=message):
        calc.set(**{option: value})
    assert calc.todict() == before
    with pytest.raises(InputError, match="without effect: charges .*; short_range_length"):
        Electrostatics(qrd=CU_QRD, charges=[0.5, -0.5], short_range_length=2.0)


def test_a_missing_electrostatics_file_is_an_input_error_naming_it(emt_model, tmp_path):
    missing = tmp_path / "qrd.json"
    with pytest.raises(InputError, match=rf"electrostatics: no file '{missing}'"):
        emt_model(electrostatics=missing)
    calc = emt_model()
    with pytest.raises(InputError, match=rf"electrostatics: no file '{tmp_path}'"):
        calc.set(electrostatics=str(tmp_path))  # a folder
    assert calc.electrostatics is None


def test_an_ion_pair_in_a_1000_angstrom_box():
    """Auto picked PME, whose mesh was refused with 'use method=ewald', whose k-vectors were
    refused with 'use method=pme': the advice now names what works, and that gives the
    isolated pair less the tin-foil dipole term 2πp²/(3V) (Ewald sum, de Leeuw et al. 1980)."""
    from ase_electrolyte.electrostatics import COULOMB

    qrd = {"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)}
    pair = Atoms("NaCl", positions=[[0, 0, 0], [2.4, 0, 0]], cell=[1000.0] * 3, pbc=True)
    pair.center()
    pair.calc = Electrostatics(qrd=qrd)
    with pytest.raises(InputError, match=r"PME mesh .* raise the cutoff .*pbc=False \(direct"):
        pair.get_potential_energy()
    pair.calc = Electrostatics(qrd=qrd, cutoff=200.0)
    dipole = COULOMB * 2 * np.pi * 2.4**2 / (3 * 1000.0**3)
    assert pair.get_potential_energy() == pytest.approx(-COULOMB / 2.4 - dipole, abs=1e-7)


def test_charges_magnetic_moments_and_tags_do_not_change_the_model_or_d3(emt_model):
    atoms = _box()
    atoms.calc = emt_model(dispersion=D3_SHORT)
    energy, forces = atoms.get_potential_energy(), atoms.get_forces()
    atoms.set_initial_charges([1.0, -1.0, 0.5, -0.5])
    atoms.set_initial_magnetic_moments([2.0, 0.0, -2.0, 1.0])
    atoms.set_tags([1, 2, 3, 4])
    # equal to the rounding of D3's threaded sums (their order varies between evaluations:
    # 2.8e-17 eV/Å measured)
    assert atoms.get_potential_energy() == pytest.approx(energy, rel=1e-13, abs=1e-13)
    np.testing.assert_allclose(atoms.get_forces(), forces, rtol=1e-12, atol=1e-14)
    assert CountingEMT.calls == 2  # ASE compares them: a new state, evaluated again


class NoPerAtomEMT(CountingEMT):
    """EMT as a backend without per-atom energies (GAP without ``local_energy``)."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        self.results.pop("energies", None)


def test_per_atom_energies_a_backend_lacks_are_refused_without_losing_its_evaluation(
        monkeypatch):
    """The refusal came after the model and threw its results away: the next
    ``get_forces()`` evaluated the model again."""
    from ase.calculators.calculator import PropertyNotImplementedError

    from ase_electrolyte import models

    monkeypatch.setattr(models, "_LOADERS", {
        **models._LOADERS, "sevennet": lambda *a: (NoPerAtomEMT(), EMT_NUMBERS, False)})
    monkeypatch.setattr(models, "_require", lambda backend: None)
    CountingEMT.calls = 0
    atoms = _box()
    atoms.calc = Calculator("sevennet-0", device="cpu", dispersion=D3_SHORT)
    with pytest.raises(PropertyNotImplementedError, match="does not give per-atom energies"):
        atoms.get_potential_energies()
    expected = atoms.copy()
    expected.calc = EMT()
    d3 = atoms.copy()
    d3.calc = D3(device="cpu", **D3_SHORT)
    np.testing.assert_allclose(atoms.get_forces(), expected.get_forces() + d3.get_forces(),
                               atol=1e-10)
    assert atoms.get_potential_energy() == pytest.approx(
        expected.get_potential_energy() + d3.get_potential_energy(), abs=1e-10)
    assert CountingEMT.calls == 1


def _brute_closest(atoms):
    """The closest pair over all periodic images within two cells (i == j: own image)."""
    pbc = np.asarray(atoms.pbc)
    ranges = [range(-2, 3) if p else range(1) for p in pbc]
    best = (None, None, np.inf)
    for shift in np.array(np.meshgrid(*ranges, indexing="ij")).reshape(3, -1).T:
        d = atoms.positions[None, :] + shift @ atoms.cell[:] - atoms.positions[:, None]
        r = np.linalg.norm(d, axis=-1)
        if not shift.any():
            np.fill_diagonal(r, np.inf)
        i, j = np.unravel_index(np.argmin(r), r.shape)
        if r[i, j] < best[2] - 1e-12:
            best = (min(i, j), max(i, j), r[i, j])
    return best


def _gases():
    rng = np.random.default_rng(5)
    skewed = [[7.0, 0, 0], [3.1, 6.0, 0], [-2.5, 1.7, 5.5]]
    return {
        "skewed 3D cell": Atoms("H12", positions=rng.uniform(0, 6, (12, 3)), cell=skewed,
                                pbc=True),
        "slab without a c vector": Atoms("H9", positions=rng.uniform(0, 6, (9, 3)),
                                         cell=[[6, 0, 0], [1, 5, 0], [0, 0, 0]],
                                         pbc=[True, True, False]),
        "wire": Atoms("H5", positions=rng.uniform(0, 8, (5, 3)), cell=[0, 0, 4.0],
                      pbc=[False, False, True]),
        "molecule": Atoms("H7", positions=rng.uniform(0, 40, (7, 3))),
        "one atom and its images": Atoms("H", cell=[[3, 0, 0], [1.2, 2.9, 0], [0, 0, 9]],
                                         pbc=True),
    }


@pytest.mark.parametrize("name", sorted(_gases()))
def test_a_non_finite_result_names_the_closest_pair_images_included(name):
    """The message names the pair a brute-force search over images finds (its own image for
    an atom closer to it than to any other atom)."""
    from ase_electrolyte.calculator_errors import NonFiniteResult, check_finite

    atoms = _gases()[name]
    i, j, r = _brute_closest(atoms)
    own = " (its own periodic image)" if i == j else ""
    with pytest.raises(NonFiniteResult, match=rf"returned non-finite forces; closest atoms "
                       rf"H{i}-H{j}{re.escape(own)} at {r:.3g} Å$"):
        check_finite({"energy": 1.0, "forces": np.full((len(atoms), 3), np.nan)}, atoms, "m")


def test_naming_the_closest_pair_of_a_large_box_takes_linear_memory():
    """``get_all_distances(mic=True)`` took 14.6 GB for 4000 atoms (N² vectors); 20 000 atoms
    are named with a few MB of Python allocations."""
    import tracemalloc

    from ase_electrolyte.calculator_errors import NonFiniteResult, check_finite

    rng = np.random.default_rng(0)
    n = 20_000
    length = (12.0 * n) ** (1 / 3)
    atoms = Atoms(f"H{n}", positions=rng.uniform(0, length, (n, 3)), cell=[length] * 3,
                  pbc=True)
    atoms.positions[7] = atoms.positions[n - 3] + [0.01, 0.0, 0.0]
    tracemalloc.start()
    try:
        with pytest.raises(NonFiniteResult, match=r"closest atoms H7-H19997 at 0.01 Å"):
            check_finite({"energy": np.nan}, atoms, "m")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200e6  # bytes; the distance matrix alone is 3.2 GB


@pytest.mark.parametrize("make", [
    lambda emt_model: emt_model(dispersion=D3_SHORT),
    lambda emt_model: D3(device="cpu", **D3_SHORT),
    lambda emt_model: Electrostatics(qrd=CU_QRD),
], ids=["Calculator", "D3", "Electrostatics"])
@pytest.mark.parametrize("ask", [
    lambda calc: calc.get_potential_energy(),
    lambda calc: calc.get_forces(),
    lambda calc: calc.get_property("stress"),
    lambda calc: calc.calculate(),
], ids=["energy", "forces", "stress", "calculate"])
def test_a_calculator_asked_without_any_structure_says_so(make, ask, emt_model):
    """Attached to no Atoms, a calculator failed with AttributeError ('NoneType' object has
    no attribute 'pbc'/'numbers'); once it has a structure, the same calls answer for it."""
    calc = make(emt_model)
    with pytest.raises(InputError, match=r"no structure to evaluate; attach the calculator"):
        ask(calc)
    atoms = _box()
    atoms.calc = calc
    energy = atoms.get_potential_energy()
    assert calc.get_potential_energy() == energy
    fresh = _box()
    fresh.calc = make(emt_model)
    np.testing.assert_allclose(calc.get_forces(), fresh.get_forces(), atol=1e-12)


@pytest.mark.parametrize("option", ["dispersion", "electrostatics"])
@pytest.mark.parametrize("other", ["LennardJones", "EMT"])
def test_another_ase_calculator_as_a_summed_term_is_refused_when_given(option, other,
                                                                       emt_model):
    """It was accepted and every evaluation then failed after the model with AttributeError
    ('LennardJones' object has no attribute 'get_properties')."""
    from ase.calculators.lj import LennardJones

    foreign = {"LennardJones": LennardJones, "EMT": EMT}[other]()
    message = rf"{option} must be None, an ase_electrolyte\..* not a {other}; .*SumCalculator"
    with pytest.raises(InputError, match=message):
        emt_model(**{option: foreign})
    calc = emt_model(dispersion=D3_SHORT)
    atoms = _box()
    atoms.calc = calc
    energy = atoms.get_potential_energy()
    record = calc.todict()
    with pytest.raises(InputError, match=message):
        calc.set(**{option: foreign})
    assert calc.todict() == record and atoms.get_potential_energy() == energy
    assert CountingEMT.calls == 1
