"""A calculator's ``calculate_batch`` that returns the wrong results is named, not a KeyError.

IsolatedMoleculeEvaluator calls ``calculate_batch`` once for every molecule missing from its
cache. Before, fewer results than molecules left some uncached and failed later with a
KeyError of the cache's byte key, a result without forces with KeyError 'forces', and an energy
of several values with float()'s TypeError.
"""

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.emt import EMT

from mda_electrolyte.model_labels import IsolatedMoleculeEvaluator


class Batched(EMT):
    """EMT with a calculate_batch that returns what ``mode`` says."""

    def __init__(self, mode="right"):
        super().__init__()
        self.mode = mode

    def calculate_batch(self, molecules):
        out = []
        for m in molecules:
            m.calc = EMT()
            out.append({"energy": m.get_potential_energy(), "forces": m.get_forces()})
        if self.mode == "one short":
            return out[:-1]
        if self.mode == "one more":
            return out + out[:1]
        if self.mode == "no forces":
            return [{"energy": r["energy"]} for r in out]
        if self.mode == "two energies":
            return [{"energy": [r["energy"]] * 2, "forces": r["forces"]} for r in out]
        if self.mode == "nothing":
            return None
        if self.mode == "text energy":
            return [{"energy": str(r["energy"]), "forces": r["forces"]} for r in out]
        return out


MOLECULES = [molecule("H2O"), molecule("CH4"), molecule("CO2")]


def test_a_right_batch_gives_each_molecules_own_energy_and_forces():
    energies, forces = IsolatedMoleculeEvaluator(Batched()).evaluate(MOLECULES)
    for mol, e, f in zip(MOLECULES, energies, forces, strict=True):
        alone = mol.copy()
        alone.calc = EMT()
        assert e == pytest.approx(alone.get_potential_energy(), rel=1e-12)
        np.testing.assert_allclose(f, alone.get_forces(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode, message", [
    ("one short", "returned 2 result\\(s\\) for 3 isolated molecules"),
    ("one more", "returned 4 result\\(s\\) for 3 isolated molecules"),
    ("nothing", "returned 0 result\\(s\\) for 3 isolated molecules"),
    ("no forces", "without 'energy' and 'forces'"),
    ("two energies", "an energy of 2 values for the isolated molecule H2O"),
    ("text energy", "returned the energy '.*' for the isolated molecule H2O, not a number"),
])
def test_a_wrong_batch_is_named(mode, message):
    evaluator = IsolatedMoleculeEvaluator(Batched(mode))
    with pytest.raises(ValueError, match=message):
        evaluator.evaluate(MOLECULES)
    # nothing half-stored: a second call fails the same way, not with a stale cache
    with pytest.raises(ValueError, match=message):
        evaluator.evaluate(MOLECULES)
