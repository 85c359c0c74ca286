"""Velocities in the caller's Atoms: ``run_protocol`` keeps the papers' start (a relaxed
structure at rest, then Maxwell–Boltzmann velocities drawn at ``temperature_K`` with ``seed``),
says so once, and the run with and without them is one run (its files are reused by either
call); the caller's Atoms are left as they were.

Before, momenta set by the caller (from an earlier run, say) were dropped without a word.
"""

import shutil
import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.constraints import FixAtoms
from test_protocol_stage_files import _PROTOCOL, _Counting

from ase_electrolyte.md import run_protocol
from ase_electrolyte.topology import set_topology
from ase_electrolyte.trajectory import h5md_info, read_h5md

_STAGES = ("relaxed", "preequilibration", "equilibration", "production")


def _argon(moving):
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=1)
    set_topology(atoms, np.arange(len(atoms)), np.array(["Ar"] * len(atoms)),
                 np.zeros(len(atoms), int))
    if moving:
        atoms.set_velocities(np.random.default_rng(5).normal(0.0, 0.01, (len(atoms), 3)))
    return atoms


def _run(folder, atoms, calc=None, **change):
    """The run, and the warnings it gave about the velocities of atoms."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        done = run_protocol(atoms, calc or _Counting(), folder, **dict(_PROTOCOL, **change))
    return done, [str(w.message) for w in caught if "velocities of atoms" in str(w.message)]


@pytest.fixture(scope="module")
def at_rest(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rest") / "run"
    done, said = _run(folder, _argon(False))
    assert said == []  # nothing to say about atoms at rest
    return folder, done


def test_given_velocities_are_named_once_and_the_run_is_the_one_from_rest(at_rest, tmp_path):
    atoms = _argon(True)
    done, said = _run(tmp_path / "run", atoms)
    assert len(said) == 1
    kinetic = atoms.get_kinetic_energy()
    assert f"kinetic energy {kinetic:.4g} eV" in said[0]
    assert "temperature_K = 60 K with seed = 0" in said[0] and "run_md" in said[0]
    folder, reference = at_rest
    np.testing.assert_array_equal(done.atoms.positions, reference.atoms.positions)
    np.testing.assert_array_equal(done.atoms.get_velocities(), reference.atoms.get_velocities())
    assert done.density.value == reference.density.value


def test_the_callers_atoms_and_their_velocities_are_not_modified(tmp_path):
    atoms = _argon(True)
    atoms.set_constraint(FixAtoms(indices=[0]))
    atoms.set_velocities(atoms.get_velocities())  # as the constraint allows: atom 0 at rest
    atoms.set_tags(np.arange(len(atoms)) % 3)
    atoms.info["note"] = "mine"
    calc = _Counting()
    atoms.calc = calc
    before = atoms.copy()
    momenta = atoms.get_momenta().copy()
    _run(tmp_path / "run", atoms, calc, production_ensemble="nve", preequilibration_ps=0,
         equilibration_ps=0)
    assert atoms == before and atoms.calc is calc
    np.testing.assert_array_equal(atoms.get_momenta(), momenta)
    np.testing.assert_array_equal(atoms.get_tags(), before.get_tags())
    assert atoms.info == before.info
    assert [type(c) for c in atoms.constraints] == [FixAtoms]


@pytest.mark.parametrize("moving_first", [True, False])
def test_a_folder_of_either_call_is_reused_by_the_other(moving_first, at_rest, tmp_path):
    """Velocities or none, the files are this run's: no evaluation, no refusal."""
    folder = tmp_path / "run"
    if moving_first:
        _run(folder, _argon(True))
    else:
        shutil.copytree(at_rest[0], folder)
    kept = {name: (folder / f"{name}.h5md").read_bytes() for name in _STAGES}
    calc = _Counting()
    done, said = _run(folder, _argon(not moving_first), calc)
    assert calc.calls == 0 and len(said) == int(not moving_first)
    assert {name: (folder / f"{name}.h5md").read_bytes() for name in _STAGES} == kept
    np.testing.assert_array_equal(done.atoms.positions, at_rest[1].atoms.positions)


def test_a_run_stopped_with_velocities_resumes_without_them(at_rest, tmp_path):
    """A pre-equilibration stopped part-way, started from a call with velocities, resumed by
    one without: accepted as the same run, and its frames before the stop are those of the run
    from rest. (A thermostatted stage resumed mid-way restarts its Nosé–Hoover chain from zero,
    as :mod:`ase_electrolyte.md` documents: the frames after the stop are another trajectory of
    the same ensemble.)"""

    class Stopping(_Counting):
        def calculate(self, *args, **kwargs):
            if self.calls == 15:  # in the pre-equilibration, after the relaxation's 9
                raise KeyboardInterrupt
            super().calculate(*args, **kwargs)

    Stopping.__module__, Stopping.__name__ = _Counting.__module__, _Counting.__name__
    folder = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        _run(folder, _argon(True), Stopping())
    stopped = folder / "preequilibration.h5md"
    kept = h5md_info(stopped)["n_frames"]
    assert 0 < kept and not h5md_info(stopped)["complete"]
    reference = at_rest[0] / "preequilibration.h5md"
    for i in range(kept):
        frame, expected = read_h5md(stopped, i), read_h5md(reference, i)
        np.testing.assert_array_equal(frame.positions, expected.positions)
        np.testing.assert_array_equal(frame.get_velocities(), expected.get_velocities())
    calc = _Counting()
    done, said = _run(folder, _argon(False), calc)
    assert said == [] and calc.calls > 0
    for name in _STAGES:
        assert h5md_info(folder / f"{name}.h5md")["complete"]
    assert done.density.value > 0 and done.density.stderr >= 0
