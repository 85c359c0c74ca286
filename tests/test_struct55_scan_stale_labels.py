"""Rigid volume scans of frames that carry stored labels (a training set's frames).

The scaled frames are training data (Magdău et al. 2023 add them to the training set), but
they copied the unscaled frame's stored labels: ``REF_forces`` (arrays) and ``REF_energy``
(info), the names MACE trains on, were written beside the scan's own labels at a geometry
they do not belong to, and an ``info["energy"]`` failed the extxyz write after the whole scan.
Now the scaled frames carry only the scan's labels; the frame's other entries (a total charge,
molecule indices) stay.
"""

import warnings

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.lj import LennardJones
from ase.io import read

from mda_electrolyte.volume_scan import RigidVolumeScan, rigid_scaled_atoms

SCALES = (0.98, 1.0, 1.04, 1.1)
SHAPE = np.array([[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]])
CORNERS = [[2, 2, 2], [7, 2, 2], [2, 7, 2], [7, 7, 7], [2, 2, 7], [7, 2, 7]]


def _frame():
    atoms = Atoms("OHH" * 6, positions=np.concatenate([SHAPE + c for c in CORNERS]),
                  cell=[10.0] * 3, pbc=True)
    atoms.set_array("mol-id", np.repeat(np.arange(6), 3))
    atoms.info["charge"] = 0
    return atoms


# (where, name, value): labels of the unscaled frame as training sets store them
LABELS = [
    ("info", "REF_energy", -123.0),
    ("arrays", "REF_forces", np.arange(54.0).reshape(18, 3)),
    ("info", "dft_stress", np.arange(6.0)),
    ("info", "energy", -99.0),
    ("arrays", "forces", np.ones((18, 3))),
    ("info", "REF_virial", np.arange(9.0).reshape(3, 3)),
]


def _labelled(where, name, value):
    atoms = _frame()
    getattr(atoms, where)[name] = value
    return atoms


@pytest.mark.parametrize(("where", "name", "value"), LABELS)
def test_a_scaled_frame_keeps_no_label_of_the_unscaled_one(where, name, value):
    atoms = _labelled(where, name, value)
    scaled = rigid_scaled_atoms(atoms, np.repeat(np.arange(6), 3), 1.05)
    assert name not in scaled.info and name not in scaled.arrays
    # what is no label stays; the caller's frame is unchanged
    assert scaled.info["charge"] == 0 and "mol-id" in scaled.arrays
    assert name in getattr(atoms, where)


def _scan(atoms, keep_frames):
    calc = LennardJones(sigma=1.0, epsilon=0.01, rc=3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return RigidVolumeScan([atoms], calc, scales=SCALES, keep_frames=keep_frames).run()


@pytest.mark.parametrize(("where", "name", "value"), LABELS[:4])
def test_the_scans_frames_carry_only_the_scans_labels(tmp_path, where, name, value):
    atoms = _labelled(where, name, value)
    path = tmp_path / "scan.extxyz"
    for keep in (True, path):
        frames = _scan(atoms, keep).scanned_frames()
        assert [f.info["scale"] for f in frames] == list(SCALES)
        for f in frames:
            assert name not in f.info and name not in f.arrays, (keep, name)
            assert f.get_forces().shape == (18, 3)
    # the file as others read it: one energy per frame, the scan's own
    for f in read(path, index=":"):
        assert not any(name in store for store in (f.info, f.arrays))
