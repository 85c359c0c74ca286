"""``Electrostatics.lattice_parameters`` checks its structure and charges before tuning.

It tuned whatever it was given: 2 charges for an 8-atom cell were tuned as the cell's charges
(their sum of squares sets the error bound), a NaN charge asked for "a PME mesh of 2.25e+15
points", a bool was a unit charge, and partial periodicity or a flat cell went to torch-pme.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.calculator import InputError

from ase_electrolyte import Electrostatics


def _nacl():
    return bulk("NaCl", "rocksalt", a=5.64, cubic=True)


@pytest.mark.parametrize(
    "charges, match",
    [
        ([1.0, -1.0], "2 charges for 8 atoms"),
        ([1.0, -1.0] * 5, "10 charges for 8 atoms"),
        ([np.nan, -1.0] * 4, "must hold finite numbers"),
        ([np.inf, -1.0] * 4, "must hold finite numbers"),
        ([True, -1.0] * 4, "must hold finite numbers"),
        (["1", "-1"] * 4, "must hold finite numbers"),
        (np.ones((2, 4)), "one charge per atom"),
        (1.0, "one charge per atom"),
    ],
)
@pytest.mark.parametrize("method", ["ewald", "pme", "auto"])
def test_bad_charges_are_refused_before_tuning(charges, match, method):
    calc = Electrostatics(scheme="fixed", charges=[1.0, -1.0] * 4, method=method)
    with pytest.raises(InputError, match=match):
        calc.lattice_parameters(_nacl(), charges)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda a: a.set_pbc([True, True, False]), "partial periodicity"),
        (lambda a: a.set_cell([[5.64, 0, 0], [0, 5.64, 0], [0, 0, 0]]), "zero"),
        (lambda a: a.positions.__setitem__((0, 0), np.nan), "finite"),
        (lambda a: a.set_cell(a.cell * 0.1, scale_atoms=True), "nm"),
    ],
)
def test_a_structure_evaluate_refuses_is_refused_by_lattice_parameters(edit, match):
    atoms = _nacl()
    edit(atoms)
    calc = Electrostatics(scheme="fixed", charges=[1.0, -1.0] * 4, method="ewald")
    with pytest.raises(InputError, match=match):
        calc.evaluate(atoms, [1.0, -1.0] * 4)
    with pytest.raises(InputError, match=match):
        calc.lattice_parameters(atoms, [1.0, -1.0] * 4)


def test_good_input_gets_the_parameters_the_sum_uses():
    atoms = _nacl()
    calc = Electrostatics(scheme="fixed", charges=[1.0, -1.0] * 4, method="ewald", tolerance=1e-7)
    params = calc.lattice_parameters(atoms, np.array([1, -1] * 4, dtype=np.int32))
    assert params["method"] == "ewald" and params["cutoff"] == 8.0
    assert 0 < params["error_bound"] <= 1e-7
    atoms.calc = calc
    atoms.get_potential_energy()
    assert calc._cached_lattice_parameters(atoms, np.array([1.0, -1.0] * 4)) == params
    molecule = Atoms("NaCl", positions=[[0, 0, 0], [2.5, 0, 0]])
    assert Electrostatics(scheme="fixed", charges=[1.0, -1.0]).lattice_parameters(
        molecule, [1.0, -1.0]
    ) == {"method": "direct"}
