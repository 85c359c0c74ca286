"""A calculator that keeps its options as plain attributes, with no network and nothing in
``parameters`` (ASE's ``TIP3P``: ``rc``, ``width``), is recorded with them.

Before, it was recorded by its class alone: a run with ``TIP3P(rc=4.5)`` into the file of a
``TIP3P(rc=3.5)`` run was answered with the old run's frames, no evaluation, its energies those
of the other cutoff.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.tip3p import TIP3P, angleHOH, rOH

from ase_electrolyte.md import calculator_fingerprint, run_md


class _CountingTIP3P(TIP3P):
    """TIP3P that counts its evaluations in a private attribute (no option)."""

    def __init__(self, rc=5.0, width=1.0):
        super().__init__(rc=rc, width=width)
        self._calls = 0

    def calculate(self, *args, **kwargs):
        self._calls += 1
        super().calculate(*args, **kwargs)


def _water_pair():
    """Two rigid-geometry TIP3P waters 3 Å apart in a periodic 10 Å box (O, H, H order)."""
    a = np.radians(angleHOH)
    one = np.array([[0, 0, 0], [rOH, 0, 0], [rOH * np.cos(a), rOH * np.sin(a), 0]])
    positions = np.vstack([one + 3.0, one + [6.0, 3.2, 3.1]])
    return Atoms("OH2OH2", positions=positions, cell=[10, 10, 10], pbc=True)


def _run(calc, path):
    atoms = _water_pair()
    atoms.calc = calc
    return run_md(atoms, ensemble="nvt", steps=4, timestep_fs=0.5, temperature_K=300,
                  trajectory=path, write_interval=2, progress=False)


def test_the_options_of_a_plain_attribute_calculator_are_its_fingerprint():
    assert calculator_fingerprint(TIP3P(rc=4.5)) != calculator_fingerprint(TIP3P(rc=3.5))
    assert calculator_fingerprint(TIP3P(width=0.5)) != calculator_fingerprint(TIP3P())
    assert calculator_fingerprint(TIP3P(rc=4.5)) == calculator_fingerprint(TIP3P(rc=4.5))
    # an int cutoff is recorded too: an option by its name, not by its type
    assert calculator_fingerprint(TIP3P(rc=4))["attributes"]["rc"] == 4


def test_another_cutoff_is_refused_before_any_evaluation_and_the_same_object_resumes(tmp_path):
    path = tmp_path / "water.h5md"
    first = _CountingTIP3P(rc=4.5)
    _run(first, path)
    assert first._calls > 0
    other = _CountingTIP3P(rc=3.5)
    with pytest.raises(ValueError, match="calculator"):
        _run(other, path)
    assert other._calls == 0
    # its state after running (results, atoms, the private counter) is no option: the same
    # object, and an equal new one, are answered with the stored run
    calls = first._calls
    done = _run(first, path)
    assert first._calls == calls and done.info["step"] == 4
    again = _CountingTIP3P(rc=4.5)
    _run(again, path)
    assert again._calls == 0


class _Stateful(Calculator):
    """Options as attributes beside state set while running (``energy_seen``, a float, and
    ``steps``, an int counter): only the constructor's names are options."""

    implemented_properties = ["energy", "free_energy", "forces"]

    def __init__(self, k=1.0):
        super().__init__()
        self.k, self.energy_seen, self.steps = k, None, 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.steps += 1
        e = 0.5 * self.k * float((self.atoms.positions ** 2).sum()) * 1e-3
        self.energy_seen = e
        self.results = {"energy": e, "free_energy": e,
                        "forces": -1e-3 * self.k * self.atoms.positions}


def test_state_set_while_running_is_not_recorded():
    calc = _Stateful(k=2.0)
    before = calculator_fingerprint(calc)
    atoms = _water_pair()
    atoms.calc = calc
    atoms.get_forces()
    assert calc.energy_seen is not None and calc.steps == 1
    assert calculator_fingerprint(calc) == before == {
        "class": before["class"], "parameters": {}, "attributes": {"k": 2.0}}
    assert calculator_fingerprint(_Stateful(k=3.0)) != before
