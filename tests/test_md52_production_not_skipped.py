"""A zero ``production_ps`` skips no stage: run_protocol's results and trajectory are the
production's. It was refused as "shorter than one frame interval ... shorten
write_interval_fs", advice that can never make it run, and with both NPT stages skipped a
``pressure_bar`` beside it was blamed instead (``no NPT stage runs (... production_ps = 0)``).
Zero is now refused as what it is, first, by check_protocol_arguments (run_protocol, the
command) and production_steps; a positive production shorter than a frame interval keeps its
own message.
"""

import re
import warnings

import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import (
    check_protocol_arguments,
    production_steps,
    protocol_steps,
    run_protocol,
)

_SAID = "production_ps = 0 ps: the production cannot be skipped"

# the settings beside it that would otherwise be judged first, in every combination of stages
_BESIDE = [
    dict(),
    dict(preequilibration_ps=0.0, equilibration_ps=0.0),
    dict(preequilibration_ps=0.0, equilibration_ps=0.0, pressure_bar=200.0),
    dict(preequilibration_ps=0.0, equilibration_ps=0.0, production_ensemble="nve",
         pressure_bar=-5.0),
    dict(preequilibration_ps=0.0, equilibration_ps=0.02, production_ensemble="nvt"),
    dict(preequilibration_ps=0.02, equilibration_ps=0.0, production_ensemble="npt"),
    dict(write_interval_fs=1.0, timestep_fs=1.0),
]


@pytest.mark.parametrize("beside", _BESIDE)
@pytest.mark.parametrize("zero", [0, 0.0, -0.0])
def test_the_check_says_the_production_cannot_be_skipped(beside, zero):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="^" + re.escape(_SAID)) as caught:
            check_protocol_arguments(temperature_K=84.0, production_ps=zero, **beside)
    assert "shorten write_interval_fs" not in str(caught.value)


@pytest.mark.parametrize("write_interval_fs, timestep_fs, interval", [
    (100.0, 1.0, "100 fs"), (4.0, 2.0, "4 fs"), (0.5, 2.0, "2 fs")])
def test_the_steps_say_it_with_the_interval_needed(write_interval_fs, timestep_fs, interval):
    with pytest.raises(ValueError, match="^" + re.escape(_SAID)
                       + rf".*at least one frame interval \({interval}\)"):
        production_steps(0.0, timestep_fs, write_interval_fs)
    # the plan lists it as a stage of no step (what run_protocol never runs), as before
    assert protocol_steps(production_ps=0.0, timestep_fs=timestep_fs,
                          write_interval_fs=write_interval_fs)["production"].steps == 0


def test_run_protocol_refuses_it_before_any_evaluation(tmp_path):
    calc = StoppingArgon()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="^" + re.escape(_SAID)):
            run_protocol(argon(rattle=0.05), calc, tmp_path / "run", temperature_K=84.0,
                         preequilibration_ps=0.0, equilibration_ps=0.0, production_ps=0.0,
                         production_ensemble="nvt", pressure_bar=200.0, progress=False)
    assert calc.calls == 0
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("production_ps", [0.001, 0.05])
def test_a_positive_production_under_one_interval_keeps_its_message(production_ps):
    """The control: a production shorter than one frame interval, but not zero."""
    with pytest.raises(ValueError, match=rf"^production_ps = {production_ps} ps is shorter "
                                         r"than one frame interval"):
        check_protocol_arguments(temperature_K=84.0, production_ps=production_ps)
