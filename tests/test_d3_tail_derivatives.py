"""D3's tail correction: forces and stress are the exact derivatives of its energy.

The homogeneous-liquid tail E_i = Σ_j K_ij C6_ij (K per species pair) follows the coordination
numbers through the C6; its dE/dCN goes into the kernels' chain rule (CPU, and the CUDA code
through its host build). Before, forces and stress left it out: 2.5e-4 eV/Å and 6.7e-6 eV/Å³
off the finite differences of the energy in the 59-atom box below at an 8 Å cutoff (5e-10
and 3e-11 now). The tail's own derivatives are checked on the difference of the calculator
with and without the correction, which holds no pair crossing a hard cutoff: every damping,
hard and smooth cutoffs. Against simple-dftd3 at a far larger cutoff the corrected energy,
pressure and now also the forces come closer than the truncated ones.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from d3_structures import electrolyte_like_box

from ase_electrolyte.d3 import D3, backend

# Å for positions, dimensionless for strains. Every hard cutoff below is at least 2e-3 Å
# from every pair distance of its structure (over 3x what a step moves a pair): no pair
# crosses it in a difference, so the differences see smooth functions.
STEP = 1e-4
VOIGT = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


def liquid_box():
    """59 atoms of solvent-like molecules, PF6- and Li+ at ~0.08 atoms/Å³ in a triclinic cell."""
    atoms = electrolyte_like_box(2, 4.6, seed=1)
    atoms.set_cell(atoms.cell[:] + np.array([[0.0, 0, 0], [0.7, 0, 0], [-0.5, 0.4, 0]]),
                   scale_atoms=False)
    return atoms


def methanol_cell():
    """One molecule in a small, strongly triclinic cell: its own images dominate the tail."""
    atoms = molecule("CH3OH")
    atoms.set_cell([[6.0, 0.0, 0.0], [1.5, 5.5, 0.0], [-1.0, 2.0, 6.2]])
    atoms.pbc = True
    return atoms


def energy(atoms, device="cpu", **options):
    work = atoms.copy()
    work.calc = D3(device=device, **options)
    return work.get_potential_energy()


def evaluate(atoms, device="cpu", **options):
    work = atoms.copy()
    work.calc = D3(device=device, **options)
    return work.get_potential_energy(), work.get_forces(), work.get_stress()


def tail_energy(atoms, device="cpu", **options):
    """The tail correction's energy alone (the truncated sum cancels exactly)."""
    return (energy(atoms, device, tail_correction=True, **options)
            - energy(atoms, device, tail_correction=False, **options))


def strained(atoms, p, q, eps):
    deformation = np.eye(3)
    deformation[p, q] += eps / 2
    deformation[q, p] += eps / 2
    out = atoms.copy()
    out.set_cell(atoms.cell[:] @ deformation, scale_atoms=True)
    return out


def fd_forces(fn, atoms, indices):
    out = np.zeros((len(indices), 3))
    for k, i in enumerate(indices):
        for c in range(3):
            plus, minus = atoms.copy(), atoms.copy()
            plus.positions[i, c] += STEP
            minus.positions[i, c] -= STEP
            out[k, c] = -(fn(plus) - fn(minus)) / (2 * STEP)
    return out


def fd_stress(fn, atoms, components=range(6)):
    volume = atoms.get_volume()
    return np.array([(fn(strained(atoms, *VOIGT[v], STEP)) - fn(strained(atoms, *VOIGT[v], -STEP)))
                     / (2 * STEP) / volume for v in components])


@pytest.fixture(params=["cpu", "cuda-host"])
def device(request):
    if request.param == "cpu":
        yield "cpu"
        return
    backend.set_cuda_host("host", "shuffled", seed=7)
    try:
        yield "cuda"
    finally:
        backend.set_cuda_host(None)


def test_forces_and_stress_are_the_derivatives_of_the_corrected_energy(device):
    atoms = liquid_box()
    options = dict(cutoff=8.0, cn_cutoff=5.9, smooth_cutoff=2.0, tail_correction=True)
    _, forces, stress = evaluate(atoms, device, **options)
    plain_forces = evaluate(atoms, device, cutoff=8.0, cn_cutoff=5.9, smooth_cutoff=2.0)[1]
    # the tail's share of the forces is real here (4e-4 eV/Å; the test would miss nothing)
    assert np.abs(forces - plain_forces).max() > 1e-4
    indices = list(range(0, len(atoms), 4))
    fd = fd_forces(lambda a: energy(a, device, **options), atoms, indices)
    # measured 5e-10 eV/Å (the central difference's); before the fix 2.5e-4
    assert np.abs(fd - forces[indices]).max() < 2e-8
    fd_s = fd_stress(lambda a: energy(a, device, **options), atoms)
    # measured 3e-11 eV/Å³; before 6.7e-6
    assert np.abs(fd_s - stress).max() < 2e-9


