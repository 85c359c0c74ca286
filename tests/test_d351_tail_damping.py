"""D3's tail correction integrates each pair's own damped term, not C6/r^6 + C8/r^8.

Beyond where the kernels' sum stops (the cutoff, and inside it what ``smooth_cutoff``
switches off) the tail restores E_tail = -(2π/V) Σ_ij C6_ij ∫ (1 - S) e_ij(r) r² dr with
e_ij the damped pair term of the two species. Before, the switching window and the range
beyond the cutoff were integrated undamped: the tail of a Cs2 cell with a 6-8 Å switch was
25 % too large with BJ damping (9 % with zero damping), that of C2 0.6 %. Checked here
against numerical quadrature (scipy) of the pair energy of dimers, computed by
simple-dftd3 (the ``dftd3`` package, the reference implementation) where it has the
damping and by the calculator itself otherwise: cells whose coordination numbers are all
zero (``cn_cutoff`` below every distance), so that a dimer's C6 is the cell's.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.units import Bohr, Hartree
from scipy.integrate import quad

from ase_electrolyte.d3 import D3, backend

# a coordination-number cutoff below every distance of the structures here: CN = 0
CN_OFF = 0.2
CUTOFF = 8.0

# simple-dftd3's damping classes for the calculator's dampings
DFTD3_DAMPING = {"bj": "RationalDampingParam", "zero": "ZeroDampingParam",
                 "bjm": "ModifiedRationalDampingParam", "zerom": "ModifiedZeroDampingParam",
                 "op": "OptimizedPowerDampingParam"}


def dimer_energy(damping, pair, functional="pbe"):
    """E(r) of an isolated pair (eV, r in Å) at CN = 0: simple-dftd3 where it has the damping."""
    numbers = [Atoms(pair).numbers[0], Atoms(pair).numbers[-1]]
    if damping in DFTD3_DAMPING:
        from dftd3 import interface

        param = getattr(interface, DFTD3_DAMPING[damping])(method=functional)

        def energy(r):
            model = interface.DispersionModel(
                np.array(numbers), np.array([[0.0, 0, 0], [r / Bohr, 0, 0]]))
            model.set_realspace_cutoff(1e5, 40.0, CN_OFF / Bohr)
            return model.get_dispersion(param, grad=False)["energy"] * Hartree

        return energy
    work = Atoms(numbers=numbers, positions=[[0, 0, 0], [1.0, 0, 0]])
    work.calc = D3(damping=damping, functional=functional, device="cpu", cutoff=1e4,
                   cn_cutoff=CN_OFF)

    def energy(r):
        work.positions[1, 0] = r
        return work.get_potential_energy()

    return energy


def switch(r, width):
    """simple-dftd3's quintic switch from 1 at CUTOFF - width to 0 at CUTOFF."""
    if width == 0.0 or r <= CUTOFF - width:
        return 1.0
    if r >= CUTOFF:
        return 0.0
    x = (CUTOFF - r) / width
    return x**3 * (10.0 + x * (-15.0 + 6.0 * x))


def pair_integral(energy, width):
    """∫ (1 - S) E(r) r² dr from CUTOFF - width to infinity (eV Å³) of a dimer's E(r)."""
    window = quad(lambda r: (1.0 - switch(r, width)) * energy(r) * r * r, CUTOFF - width,
                  CUTOFF, epsabs=0, epsrel=1e-10)[0] if width else 0.0
    return window + quad(lambda r: energy(r) * r * r, CUTOFF, np.inf, epsabs=0,
                         epsrel=1e-10)[0]


def quadrature_tail(atoms, damping, width, functional="pbe"):
    """-(2π/V) Σ_ij ∫ (1 - S) E_ij(r) r² dr from CUTOFF - width on (eV), E_ij the dimers'."""
    symbols = atoms.get_chemical_symbols()
    total = sum(pair_integral(dimer_energy(damping, i + j, functional), width)
                for i in symbols for j in symbols)
    return 2.0 * np.pi / atoms.get_volume() * total


