"""run_protocol's result carries the settings it ran with as given values
(``Estimate.given_value``), for the run record (``simulation.json``) to show them as settings,
not as bare numbers beside the measured ones; and the record's comparison of physics
(``physics_record``) is a public, documented function.
"""

import warnings

import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.estimate import Estimate
from ase_electrolyte.md import physics_record, run_protocol

_RUN = dict(temperature_K=84.0, pressure_bar=200.0, timestep_fs=5.0, write_interval_fs=25.0,
            observe_interval_fs=5.0, progress=False)


def _protocol(folder, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_protocol(argon(rattle=0.05), StoppingArgon(), folder, **{**_RUN, **kw})


@pytest.mark.parametrize("kw, stages, pressure", [
    (dict(preequilibration_ps=0.05, preequilibration_timestep_fs=5.0, equilibration_ps=0.05,
          production_ps=0.05),
     ("preequilibration", "equilibration", "production"), True),
    (dict(preequilibration_ps=0.0, equilibration_ps=0.05, production_ps=0.075,
          production_ensemble="nvt"), ("equilibration", "production"), True),
])
def test_the_settings_are_given_values_of_what_ran(tmp_path, kw, stages, pressure):
    result = _protocol(tmp_path / "run", **kw)
    settings = result.settings
    for value in settings.values():
        assert isinstance(value, Estimate) and value.given and value.valid
        assert value.stderr == 0.0 and value.method.startswith("given (run_protocol(")
    assert settings["temperature_K"].value == 84.0 and settings["temperature_K"].unit == "K"
    assert ("pressure_bar" in settings) == pressure
    if pressure:
        assert settings["pressure_bar"].value == 200.0
    assert settings["timestep_fs"].value == 5.0 and settings["timestep_fs"].unit == "fs"
    assert ("preequilibration_timestep_fs" in settings) == ("preequilibration" in stages)
    assert {k for k in settings if k.endswith("_ps")} == {f"{s}_ps" for s in stages}
    for name in stages:
        assert settings[f"{name}_ps"].value == pytest.approx(kw[f"{name}_ps"])
    # the record keeps the given flag; the measured numbers are not among them
    record = result.settings_record()
    assert all(entry["given"] for entry in record.values())
    assert Estimate.from_dict(record["temperature_K"]) == settings["temperature_K"]
    assert "temperature_K" not in result.estimates()


def test_a_pressure_that_acted_on_no_stage_is_no_setting_of_the_run(tmp_path):
    result = _protocol(tmp_path / "run", preequilibration_ps=0.0, equilibration_ps=0.0,
                       production_ps=0.05, production_ensemble="nvt", pressure_bar=1.01325)
    assert "pressure_bar" not in result.settings
    assert set(result.settings) == {"temperature_K", "relax_fmax", "timestep_fs",
                                    "production_ps"}


@pytest.mark.parametrize("calculator, kept", [
    ({"name": "sevennet", "enable_cueq": True, "modal": None}, {"name": "sevennet",
                                                                  "modal": None}),
    ({"terms": [{"name": "mace", "enable_cueq": False}, {"name": "d3"}]},
     {"terms": [{"name": "mace"}, {"name": "d3"}]}),
    ({"name": "lj"}, {"name": "lj"}),
])
def test_physics_record_drops_kernel_choices_only(calculator, kept):
    record = {"calculator": calculator, "steps": 10, "timestep_fs": 1.0}
    before = repr(record)
    out = physics_record(record)
    assert out == {"calculator": kept, "steps": 10, "timestep_fs": 1.0}
    assert repr(record) == before  # the caller's record is not changed
    assert physics_record({"steps": 3}) == {"steps": 3}
    assert physics_record(None) is None
    assert physics_record.__doc__ and "Examples" in physics_record.__doc__
