"""Finite settings no run can mean are refused before any model evaluation.

A temperature of 1e300 K, a pressure of 1e308 bar or a stage of 1e300 ps passed every check
(finite, positive) and ran: a relaxation of minutes, then velocities of 1e148 Å/fs, a box that
collapses, or a run that would never end.
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from ase_electrolyte.md import (
    MAX_PRESSURE_BAR,
    MAX_STEPS,
    MAX_TEMPERATURE_K,
    check_protocol_arguments,
    run_md,
    run_protocol,
)


class _Counting(LennardJones):
    calls = 0

    def __init__(self):
        super().__init__(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        super().calculate(*args, **kwargs)


def _argon():
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True)
    atoms.calc = _Counting()
    return atoms


_TOO_HOT = r"is above 100000 K: a plasma"
_TOO_HARD = r"bar is beyond ±1e\+07 bar"
_TOO_LONG = r"more than 1e\+11 steps"


@pytest.mark.parametrize("kw,match", [
    ({"temperature_K": 1e300}, _TOO_HOT),
    ({"temperature_K": 1.01 * MAX_TEMPERATURE_K}, _TOO_HOT),
    ({"pressure_bar": 1e308}, _TOO_HARD),
    ({"pressure_bar": -1.01 * MAX_PRESSURE_BAR}, _TOO_HARD),
    ({"production_ps": 1e300},
     r"production_ps = 1e\+300 ps is 1e\+303 steps of 1 fs, " + _TOO_LONG),
    ({"preequilibration_ps": 2.1e8}, r"preequilibration_ps = 2\.1e\+08 ps is 1\.05e\+11 steps"),
    # a vanishing time step makes the default lengths endless
    ({"timestep_fs": 1e-300}, r"equilibration_ps = 200 ps is 2e\+305 steps of 1e-300 fs"),
    ({"preequilibration_timestep_fs": 1e-9}, r"preequilibration_ps = 1000 ps is 1e\+15 steps"),
])
def test_protocol_settings_no_run_can_mean_are_refused_before_any_work(kw, match, tmp_path):
    args = {"temperature_K": 300.0, **kw}
    with pytest.raises(ValueError, match=match):
        check_protocol_arguments(**args)
    _Counting.calls = 0
    with pytest.raises(ValueError, match=match):
        run_protocol(_argon(), _Counting(), tmp_path / "run", progress=False, **args)
    assert _Counting.calls == 0 and not (tmp_path / "run").exists()


@pytest.mark.parametrize("kw,match", [
    ({"temperature_K": 1e300}, _TOO_HOT),
    ({"ensemble": "nve", "temperature_K": 2 * MAX_TEMPERATURE_K}, _TOO_HOT),
    ({"ensemble": "npt", "pressure_bar": 1e308}, _TOO_HARD),
    ({"steps": MAX_STEPS + 1}, r"steps = 100000000001: " + _TOO_LONG),
    ({"steps": np.int64(10**15)}, _TOO_LONG),
])
def test_run_md_settings_no_run_can_mean_are_refused_before_any_work(kw, match, tmp_path):
    args = {"ensemble": "nvt", "steps": 3, "timestep_fs": 1.0, "temperature_K": 80.0,
            "progress": False, **kw}
    _Counting.calls = 0
    with pytest.raises(ValueError, match=match):
        run_md(_argon(), trajectory=tmp_path / "md.h5md", **args)
    assert _Counting.calls == 0 and not (tmp_path / "md.h5md").exists()


@pytest.mark.parametrize("kw", [
    {"temperature_K": 3000.0},  # a melt, as the tests' EMT copper
    {"temperature_K": 1500.0, "pressure_bar": 1e6},  # 100 GPa: warned about, not refused
    {"temperature_K": 300.0, "production_ps": 1e5, "timestep_fs": 1.0},  # 0.1 µs: 1e8 steps
])
def test_extreme_but_meant_settings_still_pass(kw):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_protocol_arguments(**kw)
