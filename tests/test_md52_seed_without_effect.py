"""run_md's ``seed`` seeds the Maxwell–Boltzmann draw of the starting velocities; where
nothing is drawn it did nothing, without a word: ``atoms`` that carry velocities start from
them as they are, and an NVE run without ``temperature_K`` starts at rest. Two calls with seeds
5 and 7 ran the same trajectory, each recorded as its seed's, and a rerun into the first's
file with the other seed was refused as another run. Such a seed is now refused before any
evaluation; where a draw happens, each seed draws its own start.
"""

import warnings

import numpy as np
import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import atoms_temperature, run_md, run_protocol

_RUN = dict(steps=4, timestep_fs=5.0, progress=False)
_COUPLED = {"nvt": dict(temperature_K=84.0, tdamp_fs=500.0),
            "npt": dict(temperature_K=84.0, tdamp_fs=500.0, pressure_bar=1.0, pdamp_fs=5000.0),
            "nve": dict(temperature_K=84.0)}


def _moving(seed=3, temperature_K=84.0):
    """Rattled argon with seeded velocities of about ``temperature_K`` (no drift)."""
    atoms = argon(StoppingArgon(), rattle=0.05)
    v = np.random.default_rng(seed).normal(size=(len(atoms), 3))
    atoms.set_velocities(v - v.mean(axis=0))
    atoms.set_velocities(atoms.get_velocities()
                         * np.sqrt(temperature_K / atoms_temperature(atoms)))
    return atoms


@pytest.mark.parametrize("seed", [1, 5, 2**31])
@pytest.mark.parametrize("ensemble", sorted(_COUPLED))
def test_a_seed_beside_given_velocities_is_refused_before_any_evaluation(ensemble, seed,
                                                                         tmp_path):
    atoms = _moving()
    before = atoms.get_velocities().copy()
    with pytest.raises(ValueError, match=rf"^seed = {seed} seeds the Maxwell–Boltzmann draw .*"
                                         r"atoms carries velocities \(kinetic temperature 84 K\)"
                                         r".*it would have no effect; leave out seed"):
        run_md(atoms, ensemble=ensemble, seed=seed, trajectory=tmp_path / "run.h5md",
               **_COUPLED[ensemble], **_RUN)
    assert atoms.calc.calls == 0
    assert not (tmp_path / "run.h5md").exists()
    assert np.array_equal(atoms.get_velocities(), before)


@pytest.mark.parametrize("seed", [1, 9])
def test_a_seed_of_an_nve_run_from_rest_without_temperature_is_refused(seed):
    atoms = argon(StoppingArgon(), rattle=0.05)
    with pytest.raises(ValueError, match=rf"^seed = {seed} .*an NVE run without temperature_K "
                                         r"starts at rest: nothing is drawn"):
        run_md(atoms, ensemble="nve", seed=seed, **_RUN)
    assert atoms.calc.calls == 0


def test_what_the_refusal_prevents_two_seeds_ran_one_trajectory():
    """Where nothing is drawn the default seed runs what any seed would have."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ran = [run_md(_moving(), ensemble="nvt", **_COUPLED["nvt"], **_RUN).positions
               for _ in range(2)]
    assert np.array_equal(ran[0], ran[1])


@pytest.mark.parametrize("ensemble", sorted(_COUPLED))
def test_where_velocities_are_drawn_each_seed_draws_its_own(ensemble):
    """The control: atoms at rest with a temperature take any seed, and two seeds differ."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runs = [run_md(argon(StoppingArgon(), rattle=0.05), ensemble=ensemble, seed=seed,
                       **_COUPLED[ensemble], **_RUN) for seed in (5, 7)]
    assert not np.allclose(runs[0].get_velocities(), runs[1].get_velocities())


def test_the_default_seed_beside_given_velocities_runs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_md(_moving(), ensemble="nvt", seed=0, **_COUPLED["nvt"], **_RUN)


def test_the_protocol_continues_its_stages_with_its_seed(tmp_path):
    """run_protocol's later stages start from the state before them (velocities given): its
    seed, which drew the first stage's start, is no refusal there."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_protocol(argon(StoppingArgon(), rattle=0.05), StoppingArgon(),
                              tmp_path / "run", temperature_K=84.0, seed=5,
                              preequilibration_ps=0.02, equilibration_ps=0.02,
                              production_ps=0.02, production_ensemble="nvt",
                              preequilibration_timestep_fs=5.0, timestep_fs=5.0,
                              write_interval_fs=10.0, observe_interval_fs=10.0,
                              relax_fmax=0.5, progress=False)
    assert set(result.files) == {"relaxed", "preequilibration", "equilibration", "production"}
