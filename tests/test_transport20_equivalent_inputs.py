"""Equivalent inputs give the same transport result, and a path where a Universe belongs is named.

A pressure-tensor series given as a list of (3, 3) samples (``[atoms.get_stress(voigt=False)
...]``, or a series read back from JSON) was taken as one run per sample and refused "must have
shape (T, 3, 3) in bar, not (3, 3)"; its array gave the viscosity. A trajectory path given to a
carrier analysis was split into characters: "expected Universes in the list, got str".
"""

import warnings

import numpy as np
import pytest
from transport_data import IONS, ornstein_uhlenbeck

from mda_electrolyte import (
    Diffusion,
    EinsteinHelfandConductivity,
    EinsteinHelfandViscosity,
    GreenKuboConductivity,
    GreenKuboViscosity,
    OnsagerCoefficients,
)

DT = 0.005  # ps


@pytest.fixture(scope="module")
def tensor():
    rng = np.random.default_rng(0)
    p = ornstein_uhlenbeck(rng, 3000, (3, 3), 0.05, DT, 300.0)
    return 0.5 * (p + p.transpose(0, 2, 1)) + 1000.0 * np.eye(3)


def _eta(cls, source, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(source, temperature=300.0, volume=2.0e4, dt=DT, **kw).run() \
            .results.shear_viscosity


CASES = [(GreenKuboViscosity, {"max_lag": 0.3}), (EinsteinHelfandViscosity, {})]


@pytest.mark.parametrize("cls, kw", CASES)
def test_a_list_of_samples_is_the_series_its_array_is(tensor, cls, kw):
    expect = _eta(cls, tensor, **kw)
    assert np.isfinite(expect.value) and expect.value > 0
    assert _eta(cls, list(tensor), **kw) == expect          # list of (3, 3) arrays
    assert _eta(cls, tensor.tolist(), **kw) == expect       # nested lists (JSON)
    assert _eta(cls, tuple(tensor), **kw) == expect


@pytest.mark.parametrize("cls, kw", CASES)
def test_a_list_of_series_is_still_several_runs(tensor, cls, kw):
    runs = _eta(cls, [tensor[:1500], tensor[1500:]], **kw)
    assert runs.n_samples == 2                               # two runs, one segment each
    assert _eta(cls, [list(tensor[:1500]), tensor[1500:]], **kw) == runs
    with pytest.raises(ValueError, match=r"shape \(T, 3, 3\) in bar, not \(3,\)"):
        _eta(cls, [tensor[0, 0], tensor[1, 0]], **kw)


ANALYSES = [
    (Diffusion, {}),
    (GreenKuboConductivity, {"temperature": 300.0}),
    (EinsteinHelfandConductivity, {"temperature": 300.0}),
    (OnsagerCoefficients, {"temperature": 300.0}),
]


@pytest.mark.parametrize("cls, kw", ANALYSES)
def test_a_path_is_refused_saying_how_to_load_it(cls, kw, tmp_path):
    path = tmp_path / "run.xtc"
    for given in (str(path), path):
        with pytest.raises(TypeError, match=r"takes a Universe, not the path '.*run\.xtc': load "
                                            r"it first: mda_electrolyte\.from_ase\(path\)"):
            cls(given, IONS, **kw)
    with pytest.raises(TypeError, match=r"item 0 of the list is the path .*MDAnalysis\.Universe"):
        cls([str(path)], IONS, **kw)


@pytest.mark.parametrize("cls, kw", CASES)
def test_voigt_rows_are_refused_naming_the_conversion(tensor, cls, kw):
    from ase.stress import full_3x3_to_voigt_6_stress, voigt_6_to_full_3x3_stress
    from ase.units import bar

    # ASE's stress of these pressures: Voigt, eV/Å³, negative
    stress = full_3x3_to_voigt_6_stress(-tensor * bar)
    for given in (stress, list(stress)):
        with pytest.raises(ValueError, match=r"not \(3000, 6\) \(rows of 6 are Voigt.*"
                                             r"-ase\.stress\.voigt_6_to_full_3x3_stress\(s\) / "
                                             r"ase\.units\.bar"):
            _eta(cls, given, **kw)
    # the conversion the message gives recovers the viscosity of the tensor
    converted = -voigt_6_to_full_3x3_stress(stress) / bar
    assert _eta(cls, converted, **kw).value == pytest.approx(_eta(cls, tensor, **kw).value,
                                                            rel=1e-9)


def test_the_collection_of_stored_arrays_says_the_same(tensor):
    from ase.stress import full_3x3_to_voigt_6_stress
    from ase.units import bar

    from mda_electrolyte.ion_collection import IonCollection

    kw = {"dt": DT, "volume": 2.0e4, "temperature": 300.0}
    # a list of samples is its array
    a = IonCollection.from_pressure_tensor(tensor, **kw)
    b = IonCollection.from_pressure_tensor(list(tensor), **kw)
    np.testing.assert_array_equal(a.pressure_tensor, b.pressure_tensor)
    with pytest.raises(ValueError, match=r"rows of 6 are Voigt.*voigt_6_to_full_3x3_stress"):
        IonCollection.from_pressure_tensor(full_3x3_to_voigt_6_stress(-tensor * bar), **kw)
