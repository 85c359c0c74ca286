"""A run resumed or reused with other GPU kernels of the same model (SevenNet's and MACE's
``enable_cueq``, SevenNet's ``enable_flash`` and ``enable_oeq``), as on another device.

A run started on a GPU with cuEquivariance and resumed where those kernels are not installed
(a CPU node, another GPU) has to drop the option: the same model, the same physics, as the
device (which the fingerprint leaves out). Before, the resume was refused as "settings differ in
['calculator']" and the run started again; a finished protocol folder could not be reused.
An option that chooses the model (``modal``, ``head``) still makes another run.
"""

import warnings

import numpy as np
import pytest
from stopping_argon import StoppingArgon, argon  # noqa: E402
from test_protocol_stage_files import _PROTOCOL

from ase_electrolyte.md import run_md, run_protocol
from ase_electrolyte.trajectory import h5md_info

# a model with backend options, recorded in its parameters as ase_electrolyte.Calculator
# records them (the pair potential ignores them)
_Model = StoppingArgon

_RUN = dict(ensemble="nve", steps=12, timestep_fs=2.0, temperature_K=60, write_interval=3,
            progress=False)


def _argon(calc):
    atoms = argon(calc, rattle=0.02, seed=1)
    return atoms


_SWITCHES = [({"enable_cueq": True}, {}), ({}, {"enable_cueq": True}),
             ({"enable_flash": True, "modal": "PBE"}, {"enable_oeq": True, "modal": "PBE"}),
             ({"enable_cueq": True, "enable_flash": True}, {"enable_cueq": False})]


@pytest.mark.parametrize("first, then", _SWITCHES)
def test_a_run_resumes_with_other_kernels_of_the_same_model(first, then, tmp_path):
    reference = run_md(_argon(_Model()), trajectory=tmp_path / "reference.h5md", **_RUN)
    path = tmp_path / "md.h5md"
    with pytest.raises(KeyboardInterrupt):
        run_md(_argon(_Model(stop_at=7, **first)), trajectory=path, **_RUN)
    assert 0 < h5md_info(path)["n_frames"] and not h5md_info(path)["complete"]
    calc = _Model(**then)
    resumed = run_md(_argon(calc), trajectory=path, **_RUN)
    assert 0 < calc.calls < 12  # resumed, not run again
    np.testing.assert_allclose(resumed.positions, reference.positions, rtol=0, atol=1e-9)
    # the file keeps what it ran with first
    stored = h5md_info(path)["run_info"]["calculator"]["parameters"]
    assert all(stored[k] == v for k, v in first.items())
    # a finished run is reused as it is
    calc = _Model(**first)
    again = run_md(_argon(calc), trajectory=path, **_RUN)
    assert calc.calls == 0
    np.testing.assert_array_equal(again.positions, resumed.positions)


@pytest.mark.parametrize("first, then", [({"modal": "PBE"}, {"modal": "R2SCAN"}),
                                         ({"enable_cueq": True, "head": "a"}, {"head": "b"})])
def test_an_option_that_chooses_the_model_is_still_another_run(first, then, tmp_path):
    path = tmp_path / "md.h5md"
    run_md(_argon(_Model(**first)), trajectory=path, **_RUN)
    calc = _Model(**then)
    with pytest.raises(ValueError, match=r"its settings differ in \['calculator'\]"):
        run_md(_argon(calc), trajectory=path, **_RUN)
    assert calc.calls == 0


def test_a_protocol_folder_is_reused_with_other_kernels(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 60 K; no topology arrays
        done = run_protocol(_argon(None), _Model(enable_cueq=True), tmp_path / "run",
                            **_PROTOCOL)
        calc = _Model()
        again = run_protocol(_argon(None), calc, tmp_path / "run", **_PROTOCOL)
    assert calc.calls == 0
    np.testing.assert_array_equal(again.atoms.positions, done.atoms.positions)
    assert again.density.value == done.density.value
