"""run_md's ``write_interval`` spaces whichever output a run has, as ASE's ``loginterval`` does:
the trajectory's frames and the progress bar's readout. Without a file it is accepted (one
settings dict serves runs with and without one); with neither a file nor a progress bar it
spaces nothing, and a value other than the default warns that no frame is kept.

Before, ``run_md(..., write_interval=10, progress=False)`` without a trajectory ran and kept no
frame without a word (and its docstring said the value "is recorded with the run", which no
file-less run does).
"""

import io
import sys
import warnings
from pathlib import Path

import pytest

from ase_electrolyte.md import run_md

sys.path.insert(0, str(Path(__file__).parent))
from stopping_argon import StoppingArgon, argon  # noqa: E402

_RUN = dict(steps=4, timestep_fs=5.0, temperature_K=84.0)
_SAID = "spaces the frames of a trajectory"


def _run(**kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = run_md(argon(StoppingArgon(), rattle=0.05), **_RUN, **kwargs)
    return out, [w for w in caught if _SAID in str(w.message)]


@pytest.mark.parametrize("ensemble", ["nve", "nvt"])
@pytest.mark.parametrize("write_interval", [1, 2, 10, 1000])
def test_an_interval_that_spaces_nothing_warns(ensemble, write_interval):
    out, said = _run(ensemble=ensemble, write_interval=write_interval, progress=False)
    assert len(said) == 1
    assert f"write_interval = {write_interval} steps" in str(said[0].message)
    assert "no frame is kept" in str(said[0].message)
    # raised where the user called run_md, not inside it
    assert said[0].filename == __file__
    # the run itself is the run without the interval
    plain, none = _run(ensemble=ensemble, progress=False)
    assert not none
    assert out.positions == pytest.approx(plain.positions, abs=1e-12)


@pytest.mark.parametrize("kwargs", [
    dict(write_interval=2, trajectory="run.h5md", progress=False),   # spaces the frames
    dict(write_interval=2, progress=True),                            # spaces the readout
    dict(progress=False),                                             # the default
    dict(write_interval=100, progress=False),                         # the default, given
    dict(observe_interval=2, progress=False),                         # observe_interval acts
])
def test_an_interval_that_spaces_something_is_accepted_quietly(tmp_path, monkeypatch, kwargs):
    monkeypatch.chdir(tmp_path)
    # the progress bar writes to stderr: kept off the test's output
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    out, said = _run(ensemble="nvt", **kwargs)
    assert not said
    assert out.info["step"] == _RUN["steps"]
    if "trajectory" in kwargs:
        from ase_electrolyte.trajectory import h5md_info

        # frames at steps 0, 2 and 4
        assert h5md_info(tmp_path / "run.h5md")["n_frames"] == 3
