"""Lattice-sum set-ups kept per cell: a term alternating between cells (two Atoms on one
calculator, a scan revisiting its volumes, a barostat swinging back) chooses each cell's
parameters once, and each cell's numbers do not depend on which cell came before.

With one set kept, every switch beyond 5 % strain retuned: 600 PME charges alternating between
two cells took 5-12 s per call (PME's mesh error is measured at each choice) against 0.3-2 s
with the sets kept, and a cell's energy depended on the history of the calculator.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from ase_electrolyte import Electrostatics
from ase_electrolyte import electrostatics as es


def _charges(n=16, length=9.0, seed=0):
    rng = np.random.default_rng(seed)
    atoms = Atoms(f"H{n}", positions=rng.uniform(0.0, length, (n, 3)), cell=[length] * 3,
                  pbc=True)
    atoms.set_initial_charges(np.tile([1.0, -1.0], n // 2))
    return atoms


def _scaled(atoms, factor):
    out = atoms.copy()
    out.set_cell(atoms.cell.array * factor, scale_atoms=True)
    return out


def _counting(calc, monkeypatch):
    """Count the choices of lattice-sum parameters that ``calc`` makes (the unchecked
    ``_lattice_parameters`` its cache calls; the public ``lattice_parameters`` checks its
    input first, then calls it too)."""
    made = []
    choose = calc._lattice_parameters

    def counted(atoms, charges):
        made.append(np.array(atoms.cell.array))
        return choose(atoms, charges)

    monkeypatch.setattr(calc, "_lattice_parameters", counted)
    return made


@pytest.mark.parametrize("method", ["ewald", "pme"])
def test_alternating_cells_choose_their_parameters_once(method, monkeypatch):
    atoms = _charges(n=8, length=8.0)
    cells = [atoms, _scaled(atoms, 1.12)] + ([_scaled(atoms, 0.9)] if method == "ewald" else [])
    options = {"scheme": "array", "method": method, "tolerance": 1e-3, "cutoff": 4.0}
    calc = Electrostatics(**options)
    made = _counting(calc, monkeypatch)
    seen = [[] for _ in cells]
    for _ in range(2):
        for k, cell in enumerate(cells):
            seen[k].append(calc.get_potential_energy(cell.copy()))
    assert len(made) == len(cells)
    # each cell's energy is that of a fresh calculator on it, whatever came before
    for k, cell in enumerate(cells):
        fresh = Electrostatics(**options).get_potential_energy(cell.copy())
        np.testing.assert_allclose(seen[k], fresh, rtol=0, atol=1e-12)


def test_a_cell_within_the_strain_of_a_kept_one_takes_the_nearest_set(monkeypatch):
    atoms = _charges()
    calc = Electrostatics(scheme="array", method="ewald", tolerance=1e-5, cutoff=4.0)
    made = _counting(calc, monkeypatch)
    calc.get_potential_energy(atoms.copy())
    calc.get_potential_energy(_scaled(atoms, 1.08))
    first, second = calc._tuned[1][2], calc._tuned[0][2]
    assert len(made) == 2 and first is not second
    # 1.07 is 1 % from the second cell and 7 % from the first; 1.03 is 3 % from the first
    calc.get_potential_energy(_scaled(atoms, 1.07))
    assert calc._tuned[0][2] is second
    calc.get_potential_energy(_scaled(atoms, 1.03))
    assert calc._tuned[0][2] is first
    assert len(made) == 2


def test_the_sets_kept_are_bounded_and_the_oldest_dropped(monkeypatch):
    atoms = _charges(n=8)
    calc = Electrostatics(scheme="array", method="ewald", tolerance=1e-4, cutoff=4.0)
    made = _counting(calc, monkeypatch)
    factors = [1.08**k for k in range(es._TUNED_CELLS + 2)]
    for factor in factors:
        calc.get_potential_energy(_scaled(atoms, factor))
    assert len(calc._tuned) == es._TUNED_CELLS
    assert len(made) == len(factors)
    # the last cell is kept, the first dropped and chosen again
    calc.get_potential_energy(_scaled(atoms, factors[-1]))
    assert len(made) == len(factors)
    calc.get_potential_energy(_scaled(atoms, factors[0]))
    assert len(made) == len(factors) + 1


def test_set_drops_the_kept_sets():
    atoms = _charges()
    calc = Electrostatics(scheme="array", method="ewald", tolerance=1e-5, cutoff=4.0)
    calc.get_potential_energy(atoms.copy())
    calc.get_potential_energy(_scaled(atoms, 1.1))
    assert len(calc._tuned) == 2
    calc.set(tolerance=1e-6)
    assert calc._tuned == []
    fresh = Electrostatics(scheme="array", method="ewald", tolerance=1e-6, cutoff=4.0)
    assert calc.get_potential_energy(atoms.copy()) == pytest.approx(
        fresh.get_potential_energy(atoms.copy()), abs=1e-12)


def test_the_automatic_pme_cutoff_is_the_same_for_the_same_inputs():
    """cutoff='auto' chooses by counted work and the measured mesh error, not by timings: two
    calculators choose the same parameters."""
    atoms = _charges(n=32, length=10.0, seed=3)
    q = atoms.get_initial_charges()
    options = {"scheme": "array", "method": "pme", "tolerance": 1e-3}
    first = Electrostatics(**options).lattice_parameters(atoms, q)
    assert Electrostatics(**options).lattice_parameters(atoms.copy(), q.copy()) == first
