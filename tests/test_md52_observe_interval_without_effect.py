"""run_protocol's ``observe_interval_fs`` samples the pre-equilibration and the equilibration
only; the production records every step whatever it is. With both NPT stages skipped, an
interval longer than the step ran without a word and changed nothing: it is refused, before
any work, as the other settings of a skipped stage are. One that rounds to every step asks for
what the production does, and with a stage that samples at it any interval is accepted (the
stage's file holds samples on that grid).
"""

import warnings

import numpy as np
import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import check_protocol_arguments, protocol_steps, run_protocol

_BASE = dict(temperature_K=84.0, preequilibration_ps=0.0, equilibration_ps=0.0,
             production_ps=0.02, timestep_fs=5.0, write_interval_fs=10.0)
_SAID = (r"^observe_interval_fs = {value:g} fs is the sampling interval of the "
         r"pre-equilibration and the equilibration, and preequilibration_ps = 0, "
         r"equilibration_ps = 0 skip both; the production records every step \(5 fs\) "
         r"whatever the interval: it would have no effect; leave out observe_interval_fs")

# every production without a sampled NPT stage; intervals of 2, 3, 4 and 200 steps of 5 fs, and
# 7.5 fs (1.5 steps, rounded to 2)
_CASES = [(ensemble, value) for ensemble in ("nvt", "nve", "npt", "NVT")
          for value in (10.5, 15.0, 20.0, 1e3, 7.5)]
# intervals that round to every step (5 fs): what the production does
_EVERY_STEP = [5.0, 2.5, 0.1, 7.4]


@pytest.mark.parametrize("ensemble, value", _CASES)
def test_the_check_refuses_it(ensemble, value):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=_SAID.format(value=value)):
            check_protocol_arguments(**_BASE, production_ensemble=ensemble,
                                     observe_interval_fs=value)


@pytest.mark.parametrize("ensemble", ["nvt", "nve", "npt"])
def test_run_protocol_refuses_it_before_any_evaluation(ensemble, tmp_path):
    calc = StoppingArgon()
    folder = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=_SAID.format(value=20.0)):
            run_protocol(argon(rattle=0.05), calc, folder, progress=False,
                         production_ensemble=ensemble, observe_interval_fs=20.0, **_BASE)
    assert calc.calls == 0
    assert not folder.exists()


@pytest.mark.parametrize("stage", ["preequilibration_ps", "equilibration_ps"])
@pytest.mark.parametrize("ensemble", ["nvt", "npt"])
def test_accepted_with_a_stage_that_samples_at_it(stage, ensemble):
    """The controls: the default with both stages skipped, and the value with either stage."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_protocol_arguments(**_BASE, production_ensemble=ensemble)
        check_protocol_arguments(**_BASE, production_ensemble=ensemble,
                                 observe_interval_fs=10.0)
        # up to the stage's length: a longer one samples the stage's first step alone, and is
        # refused (test_md54_stage_sampling)
        for value in (10.0, 20.0):
            check_protocol_arguments(**dict(_BASE, **{stage: 0.02}),
                                     production_ensemble=ensemble, observe_interval_fs=value)


@pytest.mark.parametrize("value", _EVERY_STEP)
def test_an_interval_of_every_step_asks_what_the_production_does(value):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_protocol_arguments(**_BASE, production_ensemble="nvt", observe_interval_fs=value)


def test_the_production_records_every_step_whatever_the_interval():
    """Why it has no effect: the plan's production samples every step for any interval."""
    plans = [protocol_steps(preequilibration_ps=0.0, equilibration_ps=0.0, production_ps=0.02,
                            timestep_fs=5.0, write_interval_fs=10.0, observe_interval_fs=value)
             for value in (5.0, 10.0, 20.0, 1e3)]
    assert {plan["production"] for plan in plans} == {plans[0]["production"]}
    assert plans[0]["production"].observe_interval == 1


def test_the_equilibration_samples_on_the_interval_given(tmp_path):
    """And where it acts, it acts: 20 fs samples of a 5 fs equilibration are every 4 steps."""
    from ase_electrolyte.trajectory import h5md_series

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_protocol(argon(rattle=0.05), StoppingArgon(), tmp_path / "run",
                              progress=False, relax_fmax=0.5, production_ensemble="nvt",
                              observe_interval_fs=20.0,
                              **dict(_BASE, equilibration_ps=0.04))
    step, time_ps, _ = h5md_series(result.files["equilibration"], "density")
    assert np.allclose(np.diff(time_ps), 0.020)
    assert np.array_equal(np.diff(step), np.full(len(step) - 1, 4))
