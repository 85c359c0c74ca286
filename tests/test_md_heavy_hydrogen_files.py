"""Trajectories of runs with heavy hydrogen (Ju et al. 2025: 3 amu for 2 fs steps) carry the
physical masses where H5MD readers take them, and the integration masses apart.

Before, ``particles/trajectory/mass`` held the 3 amu hydrogens the run integrated with: every
reader of that dataset (``read_h5md``, h5py scripts, the H5MD readers of other programs) saw a
box 5-50 % heavier than the liquid (densities, centres of mass), and a run of deuterium
(2.014 amu) at ``hydrogen_mass=3`` was answered with the stored run of hydrogen, since both
integrated with the same masses.
"""

import h5py
import numpy as np
import pytest
from ase.build import molecule
from molecular_pair_model import MolecularPairModel

from ase_electrolyte.md import run_md
from ase_electrolyte.topology import FORMAL_CHARGE, MOLECULE_INDEX, SPECIES
from ase_electrolyte.trajectory import (
    GCM3_TO_AMU_PER_A3,
    H5MDWriter,
    h5md_info,
    h5md_series,
    read_h5md,
    start_state,
)
from mda_electrolyte.bridge import from_ase

_RUN = dict(ensemble="nve", steps=8, timestep_fs=1.0, temperature_K=150, hydrogen_mass=3.0,
            write_interval=2, progress=False)


def _methane(model=None):
    """Eight CH4 in a periodic box with topology arrays: carbon and hydrogen (4 H per C).

    The model's bond lengths are those of this start, also for a model that first sees a
    resumed run's frame (``r0="initial"`` would take that frame's).
    """
    one = molecule("CH4")
    one.center(vacuum=2.2)
    gas = one.repeat(2)
    gas.pbc = True
    gas.set_array(MOLECULE_INDEX, np.repeat(np.arange(8), 5))
    gas.set_array(SPECIES, np.array(["CH4"] * len(gas), dtype=object))
    gas.set_array(FORMAL_CHARGE, np.zeros(len(gas)))
    model = model or MolecularPairModel(r0="initial")
    probe = gas.copy()
    probe.calc = model
    probe.get_potential_energy()
    model.calls = 0
    model.reset()
    gas.calc = model
    return gas


