"""Scaled ionic charges (``charge_scale``) on a box and on each of its isolated molecules.

Force fields scale ionic charges (0.8 e for Li⁺ and PF₆⁻) to mimic electronic polarisation.
The per-atom charge array of such a box sums to 0, as declared, but each isolated ion's sums to
0.8 e where the molecule declares its formal +1 e (``isolated_molecules`` sets it, and a
charge-aware model reads it): every isolated ion was refused, and ``total_charge``, one number,
could not serve Li⁺, PF₆⁻ and the neutral solvent of one intra/inter split. ``charge_scale``
states the ratio once: the term's charges must sum to it times the declared charge.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule

from ase_electrolyte import Electrostatics, fit_qrd
from ase_electrolyte.electrostatics import COULOMB
from ase_electrolyte.topology import MOLECULE_INDEX, set_topology
from mda_electrolyte.model_labels import IsolatedMoleculeEvaluator
from mda_electrolyte.molecules import isolated_molecules

SCALE = 0.8
WATER_Q = [-0.8, 0.4, 0.4]


def _scaled_frame():
    """Li⁺, F⁻ and a water in a 10 Å box; ions at ±0.8 e, formal charges ±1."""
    water = molecule("H2O")
    water.positions += [6.0, 6.0, 6.0]
    atoms = Atoms("LiF", positions=[[1.0, 1.0, 1.0], [4.0, 1.0, 1.0]]) + water
    atoms.set_cell([10.0, 10.0, 10.0])
    atoms.pbc = True
    set_topology(atoms, [0, 1, 2, 2, 2], ["Li", "F", "H2O", "H2O", "H2O"], [1, -1, 0, 0, 0])
    atoms.set_initial_charges([SCALE, -SCALE, *WATER_Q])
    return atoms


def _direct(atoms, q):
    """Σ_{i<j} q_i q_j / r_ij in eV, by hand."""
    r = atoms.get_all_distances()
    i, j = np.triu_indices(len(atoms), 1)
    return COULOMB * float(np.sum(np.asarray(q)[i] * np.asarray(q)[j] / r[i, j]))


@pytest.mark.parametrize("vacuum", [None, 12.0])
def test_each_isolated_molecule_takes_the_scaled_charges(vacuum):
    frame = _scaled_frame()
    mols = isolated_molecules(frame, frame.arrays[MOLECULE_INDEX], vacuum=vacuum)
    assert [m.info["charge"] for m in mols] == [1, -1, 0]
    term = Electrostatics(scheme="array", charge_scale=SCALE, background=True, tolerance=1e-8)
    energies = []
    for mol in mols:
        # refused before: "sums to 0.8 e, but the Atoms declares a net charge of 1 e"
        np.testing.assert_allclose(term.get_charges(mol), mol.get_initial_charges())
        mol.calc = term
        energies.append(mol.get_potential_energy())
    if vacuum is None:
        # the molecules themselves: a lone ion has no pair, the water its three
        assert energies[:2] == [0.0, 0.0]
        assert energies[2] == pytest.approx(_direct(mols[2], WATER_Q), rel=1e-12)
    # the frame itself declares 0 and its charges sum to 0: the scale changes nothing there
    frame.calc = term
    plain = Electrostatics(scheme="array", tolerance=1e-8)
    assert frame.get_potential_energy() == pytest.approx(
        plain.get_potential_energy(frame.copy()), rel=1e-12)


def test_an_intra_inter_evaluator_sees_each_molecule_with_its_scaled_charges():
    frame = _scaled_frame()
    mols = isolated_molecules(frame, frame.arrays[MOLECULE_INDEX])
    evaluator = IsolatedMoleculeEvaluator(Electrostatics(scheme="array", charge_scale=SCALE))
    energies, forces = evaluator.evaluate(mols)
    np.testing.assert_allclose(energies, [0.0, 0.0, _direct(mols[2], WATER_Q)], rtol=1e-12)
    assert all(np.all(np.isfinite(f)) for f in forces)


def test_charges_off_the_stated_scale_are_refused_with_the_ratio_they_have():
    frame = _scaled_frame()
    li = isolated_molecules(frame, frame.arrays[MOLECULE_INDEX])[0]
    for term in (Electrostatics(scheme="array"), Electrostatics(scheme="array", charge_scale=0.9)):
        with pytest.raises(ValueError, match=r"charge_scale.*× 0\.8\?"):
            term.get_charges(li)
    # a neutral structure tells no ratio, but is still checked
    water = isolated_molecules(frame, frame.arrays[MOLECULE_INDEX])[2]
    water.arrays["initial_charges"][0] += 0.1
    with pytest.raises(ValueError, match="declares a net charge of 0 e, × charge_scale 0.8"):
        Electrostatics(scheme="array", charge_scale=SCALE).get_charges(water)


def test_qrd_redistributes_the_scaled_net_charge():
    qrd = {"Li": (0.9, 1.0), "F": (-0.9, 1.0), "P": (1.0, 1.0)}
    pf = Atoms("PF6", positions=np.vstack([np.zeros(3), 1.6 * np.vstack([np.eye(3), -np.eye(3)])]),
               info={"charge": -1})
    q = Electrostatics(qrd=qrd, charge_scale=SCALE).get_charges(pf)
    assert q.sum() == pytest.approx(-SCALE, abs=1e-12)
    np.testing.assert_allclose(q, Electrostatics(qrd=qrd, total_charge=-SCALE).get_charges(pf))


@pytest.mark.parametrize("bad", [0.0, -0.8, float("nan"), "0.8", True])
def test_a_bad_scale_is_refused_by_name(bad):
    with pytest.raises(ValueError, match=r"charge_scale \(net charge of the term's charges"):
        Electrostatics(scheme="array", charge_scale=bad)


def test_a_scale_beside_a_total_charge_is_refused():
    with pytest.raises(ValueError, match="total_charge=0 and charge_scale=0.8 both"):
        Electrostatics(scheme="array", total_charge=0.0, charge_scale=SCALE)
    term = Electrostatics(scheme="array", charge_scale=SCALE)
    with pytest.raises(ValueError, match="both"):
        term.set(total_charge=1.0)
    assert term.parameters["total_charge"] is None


def test_the_scale_survives_todict_and_save(tmp_path):
    term = Electrostatics(scheme="array", charge_scale=SCALE)
    assert Electrostatics(**term.todict()).parameters["charge_scale"] == SCALE
    term.save(tmp_path / "es.json")
    again = Electrostatics.load(tmp_path / "es.json")
    assert again.parameters["charge_scale"] == SCALE
    li = isolated_molecules(_scaled_frame(), [0, 1, 2, 2, 2])[0]
    assert again.get_charges(li)[0] == pytest.approx(SCALE)


def test_fit_qrd_fits_the_scaled_charges_it_returns():
    truth = {"H": (0.3, 0.5), "Li": (0.9, 0.2), "O": (-0.5, 1.1)}
    rng = np.random.default_rng(6)
    frames, labels = [], []
    for k, (counts, charge) in enumerate([((2, 3, 4), 1), ((1, 4, 3), -1), ((3, 2, 5), 1)]):
        n, length = sum(counts), 6.0 + 0.3 * k
        atoms = Atoms(f"Li{counts[0]}O{counts[1]}H{counts[2]}", cell=[length] * 3, pbc=True,
                      positions=rng.uniform(0, length, (n, 3)), info={"charge": charge})
        labels.append(Electrostatics(qrd=truth, charge_scale=SCALE, tolerance=1e-9,
                                     background=True).get_potential_energy(atoms))
        frames.append(atoms)
    labels = [{"energy": e} for e in labels]
    fit = fit_qrd(frames, None, labels, regularization=0.0, fit_offsets=False, tolerance=1e-9,
                  background=True, charge_scale=SCALE, initial=truth)
    assert fit.electrostatics.parameters["charge_scale"] == SCALE
    # the truth is a minimum of the fit it returns: it starts there and stays (before, the fit
    # summed charges of the unscaled ±1 e and moved off it; its term then missed the labels)
    assert fit.errors_after["energy_per_atom"] < 1e-6
    for atoms, label in zip(frames, labels, strict=True):
        assert fit.electrostatics.get_potential_energy(atoms) == pytest.approx(
            label["energy"], abs=1e-6)
