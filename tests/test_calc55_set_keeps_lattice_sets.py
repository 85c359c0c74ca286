"""``Electrostatics.set`` of an option the lattice-sum sets are not chosen from keeps them.

A set (smearing, k-space cutoff or mesh) is chosen for a cell and kept while the cell stays
within 5 % strain of it, so that the energy is one smooth function of the cell. ``set()`` of
any option (``background``, ``device``, even one given its own value) dropped
every set: the next call chose a new one for the cell it then had, and the energy of that cell
moved by the difference of two sums' errors (2.6e-4 eV for 32 ions at tolerance 1e-4 after a
3 % strain), as if the structure had changed.
"""

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte import Electrostatics

UNRELATED = {
    "background": {"background": True},
    "device, the same": {"device": "cpu"},
    "tolerance, the same": {"tolerance": 1e-4},
    "method, the same": {"method": "auto"},
}


def ions(scale=1.0):
    rng = np.random.default_rng(3)
    atoms = Atoms("H16", positions=rng.uniform(0.0, 8.0, (16, 3)), cell=[8.0] * 3, pbc=True)
    atoms.set_initial_charges(np.tile([1.0, -1.0], 8))
    atoms.set_cell(atoms.cell * scale, scale_atoms=True)
    return atoms


def energy(calc, scale):
    atoms = ions(scale)
    atoms.calc = calc
    return atoms.get_potential_energy()


def term():
    return Electrostatics(scheme="array", tolerance=1e-4)


@pytest.mark.parametrize("case", list(UNRELATED))
def test_a_strained_cell_keeps_its_energy_after_set(case):
    kept, reference = term(), term()
    for calc in (kept, reference):
        energy(calc, 1.0)
    kept.set(**UNRELATED[case])
    # within 5 % of the first cell: both evaluate it with the set chosen for that cell
    for scale in (1.03, 0.98):
        assert energy(kept, scale) == energy(reference, scale)


def test_the_sets_differ_where_the_test_looks():
    """The cell 3 % away from the first one has another set of its own (the test above
    would pass without any set kept otherwise)."""
    fresh, reference = term(), term()
    energy(reference, 1.0)
    assert abs(energy(fresh, 1.03) - energy(reference, 1.03)) > 1e-6


# another charge model (charge_scale, total_charge, qrd...) is another calculator: its numbers
# are a fresh calculator's (test_calculator_direct_edits)
@pytest.mark.parametrize("option", [{"tolerance": 1e-5}, {"cutoff": 6.0}])
def test_an_option_the_sets_are_chosen_from_chooses_them_anew(option):
    calc = term()
    energy(calc, 1.0)
    calc.set(**option)
    atoms = ions(1.03)
    assert energy(calc, 1.03) == pytest.approx(
        Electrostatics(scheme="array", **{"tolerance": 1e-4, **option}).get_potential_energy(
            atoms), abs=1e-12)
