"""npt_density refuses a seed that draws nothing before it loads the model.

Before: a seed beside atoms carrying velocities (which run_md starts from as they are) reached
run_md, which refuses it since the md52 stop, only once the model was loaded; with a model
name that does not exist, the missing model was named instead of the seed.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

from ase_electrolyte.density_alignment import npt_density

_NPT = {"temperature_K": 300.0, "steps": 8, "timestep_fs": 2.0, "pdamp_fs": 100.0,
        "tdamp_fs": 50.0}


def _moving_copper(seed):
    atoms = bulk("Cu", cubic=True) * 2
    MaxwellBoltzmannDistribution(atoms, temperature_K=300.0, rng=np.random.default_rng(seed))
    return atoms


@pytest.mark.parametrize("model", ["no-such-model", "sevennet-0"])
@pytest.mark.parametrize("seed", [1, 7, 2**40])
def test_a_seed_beside_velocities_is_refused_before_the_model_loads(model, seed, tmp_path):
    atoms = _moving_copper(seed % 97)
    before = atoms.get_velocities().copy()
    with pytest.raises(ValueError, match=rf"seed = {seed} seeds the Maxwell.Boltzmann draw"):
        npt_density(model, atoms, trajectory=tmp_path / "run.h5md", seed=seed, **_NPT)
    assert not (tmp_path / "run.h5md").exists()
    np.testing.assert_array_equal(atoms.get_velocities(), before)  # the caller's Atoms


def test_without_a_seed_the_run_starts_from_the_velocities(tmp_path):
    density = npt_density(EMT(), _moving_copper(3), trajectory=tmp_path / "run.h5md", **_NPT)
    # fcc copper of EMT near its lattice constant: 8-9 g/cm³
    assert 8.0 < density.value < 9.5
