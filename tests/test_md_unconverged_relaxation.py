"""A relaxation that runs out of optimizer steps says so: a warning naming the force reached and
the one asked, ``info["relaxed_converged"]``, and a not-valid ``ProtocolResult.relaxation``;
the same when the relaxation is read back from its file. A converged one is silent and valid.

Before, only ``info["relaxed_fmax"]`` said that FIRE had stopped short (500 steps), and
``run_protocol`` ran MD from the structure without a word.
"""

import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from ase_electrolyte.md import RelaxationNotConvergedWarning, relax, run_protocol


def _copper():
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
    atoms.rattle(0.15, seed=4)
    atoms.calc = EMT()
    return atoms


def _largest_force(atoms):
    probe = atoms.copy()
    probe.calc = EMT()
    return float(np.linalg.norm(probe.get_forces(), axis=1).max())


@pytest.mark.parametrize("steps", [0, 3])
def test_steps_running_out_warn_with_the_force_reached_and_asked(steps, tmp_path):
    atoms = _copper()
    start = _largest_force(atoms)
    assert start > 0.5
    path = tmp_path / "relaxed.h5md"
    with pytest.warns(RelaxationNotConvergedWarning) as record:
        out = relax(atoms, fmax=0.01, steps=steps, trajectory=path)
    reached = out.info["relaxed_fmax"]
    assert reached == pytest.approx(_largest_force(out), rel=1e-9) and reached > 0.01
    assert out.info["relaxed_converged"] is False
    named = [w for w in record if issubclass(w.category, RelaxationNotConvergedWarning)]
    assert len(named) == 1
    text = str(named[0].message)
    assert f"{reached:.3g} eV/Å after {steps} optimizer steps" in text
    assert "above fmax = 0.01 eV/Å" in text
    assert named[0].filename == __file__  # points at the caller's line
    # read back from its file: the same verdict, the same warning
    with pytest.warns(RelaxationNotConvergedWarning, match=f"{reached:.3g} eV/Å"):
        again = relax(atoms, fmax=0.01, steps=steps, trajectory=path)
    assert again.info["relaxed_fmax"] == pytest.approx(reached, rel=1e-12)
    assert again.info["relaxed_converged"] is False


def test_a_converged_relaxation_is_silent(tmp_path):
    atoms = _copper()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RelaxationNotConvergedWarning)
        out = relax(atoms, fmax=0.5, trajectory=tmp_path / "r.h5md")
        again = relax(atoms, fmax=0.5, trajectory=tmp_path / "r.h5md")
    assert out.info["relaxed_converged"] is True and out.info["relaxed_fmax"] <= 0.5
    assert again.info["relaxed_converged"] is True
    # a force exactly at the threshold is converged: FIRE stops there too
    with warnings.catch_warnings():
        warnings.simplefilter("error", RelaxationNotConvergedWarning)
        at = relax(out, fmax=out.info["relaxed_fmax"], steps=0)
    assert at.info["relaxed_fmax"] == out.info["relaxed_fmax"]
    assert at.info["relaxed_converged"] is True


_SHORT = dict(temperature_K=300, preequilibration_ps=0.0, equilibration_ps=0.01,
              production_ps=0.01, timestep_fs=2.0, write_interval_fs=4.0,
              observe_interval_fs=2.0, progress=False)


def test_the_protocol_result_records_the_relaxation_verdict(tmp_path, monkeypatch):
    import ase_electrolyte.md as md

    # steps run out: 2 optimizer steps of a rattled box
    monkeypatch.setattr(md, "_RELAX_STEPS", 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_protocol(_copper(), EMT(), tmp_path / "short", relax_fmax=0.01, **_SHORT)
    named = [w for w in caught if issubclass(w.category, RelaxationNotConvergedWarning)]
    assert len(named) == 1
    relaxation = result.relaxation
    assert relaxation.unit == "eV/Å" and relaxation.stderr == 0.0
    assert relaxation.value > 0.01 and not relaxation.valid
    assert "not converged" in relaxation.verdict and "relax_fmax = 0.01 eV/Å" in relaxation.verdict
    stored = md.read_h5md(result.files["relaxed"], -1)
    assert relaxation.value == pytest.approx(
        float(np.linalg.norm(stored.get_forces(), axis=1).max()), rel=1e-12)
    assert "relaxation" not in result.estimates()  # the start of the MD, not a result of it
    # the rerun reuses every stage file and gives the same verdict
    with pytest.warns(RelaxationNotConvergedWarning):
        again = run_protocol(_copper(), EMT(), tmp_path / "short", relax_fmax=0.01, **_SHORT)
    # read back from the stored forces (the fresh one is of the forces in memory: 1 ulp apart)
    assert again.relaxation.value == pytest.approx(relaxation.value, rel=1e-12)
    assert again.relaxation.verdict == relaxation.verdict


def test_a_converged_protocol_relaxation_is_valid(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no topology arrays: a metal
        warnings.simplefilter("error", RelaxationNotConvergedWarning)
        result = run_protocol(_copper(), EMT(), tmp_path, relax_fmax=0.5, **_SHORT)
    assert result.relaxation.valid and result.relaxation.value <= 0.5
