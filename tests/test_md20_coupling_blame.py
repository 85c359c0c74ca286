"""An MD run that explodes because of its thermostat, barostat or pressure names that setting.

Both masses of ASE's Nosé–Hoover chain and MTK barostat are proportional to k_B·T (Martyna,
Tobias and Klein 1994). NPT of Lennard-Jones argon at 0.001 K (k_B·T in eV?) moved an atom
0.71 Å at step 1, NVT of EMT copper at 0.001 K gave non-finite positions at step 4, and NPT
copper at 100 K with a barostat of 20 time steps (the shortest accepted) flew apart at step 3;
each error blamed "the time step or the model". A pressure in Pa (1e6 bar) heated argon past
the guard's limit, blamed on the time step too. A run that explodes from a time step far too
long still names the time step.
"""

import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones

from ase_electrolyte import units
from ase_electrolyte.md import MDInstabilityError, run_md


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=1)
    atoms.calc = LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    return atoms


def _copper():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=1)
    atoms.calc = EMT()
    return atoms


@pytest.fixture
def without_barostat_precheck(monkeypatch):
    """The barostats below that run away are refused before their first step now (their
    stiffness is measured at the start: tests/test_md22_barostat_precheck.py); without that
    check they run and explode, and the blame of a runaway met during a run (a box that
    stiffens as it is compressed) is what these tests keep."""
    import ase_electrolyte.md as md

    monkeypatch.setattr(md, "_check_barostat_stiffness", lambda *args, **kwargs: None)


def _explosion(atoms, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unit doubts are tested below
        with pytest.raises(MDInstabilityError) as err:
            run_md(atoms, steps=300, progress=False, **kw)
    return str(err.value)


@pytest.mark.parametrize("make, kw, names", [
    # the thermostat at 0.001 K: default tdamp (100 steps) and the shortest accepted (10)
    (_copper, dict(ensemble="nvt", temperature_K=0.001, timestep_fs=2.0),
     ["Nosé–Hoover thermostat ran away", "temperature_K = 0.001 K", "tdamp_fs = 200 fs"]),
    (_copper, dict(ensemble="nvt", temperature_K=0.001, timestep_fs=2.0, tdamp_fs=20.0),
     ["Nosé–Hoover thermostat ran away", "temperature_K = 0.001 K", "tdamp_fs = 20 fs"]),
    # the barostat at 0.001 K (lead case), and one of 20 steps too light for stiff copper at
    # 100 K (its linear frequency is sqrt(3 B / (n k_B T)) / pdamp: ω·dt ≈ 3 > 2)
    (_argon, dict(ensemble="npt", temperature_K=0.001, timestep_fs=5.0),
     ["MTK barostat ran away", "temperature_K = 0.001 K", "pdamp_fs = 5000 fs"]),
    (_copper, dict(ensemble="npt", temperature_K=100.0, timestep_fs=2.0, pdamp_fs=40.0),
     ["MTK barostat ran away", "pdamp_fs = 40 fs (20 time steps)", "2000 fs"]),
    # 1 atm = 101325 Pa: a pressure in Pa-like magnitudes drives the box apart
    (_argon, dict(ensemble="npt", temperature_K=84.0, timestep_fs=5.0, pressure_bar=1e6),
     ["pressure_bar = 1e+06 bar", "Pa"]),
])
def test_the_setting_that_made_the_run_explode_is_named(make, kw, names,
                                                          without_barostat_precheck):
    message = _explosion(make(), **kw)
    for name in names:
        assert name in message, message
    if "pressure_bar" in kw:
        # a wrong pressure acts through a sound barostat: named first, the time step kept
        assert message.index("pressure_bar") < message.index("time step")
    else:
        assert "rather than the time step" in message
        assert "too long, or the model failed" not in message


@pytest.mark.parametrize("make, kw, name", [
    (_argon, dict(ensemble="npt", temperature_K=0.001, timestep_fs=5.0), "temperature_K"),
    # the NaN cell reaches EMT's neighbour list: "cannot convert float NaN to integer", which
    # blamed the calculator's results
    (_copper, dict(ensemble="npt", temperature_K=100.0, timestep_fs=2.0, pdamp_fs=40.0),
     "pdamp_fs = 40 fs"),
])
def test_without_the_guards_the_coupling_is_still_named(make, kw, name,
                                                          without_barostat_precheck):
    message = _explosion(make(), max_temperature_factor=None, max_displacement=None, **kw)
    assert "ran away" in message and name in message, message
    assert "results are malformed" not in message


def test_the_same_runs_with_sound_couplings_hold_their_target():
    # the copper barostat of 200 steps (10 times longer) at 100 K: a stable run whose mean
    # temperature is the target within its canonical spread (32 atoms: ± 25 %)
    out = run_md(_copper(), ensemble="npt", steps=300, timestep_fs=2.0, temperature_K=100.0,
                 pdamp_fs=400.0, tdamp_fs=100.0, progress=False)
    assert 50.0 < out.get_temperature() < 200.0
    # argon at 84 K and 1 atm (a liquid's temperature, no doubt said, no explosion)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_md(_argon(), ensemble="npt", steps=50, timestep_fs=5.0, temperature_K=84.0,
               progress=False)


