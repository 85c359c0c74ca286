"""align_density refuses a shift of 0 bar before any work.

With ``delta_bar=0`` the base model labelled every frame and was fine-tuned on its own labels,
unshifted: the epochs aligned nothing and the result read as an aligned model. A zero given as
any number type, or as an Estimate in any pressure unit, is refused before the base model is
read (a base that does not exist is not named); any other shift reaches the base model.
"""

import numpy as np
import pytest
from ase.build import bulk

from ase_electrolyte.density_alignment import align_density
from ase_electrolyte.estimate import Estimate


def _frames():
    atoms = bulk("Cu", cubic=True) * 2
    return [atoms]


ZEROS = {
    "int": 0,
    "float": 0.0,
    "negative zero": -0.0,
    "float32": np.float32(0.0),
    "given bar": Estimate.given_value(0.0, "bar"),
    "given MPa": Estimate.given_value(0.0, "MPa"),
}


@pytest.mark.parametrize("zero", ZEROS)
def test_a_zero_shift_is_refused_before_the_model(tmp_path, zero):
    with pytest.raises(ValueError, match=r"delta_bar is 0 bar: the model would be fine-tuned "
                                         r"on its own labels unshifted"):
        align_density(tmp_path / "no-model.pth", _frames(), ZEROS[zero], epochs=1,
                      out=tmp_path / "align", device="cpu")
    assert not (tmp_path / "align").exists()


@pytest.mark.parametrize("shift", [1e-3, -250.0, Estimate.given_value(-25.0, "MPa")])
def test_other_shifts_reach_the_base_model(tmp_path, shift):
    with pytest.raises(Exception, match="no-model.pth") as info:
        align_density(tmp_path / "no-model.pth", _frames(), shift, epochs=1,
                      out=tmp_path / "align", device="cpu")
    assert "delta_bar" not in str(info.value)
