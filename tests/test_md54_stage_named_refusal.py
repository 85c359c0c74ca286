"""A stage file judged only once the stage before it has run again (that stage's file was
missing, so its end was not known before) is refused naming run_protocol's stage, as the
refusals before the first stage name it; the message named only the path and run_md's words.
"""

import shutil
import warnings

import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import run_protocol

_RUN = dict(temperature_K=84.0, pressure_bar=200.0, timestep_fs=5.0, write_interval_fs=25.0,
            observe_interval_fs=5.0, equilibration_ps=0.05, production_ps=0.05, progress=False)


@pytest.mark.parametrize("first_md, kw", [
    ("preequilibration", dict(preequilibration_ps=0.05, preequilibration_timestep_fs=5.0)),
    ("equilibration", dict(preequilibration_ps=0.0)),
])
def test_the_stage_is_named_when_its_file_is_refused_after_the_relaxation(tmp_path, first_md,
                                                                          kw):
    folder = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_protocol(argon(rattle=0.05), StoppingArgon(), folder, **_RUN, **kw)
        # another start, its relaxation's file gone: the relaxation runs again, and only
        # then is the first MD stage's file seen to start elsewhere
        stale = tmp_path / "stale"
        shutil.copytree(folder, stale)
        (stale / "relaxed.h5md").unlink()
        with pytest.raises(ValueError) as err:
            run_protocol(argon(rattle=0.06), StoppingArgon(), stale, **_RUN, **kw)
    message = str(err.value)
    assert message.startswith(f"run_protocol's {first_md} stage: {stale / first_md}.h5md was "
                              "written by a different run: it started from other positions")
    assert "choose another folder or pass overwrite=True" in message
