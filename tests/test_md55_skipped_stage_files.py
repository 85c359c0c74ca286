"""A stage file left by an earlier run, of a stage this run skips (a zero length), is refused
before any evaluation, or removed with ``overwrite=True``; it is never left beside this run's
stages.

Before, a rerun with ``equilibration_ps=0`` (or ``preequilibration_ps=0``) kept the earlier
run's ``equilibration.h5md`` in the folder: the folder held a stage of another run under this
run's name, which ``electrolyte screen`` listed among the task's kept trajectories and a reader
of the folder took for this run's equilibration.
"""

import shutil
import warnings

import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import run_protocol
from ase_electrolyte.trajectory import h5md_info

_RUN = dict(temperature_K=84.0, timestep_fs=5.0, write_interval_fs=25.0, production_ps=0.05,
            production_ensemble="nvt", progress=False)
_EARLIER = dict(preequilibration_ps=0.05, preequilibration_timestep_fs=5.0, equilibration_ps=0.05,
                pressure_bar=200.0, observe_interval_fs=5.0)


@pytest.fixture(scope="module")
def earlier(tmp_path_factory):
    """A folder of a run with both NPT stages."""
    folder = tmp_path_factory.mktemp("earlier") / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_protocol(argon(rattle=0.05), StoppingArgon(), folder, **_RUN, **_EARLIER)
    return folder


# reruns that skip one or both NPT stages (the NVT production then runs at the input volume)
_SKIPS = {
    "no equilibration": (dict(preequilibration_ps=0.05, preequilibration_timestep_fs=5.0,
                              equilibration_ps=0.0, pressure_bar=200.0, observe_interval_fs=5.0),
                         ["equilibration"]),
    "no preequilibration": (dict(preequilibration_ps=0.0, equilibration_ps=0.05,
                                 pressure_bar=200.0, observe_interval_fs=5.0),
                            ["preequilibration"]),
    "neither": (dict(preequilibration_ps=0.0, equilibration_ps=0.0),
                ["preequilibration", "equilibration"]),
}


def _copy(earlier, tmp_path, keep):
    folder = tmp_path / "run"
    folder.mkdir()
    for name in keep:
        shutil.copy(earlier / f"{name}.h5md", folder / f"{name}.h5md")
    return folder


@pytest.mark.parametrize("case", sorted(_SKIPS))
def test_a_skipped_stage_file_is_refused_before_any_evaluation(earlier, tmp_path, case):
    kw, skipped = _SKIPS[case]
    # the skipped stage's file alone (a resume of the relaxation would otherwise be judged too)
    folder = _copy(earlier, tmp_path, skipped[:1])
    calc = StoppingArgon()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=(
                rf"{skipped[0]}\.h5md is the {skipped[0]} stage of an earlier run, and this run "
                rf"skips that stage \({skipped[0]}_ps = 0\).*pass overwrite=True")):
            run_protocol(argon(rattle=0.05), calc, folder, **_RUN, **kw)
    assert calc.calls == 0
    assert sorted(p.name for p in folder.iterdir()) == [f"{skipped[0]}.h5md"]


@pytest.mark.parametrize("case", sorted(_SKIPS))
def test_overwrite_removes_the_skipped_stages(earlier, tmp_path, case):
    kw, skipped = _SKIPS[case]
    folder = _copy(earlier, tmp_path, ["relaxed", "preequilibration", "equilibration",
                                       "production"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_protocol(argon(rattle=0.05), StoppingArgon(), folder, **_RUN, **kw,
                              overwrite=True)
    on_disk = sorted(p.name for p in folder.iterdir() if p.suffix == ".h5md")
    assert on_disk == sorted(f"{name}.h5md" for name in result.files)
    assert not set(skipped) & set(result.files)
    for path in result.files.values():
        assert h5md_info(path)["complete"]


@pytest.mark.parametrize("make, what", [
    (lambda p: p.write_text("my notes"), "file"),
    (lambda p: p.mkdir(), "folder"),
])
def test_overwrite_never_removes_what_is_not_a_trajectory(tmp_path, make, what):
    folder = tmp_path / "run"
    folder.mkdir()
    make(folder / "equilibration.h5md")
    calc = StoppingArgon()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="this run skips that stage.*move it away"):
            run_protocol(argon(rattle=0.05), calc, folder, **_RUN, **_SKIPS["neither"][0],
                         overwrite=True)
    assert calc.calls == 0 and (folder / "equilibration.h5md").exists()