@pytest.mark.parametrize("damping", ["bj", "zero", "bjm", "zerom", "op", "cso"])
def test_the_tails_forces_are_its_energys_derivative_for_every_damping(damping):
    # the difference with and without the tail: a hard cutoff's crossings cancel in it
    atoms = methanol_cell()
    options = dict(damping=damping, cutoff=8.8, cn_cutoff=6.5)
    on = evaluate(atoms, tail_correction=True, **options)
    off = evaluate(atoms, tail_correction=False, **options)
    tail_forces = on[1] - off[1]
    fd = fd_forces(lambda a: tail_energy(a, **options), atoms, range(len(atoms)))
    scale = np.abs(tail_forces).max()
    # measured 0.9-1e-5 eV/Å, and the finite differences 4.5e-7 of it off (1 before)
    assert scale > 3e-6
    assert np.abs(fd - tail_forces).max() < 1e-4 * scale
    # shear strains keep the volume: the tail's shear stress is its CN dependence alone,
    # also behind the hard cutoff (whose impulse term is on the diagonal)
    shear = fd_stress(lambda a: tail_energy(a, **options), atoms, components=(3, 4, 5))
    tail_stress = on[2] - off[2]
    assert np.abs(tail_stress[3:]).max() > 5e-9  # eV/Å³, measured 2.6e-8 (0 before)
    assert np.abs(shear - tail_stress[3:]).max() < 1e-4 * np.abs(tail_stress).max()


def test_the_hard_cutoffs_diagonal_stress_adds_the_impulse_of_the_missing_pairs():
    # behind a hard cutoff the tail's diagonal stress is its strain derivative plus the
    # impulse of the pairs at the cutoff, (r_c/3) dE_tail/dr_c / V: the missing pairs' full
    # virial, which for undamped C_n/r^n is -(n/3 - 1) E_n / V (-E6/V of the C6 part) and
    # with the damping of each pair its own energy density at r_c (the tail's r_c
    # derivative; the truncated sum cancels in tail_energy, the coordination numbers keep
    # their cutoff); the C6 part alone here (s8 = 0)
    atoms = methanol_cell()
    volume = atoms.get_volume()
    params = {"s6": 1.0, "s8": 0.0, "a1": 0.4289, "a2": 4.4407}
    options = dict(damping="bj", functional=None, params=params, cn_cutoff=6.5)
    cutoff, step = 8.8, 1e-3
    on = evaluate(atoms, tail_correction=True, cutoff=cutoff, **options)
    off = evaluate(atoms, tail_correction=False, cutoff=cutoff, **options)
    e6 = on[0] - off[0]
    diagonal = fd_stress(lambda a: tail_energy(a, cutoff=cutoff, **options), atoms,
                         components=(0, 1, 2))
    assert e6 < 0
    slope = (tail_energy(atoms, cutoff=cutoff + step, **options)
             - tail_energy(atoms, cutoff=cutoff - step, **options)) / (2 * step)
    impulse = cutoff / 3 * slope / volume
    # undamped this would be -e6 / volume; BJ damping makes it 1e-3 smaller here
    assert impulse == pytest.approx(-e6 / volume, rel=3e-3)
    np.testing.assert_allclose((on[2] - off[2])[:3], diagonal + impulse, rtol=1e-5)


def test_smooth_cutoff_stress_is_the_strain_derivative_in_a_tiny_cell():
    # one molecule in a 6 Å cell: its own periodic images, strongly triclinic, every strain
    atoms = methanol_cell()
    options = dict(cutoff=8.8, cn_cutoff=6.5, smooth_cutoff=1.5, tail_correction=True)
    _, forces, stress = evaluate(atoms, **options)
    fd = fd_stress(lambda a: energy(a, **options), atoms)
    assert np.abs(fd - stress).max() < 1e-9  # measured 7e-12 eV/Å³
    fd_f = fd_forces(lambda a: energy(a, **options), atoms, range(len(atoms)))
    # measured 1.7e-10 eV/Å; the tail's share of the forces is 1.3e-5
    assert np.abs(fd_f - forces).max() < 1e-8


