"""The physics and ASE contract every calculator of the package passes (after torch-sim's model
test factories).

A backend joins by adding one fixture that returns a :class:`ContractCase` (the calculator and
the small structures to test it on) to the ``case`` fixture's list in
``test_calculator_contract.py``; :class:`CalculatorContract` holds the checks:

* forces are minus the energy gradient, along a random direction of all atoms and along one
  Cartesian component (central differences);
* the stress is the strain derivative of the energy per volume, along a random symmetric strain;
* translation, rotation (positions and cell) and permutation of the atoms change energy,
  forces, stress and per-atom energies as they must; the same lattice in a left-handed or a
  very skewed basis, and the atoms 10⁴-10⁷ Å from the origin, change nothing;
* per-atom energies sum to the energy (where the backend gives them);
* the caller's Atoms is not modified, whatever is asked;
* ASE's parameters contract: every default option in ``calc.parameters``, ``todict()`` stored by
  an ASE database and ``type(calc)(**calc.todict())`` giving the same results, ``set()`` that
  resets the results and computes as a fresh calculator with that option, an unknown option
  refused with ``InputError`` and nothing changed;
* a non-finite result from the backend raises ``CalculationFailed`` and leaves no results.

Structures are small (<= 30 atoms) and each check costs a handful of evaluations, so that the
whole suite stays fast for float32 MLIPs on a CPU.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.calculators.calculator import CalculationFailed, InputError
from scipy.spatial.transform import Rotation


def hco_box():
    """Methanol and water in a small triclinic periodic cell, rattled so no force vanishes."""
    methanol = molecule("CH3OH")
    water = molecule("H2O")
    water.translate([2.6, 2.4, 2.2])
    atoms = methanol + water
    atoms.set_cell([[6.4, 0.0, 0.0], [0.7, 6.2, 0.0], [-0.4, 0.5, 6.0]])
    atoms.pbc = True
    atoms.translate([2.0, 2.0, 2.0])
    atoms.rattle(0.05, seed=3)
    return atoms


def hco_molecule():
    atoms = molecule("CH3CH2OH")
    atoms.rattle(0.05, seed=4)
    return atoms


@dataclass
class ContractCase:
    """One calculator and what it is tested on.

    Tolerances are absolute, in eV (energies), eV/Å (forces), eV/Å³ (stress); the defaults
    suit float64 backends, float32 MLIPs set their own (with a larger finite-difference step,
    so that the difference is dominated by the gradient and not by the energy's round-off).
    """

    calc: object
    periodic: Atoms | None = field(default_factory=hco_box)
    molecule: Atoms | None = field(default_factory=hco_molecule)
    fd_step: float = 1e-3  # Å along a unit direction, or strain
    fd_atol: float = 1e-6  # eV/Å for forces; eV/Å³ × V for the stress check
    energy_atol: float = 1e-9
    forces_atol: float = 1e-8
    stress_atol: float = 1e-10
    per_atom_energies: bool = True
    #: an option change that changes the energy, for the set() check
    change: dict = field(default_factory=dict)
    #: poison(monkeypatch, calc): make the backend's next evaluation return a NaN
    poison: Callable | None = None
    #: whether the round trip builds a second calculator (False for registered models whose
    #: load takes tens of seconds: their record is checked, the rebuild is the same code path
    #: as for the model files)
    rebuild: bool = True

    @property
    def systems(self):
        return [a for a in (self.periodic, self.molecule) if a is not None]


def nan_from_model(monkeypatch, calc):
    """The wrapped upstream calculator returns a NaN energy (as SevenNet does for overlaps)."""
    upstream = calc._model_calc
    original = upstream.calculate

    def poisoned(*args, **kwargs):
        original(*args, **kwargs)
        upstream.results["energy"] = np.nan

    monkeypatch.setattr(upstream, "calculate", poisoned)


def evaluate(calc, atoms, per_atom=True):
    """Energy, forces (and stress, per-atom energies) of a copy of ``atoms``."""
    work = atoms.copy()
    work.calc = calc
    out = {"energy": work.get_potential_energy(), "forces": work.get_forces()}
    if atoms.pbc.all():
        out["stress"] = work.get_stress(voigt=False)
    if per_atom:
        out["energies"] = work.get_potential_energies()
    return out


def _energy(calc, atoms):
    work = atoms.copy()
    work.calc = calc
    return work.get_potential_energy()


def _central(energy_at, h):
    return (energy_at(h) - energy_at(-h)) / (2.0 * h)


def _snapshot(atoms):
    return {
        "positions": atoms.positions.copy(),
        "numbers": atoms.numbers.copy(),
        "cell": atoms.cell.array.copy(),
        "pbc": atoms.pbc.copy(),
        "arrays": {k: v.copy() for k, v in atoms.arrays.items()},
        "info": copy.deepcopy(atoms.info),
        "constraints": [c.todict() for c in atoms.constraints],
    }


def _assert_same_snapshot(before, after):
    assert before["arrays"].keys() == after["arrays"].keys()
    for key in ("positions", "numbers", "cell", "pbc"):
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)
    for key, value in before["arrays"].items():
        np.testing.assert_array_equal(after["arrays"][key], value, err_msg=key)
    assert after["info"] == before["info"]
    assert after["constraints"] == before["constraints"]


class CalculatorContract:
    """The checks; a test module subclasses this and provides a ``case`` fixture."""

    # ---------------------------------------------------------------- derivatives
    def test_forces_are_minus_the_energy_gradient(self, case):
        rng = np.random.default_rng(17)
        for atoms in case.systems:
            forces = evaluate(case.calc, atoms, per_atom=False)["forces"]
            direction = rng.normal(size=atoms.positions.shape)
            direction /= np.linalg.norm(direction)
            single = np.zeros_like(direction)
            single[len(atoms) - 1, 1] = 1.0
            for d in (direction, single):
                def energy_at(x, d=d, atoms=atoms):
                    moved = atoms.copy()
                    moved.positions += x * d
                    return _energy(case.calc, moved)

                numeric = _central(energy_at, case.fd_step)
                assert numeric == pytest.approx(-np.sum(forces * d), abs=case.fd_atol)

    def test_stress_is_the_strain_derivative(self, case):
        atoms = case.periodic
        if atoms is None:
            pytest.skip("no periodic structure for this backend")
        stress = evaluate(case.calc, atoms, per_atom=False)["stress"]
        rng = np.random.default_rng(5)
        strain = rng.normal(size=(3, 3))
        strain = 0.5 * (strain + strain.T)
        strain /= np.linalg.norm(strain)

        def energy_at(x):
            moved = atoms.copy()
            moved.set_cell(atoms.cell.array @ (np.eye(3) + x * strain), scale_atoms=True)
            return _energy(case.calc, moved)

        numeric = _central(energy_at, case.fd_step) / atoms.get_volume()
        assert numeric == pytest.approx(np.sum(stress * strain),
                                        abs=case.fd_atol / atoms.get_volume())

    # ---------------------------------------------------------------- invariances
    def test_translation_rotation_and_permutation(self, case):
        atoms = case.periodic if case.periodic is not None else case.molecule
        ref = evaluate(case.calc, atoms, per_atom=case.per_atom_energies)
        rot = Rotation.from_euler("xyz", [0.3, -1.1, 2.0]).as_matrix()
        order = np.random.default_rng(2).permutation(len(atoms))

        moved = atoms.copy()
        moved.positions += [1.3, -2.1, 7.5]  # outside the cell: wrapping is the backend's job
        rotated = atoms.copy()
        rotated.set_cell(atoms.cell.array @ rot.T)
        rotated.positions = atoms.positions @ rot.T
        permuted = atoms[order]

        for name, other, r, idx in (("translated", moved, np.eye(3), slice(None)),
                                    ("rotated", rotated, rot, slice(None)),
                                    ("permuted", permuted, np.eye(3), order)):
            out = evaluate(case.calc, other, per_atom=case.per_atom_energies)
            assert out["energy"] == pytest.approx(ref["energy"], abs=case.energy_atol), name
            np.testing.assert_allclose(out["forces"], ref["forces"][idx] @ r.T,
                                       atol=case.forces_atol, err_msg=name)
            if "stress" in ref:
                np.testing.assert_allclose(out["stress"], r @ ref["stress"] @ r.T,
                                           atol=case.stress_atol, err_msg=name)
            if case.per_atom_energies:
                np.testing.assert_allclose(out["energies"], ref["energies"][idx],
                                           atol=case.energy_atol, err_msg=name)

    def test_the_same_lattice_in_another_basis(self, case):
        # a left-handed basis (two vectors swapped, one negated) and a very skewed one span
        # the same lattice: the same crystal (CHGNet's stress was 0.04 eV/Å³ off in a
        # left-handed cell)
        atoms = case.periodic
        if atoms is None:
            pytest.skip("no periodic structure for this backend")
        ref = evaluate(case.calc, atoms, per_atom=False)
        a, b, c = atoms.cell.array
        for name, basis in (("swapped", [a, c, b]), ("negated", [-a, b, c]),
                            ("skewed", [a, b, c + 4 * a - 3 * b])):
            other = atoms.copy()
            other.set_cell(basis)
            out = evaluate(case.calc, other, per_atom=False)
            assert out["energy"] == pytest.approx(ref["energy"], abs=case.energy_atol), name
            np.testing.assert_allclose(out["forces"], ref["forces"], atol=case.forces_atol,
                                       err_msg=name)
            np.testing.assert_allclose(out["stress"], ref["stress"], atol=case.stress_atol,
                                       err_msg=name)

    def test_far_from_the_origin(self, case):
        # 10⁴-10⁷ Å away from the origin (a drifted or unwrapped run): the same numbers
        # (CHGNet's crystal forces were off by 0.05 eV/Å at 10⁴ Å and NaN at 10⁷ Å)
        for atoms in case.systems:
            ref = evaluate(case.calc, atoms, per_atom=False)
            for offset, scale in ((1e4, 1.0), (1e6, 1.0), (1e7, 10.0)):
                moved = atoms.copy()
                moved.positions += offset * np.array([1.0, -0.7, 0.4])
                out = evaluate(case.calc, moved, per_atom=False)
                what = f"{offset:g} Å, pbc={atoms.pbc.tolist()}"
                assert out["energy"] == pytest.approx(ref["energy"],
                                                      abs=scale * case.energy_atol), what
                np.testing.assert_allclose(out["forces"], ref["forces"],
                                           atol=scale * case.forces_atol, err_msg=what)
                if "stress" in ref:
                    np.testing.assert_allclose(out["stress"], ref["stress"],
                                               atol=scale * case.stress_atol, err_msg=what)

    def test_per_atom_energies_sum_to_the_energy(self, case):
        if not case.per_atom_energies:
            pytest.skip("the backend gives no per-atom energies")
        for atoms in case.systems:
            out = evaluate(case.calc, atoms)
            assert out["energies"].shape == (len(atoms),)
            # float32 models sum their per-atom energies in float32
            assert out["energies"].sum() == pytest.approx(out["energy"],
                                                          abs=max(case.energy_atol, 1e-9))

    # ---------------------------------------------------------------- hygiene
    def test_caller_atoms_are_not_modified(self, case):
        for atoms in case.systems:
            work = atoms.copy()
            work.info["tag"] = {"kept": [1, 2]}
            work.set_initial_charges(np.zeros(len(work)))
            before = _snapshot(work)
            work.calc = case.calc
            work.get_potential_energy()
            work.get_forces()
            if work.pbc.all():
                work.get_stress()
            _assert_same_snapshot(before, _snapshot(work))
            assert work.calc is case.calc

    def test_non_finite_results_raise(self, case, monkeypatch):
        if case.poison is None:
            pytest.skip("no way to make this backend return NaN")
        atoms = case.systems[0].copy()
        case.calc.reset()
        case.poison(monkeypatch, case.calc)
        atoms.calc = case.calc
        with pytest.raises(CalculationFailed, match="non-finite"):
            atoms.get_potential_energy()
        assert not case.calc.results

    # ---------------------------------------------------------------- ASE parameters
    def test_parameters_todict_and_round_trip(self, case, tmp_path):
        from ase.db import connect

        calc = case.calc
        assert set(calc.default_parameters) <= set(calc.parameters)
        record = calc.todict()
        assert set(calc.default_parameters) <= set(record)
        # an ASE database stores the options as JSON and gives them back
        atoms = case.systems[0].copy()
        atoms.calc = calc
        energy = atoms.get_potential_energy()
        with connect(tmp_path / "contract.db") as db:
            db.write(atoms)
        stored = connect(tmp_path / "contract.db").get(1).calculator_parameters
        assert set(record) <= set(stored)
        if not case.rebuild:
            assert stored["model"] == record["model"] and stored["device"] == record["device"]
            return
        # the record rebuilds a calculator that computes the same
        rebuilt = type(calc)(**stored)
        assert _energy(rebuilt, atoms) == pytest.approx(energy, abs=case.energy_atol)

    def test_set_changes_the_computation_and_resets_results(self, case):
        calc = case.calc
        if not case.change:
            pytest.skip("no option change given for this backend")
        atoms = case.systems[0].copy()
        before = _energy(calc, atoms)
        saved = calc.todict()
        old = {key: saved[key] for key in case.change}
        try:
            changed = calc.set(**case.change)
            assert set(changed) == set(case.change)
            assert not calc.results
            after = _energy(calc, atoms)
            fresh = type(calc)(**{**saved, **case.change})
            assert after == pytest.approx(_energy(fresh, atoms), abs=case.energy_atol)
            assert abs(after - before) > 10 * case.energy_atol
        finally:
            calc.set(**old)
        assert _energy(calc, atoms) == pytest.approx(before, abs=case.energy_atol)

    def test_unknown_or_bad_option_is_refused_and_changes_nothing(self, case):
        calc = case.calc
        saved = calc.todict()
        with pytest.raises(InputError, match="not_an_option"):
            calc.set(not_an_option=1)
        with pytest.raises(InputError, match="device"):
            calc.set(device="gpu7")
        with pytest.raises(ValueError):  # InputError stays a ValueError for old callers
            calc.set(device="gpu7")
        assert calc.todict().keys() == saved.keys()
        assert calc.parameters["device"] == saved["device"]
