"""run_md's ``write_interval`` (the spacing of the trajectory's frames) given other than its
default without a trajectory is refused before any evaluation: it would have no effect.

Before, ``run_md(..., write_interval=10)`` with no ``trajectory`` ran and wrote nothing; a
caller who asked for frames every 10 steps got none, without a word. ``observe_interval``
still acts without a file (it spaces the energy samples of the returned drift), and is kept.
"""

import warnings

import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import run_md

_RUN = dict(steps=4, timestep_fs=5.0, temperature_K=84.0, progress=False)


@pytest.mark.parametrize("ensemble", ["nve", "nvt"])
@pytest.mark.parametrize("write_interval", [1, 2, 10, 1000])
def test_a_frame_interval_without_a_file_is_refused_before_work(ensemble, write_interval):
    calc = StoppingArgon()
    with pytest.raises(ValueError, match=(
            rf"write_interval = {write_interval} steps spaces the frames of the trajectory, "
            r"and trajectory=None writes none: it would have no effect")):
        run_md(argon(calc, rattle=0.05), ensemble=ensemble, write_interval=write_interval,
               **_RUN)
    assert calc.calls == 0


def test_the_interval_with_a_file_and_sampling_without_one_still_run(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with_file = run_md(argon(StoppingArgon(), rattle=0.05), ensemble="nvt", write_interval=2,
                           trajectory=tmp_path / "run.h5md", **_RUN)
        without = run_md(argon(StoppingArgon(), rattle=0.05), ensemble="nvt",
                         observe_interval=2, **_RUN)
    assert with_file.info["step"] == without.info["step"] == 4
    # the same deterministic run, with and without its file
    assert without.positions == pytest.approx(with_file.positions, abs=1e-12)
