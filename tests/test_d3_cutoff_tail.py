"""D3's truncation at the cutoff against a larger-cutoff reference, and the homogeneous-liquid
tail correction (energy, per-atom energies, forces and stress through the coordination
numbers; tests/test_d3_tail_derivatives.py checks its derivatives)."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.units import bar

from ase_electrolyte.d3 import D3, InhomogeneousTailWarning, backend

REFERENCE_CUTOFF = 250.0  # Å: the truncation error beyond it is (50.2/250)^3 = 0.8 % of 50.2's


@pytest.fixture(scope="module")
def liquid():
    pytest.importorskip("rdkit")
    from ase_electrolyte.build import electrolyte_box

    return electrolyte_box(counts={"EC": 2, "EMC": 2, "Li": 1, "PF6": 1}, seed=0)


def run(atoms, **options):
    work = atoms.copy()
    work.calc = D3(device="cpu", **options)
    out = {"energy": work.get_potential_energy(), "energies": work.get_potential_energies(),
           "forces": work.get_forces()}
    if work.pbc.all():
        out["stress"] = work.get_stress()
    return out


@pytest.fixture(scope="module")
def reference(liquid):
    return run(liquid, cutoff=REFERENCE_CUTOFF)


def pressure(result):
    return -result["stress"][:3].mean()


@pytest.mark.parametrize("smooth", [None, 5.0])
def test_the_correction_brings_the_default_cutoff_to_a_larger_cutoff_reference(
        liquid, reference, smooth):
    # 50.2 Å hard: energy 5.5e-6 eV/atom and pressure 0.74 bar above the reference (with a
    # 5 Å switch 6.4e-6 eV/atom, 0.28 bar); corrected 3e-8 and 5e-8 eV/atom, 0.005 and
    # 0.0004 bar. The tail's C6 follow the coordination numbers: its CN forces bring the
    # forces from 1.1e-4 (1.2e-4) to 1.8e-7 (1.0e-6) eV/Å of the reference and the
    # off-diagonal stress from 0.2 bar to 0.006 bar (when the forces and stress left them
    # out, the pressure was 0.11 bar off and the forces those of the truncated sum). Measured
    # on the seed-0 box of the builder's lowest-MMFF conformers (0.88 and 0.45 bar on the
    # box of single-embedding conformers before)
    n = len(liquid)
    plain = run(liquid, cutoff=50.2, smooth_cutoff=smooth)
    corrected = run(liquid, cutoff=50.2, smooth_cutoff=smooth, tail_correction=True)
    de_plain = (plain["energy"] - reference["energy"]) / n
    de_corrected = (corrected["energy"] - reference["energy"]) / n
    dp_plain = (pressure(plain) - pressure(reference)) / bar
    dp_corrected = (pressure(corrected) - pressure(reference)) / bar
    assert de_plain > 4e-6 and dp_plain > 0.2  # the missing attraction
    assert abs(de_corrected) < 0.03 * de_plain
    assert abs(dp_corrected) < 0.05 * abs(dp_plain) and abs(dp_corrected) < 0.03
    assert np.abs(corrected["stress"] - reference["stress"]).max() / bar < 0.03
    assert np.abs(plain["stress"][3:] - reference["stress"][3:]).max() / bar > 0.05
    df_plain = np.abs(plain["forces"] - reference["forces"]).max()
    df_corrected = np.abs(corrected["forces"] - reference["forces"]).max()
    assert df_plain > 2e-5
    assert df_corrected < 0.03 * df_plain
    assert corrected["energies"].sum() == pytest.approx(corrected["energy"], rel=1e-13)
    assert np.all(corrected["energies"] < plain["energies"])


def test_the_corrected_error_falls_with_the_cutoff_faster_than_the_truncation(liquid,
                                                                               reference):
    # the truncation error falls as r_c^-3; what the estimate leaves (the box's structure
    # beyond r_c) much faster
    n = len(liquid)
    errors = {}
    for cutoff in (20.0, 30.0, 50.2):
        plain = run(liquid, cutoff=cutoff)
        corrected = run(liquid, cutoff=cutoff, tail_correction=True)
        errors[cutoff] = ((plain["energy"] - reference["energy"]) / n,
                          (corrected["energy"] - reference["energy"]) / n)
    plain_ratio = errors[20.0][0] / errors[50.2][0]
    assert plain_ratio == pytest.approx((50.2 / 20.0) ** 3, rel=0.1)
    for cutoff, (plain, corrected) in errors.items():
        assert abs(corrected) < 0.1 * plain, cutoff


def test_the_estimate_is_exact_for_a_structureless_continuum_of_one_pair():
    # a simple cubic Ar lattice far beyond the cutoff is as uniform as a liquid there: the
    # energy of the shell between two cutoffs equals the difference of their tail estimates
    # to the lattice's discreteness (the cutoff 20 lattice constants out)
    atoms = Atoms("Ar", cell=np.eye(3) * 3.8, pbc=True)
    near = run(atoms, cutoff=76.0, cn_cutoff=10.0)
    far = run(atoms, cutoff=152.0, cn_cutoff=10.0)
    near_c = run(atoms, cutoff=76.0, cn_cutoff=10.0, tail_correction=True)
    far_c = run(atoms, cutoff=152.0, cn_cutoff=10.0, tail_correction=True)
    shell = far["energy"] - near["energy"]
    estimate = (near_c["energy"] - near["energy"]) - (far_c["energy"] - far["energy"])
    assert shell < 0
    assert estimate == pytest.approx(shell, rel=1e-2)  # measured 3.5e-3
    # the shell's virial (no impulse: the kernel's stress leaves it out at a hard cutoff)
    shell_p = pressure(far) - pressure(near)
    estimate_p = (pressure(near_c) - pressure(near)) - (pressure(far_c) - pressure(far))
    assert shell_p < 0
    assert estimate_p == pytest.approx(shell_p, rel=1e-2)


def test_molecules_get_no_correction():
    # slabs and wires get their sheets' and lines' tail:
    # tests/test_d3_tail_plane_families_and_slabs.py
    atoms = molecule("CH3CH2OH")
    atoms.center(vacuum=4.0)
    atoms.pbc = False
    plain = run(atoms, cutoff=10.0)
    corrected = run(atoms, cutoff=10.0, tail_correction=True)
    assert corrected["energy"] == pytest.approx(plain["energy"], rel=1e-13)
    np.testing.assert_allclose(corrected["energies"], plain["energies"], rtol=1e-12)


def test_the_option_is_a_flag_recorded_and_set_like_every_option():
    for value in ("yes", 1, None, np.nan):
        with pytest.raises(ValueError, match="tail_correction"):
            D3(device="cpu", tail_correction=value)
    calc = D3(device="cpu", tail_correction=True)
    assert calc.todict()["tail_correction"] is True
    assert D3(**calc.todict()).tail_correction is True
    atoms = Atoms("LiF", positions=[[0, 0, 0], [2.0, 0, 0]], cell=[4.0, 4.0, 4.0], pbc=True)
    atoms.calc = calc
    corrected = atoms.get_potential_energy()
    calc.set(tail_correction=False)
    assert atoms.get_potential_energy() > corrected


def test_the_tensor_api_applies_the_same_correction():
    torch = pytest.importorskip("torch")
    atoms = molecule("CH3OH")
    atoms.set_cell([[9.0, 0.0, 0.0], [1.5, 8.5, 0.0], [-1.0, 2.0, 8.0]])
    atoms.pbc = True
    # a molecule in a 9 Å box: both paths warn that it is no homogeneous liquid
    with pytest.warns(InhomogeneousTailWarning):
        expected = run(atoms, cutoff=15.0, cn_cutoff=8.0, tail_correction=True)
    backend.set_cuda_host("host")
    try:
        calc = D3(device="cuda", cutoff=15.0, cn_cutoff=8.0, tail_correction=True)
        with pytest.warns(InhomogeneousTailWarning):
            out = calc.compute_tensor(torch.tensor(atoms.positions), atoms.numbers,
                                      atoms.cell, atoms.pbc)
    finally:
        backend.set_cuda_host(None)
    assert float(out["energy"]) == pytest.approx(expected["energy"], rel=1e-12)
    np.testing.assert_allclose(out["energies"].numpy(), expected["energies"], rtol=1e-11,
                               atol=1e-14)
    np.testing.assert_allclose(out["stress"].numpy(), expected["stress"], rtol=1e-10,
                               atol=1e-14)
