"""Isolated molecules keep their charges: an isolated PF6- is an anion, not a neutral PF6.

``isolated_molecules`` built each molecule from numbers, positions and masses only, so a frame's
formal charges (the topology the box builder attaches) were dropped and a charge-aware
calculator evaluated every isolated ion as neutral: the intra/inter split of an ionic frame was
wrong by the ions' charging energies. Every per-atom array now travels with the molecule's
atoms (as ``atoms[index]`` does), each molecule carries ``info["charge"]``, and the isolated-
molecule cache tells an ion from a neutral twin of the same geometry.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.calculators.calculator import Calculator, all_changes

from ase_electrolyte.topology import FORMAL_CHARGE, MOLECULE_INDEX, SPECIES, set_topology
from mda_electrolyte.intra_inter_errors import IntraInterErrors
from mda_electrolyte.model_labels import IsolatedMoleculeEvaluator
from mda_electrolyte.molecules import isolated_molecules

CHARGING = 0.7  # eV per e² of net charge


class ChargeAwareModel(Calculator):
    """E = CHARGING Q² + Σ_pairs k (r - 1)² / 2 over pairs closer than 1.6 Å, Q the structure's
    net charge from its formal charges (else ``info["charge"]``, else 0), as charge-aware MLIPs
    take it."""

    implemented_properties = ["energy", "forces"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        a = self.atoms
        if FORMAL_CHARGE in a.arrays:
            q = float(np.sum(a.arrays[FORMAL_CHARGE]))
        else:
            q = float(a.info.get("charge", 0.0))
        d = a.get_all_distances(mic=bool(np.any(a.pbc)), vector=True)
        r = np.linalg.norm(d, axis=-1)
        near = (r > 0) & (r < 1.6)
        k = 5.0
        energy = CHARGING * q * q + 0.25 * k * np.sum(np.where(near, (r - 1.0) ** 2, 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            g = np.where(near[..., None], k * (r - 1.0)[..., None] * d / r[..., None], 0.0)
        self.results = {"energy": energy, "forces": np.sum(g, axis=0)}


def _ionic_frame():
    """Li+, F- and a water in a periodic box, with the box builder's topology arrays."""
    water = molecule("H2O")
    water.positions += [6.0, 6.0, 6.0]
    atoms = Atoms("LiF", positions=[[1.0, 1.0, 1.0], [4.0, 1.0, 1.0]]) + water
    atoms.set_cell([10.0, 10.0, 10.0])
    atoms.pbc = True
    set_topology(atoms, [0, 1, 2, 2, 2], ["Li", "F", "H2O", "H2O", "H2O"], [1, -1, 0, 0, 0])
    atoms.set_initial_charges([0.9, -0.9, -0.8, 0.4, 0.4])
    atoms.set_tags([7, 8, 9, 9, 9])
    return atoms


@pytest.mark.parametrize("vacuum", [None, 12.0])
def test_each_molecule_carries_its_atoms_arrays_and_net_charge(vacuum):
    atoms = _ionic_frame()
    before = {k: v.copy() for k, v in atoms.arrays.items()}
    mols = isolated_molecules(atoms, atoms.arrays[MOLECULE_INDEX], vacuum=vacuum)
    assert [m.info["charge"] for m in mols] == [1, -1, 0]
    for m in mols:
        index = m.arrays["frame_index"]
        np.testing.assert_array_equal(m.arrays[FORMAL_CHARGE], atoms.arrays[FORMAL_CHARGE][index])
        np.testing.assert_array_equal(m.arrays[SPECIES], atoms.arrays[SPECIES][index])
        np.testing.assert_array_equal(m.get_initial_charges(), atoms.get_initial_charges()[index])
        np.testing.assert_array_equal(m.get_tags(), atoms.get_tags()[index])
        # one molecule: its index within itself, as get_topology reads it
        np.testing.assert_array_equal(m.arrays[MOLECULE_INDEX], 0)
    # the caller's frame is untouched
    assert set(atoms.arrays) == set(before)
    for k, v in before.items():
        np.testing.assert_array_equal(atoms.arrays[k], v)


def test_a_frame_without_topology_gives_molecules_without_a_charge():
    atoms = _ionic_frame()
    for k in (FORMAL_CHARGE, SPECIES):
        del atoms.arrays[k]
    ids = atoms.arrays.pop(MOLECULE_INDEX)
    mols = isolated_molecules(atoms, ids)
    assert all("charge" not in m.info for m in mols)


def test_a_frame_with_molecule_indices_only_gives_molecules_without_a_charge():
    atoms = _ionic_frame()
    for k in (FORMAL_CHARGE, SPECIES):
        del atoms.arrays[k]
    mols = isolated_molecules(atoms, atoms.arrays[MOLECULE_INDEX])
    assert all("charge" not in m.info for m in mols)
    assert [m.arrays[MOLECULE_INDEX].tolist() for m in mols] == [[0], [0], [0, 0, 0]]


def test_the_cache_tells_an_ion_from_its_neutral_twin():
    calc = ChargeAwareModel()
    ion = Atoms("F", positions=[[0.0, 0.0, 0.0]])
    ion.info["charge"] = -1
    neutral = ion.copy()
    neutral.info["charge"] = 0
    evaluator = IsolatedMoleculeEvaluator(calc)
    energies, _ = evaluator.evaluate([ion, neutral, ion])
    np.testing.assert_allclose(energies, [CHARGING, 0.0, CHARGING], rtol=0, atol=1e-12)
    assert evaluator.n_evaluated == 2


def test_the_intra_energy_of_an_ionic_frame_holds_the_ions_charging_energies():
    frames = []
    for seed in range(3):
        atoms = _ionic_frame()
        atoms.rattle(0.02, seed=seed)
        frames.append(atoms)
    model = ChargeAwareModel()
    r = IntraInterErrors(frames, model, reference=ChargeAwareModel()).run().results
    for k, atoms in enumerate(frames):
        whole = model.get_potential_energy(atoms.copy())
        water = atoms[2:].copy()
        water.pbc = False
        water.cell = None
        del water.arrays[FORMAL_CHARGE]
        expected_intra = 2 * CHARGING + ChargeAwareModel().get_potential_energy(water)
        intra = r.energies["model"]["intra"][k]
        # the neutral frame has no charging energy; Li+ and F- alone have CHARGING each
        np.testing.assert_allclose(intra, expected_intra, rtol=0, atol=1e-9)
        np.testing.assert_allclose(r.energies["model"]["inter"][k], whole - expected_intra,
                                   rtol=0, atol=1e-9)


def test_arrays_set_as_plain_lists_are_carried():
    # atoms.arrays["molecule_index"] = [...] stores a list, which an index array cannot slice
    atoms = _ionic_frame()
    atoms.arrays[MOLECULE_INDEX] = [0, 1, 2, 2, 2]
    atoms.arrays[FORMAL_CHARGE] = [1, -1, 0, 0, 0]
    mols = isolated_molecules(atoms, [0, 1, 2, 2, 2])
    assert [m.info["charge"] for m in mols] == [1, -1, 0]
    assert [m.arrays[MOLECULE_INDEX].tolist() for m in mols] == [[0], [0], [0, 0, 0]]
    assert atoms.arrays[MOLECULE_INDEX] == [0, 1, 2, 2, 2]  # the caller's list is untouched
