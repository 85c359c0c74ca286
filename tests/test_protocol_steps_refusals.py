"""protocol_steps and production_steps called directly refuse what run_protocol refuses.

Only :func:`check_protocol_arguments` guarded the lengths and intervals (the CLI's and
run_protocol's path). Called directly, ``production_steps(0.001, 1.0, 1e6)`` planned 1e6 steps
(a production of 1 ns for 1 ps asked, stretched to one frame interval), a time step of 1e-9 fs
2e11 steps, a zero step raised ZeroDivisionError, a NaN length "cannot convert float NaN to
integer", a negative length a production of one frame interval. And a time step below 1e-6 fs,
which run_md refuses, passed check_protocol_arguments: run_protocol relaxed and ran its
pre-equilibration before the next stage's run_md refused it.
"""

import math
import re
import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import (
    MAX_STEPS,
    MAX_TIMESTEP_FS,
    check_protocol_arguments,
    production_steps,
    protocol_steps,
    run_protocol,
)

_BAD_PRODUCTION = [
    # (production_ps, timestep_fs, write_interval_fs), the argument the message names
    ((0.001, 1.0, 1e6), "production_ps = 0.001 ps is shorter than one frame interval"),
    ((0.2, 1.0, 1e12), "production_ps = 0.2 ps is shorter than one frame interval"),
    ((0.0, 1.0, 100.0), "production_ps = 0 ps: the production cannot be skipped"),
    ((-1.0, 1.0, 100.0), "production_ps"),
    ((math.nan, 1.0, 100.0), "production_ps"),
    ((math.inf, 1.0, 100.0), "production_ps"),
    (("1", 1.0, 100.0), "production_ps"),
    ((0.2, 0.0, 100.0), "timestep_fs"),
    ((0.2, -1.0, 100.0), "timestep_fs"),
    ((0.2, 5e-7, 100.0), "timestep_fs = 5e-07 fs is below 1e-06 fs"),
    ((0.2, 2 * MAX_TIMESTEP_FS, 1e4), "timestep_fs"),
    ((0.2, 1.0, 0.0), "write_interval_fs"),
    ((0.2, 1.0, math.inf), "write_interval_fs"),
    ((0.2, 1.0, math.nan), "write_interval_fs"),
    ((1e9, 1e-6 * 2, 100.0), "production_ps = 1e+09 ps is 5e+17 steps of 2e-06 fs, more than"),
]


@pytest.mark.parametrize("arguments,named", _BAD_PRODUCTION)
def test_production_steps_refuses_nonsense_by_name(arguments, named):
    with pytest.raises(ValueError, match="^" + re.escape(named)):
        production_steps(*arguments)


@pytest.mark.parametrize("arguments,named", _BAD_PRODUCTION)
def test_protocol_steps_and_check_protocol_arguments_refuse_the_same(arguments, named):
    production_ps, timestep_fs, write_interval_fs = arguments
    kwargs = dict(preequilibration_ps=0.01, equilibration_ps=0.01, production_ps=production_ps,
                  timestep_fs=timestep_fs, write_interval_fs=write_interval_fs)
    if production_ps == 0.0:
        # a zero production is a stage not run in the plan; run_protocol refuses it
        assert protocol_steps(**kwargs)["production"].steps == 0
    else:
        with pytest.raises(ValueError) as planned:
            protocol_steps(**kwargs)
        assert named.split(" ")[0] in str(planned.value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as checked:
            check_protocol_arguments(temperature_K=300.0, **kwargs)
    assert named.split(" ")[0] in str(checked.value)


@pytest.mark.parametrize("name,value", [
    ("preequilibration_timestep_fs", 5e-7),
    ("preequilibration_timestep_fs", 5000.0),
    ("preequilibration_timestep_fs", 0.0),
    ("timestep_fs", 5e-7),
    ("observe_interval_fs", 0.0),
    ("observe_interval_fs", math.nan),
    ("write_interval_fs", -5.0),
    ("equilibration_ps", -0.1),
    ("preequilibration_ps", math.inf),
])
def test_protocol_steps_names_each_bad_argument(name, value):
    kwargs = dict(preequilibration_ps=0.01, equilibration_ps=0.01, production_ps=0.01,
                  write_interval_fs=2.0, observe_interval_fs=2.0)
    kwargs[name] = value
    with pytest.raises(ValueError, match=f"^{name}"):
        protocol_steps(**kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=f"^{name}"):
            check_protocol_arguments(temperature_K=300.0, **kwargs)


@pytest.mark.parametrize("production_ps,timestep_fs,write_interval_fs", [
    (ps, dt, every) for ps in (0.25, 0.3, 1.0, 2.7) for dt in (0.5, 1.0, 2.0, 3.0)
    for every in (0.3, 1.0, 7.0, 100.0, 250.0, 900.0)
    if ps * 1000.0 >= max(every, dt)  # a shorter one is refused (above)
])
def test_a_sound_production_is_whole_frame_intervals_nearest_the_length(
        production_ps, timestep_fs, write_interval_fs):
    steps = production_steps(production_ps, timestep_fs, write_interval_fs)
    every = max(1, round(write_interval_fs / timestep_fs))
    assert steps % every == 0 and 0 < steps <= MAX_STEPS
    # within half a frame interval (and half a step) of the length asked
    assert abs(steps * timestep_fs - production_ps * 1000.0) <= 0.5 * every * timestep_fs + (
        0.5 * timestep_fs)
    plan = protocol_steps(production_ps=production_ps, timestep_fs=timestep_fs,
                          write_interval_fs=write_interval_fs)
    assert plan["production"].steps == steps


class _CountingLJ(LennardJones):
    def __init__(self):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)
        self.calls = 0

    def calculate(self, *args, **kwargs):
        self.calls += 1
        super().calculate(*args, **kwargs)


@pytest.mark.parametrize("name", ["timestep_fs", "preequilibration_timestep_fs"])
def test_run_protocol_refuses_a_sub_attosecond_step_before_any_evaluation(name, tmp_path):
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    calc = _CountingLJ()
    # stages of a few dozen steps: the step alone is wrong
    kwargs = dict(preequilibration_ps=0.01, equilibration_ps=0.0, production_ps=0.01,
                  write_interval_fs=1.0, observe_interval_fs=1.0)
    if name == "timestep_fs":
        kwargs.update(preequilibration_ps=0.0, production_ps=1e-5, write_interval_fs=1e-6)
    kwargs[name] = 5e-7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=f"^{name} = 5e-07 fs is below 1e-06 fs"):
            run_protocol(atoms, calc, tmp_path / "run", temperature_K=60.0, progress=False,
                         **kwargs)
    assert calc.calls == 0
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir())
    assert np.all(atoms.get_velocities() == 0.0)  # the caller's atoms as they were
