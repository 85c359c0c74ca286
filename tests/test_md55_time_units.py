"""A time in another unit than ps is refused by the writer of a run that states its time step
(``run_info["timestep_fs"]``, as run_md records it), before anything is written.

Only times in seconds were refused (a per-step time below the shortest time step run_md
takes): 1 fs steps given in ns (1e-6 per step) passed, and the file held a frame spacing 1000
times too short, every diffusion coefficient read from it 1000 times too large; times in fs
(1000 times too long) passed as well.
"""

import h5py
import numpy as np
import pytest
from ase.build import bulk

from ase_electrolyte.trajectory import H5MDWriter, h5md_info

_DT_FS = 2.0
# the factor each slip multiplies a time in ps by
_UNITS = {"ns": 1e-3, "s": 1e-12, "fs": 1e3}


def _atoms():
    return bulk("Cu", cubic=True)


def _writer(path, mode="w"):
    return H5MDWriter(path, _atoms(), forces=False, mode=mode,
                      run_info={"ensemble": "nve", "timestep_fs": _DT_FS})


@pytest.mark.parametrize("unit", sorted(_UNITS))
@pytest.mark.parametrize("how", ["frame", "sample"])
@pytest.mark.parametrize("mode", ["w", "a"])
def test_a_time_in_another_unit_is_refused_and_nothing_is_written(tmp_path, unit, how, mode):
    path = tmp_path / "run.h5md"
    atoms = _atoms()
    with _writer(path) as w:
        w.write(atoms, step=0, time=0.0)
    with _writer(path, mode=mode) as w:
        if mode == "w":
            w.write(atoms, step=0, time=0.0)
        write = w.write if how == "frame" else w.write_observables
        slipped = 10 * _DT_FS / 1000.0 * _UNITS[unit]
        with pytest.raises(ValueError, match=rf"{_DT_FS:g} fs time step of the run .*"
                                             r"time is in ps \(is it in seconds, ns or fs\?\)"):
            write(atoms, step=10, time=slipped)
        # the writer goes on with the time in ps
        w.write(atoms, step=10, time=10 * _DT_FS / 1000.0)
    assert h5md_info(path)["n_frames"] == 2
    with h5py.File(path, "r") as f:
        np.testing.assert_allclose(f["particles/trajectory/position/time"][()], [0.0, 0.02])


@pytest.mark.parametrize("dt_fs, start_step", [(2.0, 0), (1e-6, 10**11 - 30), (0.5, 10**9)])
def test_the_stated_time_step_is_written_far_from_zero(tmp_path, dt_fs, start_step):
    """Times far from zero carry rounding; the run's own times are written (run_md's
    n * timestep_fs / 1000 at its longest runs)."""
    path = tmp_path / "run.h5md"
    atoms = _atoms()
    with H5MDWriter(path, atoms, forces=False,
                    run_info={"ensemble": "nve", "timestep_fs": dt_fs}) as w:
        for n in range(start_step, start_step + 30, 10):
            w.write(atoms, step=n, time=n * dt_fs / 1000.0)
            w.write_observables(atoms, step=n + 1, time=(n + 1) * dt_fs / 1000.0)
    assert h5md_info(path)["n_frames"] == 3
