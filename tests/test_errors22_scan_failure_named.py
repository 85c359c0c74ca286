"""A model that fails (or gives NaN) only on a compressed frame of a rigid volume scan is named
with the scale factor and the side, not the frame alone.

``calculator n returned non-finite energy`` with the note ``frame 0`` left a user to guess
whether the model failed on the liquid or on a compression of it (atoms pushed together)."""

import sys
from pathlib import Path

import numpy as np
import pytest
from ase.build import molecule

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402

from mda_electrolyte import RigidVolumeScan  # noqa: E402

L = 9.0


class _NaNWhenSmall(MolecularPairModel):
    """NaN energy and forces in a periodic cell shorter than ``L``."""

    def calculate(self, atoms=None, properties=("energy",), system_changes=None):
        super().calculate(atoms, properties)
        if np.all(self.atoms.pbc) and self.atoms.cell.lengths()[0] < L - 1e-9:
            self.results["energy"] = np.nan
            self.results["forces"] = self.results["forces"] * np.nan


def _frames():
    out = []
    for seed in range(2):
        a, b = molecule("H2O"), molecule("H2O")
        b.positions += [4.0, 0.3 * seed, 0.5]
        pair = a + b
        pair.rattle(0.02, seed=seed)
        pair.cell, pair.pbc = [L, L, L], True
        pair.arrays["molecule_index"] = np.array([0, 0, 0, 1, 1, 1])
        out.append(pair)
    return out


@pytest.mark.parametrize("side", ["model", "reference"])
def test_the_scale_factor_and_side_of_a_failed_evaluation_are_named(side):
    bad, good = _NaNWhenSmall(sigma=2.0, rc=4.0), MolecularPairModel(sigma=2.1, rc=4.0)
    model, reference = (bad, good) if side == "model" else (good, bad)
    scan = RigidVolumeScan(_frames(), model, scales=[0.97, 1.0, 1.03], reference=reference)
    with pytest.raises(ValueError, match="non-finite energy") as caught:
        scan.run()
    notes = getattr(caught.value, "__notes__", [])
    assert f"RigidVolumeScan: the {side} at scale factor s = 0.97" in notes
    assert "RigidVolumeScan: frame 0" in notes
    # the uncompressed and expanded frames pass: the same scan without 0.97 runs
    ok = RigidVolumeScan(_frames(), model, scales=[1.0, 1.03], reference=reference).run()
    assert np.all(np.isfinite(ok.results.total))


@pytest.mark.parametrize("name", ["scan.XYZ", "scan.ExtXYZ", "scan.extxyz"])
@pytest.mark.parametrize("as_path", [False, True])
def test_keep_frames_names_in_any_case_as_text_or_path_are_written_alike(tmp_path, name,
                                                                         as_path):
    target = tmp_path / name
    given = target if as_path else str(target)
    scan = RigidVolumeScan(_frames(), MolecularPairModel(sigma=2.0, rc=4.0),
                           scales=[1.0, 1.03], keep_frames=given).run()
    kept = scan.scanned_frames()
    assert target.is_file() and len(kept) == 4
    np.testing.assert_allclose([a.get_potential_energy() for a in kept],
                               scan.results.total.ravel() * 6 / 1000, rtol=1e-7)


@pytest.mark.parametrize("as_path", [False, True])
def test_keep_frames_of_another_format_is_refused_naming_extxyz(tmp_path, as_path):
    target = tmp_path / "scan.traj"
    with pytest.raises(ValueError, match=r"scan\.traj is no extxyz file name.*\.extxyz"):
        RigidVolumeScan(_frames(), MolecularPairModel(), keep_frames=target if as_path
                        else str(target))
    assert list(tmp_path.iterdir()) == []
