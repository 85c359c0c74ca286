"""What run_protocol's caller reads names run_protocol's arguments, not run_md's.

Inside run_protocol an exploding barostat said "lengthen pdamp_fs", the temperature guard
"max_temperature_factor", the displacement guard "max_displacement", the blame "time step 2.0
fs" (of which stage?), an unconverged relaxation "raise steps": settings run_protocol does not
take. A stage file of another run was refused as "settings differ in ['steps']" or
"['ensemble', 'pdamp_fs', 'pressure_bar']" with two dumps of run_md's records, for a longer
pre-equilibration or another production ensemble. Now each names the stage and the protocol's
argument (``preequilibration_timestep_fs``, ``preequilibration_ps``, ``production_ensemble``,
``relax_fmax``) with the stored and the given value, and says where run_protocol fixes a setting.
"""

import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones
from stopping_argon import StoppingArgon, argon

import ase_electrolyte.md as md
from ase_electrolyte.md import (
    MDInstabilityError,
    RelaxationNotConvergedWarning,
    check_protocol_arguments,
    run_md,
    run_protocol,
)


@pytest.fixture
def without_barostat_precheck(monkeypatch):
    """The runaway barostats below are refused before their first step now (their stiffness is
    measured at the start: tests/test_md22_barostat_precheck.py); without that check they run
    and explode, and the blame of a runaway met during a run (a box that stiffens as it is
    compressed) is what these tests keep."""
    monkeypatch.setattr(md, "_check_barostat_stiffness", lambda *args, **kwargs: None)


# run_md keywords run_protocol does not take: none may be offered to its caller as a remedy
_RUN_MD_ONLY = ("lengthen pdamp_fs", "lengthen tdamp_fs", "max_displacement",
                "max_temperature_factor", "raise steps", "the time step (")


def _copper():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=1)
    return atoms


