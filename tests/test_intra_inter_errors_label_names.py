"""Labels stored under names that are not read (MACE's ``REF_energy``, ``REF_forces``).

A labels file of MACE's training format was refused with "quantities must include energy or
forces", naming neither the file's labels nor the cure, and diagnose skipped the error
decomposition of such frames as "no reference". Both now name the keys found.
"""

import warnings

import pytest
from ase.io import read, write
from molecular_pair_model import MolecularPairModel
from test_intra_inter_errors_placeholder_labels import Counting, _frame, _labels

from mda_electrolyte import IntraInterErrors
from mda_electrolyte.diagnose import diagnose


def _ref_file(frames, path):
    out = []
    for labelled in _labels(frames):
        r = labelled.calc.results
        atoms = labelled.copy()
        atoms.info["REF_energy"] = r["energy"]
        atoms.arrays["REF_forces"] = r["forces"]
        atoms.info["REF_stress"] = r["stress"]
        out.append(atoms)
    write(path, out, format="extxyz")
    return path


@pytest.fixture(scope="module")
def frames():
    return [_frame(seed) for seed in range(3)]


@pytest.mark.parametrize("quantities, said", [
    (None, "the reference labels hold no energy, forces or stress"),
    (["forces"], "the reference has no forces"),
])
def test_labels_under_other_names_are_named_with_the_cure(frames, tmp_path, quantities, said):
    model = Counting()
    with pytest.raises(ValueError, match=said + r".*'REF_energy', 'REF_stress', 'REF_forces': "
                                                "rename them"):
        IntraInterErrors(frames, model, reference=str(_ref_file(frames, tmp_path / "r.extxyz")),
                         quantities=quantities)
    assert model.calls == 0


def test_renamed_as_advised_they_are_the_labels(frames, tmp_path):
    renamed = read(_ref_file(frames, tmp_path / "r.extxyz"), ":")
    for atoms in renamed:
        atoms.info["energy"] = atoms.info.pop("REF_energy")
        atoms.arrays["forces"] = atoms.arrays.pop("REF_forces")
        atoms.info["stress"] = atoms.info.pop("REF_stress")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no reference_isolated
        errors = IntraInterErrors(frames, MolecularPairModel(), reference=renamed).run()
    assert errors.quantities == ("energy", "forces", "stress")
    # the labels are the model's own, to the 8 decimals extxyz keeps
    assert errors.results.rmse["total"]["forces"].value < 1e-6


def test_diagnose_names_labels_under_other_names_when_it_skips_the_errors(frames, tmp_path):
    stored = read(_ref_file(frames, tmp_path / "r.extxyz"), ":")
    for atoms, frame in zip(stored, frames, strict=True):
        atoms.arrays["molecule_index"] = frame.arrays["molecule_index"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = diagnose(stored, MolecularPairModel(), tmp_path / "d", max_scan_frames=1)
    skipped = summary["intra_inter_errors"]["skipped"]
    assert "'REF_energy'" in skipped and "rename them" in skipped
