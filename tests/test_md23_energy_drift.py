"""The drift of the integrator's conserved energy (run_md's ``info["energy_drift"]``,
``energy_drift``, ``ProtocolResult.energy_drift``): no run reported any conservation measure.

Checked against ASE's own ``get_conserved_energy`` (same start, same deterministic integrator),
an analytic drift (a friction force -γ m v loses dE/dt = -2γK), and the calibration of its
jackknife error over replicas of correlated noise with a known slope.
"""

import warnings

import numpy as np
import pytest
from ase import units
from ase.calculators.emt import EMT
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import (
    MAX_ENERGY_DRIFT,
    _drift_estimate,
    energy_drift,
    relax,
    run_md,
    run_protocol,
)
from ase_electrolyte.trajectory import h5md_series, read_h5md


def _copper():
    from ase.build import bulk

    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    atoms.calc = EMT()
    return atoms


@pytest.mark.parametrize("ensemble", ["nvt", "npt"])
def test_the_conserved_energy_is_that_of_ases_integrator(tmp_path, ensemble):
    from ase.md.nose_hoover_chain import IsotropicMTKNPT, NoseHooverChainNVT

    path = tmp_path / "run.h5md"
    run_md(_copper(), ensemble=ensemble, steps=12, timestep_fs=5.0, temperature_K=600.0,
           trajectory=path, write_interval=12, progress=False)
    start = read_h5md(path, 0)
    twin = _copper()
    twin.set_velocities(start.get_velocities())
    kw = dict(timestep=5.0 * units.fs, temperature_K=600.0, tdamp=500.0 * units.fs)
    dyn = (NoseHooverChainNVT(twin, **kw) if ensemble == "nvt" else
           IsotropicMTKNPT(twin, pressure_au=1.01325 * units.bar, pdamp=5000.0 * units.fs, **kw))
    # run_md's integrators count the 3N - 3 degrees of freedom that move (ASE's, 3N)
    from ase_electrolyte.md import _internal_dof_integrator

    _internal_dof_integrator(dyn, 3 * len(twin) - 3, 600.0, 500.0 * units.fs,
                             5000.0 * units.fs if ensemble == "npt" else None)
    expected = [dyn.get_conserved_energy()]
    dyn.attach(lambda: expected.append(dyn.get_conserved_energy()), interval=1)
    dyn.run(12)
    _, _, conserved = h5md_series(path, "conserved_energy")
    np.testing.assert_allclose(conserved, expected[1:len(conserved) + 1], rtol=0, atol=1e-9)


class _Friction(EMT):
    """EMT copper with a friction force -γ m v: the total energy falls at 2γK."""

    gamma = 0.02 / (1000.0 * units.fs)  # 0.02 per ps

    def calculate(self, atoms=None, properties=("energy",), system_changes=()):
        super().calculate(atoms, properties, system_changes)
        self.results["forces"] = self.results["forces"] - self.gamma * atoms.get_momenta()


def test_a_friction_drifts_the_energy_as_it_should_and_is_called_too_large(tmp_path):
    atoms = _copper()
    atoms.calc = _Friction()
    path = tmp_path / "friction.h5md"
    with pytest.warns(UserWarning, match="too large.*time step 5 fs"):
        out = run_md(atoms, ensemble="nve", steps=200, timestep_fs=5.0, temperature_K=600.0,
                     trajectory=path, write_interval=100, progress=False)
    drift = energy_drift(path)
    assert out.info["energy_drift"] == drift.to_dict()
    # dE/dt = sum F·v = -γ sum m v² = -2γK, per atom and in meV/ps
    _, _, kinetic = h5md_series(path, "kinetic_energy")
    expected = -2.0 * 0.02 * float(np.mean(kinetic)) / len(atoms) * 1000.0
    assert drift.value == pytest.approx(expected, rel=0.05, abs=3 * drift.stderr)
    assert drift.unit == "meV/atom/ps" and abs(expected) > 10 * MAX_ENERGY_DRIFT
    assert not drift.valid and "too large" in drift.verdict


