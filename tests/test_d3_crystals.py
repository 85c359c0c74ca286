"""D3 on ionic crystals and SEI phases (high coordination numbers) against simple-dftd3.

Far above an element's largest reference CN the Gaussian weights of the C6 interpolation
each underflow; these structures (rocksalt, CsCl, fluorite/antifluorite, at 0.97-1.10x their
experimental lattice constants) are where a weight function that does not factor out the
largest Gaussian gave NaN or forces tens of eV/Å off.
"""

import numpy as np
import pytest
from ase.build import bulk
from test_d3 import REF_PARAM, assert_matches, ours

from ase_electrolyte.d3 import D3, backend

# (formula, structure, experimental lattice constant in Å)
CRYSTALS = [
    ("LiF", "rocksalt", 4.03),
    ("LiCl", "rocksalt", 5.13),
    ("NaF", "rocksalt", 4.63),
    ("NaCl", "rocksalt", 5.64),
    ("KCl", "rocksalt", 6.29),
    ("KBr", "rocksalt", 6.60),
    ("LiH", "rocksalt", 4.08),
    ("NaH", "rocksalt", 4.88),
    ("MgO", "rocksalt", 4.21),
    ("CsCl", "cesiumchloride", 4.12),
    ("CsBr", "cesiumchloride", 4.29),
    ("Li2O", "fluorite", 4.61),
    ("Na2O", "fluorite", 5.55),
    ("CaF2", "fluorite", 5.46),
]
SCALES = [0.97, 1.0, 1.03, 1.06, 1.10]
DAMPINGS = list(REF_PARAM)
# cases that failed before the weights were made overflow-safe
HARD = [("LiF", 1.06), ("NaF", 1.06), ("KCl", 1.0), ("Li2O", 1.0), ("LiH", 1.0)]


def crystal(formula, scale, rattle=True):
    name, structure, a = next(c for c in CRYSTALS if c[0] == formula)
    atoms = bulk(name, structure, a=a * scale)
    if rattle:  # off the symmetric sites, so that forces and the CN chain rule are tested
        atoms.rattle(0.05, seed=7)
    return atoms


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("index", range(len(CRYSTALS)))
def test_ionic_crystal_matches_reference(index, scale):
    # every structure at every scale; the damping cycles so that each one meets every family
    damping = DAMPINGS[(index + SCALES.index(scale)) % len(DAMPINGS)]
    assert_matches(crystal(CRYSTALS[index][0], scale), damping, cutoff=30.0)


@pytest.mark.parametrize("damping", DAMPINGS)
@pytest.mark.parametrize("case", HARD, ids=[f"{f}-{s}" for f, s in HARD])
def test_high_cn_every_damping_matches_reference(case, damping):
    assert_matches(crystal(*case), damping, cutoff=30.0)


def test_high_cn_with_three_body_matches_reference():
    atoms = crystal("LiF", 1.06)
    assert_matches(atoms, "bj", atm=True, cutoff=20.0, cn_cutoff=15.0, atm_cutoff=8.0)


def test_high_cn_forces_match_finite_differences():
    # independent of simple-dftd3: our own energy differentiated numerically
    atoms = crystal("NaF", 1.06, rattle=False).repeat((2, 1, 1))
    atoms.rattle(0.2, seed=3)
    atoms.calc = D3(device="cpu", cutoff=20.0, smooth_cutoff=4.0)
    forces = atoms.get_forces()
    numeric = atoms.calc.calculate_numerical_forces(atoms, d=1e-4)
    assert np.abs(forces).max() > 1e-3
    assert np.abs(forces - numeric).max() < 1e-6


def test_overflowing_parameters_are_refused_before_the_kernel(monkeypatch):
    # s6 = s8 = 1e308 used to overflow inside the kernel, refused only after the whole run
    def never(*args):
        raise AssertionError("the kernel ran")

    monkeypatch.setattr(backend, "run_kernel", never)
    with pytest.raises(ValueError, match=r"parameter s6 = 1e\+308 is outside its valid range"):
        D3(device="cpu", functional=None, params=dict(s6=1e308, s8=1e308, a1=0.4, a2=4.0))


def test_a_non_finite_kernel_result_raises_floating_point_error_naming_atoms(monkeypatch):
    atoms = crystal("LiF", 1.0)
    real = backend.run_kernel

    def overflowing(*args):
        out = real(*args)
        out["energies"][[0, 1]] = np.inf
        return out

    monkeypatch.setattr(backend, "run_kernel", overflowing)
    calc = D3(device="cpu")
    with pytest.raises(FloatingPointError, match=r"2 atom\(s\): Li0, F1\b"):
        calc.get_potential_energy(atoms)
    assert "energy" not in calc.results  # no NaN or inf is kept as a result
    monkeypatch.setattr(backend, "run_kernel", real)
    # finite parameters give finite numbers (the check is not trigger-happy)
    e, f, s, _ = ours(atoms)
    assert np.isfinite(e) and np.isfinite(f).all() and np.isfinite(s).all()
