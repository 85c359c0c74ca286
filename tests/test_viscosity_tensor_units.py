"""A pressure-tensor series in eV/Å³, GPa or kbar is doubted, as one in Pa was.

A series in Pa (a viscosity 8.5e9 mPa·s) was warned of; one in eV/Å³ (ASE's ``get_stress``),
GPa or kbar gave a viscosity 10¹², 10⁸ or 10⁶ times too small without a word: its values are
all within any bound on a pressure. Their scatter is not: the shear stresses of MD scatter by
tens to thousands of bar (1/√V), the same series in those units by 10⁻⁴ to 10⁻¹.
"""

import warnings

import numpy as np
import pytest

import mda_electrolyte as mdae

BAR_PER = {"eV/Å³": 1.602176634e6, "GPa": 1.0e4, "kbar": 1.0e3}


def _series(scale_bar, n=2000, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.normal(scale=scale_bar, size=(n, 3, 3))
    p = 0.5 * (p + p.transpose(0, 2, 1))  # a stress tensor is symmetric
    p[:, [0, 1, 2], [0, 1, 2]] += 1.0    # 1 bar of mean pressure
    return p


@pytest.mark.parametrize("unit", list(BAR_PER))
@pytest.mark.parametrize("cls", [mdae.GreenKuboViscosity, mdae.EinsteinHelfandViscosity])
def test_a_series_in_another_unit_is_doubted(unit, cls):
    in_unit = _series(300.0) / BAR_PER[unit]
    with pytest.warns(UserWarning, match=r"shear stresses of the pressure tensor scatter by .*"
                                         r"eV/Å³.*GPa.*kbar"):
        cls(in_unit, dt=0.002, volume=1.2e4, temperature=300.0)


@pytest.mark.parametrize("scatter_bar", [10.0, 300.0, 3000.0])
def test_series_in_bar_of_small_and_large_boxes_are_not(scatter_bar):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mdae.GreenKuboViscosity(_series(scatter_bar), dt=0.002, volume=1.2e4, temperature=300.0)
        # a placeholder of zeros is no unit slip
        mdae.ion_collection.IonCollection.from_pressure_tensor(
            np.zeros((100, 3, 3)), dt=0.002, volume=1.2e4, temperature=300.0)
