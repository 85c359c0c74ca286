"""run_md's and relax's output settings that act on nothing in a call warn, each by name.

``write_interval`` without a trajectory or a progress bar already did (test_md56_write_interval_
without_output). Before this, ``run_md(..., description="NVT 300 K", progress=False)`` labelled
no progress bar and ``run_md(..., overwrite=True)`` / ``relax(..., overwrite=True)`` without a
trajectory started no file afresh, each without a word. Accepted (one settings dict serves
runs with and without a file or a bar), so the run is the run without the setting.
"""

import io
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from ase_electrolyte.md import relax, run_md, run_protocol

sys.path.insert(0, str(Path(__file__).parent))
from stopping_argon import StoppingArgon, argon  # noqa: E402

_RUN = dict(steps=4, timestep_fs=5.0, temperature_K=84.0)
_SAID = ("labels the progress bar", "starts a trajectory file afresh",
         "spaces the frames of a trajectory")


def _said(caught):
    return [w for w in caught if any(s in str(w.message) for s in _SAID)]


def _run(**kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = run_md(argon(StoppingArgon(), rattle=0.05), **_RUN, **kwargs)
    return out, _said(caught)


@pytest.mark.parametrize("ensemble", ["nve", "nvt"])
@pytest.mark.parametrize("kwargs, names", [
    (dict(description="NVT 300 K", progress=False), ["description = 'NVT 300 K'"]),
    (dict(description="", progress=False), ["description = ''"]),
    (dict(overwrite=True, progress=False), ["overwrite=True"]),
    (dict(overwrite=True, description="x", write_interval=7, progress=False),
     ["write_interval = 7", "description = 'x'", "overwrite=True"]),
])
def test_a_setting_that_acts_on_nothing_warns_by_name(ensemble, kwargs, names):
    out, said = _run(ensemble=ensemble, **kwargs)
    # one warning per idle setting, each naming it, raised at the caller's line
    assert len(said) == len(names)
    for name in names:
        assert sum(name in str(w.message) for w in said) == 1
    assert all(w.filename == __file__ for w in said)
    assert all("no effect" in str(w.message) or "no frame" in str(w.message) for w in said)
    # the run is the run without those settings
    plain, none = _run(ensemble=ensemble, progress=False)
    assert not none
    assert np.array_equal(out.positions, plain.positions)
    assert np.array_equal(out.get_velocities(), plain.get_velocities())


@pytest.mark.parametrize("kwargs", [
    dict(description="NVT", progress=True),                          # labels the bar
    dict(overwrite=True, trajectory="run.h5md", progress=False),     # starts the file afresh
    dict(overwrite=False, description=None, progress=False),         # the defaults, given
])
def test_a_setting_that_acts_is_accepted_quietly(tmp_path, monkeypatch, kwargs):
    monkeypatch.chdir(tmp_path)
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    out, said = _run(ensemble="nvt", **kwargs)
    assert not said
    assert out.info["step"] == _RUN["steps"]
    if kwargs.get("progress"):
        assert kwargs["description"] in stream.getvalue()


@pytest.mark.parametrize("overwrite, trajectory, warns", [
    (True, None, True), (False, None, False), (True, "relaxed.h5md", False)])
def test_relax_overwrite_without_a_file_warns(tmp_path, monkeypatch, overwrite, trajectory,
                                              warns):
    monkeypatch.chdir(tmp_path)
    atoms = argon(StoppingArgon(), rattle=0.05)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = relax(atoms, steps=3, overwrite=overwrite, trajectory=trajectory)
    said = _said(caught)
    assert len(said) == warns
    if warns:
        assert "relax: overwrite=True" in str(said[0].message)
        assert said[0].filename == __file__
    plain = relax(atoms, steps=3)
    assert np.array_equal(out.positions, plain.positions)


def test_protocol_stages_given_progress_false_say_nothing(tmp_path):
    # run_protocol passes each stage its name as description with the caller's progress
    from ase.build import bulk
    from ase.calculators.emt import EMT

    atoms = bulk("Cu", cubic=True).repeat((2, 1, 1))
    atoms.rattle(0.01, seed=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_protocol(atoms, EMT(), tmp_path, temperature_K=300.0, preequilibration_ps=0,
                     equilibration_ps=0, production_ps=0.004, production_ensemble="nvt",
                     timestep_fs=1.0, write_interval_fs=2.0, progress=False)
    assert not _said(caught)


@pytest.mark.parametrize("trajectory", [None, "run.h5md"])
@pytest.mark.parametrize("observe_interval, warns", [(5, True), (100, True), (4, False),
                                                     (3, False), (1, False)])
def test_an_observe_interval_longer_than_the_run_warns(tmp_path, monkeypatch, trajectory,
                                                       observe_interval, warns):
    # the protocol refuses it for its stages; run_md sampled step 0 alone without a word
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = run_md(argon(StoppingArgon(), rattle=0.05), ensemble="nvt", **_RUN,
                     observe_interval=observe_interval, progress=False, trajectory=trajectory)
    said = [w for w in caught if "is longer than the run" in str(w.message)]
    assert len(said) == warns
    if warns:
        assert f"observe_interval = {observe_interval} steps" in str(said[0].message)
        assert said[0].filename == __file__
    # what it says: the series holds step 0 alone, and the drift has one sample
    assert (out.info["energy_drift"]["n_samples"] == 1) == warns
    if trajectory is not None:
        from ase_electrolyte.trajectory import h5md_series

        steps = h5md_series(tmp_path / trajectory, "temperature")[0]
        assert (list(steps) == [0]) == warns


@pytest.mark.parametrize("description, shown, not_shown", [
    (None, "NVT", None),                 # the default: the ensemble's name
    ("", None, "NVT"),                   # no label, as asked (it was replaced by "NVT")
    ("equilibration", "equilibration", "NVT"),
])
def test_the_progress_label_is_the_one_given(monkeypatch, description, shown, not_shown):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    run_md(argon(StoppingArgon(), rattle=0.05), ensemble="nvt", **_RUN,
           description=description, progress=True)
    lines = [line for line in stream.getvalue().replace("\r", "\n").splitlines()
             if "step" in line]
    assert lines
    if shown is not None:
        assert all(line.startswith(f"{shown}:") for line in lines)
    if not_shown is not None:
        assert not any(not_shown in line for line in lines)
