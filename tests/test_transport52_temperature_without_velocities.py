"""Einstein–Helfand and Nernst–Einstein of a trajectory of positions alone, temperature given.

Both fit displacements; velocities serve only for the kinetic temperature σ is divided by.
Declared as a need, a trajectory without velocities was skipped ("needs velocities") by
``run_analyses`` and ``electrolyte analyze`` even with the run's temperature given. Now they run
with the temperature given, and without it are skipped naming both ways to give one.
"""

import numpy as np
import pytest
from transport_data import integrate, ornstein_uhlenbeck, salt_universe

from mda_electrolyte import Diffusion, EinsteinHelfandConductivity, NernstEinstein
from mda_electrolyte.conductivity import charged_species
from mda_electrolyte.report import registered_analyses, run_analyses

TAU, DT, S, BOX = 0.5, 0.05, 2.0, 40.0
NAMES = ["einstein_helfand_conductivity", "nernst_einstein"]


def _salt(with_velocities, seed=52):
    rng = np.random.default_rng(seed)
    v = ornstein_uhlenbeck(rng, 3000, (16, 3), TAU, DT, S)
    pos = integrate(v, DT, rng.uniform(0, BOX, (16, 3)))
    return salt_universe(v if with_velocities else None, pos, n_cations=8, dt=DT, box=BOX)


@pytest.fixture(scope="module")
def positions_only():
    u = _salt(False)
    assert not u.trajectory.ts.has_velocities
    return u


@pytest.mark.parametrize("name", NAMES)
def test_velocities_are_not_a_need(name):
    needs = registered_analyses()
    assert "velocities" not in needs[name]
    # Green–Kubo integrates the velocities themselves
    assert "velocities" in needs["green_kubo_conductivity"]


@pytest.mark.parametrize("temperature", [300.0, 450.0])
def test_einstein_helfand_runs_at_the_given_temperature(positions_only, tmp_path, temperature):
    u = positions_only
    summary = run_analyses(u, tmp_path / "out", only=[NAMES[0]], temperature=temperature)
    entry = summary[NAMES[0]]
    assert "skipped" not in entry
    direct = EinsteinHelfandConductivity(u, charged_species(u),
                                         temperature=temperature).run().results.conductivity
    assert entry["conductivity"]["value"] == pytest.approx(direct.value, rel=1e-9)
    assert entry["conductivity"]["stderr"] == pytest.approx(direct.stderr, rel=1e-9)
    assert entry["temperature_K (given)"]["value"] == temperature
    # σ ∝ 1/T for the same displacements: independent OU ions, σ = e² N 2 s²τ/(V k_B T) (both
    # species); within the error
    from mda_electrolyte.conductivity import _conductivity_prefactor
    exact = _conductivity_prefactor(BOX**3, temperature, 3) * 3 * S**2 * TAU * 16
    assert abs(entry["conductivity"]["value"] - exact) < 4 * entry["conductivity"]["stderr"]


def test_nernst_einstein_runs_at_the_given_temperature(positions_only, tmp_path):
    u = positions_only
    summary = run_analyses(u, tmp_path / "out", only=[NAMES[1]], temperature=300.0)
    entry = summary[NAMES[1]]
    assert "skipped" not in entry
    diff = Diffusion(u, charged_species(u)).run()
    direct = NernstEinstein(diff, temperature=300.0).results.conductivity
    assert entry["conductivity"]["value"] == pytest.approx(direct.value, rel=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_without_a_temperature_either_way_it_is_skipped_naming_both(positions_only, tmp_path,
                                                                    name):
    summary = run_analyses(positions_only, tmp_path / "out", only=[name])
    reason = summary[name]["skipped"]
    assert "velocities" in reason and "--temperature" in reason
    assert "temperature=" in reason


@pytest.mark.parametrize("name", NAMES)
def test_with_velocities_the_kinetic_temperature_is_used(tmp_path, name):
    summary = run_analyses(_salt(True), tmp_path / "out", only=[name])
    entry = summary[name]
    assert "skipped" not in entry
    assert "temperature_K (kinetic)" in entry
