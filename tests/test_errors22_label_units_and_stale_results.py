"""Reference labels in another unit beside a model that is itself off, and stale calculator
results read as labels.

A model 10-35 % off its reference (a softened MLIP, Ju et al. 2025) with labels in kcal/mol,
kJ/mol, Hartree/Bohr or Rydberg/Bohr missed the 10 % window about the unit's factor: its
force errors, of the size of the labels, were reported as valid. And the results ASE keeps on a
calculator after the atoms were moved (or those of the last of several Atoms sharing one
calculator, or of the model under test itself) were read as the frames' labels.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.calculators.singlepoint import SinglePointCalculator

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402

from mda_electrolyte.diagnose import diagnose  # noqa: E402
from mda_electrolyte.intra_inter_errors import (  # noqa: E402
    FORCE_UNIT_FACTORS,
    UNIT_FACTORS,
    IntraInterErrors,
    unit_doubt,
)

FAR_FORCE_UNITS = {u: f for u, f in FORCE_UNIT_FACTORS.items() if not 0.3 < f < 3.0}


def _frame(seed, L=9.0):
    """Eight rattled waters on a 2×2×2 grid of a triclinic cell (no overlaps)."""
    rng = np.random.default_rng(seed)
    cell = np.array([[L, 0, 0], [1.0, L, 0], [0.5, -1.0, L]])
    atoms, ids = Atoms(cell=cell, pbc=True), []
    for j, g in enumerate(np.ndindex(2, 2, 2)):
        m = molecule("H2O")
        m.rotate(rng.uniform(0, 360), rng.normal(size=3), center="COM")
        m.positions += np.array(g) @ cell / 2 + rng.normal(0, 0.3, 3) + 0.2
        m.rattle(0.05, seed=seed * 10 + j)
        atoms += m
        ids += [j] * 3
    atoms.arrays["molecule_index"] = np.array(ids)
    atoms.wrap()
    return atoms


def _labelled(frames, calc, energy=1.0, forces=1.0):
    out = []
    for a in frames:
        b = a.copy()
        b.calc = calc
        e, f, s = b.get_potential_energy(), b.get_forces(), b.get_stress()
        b.calc = SinglePointCalculator(b, energy=e * energy, forces=f * forces, stress=s)
        out.append(b)
    return out


def _names(doubt, unit):
    return doubt is not None and (f"in {unit} " in doubt or f"(or in {unit})" in doubt)


@pytest.mark.parametrize("gain", [0.78, 0.9, 1.12, 1.3])
@pytest.mark.parametrize("unit", sorted(FAR_FORCE_UNITS))
def test_far_force_units_are_named_beside_a_model_off_its_reference(unit, gain):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(8, 30, 3))
    model = gain * x + 0.05 * rng.normal(size=x.shape)
    doubt = unit_doubt(FAR_FORCE_UNITS[unit] * x, model, "forces")
    assert _names(doubt, unit), doubt
    # the same model against labels in eV/Å: its own error, no unit named
    assert unit_doubt(x, model, "forces") is None


def test_a_far_ratio_without_correlation_is_no_unit():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(8, 30, 3))
    # reference 23 times the model's size, but the two unrelated: a broken model, not a unit
    assert unit_doubt(23.0605 * x, rng.normal(size=x.shape), "forces") is None


@pytest.mark.parametrize("unit", ["kcal/mol", "kJ/mol", "Hartree", "Rydberg"])
def test_energy_units_are_named_beside_a_model_off_its_reference(unit):
    rng = np.random.default_rng(7)
    energies = -40.0 + rng.normal(size=12)
    model = 1.15 * energies
    doubt = unit_doubt(UNIT_FACTORS[unit] * energies, model, "energy", n_atoms=50)
    assert _names(doubt, unit), doubt
    # the same level 23 times the model's but fluctuations the model's: another energy zero
    shifted = model + (UNIT_FACTORS[unit] - 1.0) * model.mean()
    assert unit_doubt(shifted, model, "energy", n_atoms=50) is None


@pytest.fixture(scope="module")
def frames():
    return [_frame(s) for s in range(6)]


def test_kcal_labels_of_a_softened_model_are_not_valid_errors(frames):
    # a model softened to 0.85 of its reference (Ju et al. 2025), labels in kcal/mol
    reference = MolecularPairModel(sigma=2.1, rc=4.0, k=22.0)
    model = MolecularPairModel(sigma=2.1, rc=4.0, k=22.0, scale=0.85)
    good = IntraInterErrors(frames, model, reference=_labelled(frames, reference)).run().results
    assert good.rmse["total"]["forces"].valid
    kcal = _labelled(frames, reference, energy=23.0605, forces=23.0605)
    with pytest.warns(UserWarning, match="kcal/mol"):
        r = IntraInterErrors(frames, model, reference=kcal).run().results
    for c in ("total", "trans", "rot", "vib"):
        assert not r.rmse[c]["forces"].valid and "kcal/mol" in r.rmse[c]["forces"].verdict
    assert not r.rmse["total"]["energy"].valid
    assert all(not e.valid for e in r.softening.values())


def _stale(frames, calc_of):
    out = []
    for a in frames:
        b = a.copy()
        b.calc = calc_of()
        b.get_forces()
        out.append(b)
    return out


def test_results_of_moved_atoms_are_refused_a_wrap_or_translation_is_not(frames):
    model = MolecularPairModel(sigma=2.0, rc=4.0)
    fresh = _stale(frames, lambda: MolecularPairModel(sigma=2.1, rc=4.0, k=22.0))
    base = IntraInterErrors(fresh, model).run().results.rmse["total"]["forces"]
    # moved as a whole and wrapped back into the cell: the labels still hold, the same errors
    for a in fresh:
        a.positions += [4.3, -2.2, 7.9]
        a.wrap()
    moved = IntraInterErrors(fresh, model).run().results.rmse["total"]["forces"]
    assert moved.value == pytest.approx(base.value, rel=1e-10)
    # one molecule moved 0.05 Å after the evaluation: its results are another geometry's
    fresh[2].positions[:3] += 0.05
    with pytest.raises(ValueError, match=r"reference frame 2: .*other positions.*0\.05 Å"):
        IntraInterErrors(fresh, model)


def test_a_shared_calculator_and_the_model_itself_are_no_labels(frames):
    model = MolecularPairModel(sigma=2.0, rc=4.0)
    shared = MolecularPairModel(sigma=2.1, rc=4.0, k=22.0)
    frames = [a.copy() for a in frames]
    for a in frames:
        a.calc = shared
        a.get_forces()
    # the shared calculator holds the last frame's results: those of frame 0 are stale
    with pytest.raises(ValueError, match="reference frame 0: .*other positions"):
        IntraInterErrors(frames, model)
    own = [a.copy() for a in frames]
    for a in own:
        a.calc = model
    own[0].get_forces()
    with pytest.raises(ValueError, match="reference frame 0 carries the model under test"):
        IntraInterErrors(own[:1], model)


class _Counting(MolecularPairModel):
    calls = 0

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)


def test_diagnose_refuses_stale_results_before_evaluating_the_model(frames, tmp_path):
    stale = _stale(frames, lambda: MolecularPairModel(sigma=2.1, rc=4.0, k=22.0))
    stale[-1].positions[3:6] -= 0.02
    model = _Counting(sigma=2.0, rc=4.0)
    with pytest.raises(ValueError, match=r"reference frame 5: .*other positions"):
        diagnose(stale, model, tmp_path / "out", max_scan_frames=1)
    assert _Counting.calls == 0 and not (tmp_path / "out").exists()


def test_labels_read_without_a_cell_then_boxed_and_wrapped_are_labels(frames):
    # a plain xyz of labels: no cell when read, the box set (and the frame wrapped) after
    reference = MolecularPairModel(sigma=2.1, rc=4.0, k=22.0)
    boxed = []
    for a in _labelled(frames, reference):
        plain = a.copy()
        plain.pbc, plain.cell = False, None
        plain.calc = SinglePointCalculator(plain, **a.calc.results)
        plain.cell, plain.pbc = a.cell, True
        plain.positions += [3.0, 3.0, 3.0]
        plain.wrap()
        boxed.append(plain)
    model = MolecularPairModel(sigma=2.0, rc=4.0)
    direct = IntraInterErrors(frames, model, reference=_labelled(frames, reference)).run()
    r = IntraInterErrors(boxed, model).run()
    assert r.results.rmse["total"]["forces"].value == pytest.approx(
        direct.results.rmse["total"]["forces"].value, rel=1e-10)