def tail_energy(atoms, **options):
    """The correction's energy alone: the truncated sums cancel."""
    energies = []
    for tail in (False, True):
        work = atoms.copy()
        work.calc = D3(device="cpu", cutoff=CUTOFF, cn_cutoff=CN_OFF, tail_correction=tail,
                       **options)
        energies.append(work.get_potential_energy())
    return energies[1] - energies[0]


def two_atoms(pair, length=7.0):
    return Atoms(pair, positions=[[0, 0, 0], [length / 2] * 3], cell=[length] * 3, pbc=True)


@pytest.mark.parametrize("width", [0.0, 2.0])
@pytest.mark.parametrize("pair", ["Cs2", "CsF", "C2"])
@pytest.mark.parametrize("damping", ["bj", "zero"])
def test_the_tail_is_the_quadrature_of_the_damped_dimer_energy(damping, pair, width):
    atoms = two_atoms(pair)
    expected = quadrature_tail(atoms, damping, width)
    got = tail_energy(atoms, damping=damping, smooth_cutoff=width or None)
    assert got == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("damping", ["bjm", "zerom", "op", "cso"])
def test_every_damping_integrates_its_own_pair_term(damping):
    # Cs-Cs, the most damped pair at these distances, behind a 2 Å switch; simple-dftd3 for
    # the dimers where it has the damping, the calculator's own dimers for CSO
    atoms = two_atoms("CsLi")
    functional = "b3lyp" if damping in ("zerom", "op", "cso") else "pbe"
    expected = quadrature_tail(atoms, damping, 2.0, functional)
    got = tail_energy(atoms, damping=damping, functional=functional, smooth_cutoff=2.0)
    assert got == pytest.approx(expected, rel=1e-8)


def random_csf_box(n=40, length=14.0, seed=3):
    """An ideal-gas-like Cs/F/Li box (no pair closer than 2.8 Å): homogeneous beyond ~6 Å."""
    rng = np.random.default_rng(seed)
    positions = []
    while len(positions) < n:
        p = rng.uniform(0, length, 3)
        if all(np.linalg.norm((p - q + length / 2) % length - length / 2) > 2.8
               for q in positions):
            positions.append(p)
    symbols = (["Cs", "F", "Li", "F"] * n)[:n]
    return Atoms(symbols, positions=positions, cell=[length] * 3, pbc=True)


def test_the_corrected_energy_of_a_cs_box_comes_to_a_far_larger_cutoff():
    # with the pairs' own damping the 6-9 Å switch is restored to within the box's
    # inhomogeneity; integrated undamped, the Cs-Cs and Cs-F pairs were counted too strongly
    atoms = random_csf_box()

    def energy(**options):
        work = atoms.copy()
        work.calc = D3(device="cpu", cn_cutoff=6.0, **options)
        return work.get_potential_energy()

    reference = energy(cutoff=60.0, tail_correction=True)
    truncated = energy(cutoff=9.0, smooth_cutoff=3.0)
    corrected = energy(cutoff=9.0, smooth_cutoff=3.0, tail_correction=True)
    assert abs(truncated - reference) > 0.3  # eV: what the correction has to restore
    assert abs(corrected - reference) < 0.01 * abs(truncated - reference)


STEP = 1e-4