class _CtrlCAt(MolecularPairModel):
    """The model, interrupted (Ctrl-C) at its ``n``-th evaluation, once."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        # private: the interruption is no option of the model it poses as (an attribute
        # named as a constructor argument is recorded in the run's calculator fingerprint)
        self._n, self.calls = n, 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self._n:
            raise KeyboardInterrupt
        super().calculate(*args, **kwargs)


# poses as the model, so that the model may resume what it started
_CtrlCAt.__module__, _CtrlCAt.__name__ = MolecularPairModel.__module__, MolecularPairModel.__name__


def test_the_file_carries_the_physical_masses_and_the_integration_masses_apart(tmp_path):
    gas = _methane()
    path = tmp_path / "hmr.h5md"
    run_md(gas, trajectory=path, **_RUN)
    real = gas.get_masses()
    h = gas.numbers == 1
    with h5py.File(path) as f:  # where the H5MD specification puts the particles' masses
        np.testing.assert_array_equal(f["particles/trajectory/mass"][()], real)
        integration = f["parameters/ase_electrolyte/integration_mass"][()]
    np.testing.assert_array_equal(integration[h], 3.0)
    np.testing.assert_array_equal(integration[~h], real[~h])
    state = start_state(path)
    np.testing.assert_array_equal(state["masses"], integration)
    np.testing.assert_array_equal(state["physical_masses"], real)
    # every reader gets the liquid's masses: read_h5md, from_ase
    for k in range(h5md_info(path)["n_frames"]):
        np.testing.assert_array_equal(read_h5md(path, k).get_masses(), real)
    u = from_ase(path)
    np.testing.assert_allclose(u.atoms.masses, real, rtol=0, atol=1e-12)
    # and the run's recorded density is that of those masses
    _, _, rho = h5md_series(path, "density")
    volume = np.linalg.det(gas.cell.array)
    np.testing.assert_allclose(rho, real.sum() / volume / GCM3_TO_AMU_PER_A3, rtol=1e-12)


def test_the_stored_velocities_are_those_of_the_heavy_hydrogen_the_run_integrated(tmp_path):
    # the frame's kinetic energy (recorded by the run) is that of the integration masses
    path = tmp_path / "hmr.h5md"
    run_md(_methane(), trajectory=path, **_RUN)
    masses = start_state(path)["masses"]
    with h5py.File(path) as f:
        kinetic = f["observables/kinetic_energy/value"][()]
    for k, recorded in enumerate(kinetic):
        v = read_h5md(path, k).get_velocities()
        assert 0.5 * np.sum(masses[:, None] * v**2) == pytest.approx(recorded, rel=1e-10)


@pytest.mark.parametrize("at_call", [3, 6, 9])
def test_an_interrupted_heavy_hydrogen_run_resumes_as_the_uninterrupted_one(at_call, tmp_path):
    reference = tmp_path / "reference.h5md"
    whole = run_md(_methane(), trajectory=reference, **_RUN)
    path = tmp_path / "interrupted.h5md"
    gas = _methane(_CtrlCAt(at_call, r0="initial"))
    with pytest.raises(KeyboardInterrupt):
        run_md(gas, trajectory=path, **_RUN)
    kept = h5md_info(path)
    assert not kept["complete"] and kept["n_frames"] >= 1
    # the same call resumes from the last frame, integrating with 3 amu hydrogens again
    again = _methane()
    resumed = run_md(again, trajectory=path, **_RUN)
    assert h5md_info(path)["complete"]
    with h5py.File(path) as f, h5py.File(reference) as g:
        for name in ("position", "velocity"):
            np.testing.assert_allclose(f[f"particles/trajectory/{name}/value"][()],
                                       g[f"particles/trajectory/{name}/value"][()],
                                       rtol=0, atol=1e-9)
        np.testing.assert_array_equal(f["particles/trajectory/mass"][()],
                                      g["particles/trajectory/mass"][()])
    np.testing.assert_allclose(resumed.get_velocities(), whole.get_velocities(), rtol=0,
                               atol=1e-9)
    np.testing.assert_array_equal(resumed.get_masses(), again.get_masses())


def test_deuterium_at_the_same_hydrogen_mass_is_another_run(tmp_path):
    # both integrate with 3 amu: before, the hydrogen run was returned for the deuterium one
    path = tmp_path / "hmr.h5md"
    first = run_md(_methane(), trajectory=path, **_RUN)
    np.testing.assert_array_equal(run_md(_methane(), trajectory=path, **_RUN).positions,
                                  first.positions)
    heavy = _methane()
    masses = heavy.get_masses()
    masses[heavy.numbers == 1] = 2.014
    heavy.set_masses(masses)
    with pytest.raises(ValueError, match="different run: its atoms have other masses"):
        run_md(heavy, trajectory=path, **_RUN)
    assert h5md_info(path)["complete"]
    np.testing.assert_array_equal(read_h5md(path).positions, first.positions)


def test_an_earlier_versions_file_with_heavy_masses_is_still_reused_and_resumed(tmp_path):
    # files written before kept the integration masses as the particles' masses
    path = tmp_path / "old.h5md"
    gas = _methane(_CtrlCAt(5, r0="initial"))
    with pytest.raises(KeyboardInterrupt):
        run_md(gas, trajectory=path, **_RUN)
    with h5py.File(path, "r+") as f:
        meta = f["parameters/ase_electrolyte"]
        f["particles/trajectory/mass"][...] = meta["integration_mass"][()]
        del meta["integration_mass"]
    assert start_state(path)["physical_masses"] is None
    resumed = run_md(_methane(), trajectory=path, **_RUN)
    whole = run_md(_methane(), trajectory=tmp_path / "whole.h5md", **_RUN)
    np.testing.assert_allclose(resumed.positions, whole.positions, rtol=0, atol=1e-9)
    # the bridge gives such a file its real masses back
    np.testing.assert_allclose(from_ase(path).atoms.masses, _methane().get_masses(), rtol=0,
                               atol=1e-12)


@pytest.mark.parametrize("masses, match", [
    (np.ones(3), r"shape \(3,\)"),
    ([1.0] * 39 + [np.nan], "masses of atoms \\[39\\]"),
    ([1.0] * 39 + [0.0], "positive and finite"),
    ("heavy", "40 numbers"),
])
def test_the_writers_masses_are_checked_before_the_file_is_made(masses, match, tmp_path):
    path = tmp_path / "w.h5md"
    with pytest.raises(ValueError, match=match):
        H5MDWriter(path, _methane(), masses=masses)
    assert not path.exists()
    with H5MDWriter(path, _methane()) as w:
        w.write(_methane(), step=0, time=0.0)
    with pytest.raises(ValueError, match="mode='w'"):
        H5MDWriter(path, _methane(), mode="a", masses=_methane().get_masses())
    assert h5md_info(path)["complete"]


def test_the_writers_default_density_is_that_of_the_physical_masses(tmp_path):
    gas = _methane()
    heavy = gas.copy()
    masses = heavy.get_masses()
    masses[heavy.numbers == 1] = 3.0
    heavy.set_masses(masses)
    heavy.calc = gas.calc
    path = tmp_path / "w.h5md"
    with H5MDWriter(path, heavy, masses=gas.get_masses()) as w:
        w.write(heavy, step=0, time=0.0)
    with h5py.File(path) as f:
        rho = f["observables/density/value"][0]
    assert rho == pytest.approx(gas.get_masses().sum() / gas.get_volume() / GCM3_TO_AMU_PER_A3,
                                rel=1e-12)
