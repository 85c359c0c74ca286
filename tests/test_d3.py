"""Tests of ase_electrolyte.d3: agreement with simple-dftd3, derivatives, input checks."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.units import Bohr, Hartree
from d3_structures import electrolyte_like_box

from ase_electrolyte.d3 import D3, backend

dftd3 = pytest.importorskip("dftd3.interface")

REF_PARAM = {
    "bj": dftd3.RationalDampingParam,
    "zero": dftd3.ZeroDampingParam,
    "bjm": dftd3.ModifiedRationalDampingParam,
    "zerom": dftd3.ModifiedZeroDampingParam,
    "op": dftd3.OptimizedPowerDampingParam,
    "cso": dftd3.CSODampingParam,
}


def reference(
    atoms,
    damping="bj",
    functional="pbe",
    atm=False,
    cutoff=50.2,
    cn_cutoff=20.0,
    atm_cutoff=40 * Bohr,
    width=0.0,
):
    """Energy (eV), forces (eV/Å), stress (eV/Å³ or None) from simple-dftd3."""
    periodic = bool(atoms.pbc.any())
    model = dftd3.DispersionModel(
        atoms.numbers,
        atoms.positions / Bohr,
        atoms.cell[:] / Bohr if periodic else None,
        atoms.pbc if periodic else None,
    )
    # simple-dftd3 takes the CN chain-rule images from the three-body lattice: keep it >= cn
    disp3 = atm_cutoff if atm else cn_cutoff
    model.set_realspace_cutoff(cutoff / Bohr, disp3 / Bohr, cn_cutoff / Bohr, width / Bohr, 0.0)
    res = model.get_dispersion(REF_PARAM[damping](method=functional, atm=atm), grad=True)
    stress = None
    if periodic:
        stress = (res["virial"] * Hartree / atoms.get_volume()).flat[[0, 4, 8, 5, 2, 1]]
    return res["energy"] * Hartree, -res["gradient"] * Hartree / Bohr, stress


def ours(atoms, **kwargs):
    atoms = atoms.copy()
    atoms.calc = D3(device="cpu", **kwargs)
    energy = atoms.get_potential_energy()
    forces = atoms.get_forces()
    stress = atoms.get_stress() if atoms.pbc.any() else None
    return energy, forces, stress, atoms.get_potential_energies()


def assert_matches(atoms, damping="bj", functional="pbe", **kwargs):
    e, f, s, energies = ours(atoms, damping=damping, functional=functional, **kwargs)
    ref_kwargs = {
        k: v for k, v in kwargs.items() if k in ("atm", "cutoff", "cn_cutoff", "atm_cutoff")
    }
    if "smooth_cutoff" in kwargs:
        ref_kwargs["width"] = kwargs["smooth_cutoff"]
    e_ref, f_ref, s_ref = reference(atoms, damping, functional, **ref_kwargs)
    assert e == pytest.approx(e_ref, rel=1e-9, abs=1e-14)
    assert np.abs(f - f_ref).max() < 1e-8
    assert energies.sum() == pytest.approx(e, rel=1e-12)
    if s_ref is not None:
        assert np.abs(s - s_ref).max() < 1e-9


@pytest.fixture
def small_triclinic():
    """Five atoms in a skewed, rotated cell ~3 Å wide: hundreds of images inside the cutoffs."""
    atoms = Atoms(
        "COH2Li",
        positions=[[0, 0, 0], [1.2, 0.1, 0], [-0.5, 0.9, 0.1], [-0.5, -0.9, 0.2], [1.5, 1.9, 1.4]],
        cell=[[3.1, 0, 0], [1.2, 3.4, 0], [0.7, -0.9, 3.3]],
        pbc=True,
    )
    atoms.rotate(30, (1, 2, 3), rotate_cell=True)
    return atoms


@pytest.mark.parametrize("damping", list(REF_PARAM))
def test_molecule_matches_reference_every_damping(damping):
    atoms = molecule("CH3CH2OH")
    atoms += Atoms("LiF", positions=[[3.0, 0.5, 0.2], [4.5, 0.9, 0.1]])
    assert_matches(atoms, damping)


@pytest.mark.parametrize("functional", ["pbe0", "b3lyp", "revpbe", "r2scan", "pbesol", "tpss"])
def test_functionals_match_reference(functional):
    assert_matches(molecule("CH3COOH"), "bj", functional)
    if functional in D3.known_functionals("zero"):
        assert_matches(molecule("CH3COOH"), "zero", functional)


@pytest.mark.parametrize("damping", list(REF_PARAM))
def test_small_triclinic_cell_matches_reference(small_triclinic, damping):
    assert_matches(small_triclinic, damping)


@pytest.mark.parametrize("damping", list(REF_PARAM))
def test_electrolyte_box_matches_reference(damping):
    box = electrolyte_like_box(5, 4.4)  # ~900 atoms at ~0.1 atoms/Å3, 50.2/20 Å cutoffs
    assert len(box) > 800
    assert_matches(box, damping)


def test_skewed_box_with_atoms_outside_cell_matches_reference():
    # many sub-cells of the cell list, a strongly tilted cell and atoms far outside it
    box = electrolyte_like_box(3, 4.4, seed=3)
    cell = box.cell.array.copy()
    cell[1] += 0.6 * cell[0]
    cell[2] += -0.4 * cell[0] + 0.5 * cell[1]
    box.set_cell(cell, scale_atoms=True)
    rng = np.random.default_rng(4)
    box.positions += rng.integers(-2, 3, size=(len(box), 3)) @ cell
    assert_matches(box, "bj", cutoff=25.0, cn_cutoff=12.0)


def test_thread_count_does_not_change_results():
    box = electrolyte_like_box(3, 4.4, seed=5)
    one = ours(box, cutoff=20.0, cn_cutoff=10.0, num_threads=1)
    two = ours(box, cutoff=20.0, cn_cutoff=10.0, num_threads=2)
    assert one[0] == pytest.approx(two[0], rel=1e-13)
    np.testing.assert_allclose(one[1], two[1], rtol=0, atol=1e-13)
    np.testing.assert_allclose(one[2], two[2], rtol=0, atol=1e-15)


@pytest.mark.parametrize("pbc", [[True, True, False], [False, False, True]])
def test_partially_periodic_equals_explicit_replicas(small_triclinic, pbc):
    # simple-dftd3 1.7 builds a different image set for 1D/2D periodicity, so the oracle here
    # is a finite stack of replicas: the atoms of its central copy see the same neighbours
    # (and CN) as the periodic system, so their per-atom energies must add up to its energy.
    kwargs = dict(cutoff=15.0, cn_cutoff=8.0)
    periodic = small_triclinic.copy()
    periodic.pbc = pbc
    energy, forces, _, _ = ours(periodic, **kwargs)
    m = 8
    ranges = [range(-m, m + 1) if p else [0] for p in pbc]
    replicas = Atoms()
    for shift in np.ndindex(*[len(r) for r in ranges]):
        copy = small_triclinic.copy()
        copy.pbc = False
        copy.positions += (
            np.array([r[k] for r, k in zip(ranges, shift, strict=True)]) @ small_triclinic.cell[:]
        )
        replicas += copy
    _, _, _, energies = ours(replicas, **kwargs)
    n = len(small_triclinic)
    centre = [
        i
        for i in range(len(replicas))
        if np.allclose(replicas.positions[i], small_triclinic.positions[i % n])
    ]
    assert len(centre) == n
    assert energies[centre].sum() == pytest.approx(energy, rel=1e-12)
    assert np.abs(forces.sum(axis=0)).max() < 1e-12  # translation invariance


@pytest.mark.parametrize("damping", ["bj", "zero"])
def test_atm_matches_reference_molecule(damping):
    atoms = molecule("CH3CH2OH")
    atoms += Atoms("Li", positions=[[3.0, 0.5, 0.2]])
    assert_matches(atoms, damping, atm=True)
    e_two, *_ = ours(atoms, damping=damping)
    e_three, *_ = ours(atoms, damping=damping, atm=True)
    assert abs(e_three - e_two) > 1e-6  # the three-body term is really there


def test_atm_periodic_matches_reference(small_triclinic):
    # unrotated cell: for a rotated one at this short three-body cutoff simple-dftd3 1.7's
    # lattice-point list misses triples (ours agrees with an explicitly enlarged image list)
    cell = Atoms(
        small_triclinic.numbers,
        cell=[[3.1, 0, 0], [1.2, 3.4, 0], [0.7, -0.9, 3.3]],
        pbc=True,
        scaled_positions=small_triclinic.get_scaled_positions(),
    )
    assert_matches(cell, "bj", atm=True, cutoff=15.0, cn_cutoff=8.0, atm_cutoff=8.0)
    assert_matches(cell, "zero", atm=True, cutoff=15.0, cn_cutoff=8.0, atm_cutoff=8.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(damping="bj"),
        dict(damping="zero"),
        dict(damping="zerom"),
        dict(damping="op"),
        dict(damping="cso"),
        dict(damping="bj", atm=True, atm_cutoff=8.0),
    ],
)
def test_forces_and_stress_match_finite_differences(small_triclinic, kwargs):
    # a smooth two-body cutoff, so that images crossing the cutoff during the finite
    # differences do not make the energy jump (the hard-cutoff derivatives are tested
    # against simple-dftd3 above)
    atoms = small_triclinic.copy()
    atoms.rattle(0.05, seed=3)
    atoms.calc = D3(device="cpu", cutoff=15.0, cn_cutoff=10.0, smooth_cutoff=3.0, **kwargs)
    forces = atoms.get_forces()
    numeric = atoms.calc.calculate_numerical_forces(atoms, d=1e-4)
    assert np.abs(forces - numeric).max() < 1e-6
    stress = atoms.get_stress()
    numeric_stress = atoms.calc.calculate_numerical_stress(atoms, d=1e-5)
    assert np.abs(stress - numeric_stress).max() < 1e-7


def test_smooth_cutoff_is_continuous_and_matches_reference(small_triclinic):
    assert_matches(small_triclinic, "bj", cutoff=20.0, smooth_cutoff=4.0)
    dimer = Atoms("Ar2", positions=[[0, 0, 0], [0, 0, 1.0]])
    rc = 12.0
    for width, jumps in [(None, True), (2.0, False)]:
        calc = D3(device="cpu", cutoff=rc, smooth_cutoff=width)
        energies = []
        for r in (rc - 1e-6, rc + 1e-6):
            dimer.positions[1, 2] = r
            dimer.calc = calc
            energies.append(dimer.get_potential_energy())
        assert energies[1] == 0.0
        assert (abs(energies[0]) > 1e-7) is jumps
        if not jumps:
            assert abs(energies[0]) < 1e-12


def test_invariance_under_rotation_and_translation(small_triclinic):
    e0, f0, s0, _ = ours(small_triclinic)
    moved = small_triclinic.copy()
    moved.translate([0.3, -1.1, 2.0])
    rot = moved.copy()
    rot.rotate(77, (0.2, -1, 0.4), rotate_cell=True)
    e1, f1, s1, _ = ours(rot)
    assert e1 == pytest.approx(e0, rel=1e-12)
    # forces rotate with the structure
    rmat = np.linalg.lstsq(
        moved.positions - moved.positions[0], rot.positions - rot.positions[0], rcond=None
    )[0]
    assert np.allclose(f0 @ rmat, f1, atol=1e-10)
    from ase.stress import voigt_6_to_full_3x3_stress as full

    assert np.allclose(rmat.T @ full(s0) @ rmat, full(s1), atol=1e-12)


def test_explicit_params_equal_functional_lookup():
    atoms = molecule("C6H6")
    e_func, *_ = ours(atoms, damping="bj", functional="pbe")
    e_par, *_ = ours(
        atoms, damping="bj", functional=None, params=dict(s6=1.0, s8=0.7875, a1=0.4289, a2=4.4407)
    )
    assert e_par == pytest.approx(e_func, rel=1e-14)
    e_mod, *_ = ours(atoms, damping="bj", params=dict(s8=0.0))
    assert e_mod > e_func  # without the C8 term the dispersion is weaker


def test_bad_input_raises_before_kernel(small_triclinic):
    with pytest.raises(ValueError, match="known dampings: bj"):
        D3(damping="d4")
    with pytest.raises(ValueError, match="known functionals"):
        D3(functional="not-a-functional")
    with pytest.raises(ValueError, match="cutoff"):
        D3(cutoff=0.0)
    with pytest.raises(ValueError, match="cn_cutoff"):
        D3(cn_cutoff=-1.0)
    with pytest.raises(ValueError, match="smooth_cutoff"):
        D3(cutoff=10.0, smooth_cutoff=10.0)
    with pytest.raises(ValueError, match="needs parameter"):
        D3(functional=None, params={"s8": 1.0})
    calc = D3(device="cpu")
    am = Atoms("CAm", positions=[[0, 0, 0], [2, 0, 0]])
    with pytest.raises(ValueError, match="Am"):
        calc.get_potential_energy(am)
    nan = molecule("H2O")
    nan.positions[0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        calc.get_potential_energy(nan)
    flat = small_triclinic.copy()
    flat.cell[2] = flat.cell[0] + flat.cell[1]
    with pytest.raises(ValueError, match="zero volume"):
        calc.get_potential_energy(flat)
    before = small_triclinic.positions.copy()
    calc.get_forces(small_triclinic)
    assert np.array_equal(small_triclinic.positions, before)


@pytest.mark.parametrize("option, value, match", [
    ("cutoff", True, "cutoff"),
    ("cutoff", "10", "cutoff"),
    ("cn_cutoff", float("inf"), "cn_cutoff"),
    ("atm_cutoff", None, "atm_cutoff"),
    ("smooth_cutoff", False, "smooth_cutoff"),
    ("smooth_cutoff", -1.0, "smooth_cutoff"),
    ("num_threads", float("inf"), "num_threads"),
    ("num_threads", float("nan"), "num_threads"),
    ("num_threads", 2.5, "num_threads"),
    ("num_threads", True, "num_threads"),
    ("params", {"s6": "x"}, "parameter s6"),
    ("params", {"a2": True}, "parameter a2"),
    ("params", {"s8": float("nan")}, "parameter s8"),
    ("params", [1.0, 2.0], "params must be a dict"),
])
def test_options_of_the_wrong_kind_are_refused_by_name(option, value, match):
    # a bool, a string or NaN where a number belongs: named in construction and in set(),
    # and set() leaves the calculator as it was
    from ase.calculators.calculator import InputError

    with pytest.raises(InputError, match=match):
        D3(device="cpu", **{option: value})
    calc = D3(device="cpu", cutoff=9.0, cn_cutoff=7.0)
    before = calc.todict()
    with pytest.raises(InputError, match=match):
        calc.set(**{option: value})
    assert calc.todict() == before


def test_numpy_numbers_are_accepted_as_options():
    calc = D3(device="cpu", cutoff=np.float32(9.0), cn_cutoff=np.array(7.0),
              num_threads=np.int64(1), smooth_cutoff=0)
    assert (calc.cutoff, calc.cn_cutoff, calc.num_threads) == (9.0, 7.0, 1)
    assert calc.parameters["smooth_cutoff"] is None


def test_one_kernel_call_serves_all_properties(small_triclinic, monkeypatch):
    calls = []
    run = backend.run_kernel
    monkeypatch.setattr(backend, "run_kernel", lambda *a, **k: calls.append(1) or run(*a, **k))
    calc = D3(device="cpu")
    calc.get_properties(["energy", "forces", "stress", "energies"], small_triclinic)
    small_triclinic.calc = calc
    small_triclinic.get_forces()
    small_triclinic.get_stress()
    assert len(calls) == 1


@pytest.mark.gpu
@pytest.mark.skipif(backend.cuda_device_count() == 0, reason="no CUDA GPU")
@pytest.mark.parametrize("damping", ["bj", "zero", "cso"])
def test_cuda_equals_cpu(small_triclinic, damping):
    # cutoffs off the lattice: no image sits exactly on a cutoff, where the GPU's and the
    # CPU's rounding of r^2 could disagree about including it
    box = electrolyte_like_box(3, 4.4)
    for atoms, kw in [
        (box, {}),
        (small_triclinic, dict(atm=True, cutoff=15.3, cn_cutoff=8.3, atm_cutoff=8.1)),
    ]:
        cpu = ours(atoms, damping=damping, **kw)
        gpu_atoms = atoms.copy()
        gpu_atoms.calc = D3(damping=damping, device="cuda", **kw)
        assert gpu_atoms.get_potential_energy() == pytest.approx(cpu[0], rel=1e-10)
        assert np.abs(gpu_atoms.get_forces() - cpu[1]).max() < 1e-10 * max(
            1.0, np.abs(cpu[1]).max()
        )
        assert np.abs(gpu_atoms.get_stress() - cpu[2]).max() < 1e-10 * max(
            1.0, np.abs(cpu[2]).max()
        )


def test_no_gpu_gives_cpu_for_auto_and_clear_error_for_cuda(monkeypatch):
    monkeypatch.setattr(backend, "cuda_device_count", lambda: 0)
    monkeypatch.setattr(backend, "cuda_host_mode", lambda: None)
    assert backend.select_device("auto") == "cpu"
    with pytest.raises(RuntimeError, match="cuda"):
        backend.select_device("cuda")
    with pytest.raises(ValueError, match="cuda:N"):
        backend.select_device("gpu")