@pytest.mark.parametrize("damping", ["bj", "zero", "cso"])
@pytest.mark.parametrize("width", [None, 2.0])
def test_forces_and_stress_are_the_derivatives_of_the_damped_tail(damping, width):
    # coordination numbers on (cn_cutoff 5 Å): the tail's C6 follow the positions, and
    # each species pair carries its own coefficient into the kernel's chain rule
    atoms = random_csf_box(n=12, length=9.0, seed=5)
    atoms.set_cell(atoms.cell[:] + [[0, 0, 0], [1.0, 0, 0], [-0.6, 0.5, 0]],
                   scale_atoms=False)
    options = dict(damping=damping, cutoff=7.3, cn_cutoff=5.0, smooth_cutoff=width)

    def tail(a):
        values = []
        for on in (False, True):
            work = a.copy()
            work.calc = D3(device="cpu", tail_correction=on, **options)
            values.append((work.get_potential_energy(), work.get_forces(), work.get_stress()))
        return [v1 - v0 for v0, v1 in zip(*values, strict=True)]

    energy, forces, stress = tail(atoms)
    fd = np.zeros_like(forces)
    for i in range(len(atoms)):
        for c in range(3):
            shifted = []
            for sign in (1, -1):
                a = atoms.copy()
                a.positions[i, c] += sign * STEP
                shifted.append(tail(a)[0])
            fd[i, c] = -(shifted[0] - shifted[1]) / (2 * STEP)
    assert np.abs(forces).max() > 1e-5
    assert np.abs(fd - forces).max() < 1e-4 * np.abs(forces).max()
    # shear strains keep the volume: the tail's shear stress is its CN dependence alone
    volume = atoms.get_volume()
    for k, (a_, b_) in zip((3, 4, 5), ((1, 2), (0, 2), (0, 1)), strict=True):
        shifted = []
        for sign in (1, -1):
            strain = np.eye(3)
            strain[a_, b_] = strain[b_, a_] = sign * STEP / 2
            a = atoms.copy()
            a.set_cell(atoms.cell[:] @ strain, scale_atoms=True)
            shifted.append(tail(a)[0])
        fd_stress = (shifted[0] - shifted[1]) / (2 * STEP) / volume
        assert fd_stress == pytest.approx(stress[k], abs=1e-4 * np.abs(stress).max())


@pytest.mark.cuda_host
@pytest.mark.parametrize("width", [None, 2.0])
def test_the_cuda_code_takes_the_same_per_pair_tail(width):
    # the species-pair table travels in the CUDA kernel's system block (host build here)
    atoms = random_csf_box(n=16, length=10.0, seed=7)
    options = dict(cutoff=7.3, cn_cutoff=5.0, smooth_cutoff=width, tail_correction=True)
    work = atoms.copy()
    work.calc = D3(device="cpu", **options)
    expected = work.get_potential_energy(), work.get_forces(), work.get_stress()
    backend.set_cuda_host("host", "reverse", seed=0)
    try:
        work = atoms.copy()
        work.calc = D3(device="cuda", **options)
        got = work.get_potential_energy(), work.get_forces(), work.get_stress()
    finally:
        backend.set_cuda_host(None)
    assert got[0] == pytest.approx(expected[0], rel=1e-12)
    np.testing.assert_allclose(got[1], expected[1], rtol=0, atol=1e-10 * np.abs(expected[1]).max())
    np.testing.assert_allclose(got[2], expected[2], rtol=0, atol=1e-10 * np.abs(expected[2]).max())


@pytest.mark.parametrize("bad", ["species", "distance"])
def test_the_pair_damping_export_refuses_what_it_cannot_evaluate(bad):
    calc = D3(device="cpu", cutoff=CUTOFF, tail_correction=True)
    _, tables, _ = calc._prepare(two_atoms("CsF"))
    zi, r = ([0, 2], [5.0, 5.0]) if bad == "species" else ([0, 1], [5.0, 0.0])
    with pytest.raises(ValueError, match="species pair|pair distance"):
        backend.pair_damping("cpu", tables, calc.method_parameters, calc._cutoffs_bohr(),
                             zi, [0, 0], r)


def test_a_tail_integral_that_does_not_converge_is_refused_not_returned(monkeypatch):
    # quad_vec hands back its last estimate without a word when it runs out of
    # subintervals: the calculator raises instead, and keeps no result
    from ase.calculators.calculator import CalculationFailed

    import ase_electrolyte.d3.calculator as d3_calculator

    monkeypatch.setattr(d3_calculator, "TAIL_QUADRATURE_RTOL", 1e-300)
    atoms = two_atoms("CsF")
    atoms.calc = D3(device="cpu", cutoff=CUTOFF, smooth_cutoff=2.0, tail_correction=True)
    with pytest.raises(CalculationFailed, match="did not converge"):
        atoms.get_potential_energy()
    assert "energy" not in atoms.calc.results
