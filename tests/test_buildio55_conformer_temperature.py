"""temperature_K of electrolyte_box weighs the drawn rotamers only: with conformers="lowest"
every molecule is its lowest conformer, and temperature_K=400 packed the 298.15 K box without a
word. Refused now, as a rotamer_energies table without a drawn rotamer is, before any conformer
or PACKMOL run; the default temperature, and any with the Boltzmann draw, are taken.
"""

import numpy as np
import pytest

from ase_electrolyte.build import electrolyte_box


@pytest.mark.parametrize("counts", [{"DMC": 4}, {"EC": 4}, {"EMC": 2, "Li": 1, "PF6": 1}])
@pytest.mark.parametrize("temperature", [400, 250.0, 298.15000001, np.float64(350.0)])
@pytest.mark.parametrize("mode", ["lowest", "Lowest", " LOWEST "])
def test_a_temperature_without_rotamers_to_weigh_is_refused(counts, temperature, mode):
    with pytest.raises(ValueError, match="no effect with conformers='lowest'") as err:
        # a tiny PACKMOL timeout: any packing would fail otherwise, naming the timeout
        electrolyte_box(counts=counts, conformers=mode, temperature_K=temperature, seed=0,
                        packmol_timeout=1e-3)
    assert f"{float(temperature):.10g}" in str(err.value)


@pytest.mark.parametrize("kwargs", [dict(conformers="lowest"),
                                    dict(conformers="lowest", temperature_K=298.15),
                                    dict(conformers="boltzmann", temperature_K=400)])
def test_the_default_and_the_boltzmann_draw_take_the_temperature(kwargs):
    # the next check of the build, PACKMOL's time, is reached: the temperature passed
    with pytest.raises(ValueError, match="packmol_timeout"):
        electrolyte_box(counts={"DMC": 4}, seed=0, packmol_timeout=1e-3, **kwargs)
