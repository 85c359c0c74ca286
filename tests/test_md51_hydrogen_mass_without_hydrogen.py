"""``hydrogen_mass`` where no hydrogen moves is a setting without effect, refused before work.

run_md(copper, hydrogen_mass=3) ran the copper run without a word and recorded it as a run with
raised hydrogen (its file said so, and the report's "real masses" requirement refused its
transport); run_protocol's pre-equilibration of argon recorded the default 3 amu, so a call
with ``hydrogen_mass=None`` (the same dynamics) was refused as another run, and an explicit 5
amu ran unnoticed. Now: run_md refuses a ``hydrogen_mass`` for atoms in which no hydrogen moves
(none, or each held by FixAtoms) before the model is evaluated, the file unwritten and the
caller's atoms unchanged; run_protocol runs such a box at its real masses under its default
(recording none) and refuses another value (a skipped pre-equilibration:
test_md51_protocol_settings_without_effect).
"""

import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.constraints import FixAtoms
from counting_emt import CountingEMT
from stopping_argon import StoppingArgon, argon
from test_md50_heavy_hydrogen_fixed_atoms import _methanes as methane_grid

from ase_electrolyte.md import run_md, run_protocol
from ase_electrolyte.trajectory import h5md_info, read_h5md, start_state


def _copper():
    atoms = bulk("Cu", cubic=True).repeat(2)
    atoms.rattle(0.02, seed=3)
    atoms.calc = CountingEMT()
    return atoms


def _argon():
    return argon(StoppingArgon(), rattle=0.05)


def _methanes(fixed):
    """Four methanes on a 2 × 2 grid; ``fixed``: which atoms FixAtoms holds ("H", "C", "none")."""
    atoms = methane_grid([])
    atoms.calc = CountingEMT()
    symbol = {"H": 1, "C": 6}.get(fixed)
    if symbol is not None:
        atoms.set_constraint(FixAtoms(np.flatnonzero(atoms.numbers == symbol)))
    return atoms


# (box, ensembles it can run, what the message says of it)
_NO_MOVING_HYDROGEN = [
    ("copper", _copper, ("nve", "nvt", "npt"), r"atoms \(Cu32\) hold no hydrogen"),
    ("argon", _argon, ("nve", "nvt", "npt"), r"atoms \(Ar32\) hold no hydrogen"),
    # constraints run in NVE only; a fixed atom moves alike at any mass
    ("methanes, every H fixed", lambda: _methanes("H"), ("nve",),
     r"each of the 16 hydrogen atoms of atoms is fixed \(FixAtoms\)"),
]
_RUNS = [(name, make, ensemble, said) for name, make, ensembles, said in _NO_MOVING_HYDROGEN
         for ensemble in ensembles]


@pytest.mark.parametrize("mass", [3.0, 1.008, 0.5, 100.0])
@pytest.mark.parametrize("name, make, ensemble, said", _RUNS,
                         ids=[f"{r[0]}-{r[2]}" for r in _RUNS])
def test_run_md_refuses_a_hydrogen_mass_no_hydrogen_feels(name, make, ensemble, said, mass,
                                                           tmp_path):
    atoms = make()
    before = (atoms.positions.copy(), atoms.get_masses().copy(), atoms.cell[:].copy())
    path = tmp_path / "run.h5md"
    kw = dict(ensemble=ensemble, steps=4, timestep_fs=1.0, temperature_K=80.0,
              write_interval=2, trajectory=path, progress=False, hydrogen_mass=mass)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=rf"hydrogen_mass = {mass:g} amu .*{said}: it "
                                             r"would have no effect; leave out hydrogen_mass"):
            run_md(atoms, **kw)
    assert atoms.calc.calls == 0
    assert not path.exists()
    np.testing.assert_array_equal(atoms.positions, before[0])
    np.testing.assert_array_equal(atoms.get_masses(), before[1])
    np.testing.assert_array_equal(atoms.cell[:], before[2])


@pytest.mark.parametrize("fixed", ["none", "C"])
def test_a_moving_hydrogen_is_integrated_at_the_given_mass(fixed, tmp_path):
    """The control: with any hydrogen free to move the mass acts (the run integrates it)."""
    path = tmp_path / "run.h5md"
    atoms = _methanes(fixed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_md(atoms, ensemble="nve", steps=2, timestep_fs=0.5, temperature_K=300.0,
               write_interval=2, trajectory=path, progress=False, hydrogen_mass=3.0, seed=4)
    assert h5md_info(path)["run_info"]["hydrogen_mass"] == 3.0
    integrated = start_state(path)["masses"]
    hydrogen = atoms.numbers == 1
    np.testing.assert_array_equal(integrated[hydrogen], 3.0)
    np.testing.assert_array_equal(integrated[~hydrogen], atoms.get_masses()[~hydrogen])


_PROTOCOL = dict(temperature_K=84.0, preequilibration_ps=0.02, equilibration_ps=0,
                 production_ps=0.02, preequilibration_timestep_fs=5.0, timestep_fs=5.0,
                 write_interval_fs=10.0, observe_interval_fs=10.0, progress=False)


def test_the_protocols_default_runs_a_box_without_hydrogen_at_its_real_masses(tmp_path):
    """Argon under the default hydrogen_mass is the run with none: recorded so, reused by a
    call with ``hydrogen_mass=None`` (no evaluation), and its transport stage needs nothing."""
    from mda_electrolyte.bridge import from_ase
    from mda_electrolyte.report import unmet_requirements

    folder = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_protocol(_argon(), StoppingArgon(), folder, **_PROTOCOL)
    pre = result.files["preequilibration"]
    assert h5md_info(pre)["run_info"]["hydrogen_mass"] is None
    # the stage integrated argon's own masses
    np.testing.assert_allclose(read_h5md(pre, -1).get_masses(), 39.948, rtol=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert unmet_requirements(from_ase(pre), ["real masses"], None) == []
    calc = StoppingArgon()
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = run_protocol(_argon(), calc, folder, **dict(_PROTOCOL, hydrogen_mass=None))
    assert calc.calls == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    np.testing.assert_array_equal(again.atoms.positions, result.atoms.positions)


@pytest.mark.parametrize("mass", [2.0, 3.0000001, 1.008, 50.0])
def test_the_protocol_refuses_another_hydrogen_mass_for_a_box_without_hydrogen(mass, tmp_path):
    calc = StoppingArgon()
    folder = tmp_path / "run"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=rf"hydrogen_mass = {mass:g} amu .*atoms \(Ar32\) "
                                             r"hold no hydrogen: it would have no effect; "
                                             r"leave out hydrogen_mass \(its default, 3 amu"):
            run_protocol(_argon(), calc, folder, **dict(_PROTOCOL, hydrogen_mass=mass))
    assert calc.calls == 0
    assert not folder.exists() or not any(folder.iterdir())
