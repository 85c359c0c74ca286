"""One rule drops a calculation's stored labels from frames made at another geometry or size,
and keeps the box builder's records.

replicate_box (37af4c3, 1457f4b) imported the volume scan's private name rule; the volume
scan's scaled frames dropped the builder's ``conformer_energies`` (its name holds "energ")
while replicate_box kept it. Both now use :func:`mda_electrolyte.model_labels.drop_stored_labels`
with :data:`ase_electrolyte.build.BOX_RECORDS` kept.
"""

import numpy as np
import pytest
from ase.build import molecule

from ase_electrolyte.build import BOX_RECORDS, replicate_box
from mda_electrolyte.model_labels import drop_stored_labels
from mda_electrolyte.volume_scan import rigid_scaled_atoms

LABELS_INFO = ["REF_energy", "energy", "dft_stress", "virial", "Dipole", "free_energy"]
LABELS_ARRAYS = ["REF_forces", "forces", "hessian_diag"]


def _frame():
    water = molecule("H2O")
    atoms = water + water
    atoms.positions[3:] += 5.0
    atoms.cell, atoms.pbc = [10.0] * 3, True
    atoms.info.update({k: 1.0 for k in LABELS_INFO})
    atoms.info.update(charge=0, composition={"H2O": 2}, conformer_energies={"H2O": 0.0},
                      note="kept")
    for k in LABELS_ARRAYS:
        atoms.arrays[k] = np.ones((6, 3))
    atoms.arrays["molecule_id"] = np.array([0, 0, 0, 1, 1, 1])
    return atoms


def _kept(atoms):
    assert not set(LABELS_INFO) & set(atoms.info), atoms.info
    assert not set(LABELS_ARRAYS) & set(atoms.arrays), list(atoms.arrays)
    assert {"charge", "composition", "conformer_energies", "note"} <= set(atoms.info)
    assert "molecule_id" in atoms.arrays


def test_the_rule_itself():
    atoms = _frame()
    drop_stored_labels(atoms, keep=BOX_RECORDS)
    _kept(atoms)
    assert set(atoms.arrays) >= {"numbers", "positions"}


def test_the_volume_scan_keeps_the_builders_records():
    source = _frame()
    scaled = rigid_scaled_atoms(source, np.array([0, 0, 0, 1, 1, 1]), 1.05)
    _kept(scaled)
    # the caller's frame keeps everything
    assert set(LABELS_INFO) <= set(source.info)


@pytest.mark.parametrize("repeats", [1, 2])
def test_replicate_box_drops_the_same_names(repeats):
    big = replicate_box(_frame(), repeats)
    if repeats > 1:
        _kept(big)
    assert big.info["conformer_energies"] == {"H2O": 0.0}
