"""Frame and sampling intervals of run_protocol that are no whole number of time steps.

They are rounded (protocol_steps): check_protocol_arguments says so once, naming the step, what
is run and the whole steps either side; a frame interval under half a step (every step is
then more than twice the interval asked: 0.1 ps typed in fs) is said too.
"""

import argparse
import re
import warnings

import numpy as np
import pytest

from ase_electrolyte.md import check_protocol_arguments, protocol_steps


def _said(**kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_protocol_arguments(temperature_K=300, **kw)
    return [str(w.message) for w in caught]


@pytest.mark.parametrize("arg, value, dt", [
    ("write_interval_fs", 2.5, 1.0), ("write_interval_fs", 7.3, 0.5),
    ("write_interval_fs", 9.0, 2.0), ("observe_interval_fs", 15.0, 2.0),
    ("observe_interval_fs", 3.4, 1.0),
])
def test_an_interval_off_the_grid_names_the_whole_steps_either_side(arg, value, dt):
    kw = {arg: value, "preequilibration_timestep_fs": dt, "timestep_fs": dt,
          "production_ps": 1.0}
    said = [m for m in _said(**kw) if m.startswith(f"{arg} = ")]
    assert len(said) == 1
    stage = protocol_steps(**kw)["preequilibration"]
    run = {"write_interval_fs": stage.write_interval,
           "observe_interval_fs": stage.observe_interval}[arg]
    assert f"is {run} step{'s' * (run != 1)} ({run * dt:g} fs)" in said[0]
    lo, hi = map(float, re.search(r"nearest whole steps are (\S+) or (\S+) fs", said[0]).groups())
    # both on the step grid, bracketing the value, one step apart, the run's interval one of them
    assert lo <= value <= hi and hi - lo == pytest.approx(dt)
    assert np.allclose(np.array([lo, hi]) / dt, np.round(np.array([lo, hi]) / dt))
    assert run * dt in (lo, hi)


@pytest.mark.parametrize("value, dt", [(0.1, 1.0), (0.3, 1.0), (0.9, 2.0), (0.01, 0.5)])
def test_a_frame_interval_under_half_a_step_is_said_with_its_unit_doubt(value, dt):
    kw = dict(write_interval_fs=value, preequilibration_timestep_fs=dt, timestep_fs=dt,
              production_ps=1.0)
    said = [m for m in _said(**kw) if m.startswith("write_interval_fs = ")]
    assert len(said) == 1
    assert protocol_steps(**kw)["production"].write_interval == 1  # every step, as said
    assert f"is 1 step ({dt:g} fs), {dt / value:.3g} times the interval asked" in said[0]
    assert f"is it in ps? {value:g} ps = {value * 1000:g} fs" in said[0]


@pytest.mark.parametrize("kw", [
    # a 2 fs step of a stage not run; the production samples every step whatever the
    # sampling interval (an interval below the step of a stage that runs is said, as every
    # interval its step does not divide: test_cli48_interval_rounding)
    {"write_interval_fs": 1.0, "preequilibration_timestep_fs": 2.0},
    {"observe_interval_fs": 0.1, "equilibration_ps": 0.0},
])
def test_an_interval_of_a_stage_not_run_or_the_production_sampling_is_not_said(kw):
    kw.setdefault("preequilibration_ps", 0.0)
    assert _said(**kw) == []


def test_the_command_names_its_option_in_the_frame_interval_doubt():
    from electrolyte_cli.simulate import check_protocol

    args = argparse.Namespace(
        temperature=298.0, pressure=1.01325, relax_fmax=2.0, preequilibration_ps=0.0,
        equilibration_ps=1.0, production_ps=1.0, ensemble="nvt", write_interval_fs=0.1)
    with pytest.warns(UserWarning, match=r"^--write-interval-fs 0\.1 fs is not a multiple of "
                                         r"the 1 fs time step.*is it in ps\? 0\.1 ps = 100 fs"):
        check_protocol(args)
