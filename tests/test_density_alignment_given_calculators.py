"""The model of :func:`npt_density` and :func:`mean_pressure` given as an ASE calculator.

Before: ASE's combinations (``SumCalculator``, ``MixedCalculator``: ``BaseCalculator``, not
``Calculator``, subclasses) were taken for a model name ("model must be a registered name or a
file path, not SumCalculator"); calculator options beside a calculator object were dropped
without a word (``dispersion="d3-bj"`` gave the density without dispersion, as if asked); and
stored results (a ``SinglePointCalculator``) failed inside ASE after the first frame.
"""

import re
import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.mixing import SumCalculator
from ase.calculators.singlepoint import SinglePointCalculator

from ase_electrolyte.density_alignment import mean_pressure, npt_density

_NPT = dict(temperature_K=300.0, steps=8, timestep_fs=2.0)


def _copper(seed=0):
    atoms = bulk("Cu", cubic=True) * 2
    atoms.rattle(0.05, seed=seed)
    return atoms


def _frames():
    return [_copper(k) for k in range(6)]


def test_an_ase_combination_of_calculators_is_a_calculator(tmp_path):
    frames = _frames()
    summed = mean_pressure(SumCalculator([EMT()]), frames)
    alone = mean_pressure(EMT(), frames)
    np.testing.assert_allclose(summed[2], alone[2], rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # so short a run is not a result: its verdict says so
        rho_sum = npt_density(SumCalculator([EMT()]), _copper(), trajectory=tmp_path / "s.h5md",
                              **_NPT)
        rho = npt_density(EMT(), _copper(), trajectory=tmp_path / "e.h5md", **_NPT)
    assert rho_sum.value == pytest.approx(rho.value, rel=1e-9)


@pytest.mark.parametrize("call", ["mean_pressure", "npt_density"])
@pytest.mark.parametrize("options", [{"dispersion": "d3-bj"}, {"device": "cpu"}])
def test_options_beside_a_calculator_object_are_refused_by_name(call, options, tmp_path):
    named = re.escape(f"{call}: {sorted(options)} are options of a model given by name or "
                      "path; the model given is already a calculator (EMT)")
    with pytest.raises(ValueError, match=named):
        if call == "mean_pressure":
            mean_pressure(EMT(), _frames(), **options)
        else:
            npt_density(EMT(), _copper(), trajectory=tmp_path / "x.h5md", **_NPT, **options)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("call", ["mean_pressure", "npt_density"])
def test_stored_results_are_no_model(call, tmp_path):
    atoms = _copper()
    atoms.calc = EMT()
    stored = SinglePointCalculator(atoms, energy=atoms.get_potential_energy(),
                                   forces=atoms.get_forces(), stress=atoms.get_stress())
    with pytest.raises(ValueError, match=f"{call}'s model is a SinglePointCalculator: the "
                                         "stored results of one structure"):
        if call == "mean_pressure":
            mean_pressure(stored, [atoms.copy()] + _frames())
        else:
            npt_density(stored, atoms, trajectory=tmp_path / "x.h5md", **_NPT)
    assert list(tmp_path.iterdir()) == []
