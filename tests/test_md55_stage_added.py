"""A stage file of a run that had fewer stages (a zero length) is refused before the first
stage of a rerun that has them, not after the stages before it have run.

A run with ``equilibration_ps=0`` left a production that starts where the stage before the
equilibration ended; a rerun with an equilibration in the same folder ran the whole
equilibration (13 model evaluations here; 0.2 ns in Ju et al. 2025's protocol) before its
production stage refused that file ("started in another cell"). A file deleted from a run of
the same stages is still recomputed, the later file reused.
"""

import warnings

import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import run_protocol

_RUN = dict(temperature_K=84.0, timestep_fs=5.0, write_interval_fs=25.0, production_ps=0.05,
            progress=False)
_NPT = dict(pressure_bar=200.0, observe_interval_fs=5.0)
_PRE = dict(preequilibration_ps=0.05, preequilibration_timestep_fs=5.0)


def _run(folder, calc=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_protocol(argon(rattle=0.05), calc or StoppingArgon(), folder, **_RUN, **kw)


# (earlier run, rerun, the stages the rerun adds)
_CASES = {
    "equilibration added, NVT": (
        dict(preequilibration_ps=0.0, equilibration_ps=0.0, production_ensemble="nvt"),
        dict(preequilibration_ps=0.0, equilibration_ps=0.05, production_ensemble="nvt", **_NPT),
        "equilibration"),
    "equilibration added after a pre-equilibration, NVT": (
        dict(**_PRE, equilibration_ps=0.0, production_ensemble="nvt", **_NPT),
        dict(**_PRE, equilibration_ps=0.05, production_ensemble="nvt", **_NPT),
        "equilibration"),
    "both added, NPT": (
        dict(preequilibration_ps=0.0, equilibration_ps=0.0, production_ensemble="npt",
             **_NPT),
        dict(**_PRE, equilibration_ps=0.05, production_ensemble="npt", **_NPT),
        "preequilibration and equilibration"),
}


@pytest.mark.parametrize("case", sorted(_CASES))
def test_a_file_of_fewer_stages_is_refused_before_any_evaluation(tmp_path, case):
    earlier, rerun, added = _CASES[case]
    _run(tmp_path, **earlier)
    calc = StoppingArgon()
    with pytest.raises(ValueError, match=(
            rf"production\.h5md continues the \w+ stage .* directly: it was written by a run "
            rf"without the {added} stage.*refused before the first stage runs")):
        _run(tmp_path, calc, **rerun)
    assert calc.calls == 0


def test_a_deleted_stage_of_the_same_run_is_recomputed_and_the_later_file_reused(tmp_path):
    kw = dict(preequilibration_ps=0.0, equilibration_ps=0.05, production_ensemble="nvt", **_NPT)
    first = _run(tmp_path, **kw)
    (tmp_path / "equilibration.h5md").unlink()
    again = _run(tmp_path, **kw)
    # the equilibration reproduced, the production reused as it was
    assert again.atoms.positions == pytest.approx(first.atoms.positions, abs=1e-9)
    assert again.density.value == pytest.approx(first.density.value, rel=1e-9)