def test_the_correction_brings_energy_pressure_and_forces_to_simple_dftd3_far_out():
    # simple-dftd3 at 100 Å is the reference (its own truncation there, ~1e-6 eV/atom, is
    # below what the 20 Å correction leaves); measured at 20 Å: energy 1.2e-4 -> 7e-7
    # eV/atom, pressure 1.8e-5 -> 1e-7 eV/Å³, forces 1.7e-5 -> 1.8e-6 eV/Å (the tail's CN
    # forces: before they were left out, and the forces stayed at the truncated ones)
    from test_d3 import reference

    atoms = liquid_box()
    n = len(atoms)
    e_ref, f_ref, s_ref = reference(atoms, cutoff=100.0)
    plain = evaluate(atoms, cutoff=20.0)
    corrected = evaluate(atoms, cutoff=20.0, tail_correction=True)
    de_plain, de_corr = (plain[0] - e_ref) / n, (corrected[0] - e_ref) / n
    assert de_plain > 5e-5
    assert abs(de_corr) < 0.02 * de_plain
    dp_plain = s_ref[:3].mean() - plain[2][:3].mean()
    dp_corr = s_ref[:3].mean() - corrected[2][:3].mean()
    assert dp_plain > 1e-5
    assert abs(dp_corr) < 0.03 * dp_plain
    df_plain = np.abs(plain[1] - f_ref).max()
    df_corr = np.abs(corrected[1] - f_ref).max()
    assert df_corr < 0.25 * df_plain


def test_cuda_host_and_tensor_api_give_the_cpus_tail_forces():
    torch = pytest.importorskip("torch")
    atoms = methanol_cell()
    options = dict(cutoff=8.8, cn_cutoff=6.5, tail_correction=True)
    expected = evaluate(atoms, **options)
    backend.set_cuda_host("host", "reverse", seed=0)
    try:
        calc = D3(device="cuda", **options)
        out = calc.compute_tensor(torch.tensor(atoms.positions), atoms.numbers, atoms.cell,
                                  atoms.pbc)
    finally:
        backend.set_cuda_host(None)
    assert float(out["energy"]) == pytest.approx(expected[0], rel=1e-12)
    np.testing.assert_allclose(out["forces"].numpy(), expected[1], rtol=0,
                               atol=1e-10 * np.abs(expected[1]).max())
    np.testing.assert_allclose(out["stress"].numpy(), expected[2], rtol=0,
                               atol=1e-10 * np.abs(expected[2]).max())


def test_a_non_finite_tail_coefficient_is_refused_by_the_kernel():
    atoms = Atoms("LiF", positions=[[0, 0, 0], [2.0, 0, 0]], cell=[5.0, 5.0, 5.0], pbc=True)
    calc = D3(device="cpu", cutoff=8.0, cn_cutoff=5.9, tail_correction=True)
    geometry, tables, _ = calc._prepare(atoms)
    cutoffs = calc._cutoffs_bohr(atoms.get_volume(), 3, tables)
    assert cutoffs["tail"].shape == (2, 2) and (cutoffs["tail"] < 0).all()
    for where in ((0, 0), (0, 1), (1, 1)):
        bad = dict(cutoffs, tail=cutoffs["tail"].copy())
        bad["tail"][where] = np.nan
        with pytest.raises(ValueError, match="tail coefficients must be finite"):
            backend.run_kernel("cpu", geometry, tables, calc.method_parameters, bad, 1)


def test_a_left_handed_cell_of_the_same_lattice_gives_the_same_tail():
    # the tail's 1/V and its CN forces take the volume's magnitude: a cell vector negated
    # is the same lattice
    atoms = methanol_cell()
    left = atoms.copy()
    left.set_cell(atoms.cell[:] * np.array([[-1.0], [1.0], [1.0]]), scale_atoms=False)
    assert np.linalg.det(left.cell[:]) < 0
    options = dict(cutoff=8.8, cn_cutoff=6.5, tail_correction=True)
    right_result, left_result = evaluate(atoms, **options), evaluate(left, **options)
    assert left_result[0] == pytest.approx(right_result[0], rel=1e-12)
    np.testing.assert_allclose(left_result[1], right_result[1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(left_result[2], right_result[2], rtol=0, atol=1e-14)