def test_a_sound_run_is_valid_and_a_short_one_too_short(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no drift warning for a conserving run
        out = run_md(_copper(), ensemble="nve", steps=120, timestep_fs=5.0,
                     temperature_K=600.0, progress=False)
    drift = out.info["energy_drift"]
    assert drift["converged"], drift
    assert abs(drift["value"]) < MAX_ENERGY_DRIFT + 3 * drift["stderr"]
    short = run_md(_copper(), ensemble="nvt", steps=30, timestep_fs=5.0, temperature_K=600.0,
                   progress=False)
    assert "too short" in short.info["energy_drift"]["verdict"]


def test_file_and_memory_reuse_and_resume_give_one_drift(tmp_path):
    kw = dict(ensemble="nvt", steps=60, timestep_fs=10.0, temperature_K=84.0,
              write_interval=10, progress=False)
    whole = run_md(argon(StoppingArgon(), rattle=0.05), trajectory=tmp_path / "a.h5md", **kw)
    memory = run_md(argon(StoppingArgon(), rattle=0.05), **kw)
    assert memory.info["energy_drift"]["value"] == pytest.approx(
        whole.info["energy_drift"]["value"], rel=1e-8)
    reused = run_md(argon(StoppingArgon(), rattle=0.05), trajectory=tmp_path / "a.h5md", **kw)
    assert reused.info["energy_drift"] == whole.info["energy_drift"]
    # stopped at the 35th evaluation, resumed: the conserved series runs on with the chains
    with pytest.raises(KeyboardInterrupt):
        run_md(argon(StoppingArgon(stop_at=35), rattle=0.05), trajectory=tmp_path / "b.h5md",
               **kw)
    resumed = run_md(argon(StoppingArgon(), rattle=0.05), trajectory=tmp_path / "b.h5md", **kw)
    np.testing.assert_allclose(h5md_series(tmp_path / "b.h5md", "conserved_energy")[2],
                               h5md_series(tmp_path / "a.h5md", "conserved_energy")[2],
                               rtol=0, atol=1e-8)
    assert resumed.info["energy_drift"]["value"] == pytest.approx(
        whole.info["energy_drift"]["value"], rel=1e-4, abs=1e-6)


def test_a_relaxation_has_no_drift_and_says_so(tmp_path):
    relax(argon(StoppingArgon(), rattle=0.05), trajectory=tmp_path / "r.h5md", progress=False)
    with pytest.raises(ValueError, match="relaxation"):
        energy_drift(tmp_path / "r.h5md")
    with pytest.raises(ValueError, match="tolerance"):
        energy_drift(tmp_path / "r.h5md", tolerance=-1.0)


@pytest.mark.parametrize("phi", [0.0, 0.8])
def test_the_error_of_the_drift_is_calibrated_over_replicas(phi):
    # correlated noise (AR(1)) on a known slope: z-scores of the jackknife error
    rng = np.random.default_rng(7)
    n, slope = 400, 0.3
    t = np.arange(n) * 0.005
    z = []
    for _ in range(150):
        e = rng.normal(size=n)
        x = np.empty(n)
        x[0] = e[0]
        for i in range(1, n):
            x[i] = phi * x[i - 1] + np.sqrt(1 - phi**2) * e[i]
        energy = (slope * t + 0.01 * x) * 32 / 1000.0  # eV of 32 atoms
        est = _drift_estimate(t, energy, 32, ensemble="nve", timestep_fs=5.0, where="noise")
        z.append((est.value - slope) / est.stderr)
    z = np.abs(np.array(z))
    assert 0.55 < np.mean(z < 1.0) < 0.85
    assert np.mean(z < 2.0) > 0.88


def test_the_protocol_reports_each_md_stages_drift(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a bare argon box: no molecule arrays
        result = run_protocol(argon(rattle=0.05), StoppingArgon(), tmp_path, temperature_K=84.0,
                              preequilibration_ps=0, equilibration_ps=0.02, production_ps=0.02,
                              production_ensemble="nvt", timestep_fs=2.0, write_interval_fs=10,
                              observe_interval_fs=2, progress=False)
    assert set(result.energy_drift) == {"equilibration", "production"}
    assert all("too short" in e.verdict for e in result.energy_drift.values())
    assert set(result.estimates()) == {"density", "temperature", "pressure"}
