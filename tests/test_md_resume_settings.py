"""Resuming an interrupted trajectory with other settings is refused by name, never mixed in.

Every setting that changes the dynamics (time step, temperature, ensemble, thermostat and
barostat time constants, pressure, heavy hydrogen, frame and sample intervals, seed, length,
calculator parameters or class) enters the file's ``run_info``; a call that differs in one of
them is refused before any model evaluation, naming that setting, and the file keeps its bytes.
"""

import warnings

import numpy as np
import pytest
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones
from stopping_argon import argon  # noqa: E402

from ase_electrolyte.md import run_md
from ase_electrolyte.trajectory import h5md_info

_BASE = dict(ensemble="npt", steps=12, timestep_fs=2.0, temperature_K=60.0, pressure_bar=1.0,
             tdamp_fs=100.0, pdamp_fs=1000.0, write_interval=2, observe_interval=1, seed=0,
             progress=False)


class _LJ(LennardJones):
    calls = 0
    stop_at = None

    def calculate(self, *args, **kwargs):
        type(self).calls += 1
        if type(self).calls == type(self).stop_at:
            raise KeyboardInterrupt
        super().calculate(*args, **kwargs)


def _argon(calc=None):
    atoms = argon(calc or _LJ(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True), rattle=0.05,
                  seed=3)
    return atoms


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    """An NPT run stopped by Ctrl-C after 3 of its 7 frames."""
    path = tmp_path_factory.mktemp("interrupted") / "md.h5md"
    _LJ.calls, _LJ.stop_at = 0, 8
    try:
        with warnings.catch_warnings(), pytest.raises(KeyboardInterrupt):
            warnings.simplefilter("ignore")
            run_md(_argon(), trajectory=path, **_BASE)
    finally:
        _LJ.stop_at = None
    info = h5md_info(path)
    assert 0 < info["n_frames"] < 7 and not info["complete"]
    return path


@pytest.mark.parametrize("change, key", [
    ({"timestep_fs": 1.0}, "timestep_fs"),
    ({"temperature_K": 80.0}, "temperature_K"),
    # NVT has no barostat: its pressure and time constant are recorded as None
    # (given none: run_md refuses a pressure or barostat time it would ignore)
    ({"ensemble": "nvt", "pressure_bar": None, "pdamp_fs": None},
     "ensemble', 'pdamp_fs', 'pressure_bar"),
    ({"tdamp_fs": 50.0}, "tdamp_fs"),
    ({"pdamp_fs": 500.0}, "pdamp_fs"),
    ({"pressure_bar": 100.0}, "pressure_bar"),
    # hydrogen_mass for argon is refused as having no effect, before the file is read
    # (test_md51_hydrogen_mass_without_hydrogen)
    ({"write_interval": 3}, "write_interval"),
    ({"observe_interval": 2}, "observe_interval"),
    ({"seed": 1}, "seed"),
    ({"steps": 20}, "steps"),
    ({"calc": _LJ(sigma=3.4, epsilon=0.0110, rc=8.0, smooth=True)}, "calculator"),
    ({"calc": EMT()}, "calculator"),
])
def test_a_resume_with_another_setting_is_refused_by_name(change, key, interrupted, tmp_path):
    path = tmp_path / "md.h5md"
    path.write_bytes(interrupted.read_bytes())
    before = path.read_bytes()
    kw = dict(_BASE, **change)
    calc = kw.pop("calc", None)
    _LJ.calls = 0
    with pytest.raises(ValueError, match=rf"different run: its settings differ in \['{key}'\]"):
        run_md(_argon(calc), trajectory=path, **kw)
    assert _LJ.calls == 0
    assert path.read_bytes() == before


def test_the_same_settings_resume_to_the_full_run(interrupted, tmp_path):
    path = tmp_path / "md.h5md"
    path.write_bytes(interrupted.read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        final = run_md(_argon(), trajectory=path, **_BASE)
    info = h5md_info(path)
    assert info["complete"] and info["n_frames"] == 7 and info["last_step"] == 12
    assert final.info["step"] == 12 and np.isfinite(final.positions).all()
