"""Reference labels stored in another place of an Atoms, or under a name that is not read.

Forces stored in ``atoms.info["forces"]`` (as an array of shape (n, 3), or flattened to 3n
values, as an extxyz comment line holds them) were left out without a word: only the energy
was compared (``quantities == ('energy',)``, no warning). They are read now, row by row; an
``info["forces"]`` of another shape, a frame's energy or stress stored per atom (``arrays``)
and a label stored twice with other values are refused before the model runs, naming the
frame and the key. Forces (or a stress) stored under a name that is not read (``force``,
``REF_forces``) beside a read energy were dropped silently; they are now named in a warning
and in ``results.not_compared``.
"""

import warnings

import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator
from molecular_pair_model import MolecularPairModel
from test_intra_inter_errors_placeholder_labels import Counting, _frame

from mda_electrolyte import IntraInterErrors
from mda_electrolyte.model_labels import StoredMoleculeLabels, stored_labels

FRAMES = [_frame(seed) for seed in range(3)]


def _values(atoms):
    """Labels of another pair model than the one compared (sigma 2.4 against 2.5)."""
    a = atoms.copy()
    a.calc = MolecularPairModel(sigma=2.4)
    values = {"energy": a.get_potential_energy(), "forces": a.get_forces()}
    if a.pbc.all():
        values["stress"] = a.get_stress()
    return values


def _stored(place, frames=FRAMES):
    """The frames with their labels' energy in ``info`` and forces stored as ``place`` says."""
    out = []
    for atoms in frames:
        values = _values(atoms)
        a = atoms.copy()
        a.info["energy"] = values["energy"]
        if place == "arrays":
            a.arrays["forces"] = values["forces"]
        elif place == "info":
            a.info["forces"] = values["forces"]
        elif place == "info flat":
            a.info["forces"] = values["forces"].ravel()
        else:
            a.arrays[place] = values["forces"]
        out.append(a)
    return out


def _errors(reference, model=None):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="stored reference labels without")
        return IntraInterErrors(FRAMES, model or MolecularPairModel(), reference=reference)


@pytest.mark.parametrize("place", ["info", "info flat"])
def test_forces_stored_in_info_are_compared_as_those_in_arrays(place):
    expected = _errors(_stored("arrays")).run().results.rmse["total"]["forces"]
    errors = _errors(_stored(place))
    # before: ('energy',), the forces left out without a word
    assert errors.quantities == ("energy", "forces")
    found = errors.run().results.rmse["total"]["forces"]
    assert found.value > 1e-4
    assert found.value == pytest.approx(expected.value, rel=1e-12)
    assert found.stderr == pytest.approx(expected.stderr, rel=1e-12)


@pytest.mark.parametrize("shape, said", [
    (lambda n: (3, n), r"shape \(3, 12\), not \(12, 3\) \(one row per atom\) or 36 values"),
    (lambda n: (3 * n - 3,), r"shape \(33,\), not \(12, 3\)"),
])
def test_forces_of_another_shape_in_info_are_refused_naming_frame_and_key(shape, said):
    stored = _stored("info")
    n = len(FRAMES[1])
    stored[1].info["forces"] = np.zeros(shape(n))
    model = Counting()
    with pytest.raises(ValueError, match=r"reference frame 1: the stored reference forces of "
                                         r"a \S+ frame \(info\['forces'\]\) have " + said):
        _errors(stored, model)
    assert model.calls == 0


@pytest.mark.parametrize("name", ["energy", "stress"])
def test_a_frames_energy_or_stress_stored_per_atom_is_refused_naming_the_key(name):
    stored = _stored("arrays")
    if name == "energy":
        stored[2].arrays["energy"] = np.full(len(stored[2]), stored[2].info.pop("energy")
                                             / len(stored[2]))
    else:
        stored[2].arrays["stress"] = np.zeros((len(stored[2]), 6))
    model = Counting()
    with pytest.raises(ValueError, match=rf"reference frame 2: the stored reference {name} of "
                                         rf"a \S+ frame is in arrays\['{name}'\], one row per "
                                         rf"atom.*store it in info\['{name}'\]"):
        _errors(stored, model)
    assert model.calls == 0


def test_a_label_edited_in_info_beside_the_calculator_results_is_refused_not_stale():
    stored = []
    for atoms in FRAMES:
        a = atoms.copy()
        a.calc = SinglePointCalculator(a, **_values(atoms))
        stored.append(a)
    # relabelled (a D3 term added, say) where ase.io.read had left the calculator results:
    # the stale results were compared
    stored[0].info["energy"] = stored[0].calc.results["energy"] - 0.37
    with pytest.raises(ValueError, match=r"reference frame 0: the stored reference energy .* "
                                         r"stored twice, as a calculator result and "
                                         r"info\['energy'\], with other values"):
        _errors(stored)
    # the same value in both places is one label
    stored[0].info["energy"] = stored[0].calc.results["energy"]
    assert stored_labels(stored[0])["energy"] == stored[0].calc.results["energy"]


@pytest.mark.parametrize("key", ["force", "REF_forces"])
def test_forces_under_a_name_not_read_are_named_beside_the_energy(key):
    with pytest.warns(UserWarning, match=rf"reference labels hold no forces under the names "
                                         rf"read; the reference frames store '{key}': rename"):
        errors = _errors(_stored(key))
    assert errors.quantities == ("energy",)
    assert f"'{key}'" in errors.not_compared["forces"]
    assert f"atoms.arrays['forces'] = atoms.arrays.pop('{key}')" in errors.not_compared["forces"]


def test_a_stress_under_a_name_not_read_is_named_and_a_statistic_is_not():
    stored = _stored("arrays")
    for a, atoms in zip(stored, FRAMES, strict=True):
        a.info["dft_stress"] = _values(atoms)["stress"]
        a.info["max_forces_std"] = 0.1  # a committee's spread, no label
    with pytest.warns(UserWarning, match=r"no stress under the names read; the reference "
                                         r"frames store 'dft_stress': rename") as caught:
        errors = _errors(stored)
    assert errors.quantities == ("energy", "forces")
    assert set(errors.not_compared) == {"stress"}
    assert not any("max_forces_std" in str(w.message) for w in caught)


def test_stored_isolated_molecules_with_forces_in_info_are_read():
    errors = _errors(_stored("arrays"))
    molecules = errors.unique_isolated_molecules()
    for mol in molecules:
        values = _values(mol)
        mol.info["energy"] = values["energy"]
        mol.info["forces"] = values["forces"].ravel()
    # before: "stored isolated molecule 0 (...) has no energy or forces"
    energies, forces = StoredMoleculeLabels(molecules).evaluate([m.copy() for m in molecules])
    for mol, e, f in zip(molecules, energies, forces, strict=True):
        assert e == pytest.approx(mol.info["energy"])
        np.testing.assert_allclose(f, mol.info["forces"].reshape(-1, 3))
