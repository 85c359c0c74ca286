"""run_protocol's settings of a stage that does not run are refused, before any work.

``preequilibration_timestep_fs`` and ``hydrogen_mass`` with ``preequilibration_ps = 0``, and a
``pressure_bar`` when no NPT stage runs (no pre-equilibration, no equilibration, an NVT or NVE
production at the packed volume), were ignored without a word, as run_md refuses a coupling its
ensemble lacks. Their defaults are no choice and stay accepted; the same values with the stage
that uses them run.
"""

import re
import warnings

import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import ONE_ATM_BAR, check_protocol_arguments, run_protocol

_BASE = dict(temperature_K=84.0, preequilibration_ps=0.02, equilibration_ps=0.02,
             production_ps=0.02, production_ensemble="nvt", preequilibration_timestep_fs=2.0,
             timestep_fs=5.0, write_interval_fs=10.0, observe_interval_fs=10.0)

_NO_PRE = dict(preequilibration_ps=0)
_NO_NPT = dict(preequilibration_ps=0, equilibration_ps=0)

# (setting, value, the lengths that skip the stage using it, what the message says)
_UNUSED = [
    ("preequilibration_timestep_fs", 5.0, "fs", _NO_PRE,
     "is the pre-equilibration's time step, and preequilibration_ps = 0 skips that stage"),
    ("preequilibration_timestep_fs", 1.0, "fs", _NO_NPT,
     "is the pre-equilibration's time step, and preequilibration_ps = 0 skips that stage"),
    ("hydrogen_mass", 2.0, "amu", _NO_PRE,
     "is the pre-equilibration's hydrogen mass, and preequilibration_ps = 0 skips that stage"),
    ("hydrogen_mass", 4.0, "amu", _NO_NPT,
     "is the pre-equilibration's hydrogen mass, and preequilibration_ps = 0 skips that stage"),
    ("pressure_bar", 200.0, "bar", _NO_NPT,
     "no NPT stage runs (preequilibration_ps = 0, equilibration_ps = 0 and an NVT production"),
    ("pressure_bar", 0.0, "bar", dict(_NO_NPT, production_ensemble="nve"),
     "no NPT stage runs (preequilibration_ps = 0, equilibration_ps = 0 and an NVE production"),
    ("pressure_bar", -50.0, "bar", dict(_NO_NPT, production_ensemble="NVT"),
     "no NPT stage runs (preequilibration_ps = 0, equilibration_ps = 0 and an NVT production"),
]
_IDS = [f"{name}={value:g}-{'+'.join(f'{k}={v}' for k, v in skip.items())}"
        for name, value, _, skip, _ in _UNUSED]


@pytest.mark.parametrize("name, value, unit, skip, said", _UNUSED, ids=_IDS)
def test_a_setting_of_a_skipped_stage_is_refused_by_the_check(name, value, unit, skip, said):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=rf"^{name} = {value:g} {unit} .*{re.escape(said)}"
                                             rf".*it would have no effect; leave out {name}, "
                                             "or give"):
            check_protocol_arguments(**dict(_BASE, **skip, **{name: value}))


@pytest.mark.parametrize("name, value, unit, skip, said", _UNUSED, ids=_IDS)
def test_run_protocol_refuses_it_before_any_evaluation(name, value, unit, skip, said, tmp_path):
    calc = StoppingArgon()
    folder = tmp_path / "run"
    atoms = argon(rattle=0.05)
    atoms.numbers[0] = 1  # a hydrogen: hydrogen_mass is refused for its stage, not the box
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=rf"^{name} = {value:g} {unit} .*{re.escape(said)}"):
            run_protocol(atoms, calc, folder, progress=False,
                         **dict(_BASE, **skip, **{name: value}))
    assert calc.calls == 0
    assert not folder.exists()


@pytest.mark.parametrize("name, value, unit, skip, said", _UNUSED, ids=_IDS)
def test_the_default_or_the_stage_that_uses_it_is_accepted(name, value, unit, skip, said):
    """The controls: the default (and None for hydrogen_mass) with the stage skipped, and the
    value itself with every stage run."""
    defaults = {"preequilibration_timestep_fs": [2.0], "hydrogen_mass": [3.0, None],
                "pressure_bar": [ONE_ATM_BAR]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for default in defaults[name]:
            check_protocol_arguments(**dict(_BASE, **skip, **{name: default}))
        check_protocol_arguments(**dict(_BASE, **{name: value}))
