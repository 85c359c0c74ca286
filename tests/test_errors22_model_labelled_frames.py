"""Scanned frames say whose labels they carry, and a model's labels read back as the reference
are named as such.

diagnose without a reference calculator writes ``volume_scan_frames.extxyz`` with the model's
energy, forces and stress under the plain names: given back as labelled frames (to diagnose or
IntraInterErrors, with another model or the same one), they were taken for a reference
method's labels, differences between two models reported as model errors without a word.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from ase.build import molecule
from ase.io import read

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402

from mda_electrolyte import IntraInterErrors, RigidVolumeScan  # noqa: E402
from mda_electrolyte.diagnose import diagnose  # noqa: E402
from mda_electrolyte.volume_scan import rigid_scaled_atoms  # noqa: E402


def _frames(n=3):
    out = []
    for seed in range(n):
        a, b = molecule("H2O"), molecule("H2O")
        b.positions += [4.0, 0.3 * seed, 0.5]
        pair = a + b
        pair.rattle(0.02, seed=seed)
        pair.cell, pair.pbc = [9.0, 9.0, 9.0], True
        pair.arrays["molecule_index"] = np.array([0, 0, 0, 1, 1, 1])
        out.append(pair)
    return out


def _flat(tree):
    if hasattr(tree, "notes"):
        return [tree]
    return [e for v in tree.values() for e in _flat(v)] if isinstance(tree, dict) else []


def test_diagnose_frames_of_model_labels_are_named_when_read_back(tmp_path):
    frames = _frames()
    model_a = MolecularPairModel(sigma=2.0, rc=4.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        diagnose(frames, model_a, tmp_path / "a", scales=[1.0, 1.02])
    written = read(tmp_path / "a" / "volume_scan_frames.extxyz", ":")
    assert {a.info["label_source"] for a in written} == {"model"}
    # the labels are model A's of the scaled frames
    ids = frames[0].arrays["molecule_index"]
    scaled = rigid_scaled_atoms(frames[0], ids, 1.02)
    scaled.calc = MolecularPairModel(sigma=2.0, rc=4.0)
    assert written[1].get_potential_energy() == pytest.approx(scaled.get_potential_energy(),
                                                              rel=1e-7)
    model_b = MolecularPairModel(sigma=2.3, rc=4.0, k=30.0)
    with pytest.warns(UserWarning, match="the reference labels are a model's"):
        r = IntraInterErrors(written, model_b).run().results
    noted = _flat(r.estimates) + list(r.softening.values())
    assert noted and all(any("differences between models" in n for n in e.notes)
                         for e in noted)


def test_frames_of_a_reference_calculator_carry_no_such_note(tmp_path):
    frames = _frames()
    reference = MolecularPairModel(sigma=2.1, rc=4.0)
    scan = RigidVolumeScan(frames, MolecularPairModel(sigma=2.0, rc=4.0), scales=[1.0, 1.02],
                           reference=reference,
                           keep_frames=tmp_path / "scan.extxyz").run()
    kept = scan.scanned_frames(labels="reference")
    assert {a.info["label_source"] for a in kept} == {"reference"}
    assert {a.info["label_source"] for a in scan.scanned_frames()} == {"model"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", message="stored reference labels without")
        r = IntraInterErrors(kept, MolecularPairModel(sigma=2.0, rc=4.0)).run().results
    assert not any("a model's" in n for e in _flat(r.estimates) for n in e.notes)
