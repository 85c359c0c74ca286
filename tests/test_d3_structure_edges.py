"""D3 at the edges of what a structure can be: every tabulated element, elements without
tables, coincident atoms, strongly skewed cells, huge cells with few atoms, cutoffs below the
CN cutoff, mixed periodicity, thread counts, and the caller's Atoms left as they were."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule, niggli_reduce
from ase.constraints import FixAtoms
from ase.data import chemical_symbols
from ase.stress import voigt_6_to_full_3x3_stress
from test_d3 import REF_PARAM, reference

from ase_electrolyte.d3 import D3, backend

pytest.importorskip("dftd3.interface")

DAMPINGS = list(REF_PARAM)


@pytest.fixture
def kernel_must_not_run(monkeypatch):
    def never(*args):
        raise AssertionError("the kernel ran")

    monkeypatch.setattr(backend, "run_kernel", never)


def every_element(seed=1):
    """H..Pu, one atom each, on a jittered 3.2 Å grid (all pairs >= ~2 Å apart)."""
    rng = np.random.default_rng(seed)
    grid = np.array([(i, j, k) for i in range(5) for j in range(5) for k in range(4)], float)
    positions = grid[:94] * 3.2 + rng.normal(0.0, 0.2, (94, 3))
    return Atoms(numbers=np.arange(1, 95), positions=positions)


def compare(atoms, damping="bj", functional="pbe", rel=1e-12, **kwargs):
    """Our energy, forces and stress against simple-dftd3's for the same options."""
    calc_kwargs = {k: v for k, v in kwargs.items() if k != "width"}
    if "width" in kwargs:
        calc_kwargs["smooth_cutoff"] = kwargs["width"]
    work = atoms.copy()
    work.calc = D3(damping=damping, functional=functional, device="cpu", **calc_kwargs)
    energy, forces = work.get_potential_energy(), work.get_forces()
    e_ref, f_ref, s_ref = reference(atoms, damping, functional, **kwargs)
    assert energy == pytest.approx(e_ref, rel=rel, abs=1e-300)
    assert np.abs(forces - f_ref).max() <= max(1e-12, rel * np.abs(f_ref).max())
    if s_ref is not None:
        assert np.abs(work.get_stress() - s_ref).max() <= max(1e-15, rel * np.abs(s_ref).max())
    return energy


@pytest.mark.parametrize("damping", DAMPINGS)
def test_every_tabulated_element_matches_reference(damping):
    # the first and last rows of the tables (H, He; Rn..Pu) included, with the three-body term
    compare(every_element(), damping, "pbe0" if damping == "op" else "pbe", atm=True)


def test_every_tabulated_element_in_a_periodic_cell_matches_reference():
    atoms = every_element(seed=2)
    atoms.set_cell(np.diag([16.0, 16.0, 12.8]))
    atoms.pbc = True
    compare(atoms, cutoff=20.0, cn_cutoff=10.0, rel=1e-11)


