"""diagnose, IntraInterErrors and RigidVolumeScan refuse, before any model evaluation, an
output folder that is a file and a reference that is the model under test itself.

An ``outdir`` that was a file was found by ``mkdir`` once both analyses had run (95 model
calls on six small frames); a reference that was the model object gave errors of exactly
zero, reported as valid.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from ase.build import molecule

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402

from mda_electrolyte import IntraInterErrors, RigidVolumeScan  # noqa: E402
from mda_electrolyte.diagnose import diagnose  # noqa: E402


class _Counting(MolecularPairModel):
    calls = 0

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)


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


@pytest.fixture
def model():
    _Counting.calls = 0
    return _Counting(sigma=2.0, rc=4.0)


@pytest.mark.parametrize("where", ["file", "under a file"])
def test_an_outdir_that_is_a_file_is_refused_first(tmp_path, model, where):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("keep me")
    outdir = blocker if where == "file" else blocker / "diag"
    with pytest.raises(ValueError, match="notes.txt"):
        diagnose(_frames(), model, outdir, reference=MolecularPairModel(sigma=2.1, rc=4.0),
                 scales=[0.98, 1.0, 1.02])
    assert model.calls == 0 and blocker.read_text() == "keep me"


def test_the_model_as_its_own_reference_is_refused_first(tmp_path, model):
    frames = _frames()
    with pytest.raises(ValueError, match="reference is the model under test itself"):
        diagnose(frames, model, tmp_path / "out", reference=model, scales=[0.98, 1.0, 1.02])
    with pytest.raises(ValueError, match="reference is the model under test itself"):
        IntraInterErrors(frames, model, reference=model)
    with pytest.raises(ValueError, match="reference is the calculator under test itself"):
        RigidVolumeScan(frames, model, scales=[1.0, 1.02], reference=model)
    assert model.calls == 0 and not (tmp_path / "out").exists()
    # an equal but separate calculator is a reference (a check of the split): errors of 0
    same = IntraInterErrors(frames, model, reference=_Counting(sigma=2.0, rc=4.0)).run()
    assert same.results.rmse["total"]["forces"].value == 0.0


def test_a_good_outdir_is_made_and_filled(tmp_path, model):
    out = diagnose(_frames(), model, tmp_path / "a" / "b",
                   reference=MolecularPairModel(sigma=2.1, rc=4.0), scales=[0.98, 1.0, 1.02])
    assert (tmp_path / "a" / "b" / "diagnose.json").is_file()
    assert out["intra_inter_errors"]["rmse"]["total"]["forces"]["value"] > 0