def _explosion(atoms, calc, folder, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unit doubts are said before, by the checks
        with pytest.raises(MDInstabilityError) as err:
            run_protocol(atoms, calc, folder, progress=False, **kw)
    message = str(err.value)
    for words in _RUN_MD_ONLY:
        assert words not in message, message
    return message


def test_a_runaway_barostat_names_the_stage_and_the_protocols_arguments(
        tmp_path, without_barostat_precheck):
    # the lead case: argon at 0.001 K (k_B·T in eV?) in the heavy-hydrogen NPT stage
    message = _explosion(
        argon(rattle=0.05), StoppingArgon(), tmp_path, temperature_K=0.001,
        preequilibration_ps=0.5, equilibration_ps=0.1, production_ps=0.1,
        preequilibration_timestep_fs=5.0, timestep_fs=5.0, write_interval_fs=50.0,
        observe_interval_fs=10.0)
    assert message.startswith("run_protocol's preequilibration stage, step ")
    for words in ("MTK barostat ran away", "temperature_K = 0.001 K",
                  "preequilibration_timestep_fs = 5 fs", "5000 fs (1000 time steps",
                  "relax_fmax", "run_md and a longer pdamp_fs",
                  "rather than preequilibration_timestep_fs (5 fs)"):
        assert words in message, message


def test_a_runaway_thermostat_names_the_production_and_its_time_step(tmp_path):
    message = _explosion(
        _copper(), EMT(), tmp_path, temperature_K=0.001, preequilibration_ps=0.0,
        equilibration_ps=0.0, production_ps=0.6, production_ensemble="nvt", timestep_fs=2.0,
        write_interval_fs=20.0)
    assert message.startswith("run_protocol's production stage, step ")
    for words in ("Nosé–Hoover thermostat ran away", "temperature_K = 0.001 K",
                  "200 fs (100 time steps of timestep_fs = 2 fs", "relax_fmax",
                  "run_md and a longer tdamp_fs"):
        assert words in message, message


@pytest.mark.parametrize("ensemble", ["nvt", "nve"])
def test_a_time_step_far_too_long_names_timestep_fs_and_the_protocols_limit(ensemble, tmp_path):
    message = _explosion(
        _copper(), EMT(), tmp_path, temperature_K=300.0, preequilibration_ps=0.0,
        equilibration_ps=0.0, production_ps=6.0, production_ensemble=ensemble,
        timestep_fs=60.0, write_interval_fs=60.0)
    assert message.startswith("run_protocol's production stage, step 1: temperature ")
    assert "run_protocol's limit: 3 × the larger of temperature_K and 300 K" in message
    assert "timestep_fs = 60 fs, model" in message


def test_run_md_keeps_naming_its_own_keywords(without_barostat_precheck):
    atoms = argon(StoppingArgon(), rattle=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(MDInstabilityError) as err:
            run_md(atoms, ensemble="npt", steps=300, timestep_fs=5.0, temperature_K=0.001,
                   progress=False)
    message = str(err.value)
    assert message.startswith("step ")
    assert "pdamp_fs = 5000 fs" in message and "limit max_displacement = 0.5 Å" in message
    assert "run_protocol" not in message


def test_an_overflowed_barostat_is_blamed_when_an_atom_jumps(without_barostat_precheck):
    """EMT copper in NPT at 0.001 K: the barostat momentum is NaN after the first step while
    the atoms are still finite, one thrown 0.9 Å; the displacement guard blamed "time step
    2.0 fs, model", since the overflow was considered only for non-finite values."""
    atoms = _copper()
    atoms.calc = EMT()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(MDInstabilityError, match="moved .* Å in one step") as err:
            run_md(atoms, ensemble="npt", steps=50, timestep_fs=2.0, temperature_K=0.001,
                   progress=False)
    message = str(err.value)
    assert "MTK barostat ran away (the box length overflowed" in message, message
    assert "temperature_K = 0.001 K" in message
    assert "rather than the time step" in message


def test_an_unconverged_relaxation_names_relax_fmax_not_steps(tmp_path, monkeypatch):
    monkeypatch.setattr(md, "_RELAX_STEPS", 2)  # the protocol's relaxation runs out at once
    calc = StoppingArgon()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", RelaxationNotConvergedWarning)
        with pytest.raises(RelaxationNotConvergedWarning) as err:
            run_protocol(argon(rattle=0.3), calc, tmp_path, temperature_K=84.0,
                         relax_fmax=1e-4, production_ps=0.05, timestep_fs=5.0,
                         preequilibration_timestep_fs=5.0, write_interval_fs=25.0,
                         progress=False)
    message = str(err.value)
    assert message.startswith("run_protocol's relaxation: ")
    assert "above relax_fmax = 0.0001 eV/Å" in message and "its 2 optimizer steps" in message
    assert "raise steps" not in message


class _NoStress(LennardJones):
    implemented_properties = ["energy", "forces", "energies"]


def test_a_calculator_without_stress_is_told_which_stages_to_skip(tmp_path):
    calc = _NoStress(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
    with pytest.raises(ValueError, match="needs the stress") as err:
        run_protocol(argon(rattle=0.05), calc, tmp_path, temperature_K=84.0, progress=False)
    message = str(err.value)
    for words in ("preequilibration_ps=0", "equilibration_ps=0", "production_ensemble='nvt'"):
        assert words in message, message
    assert not (tmp_path / "relaxed.h5md").exists()


_PROTOCOL = dict(temperature_K=84.0, pressure_bar=200.0, preequilibration_ps=0.05,
                 equilibration_ps=0.05, production_ps=0.05, preequilibration_timestep_fs=5.0,
                 timestep_fs=5.0, write_interval_fs=25.0, observe_interval_fs=5.0,
                 hydrogen_mass=None, progress=False)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    folder = tmp_path_factory.mktemp("md21") / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_protocol(argon(rattle=0.05), StoppingArgon(), folder, **_PROTOCOL)
    return folder


# each argument changed, the stage whose file the change makes stale first, and what the
# message says of it: the argument, the stored and the given value
_CHANGES = [
    ({"relax_fmax": 1.0}, "relaxed", "relax_fmax stored 2 eV/Å, now 1 eV/Å"),
    ({"temperature_K": 90.0}, "preequilibration", "temperature_K stored 84 K, now 90 K"),
    ({"pressure_bar": 100.0}, "preequilibration", "pressure_bar stored 200 bar, now 100 bar"),
    # hydrogen_mass of this argon box is refused as a setting without effect, before any file
    # is compared (test_md51_hydrogen_mass_without_hydrogen)
    ({"seed": 3}, "preequilibration", "seed stored 0, now 3"),
    ({"preequilibration_ps": 0.1}, "preequilibration",
     "preequilibration_ps stored 0.05 ps (10 steps of 5 fs), now 0.1 ps (20 steps of 5 fs)"),
    ({"equilibration_ps": 0.1}, "equilibration",
     "equilibration_ps stored 0.05 ps (10 steps of 5 fs), now 0.1 ps (20 steps of 5 fs)"),
    ({"production_ps": 0.1}, "production",
     "production_ps stored 0.05 ps (10 steps of 5 fs), now 0.1 ps (20 steps of 5 fs)"),
    ({"production_ensemble": "NVT"}, "production",
     "production_ensemble stored 'npt', now 'nvt'"),
    ({"preequilibration_timestep_fs": 2.5}, "preequilibration",
     "preequilibration_timestep_fs stored 5 fs, now 2.5 fs"),
    ({"timestep_fs": 2.5}, "equilibration", "timestep_fs stored 5 fs, now 2.5 fs"),
    ({"write_interval_fs": 50.0}, "preequilibration",
     "write_interval_fs stored 25 fs (5 steps of 5 fs), now 50 fs (10 steps of 5 fs)"),
    ({"observe_interval_fs": 10.0}, "preequilibration",
     "observe_interval_fs stored 5 fs (1 step of 5 fs), now 10 fs (2 steps of 5 fs)"),
    ({"calculator": 0.0110}, "relaxed", "calculator in parameters['epsilon']"),
]


@pytest.mark.parametrize("change, stage, said", _CHANGES,
                         ids=[next(iter(c)) for c, _, _ in _CHANGES])
def test_a_stale_stage_file_names_the_protocol_argument_that_changed(
        change, stage, said, finished, tmp_path):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    change = dict(change)
    calc = StoppingArgon()
    if "calculator" in change:
        calc.parameters["epsilon"] = change.pop("calculator")
    argument = said.split(" ")[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=f"run_protocol's {stage} stage: ") as err:
            run_protocol(argon(rattle=0.05), calc, folder, **dict(_PROTOCOL, **change))
    message = str(err.value)
    assert calc.calls == 0
    assert f"its settings differ in ['{argument}']: {said}" in message, message
    # run_md's record keys, which the protocol's caller never gives, are not named
    for key in ("'steps'", "'write_interval'", "'observe_interval'", "'ensemble'",
                "'pdamp_fs'", "'tdamp_fs'", "'fmax'"):
        assert key not in message, message
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_the_same_arguments_reuse_every_stage(finished, tmp_path):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(finished, folder)
    calc = StoppingArgon()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the ensemble in capitals is the same run: one spelling recorded
        result = run_protocol(argon(rattle=0.05), calc, folder,
                              **dict(_PROTOCOL, production_ensemble="NPT"))
    assert calc.calls == 0
    assert np.isfinite(result.density.value)


@pytest.mark.parametrize("name, other", [("preequilibration_timestep_fs", "timestep_fs"),
                                         ("timestep_fs", "preequilibration_timestep_fs")])
def test_a_long_time_step_is_doubted_by_its_own_name(name, other):
    # 10 fs: the pre-equilibration's tritium (hydrogen_mass = 3 amu) is stable to 8.6 fs
    steps = {"preequilibration_timestep_fs": 2.0, "timestep_fs": 1.0, name: 10.0}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_protocol_arguments(temperature_K=300.0, write_interval_fs=100.0,
                                 observe_interval_fs=20.0, **steps)
    doubts = [str(w.message) for w in caught if " is long " in str(w.message)]
    assert len(doubts) == 1 and doubts[0].startswith(f"{name} = 10 fs is long "), doubts
    assert doubts[0].endswith("is it in another unit?"), doubts


def test_a_frame_interval_longer_than_the_production_names_write_interval_fs():
    with pytest.raises(ValueError, match=r"^production_ps = 0.05 ps is shorter than one frame "
                                         r"interval \(write_interval_fs = 1e\+300 fs\)"):
        check_protocol_arguments(temperature_K=300.0, production_ps=0.05,
                                 write_interval_fs=1e300)


_SHORT = dict(_PROTOCOL, preequilibration_ps=0.03, equilibration_ps=0.03, production_ps=0.03,
              write_interval_fs=15.0)


def test_an_interrupted_stage_is_named_as_the_protocol_knows_it_and_resumes(tmp_path):
    from ase_electrolyte.trajectory import h5md_info

    calc = StoppingArgon()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = run_protocol(argon(rattle=0.05), calc, tmp_path / "whole", **_SHORT)
    n = calc.calls
    for stop in sorted({1, n // 4, n // 2, 3 * n // 4, n}):
        folder = tmp_path / f"stop{stop}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(KeyboardInterrupt) as err:
                run_protocol(argon(rattle=0.05), StoppingArgon(stop_at=stop), folder, **_SHORT)
            # the first stage not complete: an NPT stage's start is probed (its stiffness)
            # before its file is written, so a stage can be running without a file
            running = next(name for name in ("relaxed", "preequilibration", "equilibration",
                                             "production")
                           if not (folder / f"{name}.h5md").exists()
                           or not h5md_info(folder / f"{name}.h5md")["complete"])
            stage = ("run_protocol's relaxation" if running == "relaxed"
                     else f"run_protocol's {running} stage")
            notes = err.value.__notes__
            # the stage as the caller knows it, and what rerunning does; no run_md/relax call
            assert notes[0].startswith(f"{stage}: "), notes
            assert "a rerun with the same arguments" in notes[0]
            assert notes[1].startswith("run_protocol: interrupted; finished stage files in ")
            again = run_protocol(argon(rattle=0.05), StoppingArgon(), folder, **_SHORT)
        np.testing.assert_allclose(again.atoms.positions, whole.atoms.positions, rtol=0,
                                   atol=1e-9)
        assert again.density.value == pytest.approx(whole.density.value, rel=1e-12)


def test_a_barostat_at_ases_advice_is_not_told_to_lengthen_to_it(without_barostat_precheck):
    """run_md's barostat of 1000 time steps (its default, ASE's advice) that ran away was told
    "lengthen pdamp_fs (ASE advises 1000 time steps, 5000 fs)": the value it had."""
    atoms = argon(StoppingArgon(), rattle=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(MDInstabilityError, match="MTK barostat ran away") as err:
            run_md(atoms, ensemble="npt", steps=300, timestep_fs=5.0, temperature_K=0.001,
                   progress=False)
    message = str(err.value)
    assert "pdamp_fs = 5000 fs (1000 time steps)" in message
    assert "ASE advises 1000 time steps" not in message
    assert "beyond ASE's advice of 1000 time steps" in message


def test_a_hydrogen_too_light_for_the_step_names_hydrogen_mass(tmp_path):
    """A pre-equilibration that exploded with hydrogen at 0.01 amu blamed
    "preequilibration_timestep_fs = 5 fs, model": the protocol's other knob went unnamed."""
    atoms = argon(rattle=0.05)
    atoms.numbers[:8] = 1  # the pair potential treats them alike; their mass is hydrogen's
    message = _explosion(
        atoms, StoppingArgon(), tmp_path, temperature_K=84.0, pressure_bar=200.0,
        preequilibration_ps=0.5, equilibration_ps=0.05, production_ps=0.05,
        preequilibration_timestep_fs=5.0, timestep_fs=5.0, write_interval_fs=25.0,
        observe_interval_fs=5.0, hydrogen_mass=0.01)
    assert message.startswith("run_protocol's preequilibration stage, step ")
    assert "preequilibration_timestep_fs = 5 fs with hydrogen_mass = 0.01 amu" in message