@pytest.mark.parametrize("z", [0, 95, 103, 118])
def test_an_element_without_tables_is_refused_by_name(z, kernel_must_not_run):
    atoms = molecule("CH3OH") + Atoms(numbers=[z], positions=[[3.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=rf"does not cover the element\(s\) "
                                         rf"{chemical_symbols[z]}\b.*"):
        D3(device="cpu").get_potential_energy(atoms)


@pytest.mark.parametrize("separation", [0.0, 1e-12, 1e-8, 0.0999])
@pytest.mark.parametrize("pbc", [False, True, (True, False, True)])
def test_coincident_atoms_are_refused_by_name(separation, pbc, kernel_must_not_run):
    # the second H sits on (or next to) an image of the first: across the boundary in a cell
    shift = np.array([5.0, 0.0, 0.0]) if np.any(pbc) else np.zeros(3)
    atoms = molecule("CH3OH")
    atoms.positions += 1.0
    atoms += Atoms("H", positions=[atoms.positions[3] + shift + [0.0, separation, 0.0]])
    atoms.set_cell([5.0, 6.0, 7.0])
    atoms.pbc = pbc
    with pytest.raises(ValueError, match=r"atoms closer than 0\.1 Å: H3-H6"):
        D3(device="cpu").get_potential_energy(atoms)


def skewed():
    """Seven atoms in a cell whose angles are 15-22 degrees (a strongly reducible cell)."""
    rng = np.random.default_rng(2)
    atoms = Atoms("CH4LiF", positions=rng.uniform(0.0, 4.0, (7, 3)),
                  cell=[[6.0, 0, 0], [5.8, 1.6, 0], [5.5, 1.2, 1.9]], pbc=True)
    atoms.wrap()
    assert atoms.cell.cellpar()[3:].max() < 25.0
    return atoms


@pytest.mark.parametrize("damping", ["bj", "zero", "cso"])
def test_strongly_skewed_cell_matches_reference(damping):
    compare(skewed(), damping, cutoff=15.0, cn_cutoff=8.0, rel=1e-11)


def test_strongly_skewed_cell_stress_is_the_strain_derivative_of_the_energy():
    # sigma = (1/V) dE/d(epsilon) by central differences of the energy under symmetric strain
    atoms = skewed()
    atoms.calc = D3(device="cpu", cutoff=15.0, cn_cutoff=8.0, smooth_cutoff=3.0)
    stress = voigt_6_to_full_3x3_stress(atoms.get_stress())
    volume, h = atoms.get_volume(), 1e-5
    numeric = np.zeros((3, 3))
    for i in range(3):
        for j in range(i, 3):
            energies = []
            direction = np.zeros((3, 3))
            direction[i, j] += 0.5
            direction[j, i] += 0.5  # dE = V sigma_ij h for eps_ij = eps_ji = h / 2
            for sign in (1, -1):
                work = atoms.copy()
                work.set_cell(atoms.cell[:] @ (np.eye(3) + sign * h * direction),
                              scale_atoms=True)
                work.calc = atoms.calc
                energies.append(work.get_potential_energy())
            numeric[i, j] = numeric[j, i] = (energies[0] - energies[1]) / (2 * h * volume)
    assert np.abs(stress).max() > 1e-3
    assert np.abs(stress - numeric).max() < 1e-8


def test_strongly_skewed_cell_equals_its_niggli_reduced_form():
    atoms = skewed()
    reduced = atoms.copy()
    niggli_reduce(reduced)  # the same lattice: same energy, stress up to the rotation
    for a in (atoms, reduced):
        a.calc = D3(device="cpu", cutoff=15.0, cn_cutoff=8.0)
    assert reduced.get_potential_energy() == pytest.approx(atoms.get_potential_energy(),
                                                           rel=1e-12)
    eig = [np.linalg.eigvalsh(voigt_6_to_full_3x3_stress(a.get_stress()))
           for a in (atoms, reduced)]
    np.testing.assert_allclose(eig[0], eig[1], rtol=0, atol=1e-13)


@pytest.mark.parametrize("pbc", [True, (True, False, True), (False, False, True)])
def test_huge_cell_with_few_atoms_equals_the_molecule(pbc):
    # 10⁴ Å of vacuum: one lattice translation within the cutoffs, no image inside them
    mol = molecule("CH3CH2OH")
    e_mol = compare(mol)
    atoms = mol.copy()
    atoms.center(vacuum=5000.0)
    atoms.pbc = pbc
    energy = compare(atoms, rel=1e-12)
    assert energy == pytest.approx(e_mol, rel=1e-13)


@pytest.mark.parametrize("cutoff,cn_cutoff", [(2.0, 20.0), (0.5, 10.0), (0.1001, 5.0)])
def test_cutoff_below_the_cn_cutoff_matches_reference(cutoff, cn_cutoff):
    atoms = molecule("CH3CH2OH") + Atoms("LiF", positions=[[3.0, 0.5, 0.2], [4.5, 0.9, 0.1]])
    energy = compare(atoms, cutoff=cutoff, cn_cutoff=cn_cutoff)
    if cutoff < 0.9:  # below every bond: no pair within the two-body cutoff
        assert energy == 0.0


@pytest.mark.parametrize("value", [5e-7, 1e-3, 0.05, 0.1])
@pytest.mark.parametrize("option", ["cutoff", "cn_cutoff", "atm_cutoff"])
def test_a_cutoff_that_holds_no_accepted_pair_is_refused_by_name(option, value):
    # a cutoff up to 0.1 Å (the closest atoms D3 accepts) holds no pair: 1e-3 Å gave an
    # energy of exactly 0 (or every coordination number 0) without a word, for calculate()
    # and compute_tensor() alike
    with pytest.raises(ValueError, match=rf"{option} = {value:g} Å holds no pair of atoms"):
        D3(device="cpu", **{option: value})
    calc = D3(device="cpu")
    before = dict(calc.parameters)
    with pytest.raises(ValueError, match=rf"{option} = {value:g} Å holds no pair"):
        calc.set(**{option: value})
    assert calc.parameters == before


@pytest.mark.parametrize("option,value", [("cutoff", 0.0), ("cutoff", -1.0),
                                          ("cn_cutoff", 0.0), ("atm_cutoff", 0.0),
                                          ("num_threads", 0), ("num_threads", -1)])
def test_a_zero_or_negative_cutoff_or_thread_count_is_refused_by_name(option, value):
    with pytest.raises(ValueError, match=rf"{option}.* must be a (finite|whole) number"):
        D3(device="cpu", **{option: value})


def test_a_thread_count_above_the_cpus_is_a_ceiling():
    calc = D3(device="cpu", num_threads=2**40)
    assert 1 <= calc.num_threads <= 2**31 - 1
    atoms = molecule("CH3OH")
    one = D3(device="cpu", num_threads=1)
    assert calc.get_potential_energy(atoms.copy()) == pytest.approx(
        one.get_potential_energy(atoms.copy()), rel=1e-14)


@pytest.mark.parametrize("pbc", [False, True, (True, False, True)])
def test_the_callers_atoms_are_unchanged(pbc):
    # atoms outside a skewed, rotated cell: the calculator wraps and rotates a copy only
    atoms = skewed()
    atoms.rotate(30, (1, 2, 3), rotate_cell=True)
    atoms.positions += [[9.0, -7.0, 13.0]] * len(atoms)
    atoms.pbc = pbc
    atoms.info["tag"] = {"run": 3}
    atoms.set_constraint(FixAtoms(indices=[0, 2]))
    atoms.set_initial_magnetic_moments(np.arange(len(atoms), dtype=float))
    before = atoms.copy()
    atoms.calc = D3(device="cpu", cutoff=12.0, cn_cutoff=8.0)
    atoms.get_forces()
    if atoms.pbc.all():
        atoms.get_stress()
    assert atoms.info == {"tag": {"run": 3}}
    assert np.array_equal(atoms.positions, before.positions)
    assert np.array_equal(atoms.cell[:], before.cell[:])
    assert np.array_equal(atoms.pbc, before.pbc)
    assert [c.todict() for c in atoms.constraints] == [c.todict() for c in before.constraints]
    assert sorted(atoms.arrays) == sorted(before.arrays)
    for key in before.arrays:
        assert np.array_equal(atoms.arrays[key], before.arrays[key])


@pytest.mark.parametrize("pbc", [False, True])
@pytest.mark.parametrize("separation", [0.0, 1e-12, 1e-8, 1e-6, 1e-4, 0.05, 0.0999, 0.1001,
                                        0.3])
def test_tensor_api_on_close_atoms_is_refused_or_equals_reference(separation, pbc):
    # compute_tensor does not look for atoms closer than 0.1 Å on the host (the positions
    # stay on the device). Coincident atoms (< 1e-6 bohr) were dropped from each other's CN
    # and energy without a word (methanol with a duplicated H: -0.06546 eV, against -0.06760
    # eV with the copy 1e-6 Å away; simple-dftd3 refuses the structure), and atoms 1e-6 to
    # 0.1 Å apart, which calculate() refuses, were computed; the kernel now marks every pair
    # closer than 0.1 Å and they are named.
    # From 0.1 Å on the numbers are finite and simple-dftd3's.
    torch = pytest.importorskip("torch")
    atoms = molecule("CH3OH")
    atoms += Atoms("H", positions=[atoms.positions[3] + [separation, 0.0, 0.0]])
    if pbc:
        atoms.set_cell([[9.0, 0.0, 0.0], [1.5, 8.5, 0.0], [-1.0, 2.0, 8.0]])
        atoms.pbc = True
    positions = torch.tensor(atoms.positions)
    backend.set_cuda_host("host")
    try:
        calc = D3(device="cuda")
        if separation < 0.1:
            with pytest.raises(ValueError, match=r"closer than 0.1 Å .*: H3, H6; fix"):
                calc.compute_tensor(positions, atoms.numbers, atoms.cell, atoms.pbc)
            return
        out = calc.compute_tensor(positions, atoms.numbers, atoms.cell, atoms.pbc)
    finally:
        backend.set_cuda_host(None)
    e_ref, f_ref, s_ref = reference(atoms)
    assert float(out["energy"]) == pytest.approx(e_ref, rel=1e-12)
    assert np.abs(out["forces"].numpy() - f_ref).max() < 1e-12 * np.abs(f_ref).max()
    if pbc:
        assert np.abs(out["stress"].numpy() - s_ref).max() < 1e-12 * np.abs(s_ref).max()


@pytest.mark.parametrize("separation", [0.0, 0.05, 0.0999])
@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("pbc", [False, True, (True, True, False)])
def test_coincident_atoms_reaching_either_kernel_are_named_not_dropped(device, pbc,
                                                                       separation,
                                                                       monkeypatch):
    # every CN pass of both kernels (all pairs, CPU cell lists, GPU bins) marks a distinct
    # atom within 0.1 Å of another or of its periodic image; the host check that
    # calculate() runs first is switched off to reach them
    from ase_electrolyte.d3 import calculator as d3_calculator

    monkeypatch.setattr(d3_calculator, "check_overlaps", lambda *args: None)
    cell = np.array([[8.0, 0.0, 0.0], [1.0, 7.0, 0.0], [0.5, -1.0, 7.5]])
    atoms = molecule("CH3OH")
    atoms.positions += 1.0
    shift = cell[1] if np.any(pbc) else np.zeros(3)  # on an image of H3 in a cell
    atoms += Atoms("H", positions=[atoms.positions[3] + shift + [0.0, separation, 0.0]])
    atoms.set_cell(cell)
    atoms.pbc = pbc
    if device == "cuda":
        backend.set_cuda_host("host")
    try:
        calc = D3(device=device, cutoff=15.0, cn_cutoff=10.0)
        with pytest.raises(ValueError, match=r"closer than 0.1 Å .*: H3, H6; fix"):
            calc.get_potential_energy(atoms)
        assert "energy" not in calc.results
        atoms.positions[6] += [0.0, 0.0, 1.5]  # apart again: a plain result
        assert np.isfinite(calc.get_potential_energy(atoms))
    finally:
        backend.set_cuda_host(None)


def test_tensor_api_refuses_a_cell_thinner_than_the_closest_accepted_distance(monkeypatch):
    # every atom is then within 0.1 Å of its own image, which the kernels' CN passes take for
    # the atom itself; calculate() refuses such a cell through its overlap check, and
    # compute_tensor now before the kernel runs
    torch = pytest.importorskip("torch")
    atoms = Atoms("LiF", positions=[[0.0, 0.0, 0.0], [0.02, 2.0, 2.0]],
                  cell=[[0.05, 0.0, 0.0], [0.0, 8.0, 0.0], [0.0, 0.0, 8.0]], pbc=True)

    def never(*args):
        raise AssertionError("the kernel ran")

    backend.set_cuda_host("host")
    try:
        calc = D3(device="cuda", cutoff=5.0, cn_cutoff=5.0)
        monkeypatch.setattr(backend, "run_kernel_tensor", never)
        with pytest.raises(ValueError, match=r"0.05 Å thin across a face"):
            calc.compute_tensor(torch.tensor(atoms.positions), atoms.numbers, atoms.cell,
                                atoms.pbc)
    finally:
        backend.set_cuda_host(None)
    with pytest.raises(ValueError, match=r"0.05 Å thin across a face"):
        D3(device="cpu", cutoff=5.0, cn_cutoff=5.0).get_potential_energy(atoms)
