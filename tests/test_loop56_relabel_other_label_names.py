"""relabel drops a frame's earlier labels under every name, not only ASE's plain keys.

A training set read from extxyz carries its reference labels under the names its trainer
reads (MACE's ``REF_energy``, ``REF_forces``, ``REF_stress``; ``dft_energy``), and a frame
relabelled before carries that teacher's spread. relabel removed only ``energy``,
``free_energy``, ``stress``, ``virial`` and ``arrays["forces"]``: the relabelled frames were
written with the old DFT labels beside the teacher's, and a trainer told
``energy_key="REF_energy"`` learnt those as the teacher's. Per-frame training weights, the box
builder's records and a candidate's selection records are no labels and stay.

The teacher is EMT scaled by 1.1 with a committee's spread keys: its labels differ from the
frames' stale ones (plain EMT) by 10 %.
"""

import ase.io
import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from test_al26_relabel_stale_labels import SCALE, ScaledEMTCommittee

from ase_electrolyte.distill import relabel

# where an earlier calculation's labels are kept: (info or arrays, name, value of a frame)
STALE = {
    "REF_energy": ("info", lambda e, f, s: e),
    "REF_stress": ("info", lambda e, f, s: s),
    "REF_forces": ("arrays", lambda e, f, s: f),
    "dft_energy": ("info", lambda e, f, s: e),
    "DFT_forces": ("arrays", lambda e, f, s: f),
    "REF_virial": ("info", lambda e, f, s: s * 30.0),
    "dipole": ("info", lambda e, f, s: np.array([0.1, 0.0, 0.0])),
    "teacher_max_forces_std": ("info", lambda e, f, s: 9.0),
    "teacher_energy_std": ("info", lambda e, f, s: 9.0),
}
# no labels: the frame's own, kept
KEPT = {
    "config_type": ("info", "bulk"),
    "config_energy_weight": ("info", 2.0),
    "config_forces_weight": ("info", 0.5),
    "conformer_energies": ("info", {"EC": [0.0, 0.1]}),
    "mol-id": ("arrays", None),
    # a candidate's selection records (CandidateCollector): the selecting committee's spread
    "max_forces_std": ("info", 0.3),
    "energy_std": ("info", 0.02),
    "forces_std": ("arrays", None),
    "forces_std_scale": ("info", 2.5),
    "energy_std_scale": ("info", 1.5),
}


def _frame(seed, names):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.rattle(0.1, seed=seed)
    atoms.calc = EMT()
    e, f, s = atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()
    atoms.calc = None
    for name in names:
        where, value = STALE[name]
        getattr(atoms, where)[name] = value(e, f, s)
    for name, (where, value) in KEPT.items():
        getattr(atoms, where)[name] = np.arange(len(atoms)) if value is None else value
    return atoms


@pytest.mark.parametrize("names", [[n] for n in STALE] + [list(STALE)],
                         ids=[*STALE, "all"])
def test_no_earlier_label_survives_relabel(tmp_path, names):
    frames = [_frame(seed, names) for seed in (1, 2)]
    before = [(dict(a.info), {k: v.copy() for k, v in a.arrays.items()}) for a in frames]
    out = relabel(frames, ScaledEMTCommittee())
    path = tmp_path / "relabelled.extxyz"
    ase.io.write(path, out)
    for atoms, back in zip(out, ase.io.read(path, ":"), strict=True):
        for held in (atoms, back):
            stored = set(held.info) | set(held.arrays)
            assert not stored & {n for n in names if not n.startswith("teacher_")}
            assert held.info["teacher_max_forces_std"] == 0.01
            assert held.info["teacher_energy_std"] == 0.002
            for name, (where, value) in KEPT.items():
                if value is None:
                    np.testing.assert_array_equal(getattr(held, where)[name],
                                                  np.arange(len(held)))
                elif name != "conformer_energies" or held is atoms:
                    assert getattr(held, where)[name] == value
        work = atoms.copy()
        work.calc = EMT()
        # the teacher's labels, 10 % off the stale EMT ones
        np.testing.assert_allclose(back.get_potential_energy(),
                                   SCALE * work.get_potential_energy(), rtol=1e-6)
        np.testing.assert_allclose(back.get_forces(), SCALE * work.get_forces(), atol=1e-6)
    # the caller's frames are unchanged
    for atoms, (info, arrays) in zip(frames, before, strict=True):
        assert set(atoms.info) == set(info) and set(atoms.arrays) == set(arrays)
