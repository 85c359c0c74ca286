"""A packing that fails with a limited ``packmol_nloop`` names it among the cures.

PACKMOL packs 20 EC and one LiPF6 at 1.9 g/cm³ (2 Å tolerance) with its default 50
optimisation loops; with ``packmol_nloop=1`` it ends without a perfect packing, and the error
advised only "a lower density or a smaller tolerance": the loops the caller had cut were not
named. Now the message names the ``packmol_nloop`` given and PACKMOL's default.
"""

import warnings

import pytest

from ase_electrolyte.build import electrolyte_box


@pytest.mark.parametrize("density", [1.9, 2.1])
def test_a_failed_packing_names_the_loops_given(density):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="could not pack") as err:
            electrolyte_box(counts={"EC": 20, "Li": 1, "PF6": 1}, density=density, seed=1,
                            packmol_nloop=1)
    first = str(err.value).splitlines()[0]
    assert f"{density:.3g} g/cm³" in first
    assert "packmol_nloop=1 given" in first and "default is 50" in first
