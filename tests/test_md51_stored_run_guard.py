"""A stored run is judged by the temperature guard of the call that reuses or resumes it.

The guards are not part of a run's recorded settings, so a file written with
``max_temperature_factor=None`` (or a larger factor) was reused by a call with the default:
copper rattled by 0.35 Å, which a fresh run with the default stops at step 1 (1674 K > 900 K),
was returned at 18 000 K, and an interrupted one was resumed. Now the reuse and the resume are
refused before any evaluation when a recorded temperature exceeds this call's limit, naming
the step and temperature where the fresh run stops; the file is left as it was.
"""

import warnings

import numpy as np
import pytest
from ase import units
from ase.build import bulk
from counting_emt import CountingEMT

from ase_electrolyte.md import MDInstabilityError, run_md
from ase_electrolyte.trajectory import h5md_info, h5md_series


def _hot_copper(calc, given_velocities):
    """Copper rattled far from its lattice: its potential energy heats it by thousands of K."""
    atoms = bulk("Cu", cubic=True).repeat(2)
    atoms.rattle(0.35, seed=1)
    if given_velocities:
        rng = np.random.default_rng(5)
        v = rng.normal(size=(len(atoms), 3))
        v -= v.mean(axis=0)
        atoms.set_velocities(v * np.sqrt(50.0 * units.kB / atoms.get_masses()[:, None]))
    atoms.calc = calc
    return atoms


# (ensemble, temperature_K, given velocities): an NVE run without a target is guarded by its
# own starting temperature
_RUNS = [("nve", 50.0, False), ("nve", None, True), ("nvt", 50.0, False)]
_IDS = ["nve", "nve-no-target", "nvt"]


def _kw(ensemble, temperature_K):
    return dict(ensemble=ensemble, steps=30, timestep_fs=2.0, temperature_K=temperature_K,
                write_interval=10, progress=False)


def _fresh_stop(ensemble, temperature_K, given, factor):
    """(step, message) where a run without a file stops under ``factor``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(MDInstabilityError) as err:
            # no file, no frames: write_interval, which would have no effect, is left out
            kw = {k: v for k, v in _kw(ensemble, temperature_K).items() if k != "write_interval"}
            run_md(_hot_copper(CountingEMT(), given), max_temperature_factor=factor, **kw)
    message = str(err.value)
    step = int(message.split("step ")[1].split(":")[0])
    temperature = message.split("temperature ")[1].split(" K")[0]
    return step, temperature


@pytest.mark.parametrize("loose", [None, 100.0])
@pytest.mark.parametrize("stricter", [3.0, 2.0])
@pytest.mark.parametrize("ensemble, temperature_K, given", _RUNS, ids=_IDS)
def test_a_finished_run_beyond_this_calls_guard_is_not_reused(ensemble, temperature_K, given,
                                                              stricter, loose, tmp_path):
    path = tmp_path / "run.h5md"
    kw = _kw(ensemble, temperature_K)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_md(_hot_copper(CountingEMT(), given), trajectory=path,
               max_temperature_factor=loose, **kw)
    assert h5md_info(path)["complete"]
    stop_step, stop_temperature = _fresh_stop(ensemble, temperature_K, given, stricter)
    before = path.read_bytes()
    atoms = _hot_copper(CountingEMT(), given)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=rf"holds a run whose temperature reached "
                                             rf"{stop_temperature} K at step {stop_step} .*"
                                             rf"max_temperature_factor = {stricter:g} .*to "
                                             r"reuse it, or overwrite=True"):
            run_md(atoms, trajectory=path, max_temperature_factor=stricter, **kw)
    assert atoms.calc.calls == 0
    assert path.read_bytes() == before
    # the guard that wrote it reuses it, without an evaluation
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run_md(atoms, trajectory=path, max_temperature_factor=loose, **kw)
    assert atoms.calc.calls == 0 and out.info["step"] == kw["steps"]


@pytest.mark.parametrize("ensemble, temperature_K, given", _RUNS, ids=_IDS)
def test_an_interrupted_run_beyond_this_calls_guard_is_not_resumed(ensemble, temperature_K,
                                                                    given, tmp_path):
    path = tmp_path / "run.h5md"
    kw = _kw(ensemble, temperature_K)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(KeyboardInterrupt):
            run_md(_hot_copper(CountingEMT(stop_at=18), given), trajectory=path,
                   max_temperature_factor=None, **kw)
    info = h5md_info(path)
    assert not info["complete"] and info["n_frames"] >= 2
    stop_step, stop_temperature = _fresh_stop(ensemble, temperature_K, given, 3.0)
    before = path.read_bytes()
    atoms = _hot_copper(CountingEMT(), given)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=rf"temperature reached {stop_temperature} K at "
                                             rf"step {stop_step} .*to resume it"):
            run_md(atoms, trajectory=path, **kw)
    assert atoms.calc.calls == 0
    assert path.read_bytes() == before


def test_a_stored_run_within_this_calls_guard_is_reused(tmp_path):
    """The control: copper near its lattice at 300 K, written without a guard, stays below
    the default limit and is reused by a call with it."""
    path = tmp_path / "run.h5md"
    kw = dict(ensemble="nvt", steps=20, timestep_fs=2.0, temperature_K=300.0,
              write_interval=10, progress=False)

    def cool():
        atoms = bulk("Cu", cubic=True).repeat(2)
        atoms.rattle(0.02, seed=1)
        atoms.calc = CountingEMT()
        return atoms

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = run_md(cool(), trajectory=path, max_temperature_factor=None, **kw)
        assert h5md_series(path, "temperature")[2].max() < 900.0
        atoms = cool()
        again = run_md(atoms, trajectory=path, **kw)
    assert atoms.calc.calls == 0
    np.testing.assert_array_equal(again.positions, first.positions)
