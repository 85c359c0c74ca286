"""run_protocol records the pre-equilibration's hydrogen mass (amu) among its given settings,
and a rerun with another hydrogen mass reuses no stage that it acted on.

ProtocolResult.settings held the pre-equilibration's time step but not the mass it was chosen
for (units had no amu): a record of a 2 fs step did not say whether hydrogen was tritium or real.
"""

import warnings

import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.md import run_protocol

_RUN = dict(temperature_K=84.0, pressure_bar=200.0, timestep_fs=1.0,
            preequilibration_timestep_fs=1.0, write_interval_fs=5.0, observe_interval_fs=1.0,
            preequilibration_ps=0.01, equilibration_ps=0.0, production_ps=0.01, progress=False)


def _box(hydrogens=4):
    """32 Lennard-Jones argon atoms, the first ``hydrogens`` of them hydrogen (the mass is
    all that differs: the pair potential treats every atom alike)."""
    atoms = argon(rattle=0.05)
    numbers = atoms.numbers.copy()
    numbers[:hydrogens] = 1
    atoms.numbers = numbers
    return atoms


def _protocol(folder, atoms=None, calc=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a 1 fs step with hydrogen is doubted
        return run_protocol(_box() if atoms is None else atoms, calc or StoppingArgon(),
                            folder, **{**_RUN, **kw})


@pytest.mark.parametrize("hydrogen_mass", [3.0, 2.0])
def test_the_hydrogen_mass_is_a_given_setting_in_amu(tmp_path, hydrogen_mass):
    result = _protocol(tmp_path / "run", hydrogen_mass=hydrogen_mass)
    setting = result.settings["hydrogen_mass"]
    assert isinstance(setting, Estimate) and setting.given and setting.valid
    assert setting.value == hydrogen_mass and setting.unit == "amu" and setting.stderr == 0.0
    assert setting.method == "given (run_protocol(hydrogen_mass=))"
    record = result.settings_record()["hydrogen_mass"]
    assert record["given"] and Estimate.from_dict(record) == setting
    assert "hydrogen_mass" not in result.estimates()


@pytest.mark.parametrize("atoms, kw", [
    (_box(), dict(hydrogen_mass=None)),                   # real masses: no setting acted
    (_box(0), {}),                                        # no hydrogen: the default acts on none
    (_box(), dict(preequilibration_ps=0.0, preequilibration_timestep_fs=2.0,
                  equilibration_ps=0.01)),               # no such stage ran
])
def test_no_hydrogen_mass_where_none_acted(tmp_path, atoms, kw):
    result = _protocol(tmp_path / "run", atoms, **kw)
    assert "hydrogen_mass" not in result.settings
    assert "timestep_fs" in result.settings


@pytest.mark.parametrize("first, again, stop_at", [
    (3.0, 4.0, None),
    (3.0, None, 8),  # interrupted in the pre-equilibration: not resumed at another mass
])
def test_a_rerun_with_another_hydrogen_mass_reuses_no_stage(tmp_path, first, again, stop_at):
    folder = tmp_path / "run"
    if stop_at is None:
        _protocol(folder, hydrogen_mass=first)
    else:  # interrupted in the pre-equilibration
        with pytest.raises(KeyboardInterrupt):
            _protocol(folder, calc=StoppingArgon(stop_at=stop_at), hydrogen_mass=first)
    calc = StoppingArgon()
    with pytest.raises(ValueError, match=r"preequilibration stage.*hydrogen_mass stored"):
        _protocol(folder, calc=calc, hydrogen_mass=again)
    assert calc.calls == 0  # refused before any evaluation
    # the same mass reuses (or resumes) it, and says the mass it ran
    result = _protocol(folder, hydrogen_mass=first)
    if first is None:
        assert "hydrogen_mass" not in result.settings
    else:
        assert result.settings["hydrogen_mass"].value == first