@pytest.mark.parametrize("make, kw", [
    (_argon, dict(ensemble="nvt", temperature_K=84.0, timestep_fs=120.0)),
    # at a low target the light thermostat's chain answers the time step's heat (5e5 K at
    # step 2) within the step: the heat came first, the time step is named
    (_copper, dict(ensemble="nvt", temperature_K=20.0, timestep_fs=55.0)),
    (_copper, dict(ensemble="npt", temperature_K=60.0, timestep_fs=55.0)),
])
def test_a_time_step_far_too_long_is_still_blamed_on_the_time_step(make, kw):
    message = _explosion(make(), **kw)
    assert f"time step {kw['timestep_fs']} fs" in message
    assert "ran away" not in message and "pressure_bar" not in message


def _doubts(run):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run()
    return [str(w.message) for w in caught if "temperature_K =" in str(w.message)]


@pytest.mark.parametrize("temperature, hint", [
    (0.02585, "k_B·T in eV"),  # 300 K as an energy
    (25.0, "°C"),  # 25 °C: run_md took it silently (its own bound was 1 K)
    (30000.0, "typo or in another unit"),  # °C is no slip above the range
    (84.0, None),  # liquid argon: the analyses doubted it (their bound was 150 K)
    (60.0, None),
    (298.15, None),
])
def test_one_temperature_rule_for_md_and_analyses(temperature, hint):
    md_said = _doubts(lambda: run_md(_argon(), ensemble="nvt", steps=2, timestep_fs=2.0,
                                     temperature_K=temperature, progress=False,
                                     max_temperature_factor=None, max_displacement=None))
    analysis_said = _doubts(lambda: units.warn_implausible(temperature_K=temperature))
    assert md_said == analysis_said
    if hint is None:
        assert not md_said
    else:
        assert len(md_said) == 1 and hint in md_said[0]
    from ase_electrolyte import md

    assert md.MIN_PLAUSIBLE_TEMPERATURE_K == units.MIN_PLAUSIBLE_TEMPERATURE_K
    assert units.MIN_PLAUSIBLE_TEMPERATURE_K < 84.0 < units.MAX_PLAUSIBLE_TEMPERATURE_K
    assert np.isfinite(units.IMPLAUSIBLE_PRESSURE_BAR)


def _barostat_omega_dt(atoms, temperature_K, pdamp_steps):
    """ω·dt of the MTK volume oscillation, linearised: ε̈ = 3V(P − P₀)/W with dP = −3B dε and
    W = 3(N + 1) k_B T τ_p² (ASE's IsotropicMTKNPT), so ω² = 9 V B / W; B from the model's
    pressure at ±0.1 % strain."""
    from ase import units as u

    def pressure(scale):
        probe = atoms.copy()
        probe.calc = atoms.calc
        probe.set_cell(atoms.cell * scale, scale_atoms=True)
        return -np.trace(probe.get_stress(voigt=False)) / 3.0, probe.get_volume()

    (p1, v1), (p2, v2) = pressure(0.999), pressure(1.001)
    volume = atoms.get_volume()
    bulk_modulus = -volume * (p2 - p1) / (v2 - v1)
    mass = 3 * (len(atoms) + 1) * u.kB * temperature_K * pdamp_steps**2
    return float(np.sqrt(9.0 * volume * bulk_modulus / mass))


@pytest.mark.parametrize("pdamp_steps, explodes", [(20, True), (300, False)])
def test_the_barostat_is_named_where_its_linear_stability_fails(pdamp_steps, explodes,
                                                                monkeypatch):
    import ase_electrolyte.md as md

    # velocity Verlet holds an oscillation only for ω·dt < 2: EMT copper (B ≈ 133 GPa) at 100 K
    # is past it with 20 barostat steps (ω·dt ≈ 2.9, the shortest pdamp accepted) and far
    # inside it with 300 (≈ 0.19); the run follows the prediction and its error names pdamp_fs
    omega_dt = _barostat_omega_dt(_copper(), 100.0, pdamp_steps)
    assert (omega_dt > 2.0) == explodes
    kw = dict(ensemble="npt", temperature_K=100.0, timestep_fs=2.0,
              pdamp_fs=2.0 * pdamp_steps, tdamp_fs=100.0)
    if explodes:
        # refused before the first step, at the ω·dt measured here
        with pytest.raises(ValueError, match=f"pdamp_fs = {2 * pdamp_steps} fs") as err:
            run_md(_copper(), steps=300, progress=False, **kw)
        said = float(str(err.value).split("ω·dt = ")[1].split(" ")[0])
        assert said == pytest.approx(omega_dt, rel=0.02)
        # and without that check the run explodes, blamed on pdamp_fs
        monkeypatch.setattr(md, "_check_barostat_stiffness", lambda *args, **kwargs: None)
        message = _explosion(_copper(), **kw)
        assert "MTK barostat ran away" in message and f"pdamp_fs = {2 * pdamp_steps} fs" in message
    else:
        out = run_md(_copper(), steps=300, progress=False, **kw)
        assert np.isfinite(out.get_volume()) and 50.0 < out.get_temperature() < 200.0
