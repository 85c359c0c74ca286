"""Isolated molecules carry none of their frame's stored labels.

:func:`mda_electrolyte.molecules.isolated_molecules` carried every per-atom array of the frame
to each molecule, a training frame's force labels among them (``REF_forces``, ``forces``,
``energies``: the forces on those atoms in the liquid, not of the molecule alone).
:meth:`IntraInterErrors.unique_isolated_molecules` returns those molecules for labelling with a
reference method: written to extxyz they kept the frame's forces, and a file of molecules
labelled with energies alone read back with them as the isolated molecules' reference forces
(``reference_isolated=``). The labels are dropped by the one rule of the package
(:func:`mda_electrolyte.model_labels.drop_stored_labels`, as for a volume scan's scaled frames
and a replicated box); other arrays (charges, tags) are carried as before.
"""
import numpy as np
import pytest
from ase.build import molecule
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones
from ase.io import read, write

from mda_electrolyte import IntraInterErrors
from mda_electrolyte.model_labels import LABEL_NAME
from mda_electrolyte.molecules import isolated_molecules

# names a training set stores its labels under, per atom
_LABELS = ["REF_forces", "forces", "dft_forces", "energies", "REF_virials", "hessian_row"]


def _frames(n=3, label=None, seed=0):
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n):
        a, b = molecule("H2O"), molecule("CH4")
        b.positions += [3.0, 0.0, 0.0]
        frame = a + b
        frame.positions += rng.normal(0.0, 0.02, frame.positions.shape)
        frame.cell, frame.pbc = [9.0, 9.0, 9.0], True
        frame.arrays["molecule_index"] = np.array([0] * 3 + [1] * 5)
        frame.set_initial_charges(rng.normal(0.0, 0.1, len(frame)))
        frame.set_tags(np.arange(len(frame)))
        if label is not None:
            shape = (len(frame),) if label == "energies" else (len(frame), 3)
            frame.arrays[label] = rng.normal(size=shape)
        frames.append(frame)
    return frames


@pytest.mark.parametrize("vacuum", [None, 6.0])
@pytest.mark.parametrize("label", _LABELS)
def test_isolated_molecules_drop_the_frames_labels(label, vacuum):
    frame = _frames(1, label)[0]
    kept = frame.arrays[label].copy()
    mols = isolated_molecules(frame, frame.arrays["molecule_index"], vacuum=vacuum)
    for mol in mols:
        assert not [k for k in mol.arrays if LABEL_NAME.search(k)], list(mol.arrays)
        index = mol.arrays["frame_index"]
        # other per-atom arrays are still the frame's
        np.testing.assert_array_equal(mol.get_initial_charges(),
                                      frame.get_initial_charges()[index])
        np.testing.assert_array_equal(mol.get_tags(), frame.get_tags()[index])
    # the frame keeps its own
    np.testing.assert_array_equal(frame.arrays[label], kept)


@pytest.mark.parametrize("label", ["REF_forces", "forces"])
def test_unique_molecules_written_for_labelling_hold_no_frame_forces(label, tmp_path):
    frames = _frames(3, label)
    errors = IntraInterErrors(frames, EMT(), reference=LennardJones(sigma=1.0, rc=4.0))
    molecules = errors.unique_isolated_molecules()
    path = tmp_path / "isolated.extxyz"
    write(path, molecules)
    for mol in read(path, ":"):
        assert not [k for k in mol.arrays if LABEL_NAME.search(k)], list(mol.arrays)
        assert mol.calc is None or "forces" not in mol.calc.results


def test_molecules_labelled_with_energies_read_back_without_forces(tmp_path):
    from ase.calculators.singlepoint import SinglePointCalculator

    frames = _frames(3, "forces")
    reference = LennardJones(sigma=1.0, rc=4.0)
    molecules = IntraInterErrors(frames, EMT(), reference=reference).unique_isolated_molecules()
    for mol in molecules:
        probe = mol.copy()
        probe.calc = reference
        mol.calc = SinglePointCalculator(mol, energy=probe.get_potential_energy())
    path = tmp_path / "labelled.extxyz"
    write(path, molecules)
    back = read(path, ":")
    # the energies written, and no forces: the frame's were read back as the molecules' own
    assert [set(m.calc.results) for m in back] == [{"energy"}] * len(molecules)
