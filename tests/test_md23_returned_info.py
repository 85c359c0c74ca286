"""The Atoms that run_md and relax return own their ``info``: ASE's ``Atoms.copy`` shares the
values of ``info``, so editing a list or dict in the returned Atoms' info edited the caller's
input (run_md's docstring promised copies)."""

import warnings

import pytest
from stopping_argon import StoppingArgon, argon

from ase_electrolyte.md import relax, run_md


def _caller():
    atoms = argon(StoppingArgon(), rattle=0.05)
    atoms.info["notes"] = {"history": ["packed"]}
    return atoms


@pytest.mark.parametrize("how", ["fresh", "reused", "relax"])
def test_editing_the_returned_info_leaves_the_callers_atoms_alone(tmp_path, how):
    atoms = _caller()
    kw = dict(ensemble="nve", steps=4, timestep_fs=5.0, temperature_K=84.0, write_interval=2,
              progress=False, trajectory=tmp_path / "run.h5md")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if how == "relax":
            out = relax(atoms, trajectory=tmp_path / "relaxed.h5md", progress=False)
        else:
            out = run_md(atoms, **kw)
            if how == "reused":
                out = run_md(atoms, **kw)
                assert out.info["step"] == 4
    out.info["notes"]["history"].append("simulated")
    assert atoms.info["notes"] == {"history": ["packed"]}
    assert "energy_drift" not in atoms.info and "step" not in atoms.info
