"""``Electrostatics.evaluate`` (the public sum for given charges, also used by ``fit_qrd``)
refuses what ``calculate`` refuses, before any sum, and a zero cell vector is named by every
calculator instead of a ZeroDivisionError.

Before: ``evaluate`` checked only the net charge and the pair budget. A cell with
``pbc=[True, True, False]`` was summed as a cluster (the direct sum, a number marked nothing),
a zero cell vector raised ZeroDivisionError, coincident atoms gave -1.4e16 eV, a NaN charge
asked for a PME mesh of 1e15 points, and a (4, 2) table of charges was flattened.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte import Calculator, Electrostatics
from ase_electrolyte.calculator_errors import InputError
from ase_electrolyte.d3 import D3

Q = [1.0, -1.0] * 4


def _nacl():
    return bulk("NaCl", "rocksalt", a=5.64, cubic=True)


def _partial(atoms):
    atoms.pbc = [True, True, False]


def _flat(atoms):
    atoms.cell[2] = 0.0


def _nan_position(atoms):
    atoms.positions[0, 0] = np.nan


def _overlap(atoms):
    atoms.positions[1] = atoms.positions[0]


STRUCTURES = [
    (_partial, "partial periodicity"),
    (_flat, "zero along periodic"),
    (_nan_position, "non-finite positions"),
    (_overlap, "closer than 0.1"),
]


@pytest.mark.parametrize("edit, message", STRUCTURES)
def test_evaluate_refuses_the_structures_calculate_refuses(edit, message):
    atoms = _nacl()
    edit(atoms)
    before = atoms.copy()
    term = Electrostatics(scheme="fixed", charges=Q)
    with pytest.raises(InputError, match=message):
        term.evaluate(atoms, Q)
    atoms.calc = Electrostatics(scheme="fixed", charges=Q)
    with pytest.raises(InputError, match=message):
        atoms.get_potential_energy()
    assert atoms.calc.results == {}
    np.testing.assert_array_equal(atoms.positions, before.positions)
    np.testing.assert_array_equal(atoms.cell.array, before.cell.array)


@pytest.mark.parametrize("charges, message", [
    (Q[:3], "3 charges for 8 atoms"),
    ([np.nan] + Q[1:], "finite numbers"),
    (np.reshape(Q, (4, 2)), "one charge per atom"),
    (["1"] * 8, "finite numbers"),
])
def test_evaluate_refuses_charges_that_are_not_one_finite_number_per_atom(charges, message):
    term = Electrostatics(scheme="fixed", charges=Q)
    with pytest.raises(InputError, match=message):
        term.evaluate(_nacl(), charges)


def test_evaluate_refuses_a_method_that_does_not_fit_the_periodicity():
    molecule = _nacl()
    molecule.pbc = False
    with pytest.raises(InputError, match="needs a 3D-periodic cell"):
        Electrostatics(scheme="fixed", charges=Q, method="ewald").evaluate(molecule, Q)
    with pytest.raises(InputError, match="non-periodic structures"):
        Electrostatics(scheme="fixed", charges=Q, method="direct").evaluate(_nacl(), Q)


def test_evaluate_still_sums_what_it_should():
    """The checks pass the sums they guard: rocksalt's Madelung constant, and the molecule's
    direct sum equal to the pair sum."""
    atoms = _nacl()
    res = Electrostatics(scheme="fixed", charges=Q, tolerance=1e-10).evaluate(atoms, Q)
    from ase_electrolyte.electrostatics import COULOMB

    assert -res["energy"] / 4 * (5.64 / 2) / COULOMB == pytest.approx(1.747565, abs=1e-6)
    atoms.pbc = False
    d = atoms.get_all_distances()
    q = np.array(Q)
    pairs = np.triu_indices(8, 1)
    direct = COULOMB * np.sum(q[pairs[0]] * q[pairs[1]] / d[pairs])
    res = Electrostatics(scheme="fixed", charges=Q).evaluate(atoms, Q)
    assert res["energy"] == pytest.approx(direct, rel=1e-12)


@pytest.fixture
def emt_calculator(monkeypatch):
    from ase_electrolyte import models

    def load(source, device, dtype, options):
        return EMT(), frozenset({29}), False

    monkeypatch.setattr(models, "_LOADERS", {**models._LOADERS, "sevennet": load})
    monkeypatch.setattr(models, "_require", lambda backend: None)
    return lambda **kw: Calculator("sevennet-0", device="cpu", **kw)


@pytest.mark.parametrize("which", ["calculator", "d3", "electrostatics"])
def test_a_zero_cell_vector_is_named_by_every_calculator(which, emt_calculator):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.cell[1] = 0.0
    calc = {"calculator": lambda: emt_calculator(),
            "d3": lambda: D3(cutoff=9.0, cn_cutoff=6.0),
            "electrostatics": lambda: Electrostatics(qrd={"Cu": (0.0, 1.0)})}[which]()
    atoms.calc = calc
    with pytest.raises(InputError, match="zero along periodic"):
        atoms.get_potential_energy()
