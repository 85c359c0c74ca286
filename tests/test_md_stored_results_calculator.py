"""A structure read from a file with its energy and forces carries ASE's
``SinglePointCalculator``: the stored results of that one structure, no model.

Before, ``run_md`` wrote its first frame with the stored forces, then failed at step 1 with
ASE's bare ``PropertyNotImplementedError: The property "forces" is not available`` and left a
one-frame trajectory behind; ``relax`` and ``run_protocol`` (after its checks, in the
relaxation) failed the same way. Now each refuses it by name before anything is written.
"""

import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones
from ase.calculators.singlepoint import SinglePointCalculator, SinglePointDFTCalculator
from ase.io import read, write

from ase_electrolyte.md import relax, run_md, run_protocol


def _read_back(tmp_path):
    """Argon as ``ase.io.read`` gives it back from an extxyz written with its results."""
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.02, seed=1)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    atoms.get_forces()
    atoms.get_stress()
    write(tmp_path / "frame.extxyz", atoms)
    back = read(tmp_path / "frame.extxyz")
    assert isinstance(back.calc, SinglePointCalculator)
    return back


def _dft(tmp_path):
    atoms = _read_back(tmp_path)
    results = atoms.calc.results
    atoms.calc = SinglePointDFTCalculator(atoms, **results)
    return atoms


def _call(kind, atoms, path):
    if kind == "relax":
        return relax(atoms, fmax=0.01, trajectory=path / "relaxed.h5md")
    if kind == "run_protocol":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 60 K; no topology arrays
            return run_protocol(atoms, atoms.calc, path / "run", temperature_K=60,
                                preequilibration_ps=0.008, equilibration_ps=0.008,
                                production_ps=0.008, timestep_fs=2.0, write_interval_fs=4.0,
                                observe_interval_fs=2.0, progress=False)
    return run_md(atoms, ensemble=kind, steps=5, timestep_fs=2.0, temperature_K=60,
                  trajectory=path / "md.h5md", progress=False)


@pytest.mark.parametrize("make", [_read_back, _dft], ids=["extxyz", "dft"])
@pytest.mark.parametrize("kind", ["nve", "nvt", "npt", "relax", "run_protocol"])
def test_stored_results_are_refused_before_anything_is_written(kind, make, tmp_path):
    atoms = make(tmp_path)
    before = atoms.copy()
    results = dict(atoms.calc.results)
    out = tmp_path / "out"
    out.mkdir()
    named = "calculator" if kind == "run_protocol" else "atoms.calc"
    with pytest.raises(ValueError, match=f"{named} is a {type(atoms.calc).__name__}: the "
                                         "stored results of one structure .*attach a model"):
        _call(kind, atoms, out)
    assert list(out.iterdir()) == []
    assert atoms == before
    assert atoms.calc.results.keys() == results.keys()
    for key, value in results.items():
        np.testing.assert_array_equal(atoms.calc.results[key], value)


def test_the_same_structure_with_a_model_attached_runs(tmp_path):
    atoms = _read_back(tmp_path)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    out = tmp_path / "out"
    out.mkdir()
    done = _call("nve", atoms, out)
    assert done.info["step"] == 5 and np.isfinite(done.positions).all()


class _ForcesOnly(LennardJones):
    """A calculator that computes forces and says so, but no energy (a forces-only model)."""

    implemented_properties = ["forces", "stress"]

    def calculate(self, atoms=None, properties=None, system_changes=None):
        super().calculate(atoms, ["energy", "forces", "stress"], system_changes)
        self.results = {k: self.results[k] for k in ("forces", "stress")}


class _EnergyOnly(LennardJones):
    implemented_properties = ["energy", "stress"]


@pytest.mark.parametrize("calc, missing", [(_ForcesOnly, "energy"), (_EnergyOnly, "forces")])
@pytest.mark.parametrize("kind", ["nve", "npt", "relax", "run_protocol"])
def test_a_calculator_that_says_it_lacks_energy_or_forces_is_refused_first(kind, calc, missing,
                                                                           tmp_path):
    """Before: ASE's bare "energy property not implemented" after the first evaluation."""
    atoms = _read_back(tmp_path)
    atoms.calc = calc(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    out = tmp_path / "out"
    out.mkdir()
    named = "calculator" if kind == "run_protocol" else "atoms.calc"
    with pytest.raises(ValueError, match=f"{named} \\({calc.__name__}\\) does not compute the "
                                         f"{missing} \\(its implemented_properties"):
        _call(kind, atoms, out)
    assert list(out.iterdir()) == []
    assert "energy" not in atoms.calc.results and "forces" not in atoms.calc.results
