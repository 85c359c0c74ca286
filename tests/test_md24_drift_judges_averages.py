"""The averages of a protocol stage whose conserved energy drifts beyond tolerance are not
valid, and say why; an old stage file without a conserved energy reports its drift as
"not recorded", never an error or a made-up number.

A drift beyond GROMACS' tolerance means the integration is not converged in its time step:
the averages of such a stage differ from those of a shorter step by an amount their
statistical errors do not contain. A Lennard-Jones energy that rises by a fixed amount per
evaluation drifts the conserved energy at a known rate, far beyond the tolerance, while the
plain Lennard-Jones run of the same protocol does not."""

import warnings

import h5py
import numpy as np
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import MAX_ENERGY_DRIFT, energy_drift, run_md, run_protocol

_KW = dict(temperature_K=84.0, preequilibration_ps=0, equilibration_ps=0.05,
           production_ps=2.0, production_ensemble="nve", timestep_fs=5.0,
           write_interval_fs=500, observe_interval_fs=10, progress=False)


class _AgeingArgon(StoppingArgon):
    """Lennard-Jones argon whose energy rises by ``per_call`` eV at each evaluation (one per
    NVT step): the forces and the dynamics are Lennard-Jones', the conserved energy drifts
    at exactly ``per_call / n_atoms / dt`` (a model whose energy is no function of the
    positions alone)."""

    per_call = 1.0e-3 * 32 * 0.005  # eV: 1 meV/atom/ps at 5 fs, 32 atoms

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        for key in ("energy", "free_energy"):
            if key in self.results:
                self.results[key] += self.per_call * self.calls


def _protocol(calc, folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a bare argon box; the drift warning itself
        return run_protocol(argon(rattle=0.05), calc, folder, **_KW)


def test_a_drifting_production_invalidates_its_averages_and_a_conserving_one_does_not(tmp_path):
    drifting = _protocol(_AgeingArgon(), tmp_path / "friction")
    drift = drifting.energy_drift["production"]
    # 1 meV/atom/ps, 19 tolerances, within its error bars
    assert abs(drift.value - 1.0) < 3 * drift.stderr + 0.02
    assert drift.verdict.startswith("too large")
    for name in ("temperature", "pressure"):
        est = drifting.estimates()[name]
        assert not est.valid and "time step too long: the production stage" in est.verdict
        assert f"{drift.value:+.3g}" in est.verdict
    # the density comes from the equilibration (NPT), whose drift is not too large: not
    # blamed on the production's drift
    assert "time step too long" not in drifting.density.verdict
    conserving = _protocol(StoppingArgon(), tmp_path / "lj")
    assert not conserving.energy_drift["production"].verdict.startswith("too large")
    assert abs(conserving.energy_drift["production"].value) < MAX_ENERGY_DRIFT
    for est in conserving.estimates().values():
        assert "time step too long" not in est.verdict
    # what simulation.json and the summaries serialise is the same marked Estimate
    record = drifting.temperature.to_dict()
    assert record["converged"] is False and "time step too long" in record["verdict"]


def test_an_old_stage_file_has_its_drift_not_recorded_and_no_error(tmp_path):
    first = _protocol(StoppingArgon(), tmp_path)
    # an earlier version's production file: the same run without the conserved energy
    with h5py.File(first.files["production"], "r+") as f:
        names = []
        f.visit(lambda n: names.append(n) if n.endswith("conserved_energy") else None)
        assert names
        for name in sorted(names, key=len, reverse=True):
            if name in f:
                del f[name]
    again = _protocol(StoppingArgon(), tmp_path)
    drift = again.energy_drift["production"]
    assert not drift.valid and drift.verdict.startswith("not recorded")
    assert np.isnan(drift.value)
    # the file read alone says the same, no error (a relaxation has no drift: that raises)
    assert energy_drift(first.files["production"]) == drift
    assert again.energy_drift["equilibration"].verdict == first.energy_drift[
        "equilibration"].verdict
    assert again.temperature.value == first.temperature.value


def test_a_short_run_that_drifts_far_says_so_beside_too_short():
    kw = dict(ensemble="nvt", steps=60, timestep_fs=5.0, temperature_K=84.0, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ageing = run_md(argon(_AgeingArgon(), rattle=0.05), **kw).info["energy_drift"]
        sound = run_md(argon(StoppingArgon(), rattle=0.05), **kw).info["energy_drift"]
    # 1 meV/atom/ps, 19 tolerances, without an error bar yet: still too short, and says so
    assert ageing["verdict"].startswith("too short") and abs(ageing["value"] - 1.0) < 0.05
    assert f"{ageing['value']:+.3g} meV/atom/ps, is 19 times the tolerance" in ageing["verdict"]
    assert sound["verdict"].startswith("too short") and "times the tolerance" not in sound[
        "verdict"]
