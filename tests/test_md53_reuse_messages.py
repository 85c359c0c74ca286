"""A trajectory of another run is refused with each differing setting and its two values.

run_md's refusal named the settings that differ and then printed both records whole
("stored {'ensemble': 'npt', 'steps': 12, ...}, now {...}", a dozen keys and the calculator's
parameters each), leaving the reader to find the one value that changed; and it advised
"choose another folder" for a file. A finished run asked for more steps is not extended: said,
with the way to run on.
"""

import shutil
import warnings

import pytest
from ase.calculators.lj import LennardJones
from stopping_argon import argon

from ase_electrolyte.md import run_md

_BASE = dict(ensemble="npt", steps=12, timestep_fs=2.0, temperature_K=60.0, pressure_bar=1.0,
             tdamp_fs=100.0, pdamp_fs=1000.0, write_interval=2, observe_interval=1, seed=0,
             progress=False)


def _lj(epsilon=0.0104):
    return LennardJones(sigma=3.4, epsilon=epsilon, rc=8.0, smooth=True)


def _run(path, calc=None, **kw):
    atoms = argon(calc or _lj(), rattle=0.05, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_md(atoms, trajectory=path, **{**_BASE, **kw})


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    path = tmp_path_factory.mktemp("md53") / "md.h5md"
    _run(path)
    return path


@pytest.mark.parametrize("change, said", [
    ({"timestep_fs": 1.0}, "timestep_fs stored 2 fs, now 1 fs"),
    ({"temperature_K": 70.0}, "temperature_K stored 60 K, now 70 K"),
    ({"pressure_bar": 2.0}, "pressure_bar stored 1 bar, now 2 bar"),
    ({"tdamp_fs": 50.0}, "tdamp_fs stored 100 fs, now 50 fs"),
    ({"pdamp_fs": 500.0}, "pdamp_fs stored 1000 fs, now 500 fs"),
    ({"write_interval": 3}, "write_interval stored 2, now 3"),
    ({"seed": 1}, "seed stored 0, now 1"),
    ({"steps": 6}, "steps stored 12, now 6"),
    # longer, but another run all the same: no advice to run on from it
    ({"steps": 24, "temperature_K": 70.0}, "steps stored 12, now 24; temperature_K stored 60 K"),
    ({"calc": _lj(0.0110)}, "calculator in parameters['epsilon'] stored 0.0104, now 0.011"),
])
def test_each_setting_is_named_with_both_values(finished, tmp_path, change, said):
    path = tmp_path / "md.h5md"
    shutil.copy(finished, path)
    kw = dict(change)
    calc = kw.pop("calc", None)
    with pytest.raises(ValueError) as err:
        _run(path, calc, **kw)
    message = str(err.value)
    assert said in message, message
    assert "stored {" not in message and "now {" not in message
    assert "give another trajectory or pass overwrite=True" in message
    assert "folder" not in message
    # only a longer run of a finished file is told how to run on
    assert "not extended" not in message


def test_a_finished_run_asked_for_more_steps_says_how_to_run_on(finished, tmp_path):
    path = tmp_path / "md.h5md"
    shutil.copy(finished, path)
    with pytest.raises(ValueError) as err:
        _run(path, steps=24)
    message = str(err.value)
    assert "steps stored 12, now 24" in message
    assert "a finished run is not extended" in message
    assert "read_h5md('md.h5md', -1)" in message
