"""A sampling interval (``observe_interval_fs``) longer than an NPT stage that runs is refused
before any evaluation, naming the stage; one as long as the stage still runs.

The stage's series holds the steps that are multiples of the interval: 100 fs beside a 50 fs
equilibration recorded its first sample alone, so its density was "too short: 1 samples" and the
NVT production, run at that stage's mean volume, ran at the input box's without a word.
"""

import warnings

import numpy as np
import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import check_protocol_arguments, run_protocol
from ase_electrolyte.trajectory import h5md_series

_RUN = dict(temperature_K=84.0, pressure_bar=200.0, timestep_fs=5.0, write_interval_fs=25.0,
            production_ps=0.05, production_ensemble="nvt", progress=False)


@pytest.mark.parametrize("kw, stage, longest", [
    (dict(preequilibration_ps=0.0, equilibration_ps=0.05, observe_interval_fs=100.0),
     "equilibration", 50),
    (dict(preequilibration_ps=0.0, equilibration_ps=0.05, observe_interval_fs=55.0),
     "equilibration", 50),
    (dict(preequilibration_ps=0.01, preequilibration_timestep_fs=2.0, equilibration_ps=0.1,
          observe_interval_fs=15.0), "preequilibration", 10),
    (dict(preequilibration_ps=0.05, preequilibration_timestep_fs=5.0, equilibration_ps=0.0,
          observe_interval_fs=60.0), "preequilibration", 50),
])
def test_an_interval_longer_than_a_stage_is_refused_before_work(tmp_path, kw, stage, longest):
    said = (rf"observe_interval_fs = {kw['observe_interval_fs']:g} fs is longer than the "
            rf"{stage} \({stage}_ps = .*\): the stage would record no sample after its first.*"
            rf"give observe_interval_fs ≤ {longest} fs")
    with pytest.raises(ValueError, match=said):
        check_protocol_arguments(**{k: v for k, v in {**_RUN, **kw}.items()
                                    if k != "progress"})
    calc = StoppingArgon()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=said):
            run_protocol(argon(rattle=0.05), calc, tmp_path / "run", **_RUN, **kw)
    assert calc.calls == 0 and not (tmp_path / "run").exists()


def test_an_interval_as_long_as_the_stage_samples_both_ends(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_protocol(argon(rattle=0.05), StoppingArgon(), tmp_path / "run", **_RUN,
                              preequilibration_ps=0.0, equilibration_ps=0.05,
                              observe_interval_fs=50.0)
    steps, _, density = h5md_series(result.files["equilibration"], "density")
    np.testing.assert_array_equal(steps, [0, 10])
    # the production runs at the mean of both samples, not at the start's volume
    start = argon(rattle=0.05)
    assert result.atoms.get_volume() != pytest.approx(start.get_volume(), rel=1e-9)
    assert density.size == 2
