"""A model that fails, or gives NaN, partway through a run names the frame (and the side).

IntraInterErrors and RigidVolumeScan said "calculator X returned non-finite energy" after
hours of evaluations, naming neither the frame to look at nor whether the model or the
reference had failed.
"""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from molecular_pair_model import MolecularPairModel  # noqa: E402
from test_intra_inter_errors_label_checks import FRAMES  # noqa: E402

from mda_electrolyte import IntraInterErrors, RigidVolumeScan  # noqa: E402


class FailsOnCall(MolecularPairModel):
    """The stand-in model whose ``fail_at``-th whole-frame evaluation gives a NaN energy, or
    raises."""

    def __init__(self, fail_at, how="nan", **kwargs):
        super().__init__(**kwargs)
        self.fail_at, self.how, self.frame_calls = fail_at, how, 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=()):
        super().calculate(atoms, properties, system_changes)
        if len(self.atoms) == len(FRAMES[0]):
            self.frame_calls += 1
            if self.frame_calls == self.fail_at:
                if self.how == "raise":
                    raise RuntimeError("out of GPU memory")
                self.results["energy"] = float("nan")


@pytest.mark.parametrize("how, error", [("nan", ValueError), ("raise", RuntimeError)])
@pytest.mark.parametrize("side", ["model", "reference"])
def test_intra_inter_errors_name_the_frame_and_side_that_failed(how, error, side):
    # one whole-frame evaluation per frame and side: the 4th is frame 3
    failing = FailsOnCall(4, how)
    model, reference = ((failing, MolecularPairModel(sigma=2.6)) if side == "model"
                        else (MolecularPairModel(sigma=2.6), failing))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = IntraInterErrors(FRAMES, model, reference=reference)
        with pytest.raises(error) as raised:
            run.run()
    assert raised.value.__notes__[-1] == f"IntraInterErrors: the {side} on frame 3"


def test_a_volume_scan_names_the_frame_that_failed():
    scales = [0.95, 1.0, 1.05]
    # three whole-frame evaluations per frame: the 8th is frame 2 (its second scale)
    run = RigidVolumeScan(FRAMES, FailsOnCall(8), scales=scales)
    with pytest.raises(ValueError, match="non-finite energy") as raised:
        run.run()
    assert raised.value.__notes__[-1] == "RigidVolumeScan: frame 2"
    assert np.isfinite(RigidVolumeScan(FRAMES, MolecularPairModel(), scales=scales)
                       .run(stop=2).results.inter).all()
