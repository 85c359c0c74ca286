"""Every frame or sampling interval that its stage's time step does not divide is said, once,
in one line naming what is run (issue #16: ``--write-interval-fs 0.75`` with 1 fs steps wrote
every 1 fs, and 100.5 fs every 100 fs, without a word: a 1 % tolerance and "shorter than a step
is every step" kept them silent). Said rather than refused: one interval serves stages of
different time steps (1 fs frames beside the 2 fs pre-equilibration), which a refusal would
leave no way to ask for.
"""

import argparse
import re
import warnings

import pytest

from ase_electrolyte.md import check_protocol_arguments, protocol_steps


def _said(**kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_protocol_arguments(temperature_K=300, **kw)
    return [str(w.message) for w in caught]


@pytest.mark.parametrize("arg, value, dt, stage", [
    # between half a step and a step: every step, silent before
    ("write_interval_fs", 0.75, 1.0, "production"),
    ("write_interval_fs", 0.5, 1.0, "production"),
    ("write_interval_fs", 1.0, 2.0, "preequilibration"),
    ("write_interval_fs", 1.5, 2.0, "preequilibration"),
    # within 1 % of a whole number of steps: rounded, silent before
    ("write_interval_fs", 100.5, 1.0, "production"),
    ("write_interval_fs", 99.2, 2.0, "preequilibration"),
    ("observe_interval_fs", 10.05, 1.0, "equilibration"),
    ("observe_interval_fs", 1.0, 2.0, "preequilibration"),
    ("observe_interval_fs", 0.6, 1.0, "equilibration"),
])
def test_an_interval_the_step_does_not_divide_is_said_with_what_is_run(arg, value, dt, stage):
    kw = {arg: value, "timestep_fs": 1.0, "preequilibration_timestep_fs": 2.0,
          "preequilibration_ps": 1.0, "equilibration_ps": 1.0, "production_ps": 2.0}
    said = [m for m in _said(**kw) if m.startswith(f"{arg} = ") and f"the {dt:g} fs" in m]
    assert len(said) == 1, _said(**kw)
    plan = protocol_steps(**kw)[stage]
    run = {"write_interval_fs": plan.write_interval,
           "observe_interval_fs": plan.observe_interval}[arg]
    assert stage in said[0]
    assert f"is {run} step{'s' * (run != 1)} ({run * dt:g} fs)" in said[0]
    assert "\n" not in said[0]


@pytest.mark.parametrize("kw", [
    {"write_interval_fs": 100.0}, {"write_interval_fs": 2.0}, {"observe_interval_fs": 10.0},
    # float steps: 0.3 fs is 3 steps of 0.1 fs to rounding
    {"write_interval_fs": 0.3, "timestep_fs": 0.1, "preequilibration_timestep_fs": 0.1},
    {"write_interval_fs": 0.7, "observe_interval_fs": 0.7, "timestep_fs": 0.1,
     "preequilibration_timestep_fs": 0.35},
    # the production samples every step whatever observe_interval_fs is: nothing to say
    {"observe_interval_fs": 0.3, "preequilibration_ps": 0.0, "equilibration_ps": 0.0},
])
def test_an_interval_on_every_stage_grid_is_not_said(kw):
    kw = {"production_ps": 2.1, **kw}
    assert [m for m in _said(**kw) if "interval_fs = " in m] == []


@pytest.mark.parametrize("value, said", [("0.75", 2), ("100.5", 2), ("1", 1), ("100", 0)])
def test_the_command_says_each_rounded_interval_in_one_line(value, said):
    from electrolyte_cli.simulate import check_protocol

    args = argparse.Namespace(
        temperature=298.0, pressure=1.01325, relax_fmax=2.0, preequilibration_ps=1.0,
        equilibration_ps=1.0, production_ps=2.0, ensemble="nvt",
        write_interval_fs=float(value))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_protocol(args)
    lines = [str(w.message) for w in caught
             if str(w.message).startswith(f"--write-interval-fs {value} fs is not a multiple")]
    assert len(lines) == said
    for line in lines:
        assert re.search(r"frame interval is \d+ steps? \([\d.]+ fs\)", line)
