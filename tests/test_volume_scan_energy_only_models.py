"""Calculators of energies alone (``implemented_properties = ["energy"]``) in scans and splits.

A rigid volume scan is a curve of energies, yet it asked the isolated molecules for their
forces: a calculator of energies alone failed with "forces property not implemented; ... pass
vacuum=" after the frame or the molecules before it had been evaluated. The intra/inter split
took forces for given from any calculator and failed the same way. Now the scan evaluates
energies alone (and keeps, with ``keep_frames``, the labels the calculator gives), the split
compares energies alone by default, and forces asked of such a calculator are refused before any
evaluation.
"""

import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.calculator import Calculator, all_changes

from mda_electrolyte.intra_inter_errors import IntraInterErrors
from mda_electrolyte.model_labels import IsolatedMoleculeEvaluator
from mda_electrolyte.molecules import isolated_molecules
from mda_electrolyte.volume_scan import RigidVolumeScan


def _pair_energy(atoms):
    """Soft repulsion of every pair (periodic images within 3 Å included), eV."""
    from ase.neighborlist import neighbor_list

    i, j, d = neighbor_list("ijd", atoms, 3.0)
    return 0.5 * float(np.sum(np.exp(-d)))


class EnergyOnly(Calculator):
    implemented_properties = ["energy"]

    def __init__(self):
        super().__init__()
        self.asked = []

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.asked.append(tuple(properties))
        self.results = {"energy": _pair_energy(self.atoms)}


def _frames(n=2):
    out = []
    for k in range(n):
        a, b = molecule("H2O"), molecule("CH3OH")
        b.positions += [3.1 + 0.1 * k, 0.2, 0.0]
        box = a + b
        box.cell, box.pbc = [8.0, 8.0, 8.0], True
        box.arrays["molecule_index"] = np.array([0] * 3 + [1] * 6)
        out.append(box)
    return out


def _alone(mol):
    mol = mol.copy()
    mol.pbc = False
    return _pair_energy(mol)


@pytest.mark.parametrize("keep_frames", [False, True, "path"])
def test_a_scan_with_a_calculator_of_energies_alone(tmp_path, keep_frames):
    frames = _frames()
    model, reference = EnergyOnly(), EnergyOnly()
    keep = tmp_path / "scan.extxyz" if keep_frames == "path" else keep_frames
    scan = RigidVolumeScan(frames, model, scales=[1.0, 1.5], reference=reference,
                           keep_frames=keep).run()
    r = scan.results
    n = len(frames[0])
    for k, frame in enumerate(frames):
        intra = sum(_alone(m) for m in isolated_molecules(frame, frame.arrays["molecule_index"]))
        np.testing.assert_allclose(r.intra[k], intra * 1000.0 / n, rtol=1e-12)
        for c, s in enumerate([1.0, 1.5]):
            scaled = frame.copy()
            scaled.set_cell(frame.cell * s, scale_atoms=False)
            com = [frame[:3].get_center_of_mass(), frame[3:].get_center_of_mass()]
            for j, sl in enumerate((slice(0, 3), slice(3, 9))):
                scaled.positions[sl] += (s - 1.0) * com[j]
            np.testing.assert_allclose(r.total[k, c], _pair_energy(scaled) * 1000.0 / n,
                                       rtol=1e-12)
    assert all(p == ("energy",) for p in model.asked + reference.asked)
    if keep_frames:
        for labels in ("model", "reference"):
            kept = scan.scanned_frames(labels=labels)
            assert len(kept) == 4
            energies = [a.get_potential_energy() for a in kept]
            np.testing.assert_allclose(np.array(energies).reshape(2, 2) * 1000.0 / n,
                                       r.total if labels == "model" else r.reference_total,
                                       rtol=1e-7)
            assert "forces" not in kept[0].calc.results


def test_the_split_compares_energies_and_refuses_forces_before_any_evaluation():
    frames = _frames(3)
    model, reference = EnergyOnly(), EnergyOnly()
    with pytest.raises(ValueError, match="the model has no forces"):
        IntraInterErrors(frames, model, reference=reference, quantities=("forces",))
    assert model.asked == [] and reference.asked == []
    errors = IntraInterErrors(frames, model, reference=reference).run()
    assert errors.quantities == ("energy",)
    assert all(p == ("energy",) for p in model.asked + reference.asked)
    # the same calculator on both sides: no error, intra and inter included
    for part in ("total", "intra", "inter"):
        assert errors.results.rmse[part]["energy"].value == pytest.approx(0.0, abs=1e-9)


def test_an_energy_cached_alone_is_evaluated_again_when_forces_are_asked():
    from ase.calculators.emt import EMT

    mols = isolated_molecules(_frames(1)[0], [0] * 3 + [1] * 6)
    evaluator = IsolatedMoleculeEvaluator(EMT(), forces=False)
    energies, forces = evaluator.evaluate(mols)
    assert forces == [None, None] and evaluator.n_evaluated == 2
    evaluator.forces = True
    again, forces = evaluator.evaluate(mols)
    np.testing.assert_allclose(again, energies, rtol=1e-12)
    for mol, f in zip(mols, forces, strict=True):
        probe = mol.copy()
        probe.calc = EMT()
        np.testing.assert_allclose(f, probe.get_forces(), rtol=1e-12)
    assert evaluator.n_evaluated == 4
    # cached with forces now: neither mode evaluates again, and the cache counts each once
    evaluator.evaluate(mols)
    evaluator.forces = False
    evaluator.evaluate(mols)
    assert evaluator.n_evaluated == 4 and evaluator._cached_atoms == 9
    with pytest.raises(ValueError, match="forces"):
        IsolatedMoleculeEvaluator(EMT(), forces="no")
