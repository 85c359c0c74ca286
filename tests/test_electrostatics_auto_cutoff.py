"""``cutoff="auto"`` (the default): Ewald at 8 Å, PME at the cutoff whose step costs least.

The PME mesh is a power of two per axis, so at a fixed real-space cutoff the measured mesh
jumps 8 × in points as a box grows: at 10⁻⁶ the fixed 8 Å default needed 128³ points for a
1728-atom liquid (a step 1.7 × that of 10 Å) and for 2744 atoms (4.9 × that of 12 Å;
benchmarks/bench_electrostatics_cutoff.py). The same jump happens in small boxes at the same
tolerance (216 ions in 12 Å: 64³ at 8 Å, 32³ at 10 Å), where it is cheap to test. Reference:
Ewald at 1e-8.
"""

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte import Electrostatics
from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.electrostatics import COULOMB, _mesh_points, _pme_cost

TOL = 1e-6


def _ionic_liquid(length=12.0, seed=0, charge=0.8):
    """216 cations and anions on a jittered 6³ grid in a cube of ``length`` Å (neutral)."""
    n = 6
    grid = np.stack(np.meshgrid(*[np.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    positions = (grid + 0.5 + rng.uniform(-0.25, 0.25, grid.shape)) * length / n
    sign = np.where(grid.sum(axis=1) % 2 == 0, 1.0, -1.0)
    atoms = Atoms(["Na" if s > 0 else "Cl" for s in sign], positions=positions,
                  cell=[length] * 3, pbc=True)
    return atoms, charge * sign


def _cost(atoms, params):
    pairs = 0.5 * len(atoms) ** 2 * 4.0 / 3.0 * np.pi * params["cutoff"] ** 3 / atoms.get_volume()
    return _pme_cost(len(atoms), _mesh_points(atoms, params["mesh_spacing"]),
                     params["interpolation_nodes"], pairs)


@pytest.fixture(scope="module")
def liquid():
    atoms, q = _ionic_liquid()
    exact = Electrostatics(scheme="fixed", charges=q, method="ewald", tolerance=1e-8,
                           cutoff=8.0).evaluate(atoms, q)
    return atoms, q, exact


def test_pme_takes_the_cutoff_whose_mesh_does_not_jump_and_meets_the_tolerance(liquid):
    atoms, q, exact = liquid
    before = atoms.copy()
    fixed = Electrostatics(scheme="fixed", charges=q, method="pme", tolerance=TOL, cutoff=8.0)
    auto = Electrostatics(scheme="fixed", charges=q, method="pme", tolerance=TOL)
    assert auto.parameters["cutoff"] == "auto"
    old = fixed.lattice_parameters(atoms, q)
    res = auto.evaluate(atoms, q)
    new = auto._cached_lattice_parameters(atoms, q)  # those the sum used
    # 8 Å: a 64³ mesh; the choice: 32³ at a longer cutoff, less work in all
    assert _mesh_points(atoms, old["mesh_spacing"]) == 64**3
    assert new["cutoff"] in (10.0, 12.0, 14.0)
    assert _mesh_points(atoms, new["mesh_spacing"]) < 64**3
    assert _cost(atoms, new) < _cost(atoms, old)
    assert new["error_bound"] <= TOL
    error = np.sqrt(np.mean(np.sum((res["forces"] - exact["forces"]) ** 2, axis=1))) / COULOMB
    assert error < 1.5 * TOL
    # the energy as close to the exact sum as the fixed cutoff's
    assert abs(res["energy"] - exact["energy"]) < 1e-3 * len(atoms)
    assert atoms == before


def test_ewald_keeps_the_default_cutoff_and_an_explicit_cutoff_is_kept(liquid):
    atoms, q, _ = liquid
    small = atoms[:64]
    qs = q[:64] - q[:64].mean()
    assert Electrostatics(scheme="fixed", charges=qs, tolerance=1e-4).lattice_parameters(
        small, qs)["cutoff"] == 8.0
    assert Electrostatics(scheme="fixed", charges=q, method="pme", tolerance=1e-3,
                          cutoff=6.5).lattice_parameters(atoms, q)["cutoff"] == 6.5


def test_auto_is_an_option_like_the_others():
    calc = Electrostatics(qrd={"Na": (1.0, 1.0), "Cl": (-1.0, 1.0)})
    assert Electrostatics(**calc.todict()).parameters["cutoff"] == "auto"
    calc.set(cutoff=9.0)
    assert calc.parameters["cutoff"] == 9.0
    calc.set(cutoff="auto")
    assert calc.parameters["cutoff"] == "auto"
    for bad in ("far", "AUTOO", True, -1.0):
        with pytest.raises(InputError, match="cutoff"):
            Electrostatics(qrd={"Na": (1.0, 1.0)}, cutoff=bad)
