"""Masses whose total is beyond a float are refused before work.

Each mass was checked finite and positive, their sum was not: copper at 1e307 amu per atom
(3.2e308 amu in all) ran its first model evaluation before the trajectory writer refused an
infinite density, and without a file ran on with an infinite total mass (NumPy's overflow
warning, a centre of mass frozen at 0/inf); ``hydrogen_mass = 1e308`` likewise. Now the total
(and the density it gives) must be finite, checked with the starting structure, naming the cure;
a total just inside the bound runs to finite results.
"""

import warnings

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule
from counting_emt import CountingEMT

from ase_electrolyte.md import relax, run_md, run_protocol
from ase_electrolyte.units import GCM3_TO_AMU_PER_A3

_MAX = np.finfo(np.float64).max




def _copper(mass):
    atoms = bulk("Cu", cubic=True).repeat(2)
    atoms.rattle(0.02, seed=3)
    atoms.set_masses(np.full(len(atoms), mass))
    atoms.calc = CountingEMT()
    return atoms


def _methanes():
    one = molecule("CH4")
    atoms = Atoms()
    for i in range(2):
        part = one.copy()
        part.translate([4.0 * i, 0.0, 0.0])
        atoms += part
    atoms.set_cell([8.0, 5.0, 5.0])
    atoms.pbc = True
    atoms.calc = CountingEMT()
    return atoms


# per-atom masses of 32 copper atoms: the total overflows (a), or the density it gives does (b)
_TOO_HEAVY = [_MAX / 16, _MAX / 32 * 1.0001, 0.7 * _MAX / 32]


@pytest.mark.parametrize("with_file", [False, True])
@pytest.mark.parametrize("ensemble", ["nve", "nvt", "npt"])
@pytest.mark.parametrize("mass", _TOO_HEAVY, ids=["sum", "just-over", "density"])
def test_masses_beyond_a_float_are_refused_before_the_model(mass, ensemble, with_file,
                                                             tmp_path):
    atoms = _copper(mass)
    with np.errstate(over="ignore"):
        assert not np.isfinite(atoms.get_masses().sum() / GCM3_TO_AMU_PER_A3)
    path = tmp_path / "run.h5md" if with_file else None
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # NumPy's overflow warning is a failure
        with pytest.raises(ValueError, match=r"the masses sum to more than a float holds .*"
                                             r"32 atoms.*Set them in amu"):
            run_md(atoms, ensemble=ensemble, steps=2, timestep_fs=1.0, temperature_K=300.0,
                   trajectory=path, write_interval=2, progress=False)
    assert atoms.calc.calls == 0
    assert path is None or not path.exists()


def test_the_protocol_and_the_relaxation_refuse_them_too(tmp_path):
    atoms = _copper(_MAX / 16)
    calc = atoms.calc
    with pytest.raises(ValueError, match="the masses sum to more than a float holds"):
        relax(atoms, fmax=0.1, steps=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ValueError, match="the masses sum to more than a float holds"):
            run_protocol(atoms, calc, tmp_path / "run", temperature_K=300.0,
                         preequilibration_ps=0.002, equilibration_ps=0, production_ps=0.002,
                         preequilibration_timestep_fs=1.0, timestep_fs=1.0,
                         write_interval_fs=1.0, observe_interval_fs=1.0, progress=False)
    assert calc.calls == 0


@pytest.mark.parametrize("hydrogen_mass", [_MAX / 4, _MAX])
def test_a_hydrogen_mass_whose_total_overflows_is_refused(hydrogen_mass, tmp_path):
    atoms = _methanes()
    path = tmp_path / "run.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match=r"the masses sum to more than a float holds .*"
                                             r"Give hydrogen_mass in amu"):
            run_md(atoms, ensemble="nvt", steps=2, timestep_fs=0.5, temperature_K=300.0,
                   hydrogen_mass=hydrogen_mass, trajectory=path, write_interval=2,
                   progress=False)
    assert atoms.calc.calls == 0 and not path.exists()


@pytest.mark.parametrize("ensemble", ["nve", "nvt"])
def test_a_total_just_inside_the_bound_runs_to_finite_results(ensemble, tmp_path):
    """The control: 32 atoms whose total density is 1/4 of the largest float run; drawn at
    300 K, each atom's kinetic energy is that of the temperature whatever its mass."""
    mass = 0.25 * _MAX * GCM3_TO_AMU_PER_A3 / 32
    atoms = _copper(mass)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", RuntimeWarning)
        out = run_md(atoms, ensemble=ensemble, steps=2, timestep_fs=1.0, temperature_K=300.0,
                     trajectory=tmp_path / "run.h5md", write_interval=2, progress=False)
    assert np.isfinite(out.positions).all() and np.isfinite(out.get_velocities()).all()
    # heavy atoms barely move in 2 fs: the temperature is that of the draw
    assert 0 < out.get_temperature() < 1500
