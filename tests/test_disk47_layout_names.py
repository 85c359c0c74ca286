"""The CLI's disk estimate reads the particle layout and the ensemble name from their owners.

``trajectory_bytes`` counted ``TRAJECTORY_BYTES_PER_ATOM_FRAME // 24`` vectors, a public copy of
the writer's particle layout, and took any ensemble it did not know as NPT (``"nvt "``, ``"NVE"``
and ``"nvtt"`` were all priced as NPT productions). The vectors now come from
:data:`ase_electrolyte.trajectory.PARTICLE_DATA` and the name from
:func:`ase_electrolyte.md.ensemble_name`, as ``run_md`` reads it.
"""

from argparse import Namespace

import numpy as np
import pytest

import electrolyte_cli.simulate as simulate
from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import PARTICLE_DATA

COUNTS = {"EC": 4, "Li": 1, "PF6": 1}


def _args(ensemble):
    return Namespace(preequilibration_ps=0.0, equilibration_ps=0.0, production_ps=0.01,
                     write_interval_fs=1.0, ensemble=ensemble)


def test_copy_of_the_particle_layout_is_gone():
    assert not hasattr(simulate, "TRAJECTORY_BYTES_PER_ATOM_FRAME")


def test_the_writer_stores_the_particle_data_it_names(tmp_path):
    import h5py
    from ase.build import bulk
    from ase.calculators.emt import EMT

    atoms = bulk("Cu", cubic=True)
    atoms.calc = EMT()
    run_md(atoms, trajectory=tmp_path / "md.h5md", ensemble="nvt", steps=2,
           temperature_K=300.0, timestep_fs=1.0, write_interval=1, observe_interval=1, seed=0)
    with h5py.File(tmp_path / "md.h5md", "r") as f:
        group = f["particles/trajectory"]
        # the time-dependent per-atom vectors (mass and species are stored once, the box apart)
        stored = [k for k in group if k != "box" and "step" in group[k]
                  and group[k]["value"].shape[1:] == (len(atoms), 3)]
    assert sorted(stored) == sorted(PARTICLE_DATA)


@pytest.mark.parametrize("spelled, name", [("nvt ", "nvt"), ("NVE", "nve"), ("Npt", "npt")])
def test_an_ensemble_spelled_as_run_md_takes_it_is_priced_as_that_ensemble(spelled, name):
    sizes = simulate.trajectory_bytes(COUNTS, _args(spelled))
    assert sizes == simulate.trajectory_bytes(COUNTS, _args(name))
    if name != "npt":
        # NVT/NVE store less integrator state than NPT
        assert sizes["production"] < simulate.trajectory_bytes(COUNTS, _args("npt"))["production"]


@pytest.mark.parametrize("bad", ["nvtt", "langevin", "", 3, None])
def test_an_unknown_ensemble_is_refused_not_priced_as_npt(bad):
    with pytest.raises(ValueError, match="ensemble"):
        simulate.trajectory_bytes(COUNTS, _args(bad))


def test_particle_bytes_grow_with_the_number_of_vectors():
    small = simulate.trajectory_bytes(COUNTS, _args("nvt"))["production"]
    large = simulate.trajectory_bytes({"EC": 40, "Li": 1, "PF6": 1}, _args("nvt"))["production"]
    # 36 more EC (10 atoms each) over 11 frames of three float64 vectors
    assert large - small >= len(PARTICLE_DATA) * 360 * 3 * 8 * 11 * 0.99
    assert np.isfinite(large)
