"""An NPT run whose MTK barostat is too light for the system's stiffness is refused before its
first step.

The volume oscillates at ω = √(9VB / W), W = (N_f + 3)·k_B·T·pdamp² = 3N·k_B·T·pdamp² (run_md;
Martyna, Tobias and Klein 1994), and Verlet integration is unstable at ω·dt ≥ 2. Such runs (argon
at 0.001 K with ASE's 1000-step barostat, ω·dt = 5) ran and exploded within a few steps, and
only then blamed the barostat; run_md now measures B from two stress evaluations at ±0.5 %
volume and refuses them, naming pdamp_fs, temperature_K and a pdamp_fs that runs.
"""

import warnings

import numpy as np
import pytest
from ase import units
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.eos import EquationOfState
from stopping_argon import StoppingArgon, argon

import ase_electrolyte.md as md
from ase_electrolyte.md import MDInstabilityError, run_md, run_protocol


def _copper(rattle=0.01):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    if rattle:
        atoms.rattle(rattle, seed=1)
    atoms.calc = EMT()
    return atoms


def _omega_dt_per_fs_of_pdamp(atoms, temperature_K, timestep_fs):
    """ω·dt × pdamp_fs (ω·dt of a barostat of pdamp_fs is this / pdamp_fs)."""
    bulk_modulus = md._affine_bulk_modulus(atoms, atoms.calc)
    # (N_f + 3)·k_B·T with run_md's N_f = 3N - 3 (the centre of mass is at rest)
    mass = 3 * len(atoms) * units.kB * temperature_K
    return float(np.sqrt(9 * atoms.get_volume() * bulk_modulus / mass) * timestep_fs)


def test_the_bulk_modulus_is_that_of_an_equation_of_state():
    # ASE's equation-of-state fit over ±3 % volume of perfect fcc copper: 133-134 GPa (EMT)
    atoms = _copper(rattle=0.0)
    volumes, energies = [], []
    for scale in np.linspace(0.97, 1.03, 7):
        probe = atoms.copy()
        probe.calc = EMT()
        probe.set_cell(atoms.cell * scale ** (1 / 3), scale_atoms=True)
        volumes.append(probe.get_volume())
        energies.append(probe.get_potential_energy())
    eos = EquationOfState(volumes, energies, eos="birchmurnaghan")
    v0, _, b0 = eos.fit()
    # at the EOS's own minimum (its pressure 0), the modulus the check measures
    atoms.set_cell(atoms.cell * (v0 / atoms.get_volume()) ** (1 / 3), scale_atoms=True)
    assert md._affine_bulk_modulus(atoms, atoms.calc) == pytest.approx(b0, rel=0.01)


def test_a_barostat_too_light_is_refused_before_any_step_and_its_advice_runs(tmp_path):
    atoms = argon(StoppingArgon(), rattle=0.05)
    before = atoms.copy()
    path = tmp_path / "npt.h5md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 0.001 K is doubted as a unit slip too
        with pytest.raises(ValueError) as err:
            run_md(atoms, ensemble="npt", steps=300, timestep_fs=5.0, temperature_K=0.001,
                   trajectory=path, progress=False)
    message = str(err.value)
    for words in ("ω·dt = 5 per step", "pdamp_fs = 5000 fs (1000 time steps)",
                  "temperature_K = 0.001 K", "unstable from ω·dt = 2"):
        assert words in message, message
    # two stress evaluations, no MD step, no file, the caller's Atoms as they were
    assert atoms.calc.calls == 2
    assert not path.exists()
    assert np.array_equal(atoms.positions, before.positions)
    assert np.array_equal(atoms.cell, before.cell) and not atoms.get_momenta().any()
    advised = float(message.split("give pdamp_fs ≥ ")[1].split(" fs")[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run_md(argon(StoppingArgon(), rattle=0.05), ensemble="npt", steps=300,
                     timestep_fs=5.0, temperature_K=0.001, pdamp_fs=advised, trajectory=path,
                     progress=False)
    assert np.isfinite(out.get_volume())
    assert abs(out.get_volume() / before.get_volume() - 1) < 0.05


@pytest.mark.parametrize("omega_dt, runs", [(1.8, True), (2.2, False)])
def test_the_refusal_is_where_the_run_explodes(omega_dt, runs, monkeypatch):
    # EMT copper at 50 K, a barostat of ~35-45 steps (above the 20 accepted): the predicted
    # ω·dt, not the pdamp in steps, tells a run that holds from one that flies apart
    kw = dict(ensemble="npt", steps=300, timestep_fs=5.0, temperature_K=50.0, progress=False)
    kw["pdamp_fs"] = _omega_dt_per_fs_of_pdamp(_copper(), 50.0, 5.0) / omega_dt
    if runs:
        out = run_md(_copper(), **kw)
        assert abs(out.get_volume() / _copper().get_volume() - 1) < 0.05
        return
    with pytest.raises(ValueError, match="MTK barostat's volume oscillate at ω·dt = 2.2"):
        run_md(_copper(), **kw)
    # not a refusal of a run that would hold: without the check it explodes within a few
    # steps (blamed on "time step 5.0 fs, model": the box's strain per step stayed below the
    # runaway blame's threshold)
    monkeypatch.setattr(md, "_check_barostat_stiffness", lambda *args, **kwargs: None)
    with pytest.raises(MDInstabilityError, match=r"^step \d: "):
        run_md(_copper(), **kw)


def test_a_protocol_stage_is_refused_by_its_own_names_before_its_file(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as err:
            run_protocol(argon(rattle=0.05), StoppingArgon(), tmp_path, temperature_K=0.001,
                         pressure_bar=200.0, preequilibration_ps=0.05, equilibration_ps=0.05,
                         production_ps=0.05, preequilibration_timestep_fs=5.0, timestep_fs=5.0,
                         write_interval_fs=25.0, observe_interval_fs=5.0, hydrogen_mass=None,
                         progress=False)
    message = str(err.value)
    assert message.startswith("run_protocol's preequilibration stage: "), message
    assert "preequilibration_timestep_fs = 5 fs" in message and "temperature_K" in message
    assert "lengthen pdamp_fs" not in message and "run the stage with run_md" in message
    assert sorted(p.name for p in tmp_path.glob("*.h5md")) == ["relaxed.h5md"]


def test_a_ctrl_c_in_the_stiffness_probe_says_nothing_was_written(tmp_path):
    path = tmp_path / "npt.h5md"
    with pytest.raises(KeyboardInterrupt) as err:
        run_md(argon(StoppingArgon(stop_at=2), rattle=0.05), ensemble="npt", steps=20,
               timestep_fs=5.0, temperature_K=84.0, trajectory=path, progress=False)
    assert err.value.__notes__ == ["run_md: interrupted before its first step, nothing "
                                   "written; the same call runs it"]
    assert not path.exists()
    # the same call runs it
    out = run_md(argon(StoppingArgon(), rattle=0.05), ensemble="npt", steps=20,
                 timestep_fs=5.0, temperature_K=84.0, trajectory=path, progress=False)
    assert out.info["step"] == 20
