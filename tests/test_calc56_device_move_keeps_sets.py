"""A device move of the composite Calculator keeps its electrostatics' lattice-sum sets.

An electrostatics term the Calculator built (from a dict, a file or a spec) follows the
Calculator's device. It was rebuilt from its options on each move, which dropped the sets
(smearing, k-space cutoff, mesh) chosen for the cells seen so far: the next call chose a new
set for the cell it then had, so a strained cell's energy moved by the difference of two
sums' errors, as if the structure had changed, and a PME term paid its tuning again. The sets
depend on neither device nor dtype (``Electrostatics.set(device=...)`` keeps them), so a move
keeps them too.

No GPU is needed: the device word "cuda:0" is let through and the model is EMT, so only the
terms' bookkeeping is exercised; nothing is evaluated off the CPU.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.emt import EMT

import ase_electrolyte.calculator as calculator_module
import ase_electrolyte.electrostatics as electrostatics_module
from ase_electrolyte import Calculator, Electrostatics
from ase_electrolyte.device import Device, parse_device
from ase_electrolyte.models import LoadedModel


def ions(scale):
    rng = np.random.default_rng(3)
    atoms = Atoms("Cu16", positions=rng.uniform(0.0, 8.0, (16, 3)), cell=[8.0] * 3, pbc=True)
    atoms.set_initial_charges(np.tile([1.0, -1.0], 8))
    atoms.set_cell(atoms.cell * scale, scale_atoms=True)
    return atoms


@pytest.fixture
def fake_gpu(monkeypatch):
    """'cuda:0' resolves without torch's check; the model is EMT on every device."""
    def resolve(device):
        dev = parse_device(device)
        return Device("cpu") if dev == "auto" else dev

    monkeypatch.setattr(calculator_module, "resolve_device", resolve)
    monkeypatch.setattr(electrostatics_module, "resolve_device", resolve)
    monkeypatch.setattr(Calculator, "_load", lambda self, p, device: LoadedModel(
        "sevennet-0", "sevennet", EMT(), None, False))


OPTIONS = {"scheme": "array", "tolerance": 1e-4, "cutoff": 4.0}


@pytest.mark.parametrize("method", ["ewald", "pme"])
@pytest.mark.parametrize("move", ["set", "set_back"])
def test_a_device_move_keeps_the_lattice_sets(fake_gpu, method, move):
    options = {**OPTIONS, "method": method}
    calc = Calculator("sevennet-0", electrostatics=options, device="cpu")
    reference = Electrostatics(**options)
    for term in (calc.electrostatics, reference):
        term.get_potential_energy(ions(1.0))
    sets = [entry[2] for entry in calc.electrostatics._tuned]
    calc.set(device="cuda:0")
    assert calc.electrostatics.parameters["device"] == "cuda:0"
    if move == "set_back":
        calc.set(device="cpu")
        assert calc.electrostatics.parameters["device"] == "cpu"
    # the options are the term's, device aside, and the sets chosen on the CPU are kept
    moved = dict(calc.electrostatics.todict(), device="cpu")
    assert moved == Electrostatics(**options).todict()
    assert [entry[2] for entry in calc.electrostatics._tuned] == sets
    if move == "set_back":
        # 3 % strained: within 5 % of the first cell, evaluated with its set
        expected = reference.get_potential_energy(ions(1.03))
        assert calc.electrostatics.get_potential_energy(ions(1.03)) == expected
        assert len(calc.electrostatics._tuned) == 1


def test_the_moved_term_is_a_new_one(fake_gpu):
    """The moved term is not the one before the move (a shallow copy of the Calculator made
    before it still holds its own term, on its own device)."""
    import copy

    calc = Calculator("sevennet-0", electrostatics={**OPTIONS, "method": "ewald"}, device="cpu")
    calc.electrostatics.get_potential_energy(ions(1.0))
    before = copy.copy(calc)
    calc.set(device="cuda:0")
    assert before.electrostatics is not calc.electrostatics
    assert before.electrostatics.parameters["device"] == "cpu"
    assert len(before.electrostatics._tuned) == len(calc.electrostatics._tuned) == 1


def test_a_fresh_term_would_give_another_energy_there():
    """A term without the first cell's set gives the strained cell another energy (else the
    test above could not fail)."""
    options = {**OPTIONS, "method": "ewald"}
    kept, fresh = Electrostatics(**options), Electrostatics(**options)
    kept.get_potential_energy(ions(1.0))
    assert abs(kept.get_potential_energy(ions(1.03))
               - fresh.get_potential_energy(ions(1.03))) > 1e-6
